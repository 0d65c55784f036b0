/**
 * What `check` needs from a generated kernel project: its Cargo.toml (templates/kernel/Cargo.toml.hbs,
 * written by us, so a line-based reader suffices) and where cargo puts the kernel ELF.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { TARGET } from '@baremetal-kernel/target';

export const MANIFEST_FILE = 'Cargo.toml';
const PACKAGE_SECTION = 'package';
const METADATA_SECTION = 'package.metadata.baremetal-kernel';

export interface KernelManifest {
  /** `[package] name`: the kernel binary's name. */
  readonly name: string | undefined;
  /** `[package.metadata.baremetal-kernel] boot`: the protocol it was generated for. */
  readonly boot: string | undefined;
}

/** A TOML basic ("...", with escapes) or literal ('...') string at the start of `text`. */
function tomlStringValue(text: string): string | undefined {
  const basic = /^"((?:[^"\\]|\\.)*)"/.exec(text);
  if (basic) return basic[1]!.replace(/\\(["\\])/g, '$1');
  const literal = /^'([^']*)'/.exec(text);
  return literal ? literal[1] : undefined;
}

/** Reads `[package] name` and `[package.metadata.baremetal-kernel] boot` from Cargo.toml's text. */
export function parseKernelManifest(text: string): KernelManifest {
  // Stryker disable next-line StringLiteral: keys before the first header are in no table we read, whatever it is called
  let section = '';
  let name: string | undefined;
  let boot: string | undefined;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    // `[table]` or `[[array-of-tables]]` (an array table is never one we read).
    const header = /^(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/.exec(line);
    if (header) {
      section = header[1] === '[[' ? `[[${header[2]}]]` : header[2]!.replace(/\s*\.\s*/g, '.');
      continue;
    }
    const pair = /^([A-Za-z0-9_-]+)\s*=\s*(.*)$/.exec(line);
    if (!pair) continue;
    const [, key, value] = pair;
    if (section === PACKAGE_SECTION && key === 'name') name = tomlStringValue(value!) ?? name;
    if (section === METADATA_SECTION && key === 'boot') boot = tomlStringValue(value!) ?? boot;
  }
  return { name, boot };
}

/**
 * `${CARGO_TARGET_DIR:-<project>/target}/x86_64-unknown-none/<profile>/<name>`; a relative
 * CARGO_TARGET_DIR is relative to the working directory, as cargo takes it.
 */
export function kernelElfPath(
  projectDirectory: string,
  name: string,
  options: { readonly cargoTargetDir?: string | undefined; readonly cwd: string; readonly profile?: 'debug' | 'release' },
): string {
  const targetDirectory =
    options.cargoTargetDir === undefined || options.cargoTargetDir === ''
      ? join(projectDirectory, 'target')
      : isAbsolute(options.cargoTargetDir)
        ? options.cargoTargetDir
        : resolve(options.cwd, options.cargoTargetDir);
  return join(targetDirectory, TARGET.triple, options.profile ?? 'debug', name);
}
