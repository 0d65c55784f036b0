/** One result of checking a kernel image: printed as `<level>: <message>`. */
export type FindingLevel = 'ok' | 'warning' | 'error';

export interface Finding {
  readonly level: FindingLevel;
  readonly message: string;
}

export const ok = (message: string): Finding => ({ level: 'ok', message });
export const warning = (message: string): Finding => ({ level: 'warning', message });
export const error = (message: string): Finding => ({ level: 'error', message });

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((finding) => finding.level === 'error');
}

export function formatFinding(finding: Finding): string {
  return `${finding.level}: ${finding.message}`;
}
