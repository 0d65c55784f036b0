import type { Check } from './check.js';
import type { DoctorReport } from './report.js';

/** Wide enough for the longest status and two spaces, so the names line up. */
const STATUS_WIDTH = 9;

/** `missing  xorriso not found: sudo apt-get install --no-install-recommends xorriso` */
export function formatCheck(check: Check): string {
  const fix = check.fix.length > 0 ? `: ${check.fix.join(' && ')}` : '';
  return `${check.status.padEnd(STATUS_WIDTH)}${check.name} ${check.detail}${fix}`;
}

function formatPlatform(report: DoctorReport): string {
  const manager = report.platform.packageManager;
  const how = manager === undefined ? "no known package manager: install with the system's" : `fixes use ${manager}`;
  return `platform ${report.platform.description} (${how})`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function formatSummary(report: DoctorReport): string {
  const missing = report.checks.filter((check) => check.status === 'missing');
  const warnings = report.checks.filter((check) => check.status === 'warning');
  const warningNote = warnings.length > 0 ? `, ${plural(warnings.length, 'warning')}` : '';
  if (missing.length > 0) {
    const names = missing.map((check) => check.name).join('; ');
    return `not ready: ${plural(missing.length, 'needed item')} missing (${names})${warningNote}`;
  }
  return `ready: nothing needed is missing${warningNote}; --toolchain auto picks ${report.recommendedToolchain}`;
}

/** The report as lines of text: the platform, one line per check, and a summary. */
export function formatReport(report: DoctorReport): string[] {
  return [formatPlatform(report), ...report.checks.map(formatCheck), formatSummary(report)];
}

/** The report as one JSON object. */
export function reportToJson(report: DoctorReport): string {
  return JSON.stringify(
    {
      ready: report.ready,
      platform: { description: report.platform.description, packageManager: report.platform.packageManager ?? null },
      recommendedToolchain: report.recommendedToolchain ?? null,
      checks: report.checks.map(({ name, status, detail, fix, needed }) => ({ name, status, detail, fix, needed })),
    },
    null,
    2,
  );
}
