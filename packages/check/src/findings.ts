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

/**
 * How many findings of one kind about PT_LOAD segments a rule lists before it only counts the
 * rest. A linker makes a handful of segments; a crafted file has up to 65535 (e_phnum is a u16),
 * and one finding per segment would cost time and memory for nothing a reader can use.
 */
export const LISTED_PER_KIND = 8;

/**
 * One finding for each of the first {@link LISTED_PER_KIND} items, then one that counts the rest,
 * at `restLevel` (by default the level of the last one listed). Only the listed findings are made: the rest cost nothing.
 */
export function listed<T>(
  items: readonly T[],
  describe: (item: T) => Finding | readonly Finding[],
  noun: string,
  restLevel?: FindingLevel,
): Finding[] {
  const shown = items.slice(0, LISTED_PER_KIND).flatMap(describe);
  const rest = items.length - Math.min(items.length, LISTED_PER_KIND);
  const last = shown[shown.length - 1];
  if (rest === 0 || last === undefined) return shown;
  return [...shown, { level: restLevel ?? last.level, message: `${rest} more ${noun} with the same problem, not listed` }];
}
