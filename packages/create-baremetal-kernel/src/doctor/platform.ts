import type { PackageManager } from '@baremetal-kernel/target';

export type { PackageManager };

export interface HostPlatform {
  /** What to call the system in the report, e.g. "Debian GNU/Linux 12 (bookworm)". */
  readonly description: string;
  /** Undefined when `doctor` cannot tell: fixes then name the tool instead of a command. */
  readonly packageManager: PackageManager | undefined;
}

/**
 * os-release IDs (ID, then each of ID_LIKE) to package managers. ID_LIKE covers derivatives:
 * Ubuntu and Mint say `debian`, Rocky and Alma say `rhel ... fedora`, Manjaro and EndeavourOS say
 * `arch`. See os-release(5).
 */
const PACKAGE_MANAGER_BY_OS_ID: ReadonlyMap<string, PackageManager> = new Map([
  ['debian', 'apt'],
  ['ubuntu', 'apt'],
  ['fedora', 'dnf'],
  ['rhel', 'dnf'],
  ['arch', 'pacman'],
]);

/** Parses os-release(5): `KEY=value` lines, values optionally in single or double quotes. */
export function parseOsRelease(text: string): ReadonlyMap<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, key, raw] = match as unknown as [string, string, string];
    fields.set(key, raw.replace(/^(["'])(.*)\1$/, '$2'));
  }
  return fields;
}

export function detectPlatform(os: string, osRelease: string | undefined): HostPlatform {
  if (os === 'darwin') return { description: 'macOS', packageManager: 'brew' };
  if (os !== 'linux' || osRelease === undefined) return { description: os, packageManager: undefined };
  const fields = parseOsRelease(osRelease);
  const ids = [fields.get('ID'), ...(fields.get('ID_LIKE') ?? '').split(/\s+/)].filter(
    (id): id is string => id !== undefined && id.length > 0,
  );
  const packageManager = ids.map((id) => PACKAGE_MANAGER_BY_OS_ID.get(id)).find((manager) => manager !== undefined);
  return { description: fields.get('PRETTY_NAME') ?? fields.get('NAME') ?? 'Linux', packageManager };
}
