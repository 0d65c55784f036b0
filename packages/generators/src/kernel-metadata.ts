/**
 * A kernel's `[package.metadata.baremetal-kernel]` table: the choices it was generated with, read
 * back by `add`. Read with smol-toml (a real TOML parser: a user's Cargo.toml may use any TOML
 * syntax); written by changing only the `modules` line, so the user's formatting and comments stay.
 */
import { parse } from 'smol-toml';
import { GeneratorError } from './errors.js';
import { GENERATOR_NAME, GENERATOR_VERSION } from './kernel-contract.js';
import { tomlArray } from './toml.js';

export const METADATA_TABLE = `package.metadata.${GENERATOR_NAME}`;

export interface KernelMetadata {
  /** The package name. */
  readonly name: string;
  readonly generatorVersion: string;
  readonly boot: string;
  readonly preset: string;
  readonly toolchain: string;
  /** Absent in kernels made before they were recorded: the protocol's defaults then. */
  readonly codeModel: string | undefined;
  readonly relocationModel: string | undefined;
  readonly modules: readonly string[];
}

type Table = Record<string, unknown>;

const isTable = (value: unknown): value is Table => typeof value === 'object' && value !== null && !Array.isArray(value);

function versionParts(version: string): number[] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(version);
  return match ? match.slice(1, 4).map(Number) : undefined;
}

/** Compares two `x.y.z` versions: negative when `a` is older. */
export function compareVersions(a: string, b: string): number {
  const [pa, pb] = [versionParts(a) ?? [0, 0, 0], versionParts(b) ?? [0, 0, 0]];
  for (let index = 0; index < 3; index++) if (pa[index] !== pb[index]) return pa[index]! - pb[index]!;
  return 0;
}

/**
 * The metadata of the kernel whose Cargo.toml this is; throws, saying why, when it is not a kernel
 * made by this generator or was made by a newer version of it.
 */
export function readKernelMetadata(cargoToml: string, label: string): KernelMetadata {
  const metadata = kernelMetadataOf(cargoToml, label);
  if (metadata === undefined) {
    throw new GeneratorError(
      'E_NOT_A_KERNEL',
      `${label} has no [${METADATA_TABLE}] table: this is not a kernel made by ${GENERATOR_NAME} (create one with \`npm create ${GENERATOR_NAME}\`)`,
    );
  }
  return metadata;
}

/**
 * As `readKernelMetadata`, but a Cargo.toml without the table (any other crate) is `undefined`, not
 * an error: for tools that look at every Cargo.toml (the Nx plugin's project inference). Broken
 * TOML, or a table this generator did not write, still throws, saying why.
 */
export function kernelMetadataOf(cargoToml: string, label: string): KernelMetadata | undefined {
  let manifest: Table;
  try {
    manifest = parse(cargoToml) as Table;
  } catch (error) {
    const reason = (error as Error).message.split('\n')[0];
    throw new GeneratorError('E_NOT_A_KERNEL', `${label} is not valid TOML (${reason}); fix it, then run this again`);
  }
  const pkg = manifest['package'];
  const metadata = isTable(pkg) && isTable(pkg['metadata']) ? pkg['metadata'][GENERATOR_NAME] : undefined;
  if (!isTable(pkg) || !isTable(metadata)) return undefined;
  const text = (key: string): string => {
    const value = metadata[key];
    if (typeof value !== 'string') {
      throw new GeneratorError('E_NOT_A_KERNEL', `${label}: [${METADATA_TABLE}] ${key} must be a string, as ${GENERATOR_NAME} wrote it`);
    }
    return value;
  };
  const optionalText = (key: string): string | undefined => (metadata[key] === undefined ? undefined : text(key));
  const generatorVersion = text('generator-version');
  if (!versionParts(generatorVersion)) {
    throw new GeneratorError('E_NOT_A_KERNEL', `${label}: [${METADATA_TABLE}] generator-version '${generatorVersion}' is not a version`);
  }
  if (compareVersions(generatorVersion, GENERATOR_VERSION) > 0) {
    throw new GeneratorError(
      'E_NEWER_KERNEL',
      `this kernel was made by ${GENERATOR_NAME} ${generatorVersion}, newer than this ${GENERATOR_VERSION}: run \`npx ${GENERATOR_NAME}@${generatorVersion} add ...\``,
    );
  }
  const modules = metadata['modules'] ?? [];
  if (!Array.isArray(modules) || !modules.every((module): module is string => typeof module === 'string')) {
    throw new GeneratorError('E_NOT_A_KERNEL', `${label}: [${METADATA_TABLE}] modules must be a list of names`);
  }
  const name = pkg['name'];
  if (typeof name !== 'string') throw new GeneratorError('E_NOT_A_KERNEL', `${label}: [package] has no name`);
  return {
    name,
    generatorVersion,
    boot: text('boot'),
    preset: text('preset'),
    toolchain: text('toolchain'),
    codeModel: optionalText('code-model'),
    relocationModel: optionalText('relocation-model'),
    modules,
  };
}

const TABLE_HEADER = /^\s*\[/;

/**
 * `cargoToml` with the metadata's `modules` set to `modules`: only that key's lines change (or one
 * line is added to the table when the key is missing). Checked by parsing the result.
 */
export function withModulesRecorded(cargoToml: string, modules: readonly string[], label: string): string {
  const lines = cargoToml.split('\n');
  const header = lines.findIndex((line) => line.trim().replace(/\s+/g, '') === `[${METADATA_TABLE}]`);
  const failure = () =>
    new GeneratorError(
      'E_NOT_A_KERNEL',
      `${label}: cannot record the modules in [${METADATA_TABLE}] (written in a form this version does not edit); set \`modules = ${tomlArray(modules)}\` there by hand, then run this again`,
    );
  if (header < 0) throw failure();
  let end = header + 1;
  while (end < lines.length && !TABLE_HEADER.test(lines[end]!)) end++;
  const line = `modules = ${tomlArray(modules)}`;
  const start = lines.findIndex((candidate, index) => index > header && index < end && /^\s*modules\s*=/.test(candidate));
  if (start < 0) {
    let last = end;
    while (last > header + 1 && lines[last - 1]!.trim() === '') last--;
    lines.splice(last, 0, line);
  } else {
    let stop = start;
    while (stop < end && !lines[stop]!.includes(']')) stop++;
    const comment = /\]\s*(#.*)$/.exec(lines[stop] ?? '')?.[1];
    lines.splice(start, stop - start + 1, comment ? `${line} ${comment}` : line);
  }
  const result = lines.join('\n');
  let written: KernelMetadata;
  try {
    written = readKernelMetadata(result, label);
  } catch {
    throw failure();
  }
  if (written.modules.join(',') !== modules.join(',')) throw failure();
  return result;
}
