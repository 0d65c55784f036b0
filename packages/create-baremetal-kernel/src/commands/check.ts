/** `baremetal-kernel check [path-to-elf] [--boot multiboot2|limine]`: verifies a built kernel. */
import { closeSync, existsSync, openSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { BOOT_PROTOCOLS, unknownChoice, type BootProtocolName } from '@baremetal-kernel/target';
import {
  checkKernelImage,
  detectBootProtocol,
  fileSource,
  formatFinding,
  hasErrors,
  kernelElfPath,
  MANIFEST_FILE,
  parseKernelManifest,
  type ByteSource,
  type Finding,
} from '@baremetal-kernel/check';
import { renderOptionsHelp, type CreateOption } from '@baremetal-kernel/generators';
import { HELP_OPTION, parseArguments } from '../arguments.js';
import { CliError } from '../errors.js';
import { EXIT, type Io } from '../io.js';

const PROTOCOL_NAMES: readonly string[] = BOOT_PROTOCOLS.map((protocol) => protocol.name);

const CHECK_OPTIONS = [
  {
    key: 'boot',
    flag: 'boot',
    type: 'string',
    valueName: '<protocol>',
    default: '',
    defaultHelp: "the project's for its own kernel, else what the image says",
    choices: BOOT_PROTOCOLS.map(({ name, summary }) => ({ value: name, summary })),
    help: 'check against this boot protocol',
  },
  { key: 'json', flag: 'json', type: 'boolean', default: false, help: 'print one JSON object: the verdict, the counts and every finding' },
  HELP_OPTION,
] as const satisfies readonly CreateOption[];

const HELP = `Usage: baremetal-kernel check [path-to-elf] [options]

Verifies a built kernel ELF against what its boot protocol's loader accepts, before any boot.
Without a path: the debug build of the kernel project around the working directory.

Options:
${renderOptionsHelp(CHECK_OPTIONS)}

Exit status: 0 when the loader will take the image, 1 when it will not, 2 on bad usage.
`;

interface CheckArguments {
  readonly path: string | undefined;
  readonly boot: BootProtocolName | undefined;
  readonly help: boolean;
  readonly json: boolean;
}

interface KernelProject {
  readonly directory: string;
  readonly manifestPath: string;
  readonly name: string | undefined;
  readonly boot: string | undefined;
}

function isBootProtocolName(name: string): name is BootProtocolName {
  return PROTOCOL_NAMES.includes(name);
}

function unknownProtocol(name: string): string {
  return unknownChoice('boot protocol', name, PROTOCOL_NAMES);
}

function parseCheckArguments(args: readonly string[]): CheckArguments {
  const hint = 'see baremetal-kernel check --help';
  const { positionals, values } = parseArguments(args, CHECK_OPTIONS, { maxPositionals: Number.POSITIVE_INFINITY, hint });
  if (positionals.length > 1) {
    throw new CliError('E_USAGE', `check takes one kernel path, got ${positionals.length}: ${positionals.join(' ')} (${hint})`, EXIT.usage);
  }
  const boot = values.boot as string | undefined;
  if (boot !== undefined && !isBootProtocolName(boot)) throw new CliError('E_USAGE', `--boot: ${unknownProtocol(boot)}`, EXIT.usage);
  return { path: positionals[0], boot, help: values.help === true, json: values.json === true };
}

/** The nearest Cargo.toml in `start` or a parent directory, read for the package name and boot protocol. */
function findKernelProject(start: string): KernelProject | undefined {
  for (let directory = resolve(start); ; directory = dirname(directory)) {
    const manifestPath = join(directory, MANIFEST_FILE);
    if (existsSync(manifestPath)) {
      let text: string;
      try {
        text = readFileSync(manifestPath, 'utf8');
      } catch (error) {
        throw new CliError('E_READ', `cannot read ${manifestPath}: ${(error as Error).message}`);
      }
      return { directory, manifestPath, ...parseKernelManifest(text) };
    }
    if (dirname(directory) === directory) return undefined;
  }
}

/** The ELF to check: the given path, or the debug build of the project around the working directory. */
function kernelPath(path: string | undefined, project: KernelProject | undefined, io: Io): string {
  if (path !== undefined) {
    const absolute = resolve(io.cwd, path);
    if (!existsSync(absolute)) throw new CliError('E_NOT_FOUND', `no such file: ${path}`);
    return absolute;
  }
  if (project === undefined) {
    throw new CliError(
      'E_NO_PROJECT',
      `no kernel project here (no ${MANIFEST_FILE} in ${io.cwd} or a parent directory): run check in a kernel project or pass the kernel's path`,
      EXIT.usage,
    );
  }
  if (project.name === undefined) throw new CliError('E_NO_NAME', `${project.manifestPath} has no [package] name`);
  const elf = kernelElfPath(project.directory, project.name, { cargoTargetDir: io.env.CARGO_TARGET_DIR, cwd: io.cwd });
  if (!existsSync(elf)) throw new CliError('E_NOT_BUILT', `no kernel at ${displayPath(elf, io)}: run \`cargo build\` first`);
  return elf;
}

/** The same file, links and `..` resolved; the path itself when it cannot be resolved. */
function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Whether `elf` is the project's own kernel (its debug or release build), the only ELF its
 * Cargo.toml speaks for: any other path is judged by its own contents.
 */
function isProjectKernel(elf: string, project: KernelProject, io: Io): boolean {
  if (project.name === undefined) return false;
  const name = project.name;
  const target = canonical(elf);
  return (['debug', 'release'] as const).some(
    (profile) => canonical(kernelElfPath(project.directory, name, { cargoTargetDir: io.env.CARGO_TARGET_DIR, cwd: io.cwd, profile })) === target,
  );
}

/** What a path that is not a regular file is, for the message that refuses it. */
function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Runs `use` on the kernel file opened for positioned reads: the checks read only what they need
 * (headers, tables, the loaded data), never the whole file, so a file of gigabytes costs no more
 * memory than its headers. The file is closed afterwards.
 */
function withKernel<T>(path: string, io: Io, use: (bytes: ByteSource) => T): T {
  let fd: number;
  let bytes: ByteSource;
  try {
    // Only a regular file: /dev/zero has no size to bound the reads, a FIFO blocks until a writer
    // comes (statSync follows links, so a link to a kernel is fine).
    const stats = statSync(path);
    if (!stats.isFile()) throw new CliError('E_NOT_A_FILE', `${displayPath(path, io)} is ${fileKind(stats)}, not a kernel ELF`);
    fd = openSync(path, 'r');
    bytes = fileSource(fd);
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError('E_READ', `cannot read ${displayPath(path, io)}: ${(error as Error).message}`);
  }
  try {
    return use(bytes);
  } catch (error) {
    // A read failing half way (an I/O error, a file on a vanished mount) is the file's, not ours.
    if (error instanceof CliError || !(error instanceof Error) || !('code' in error)) throw error;
    throw new CliError('E_READ', `cannot read ${displayPath(path, io)}: ${error.message}`);
  } finally {
    closeSync(fd);
  }
}

/** The protocol to check against and where that choice came from: --boot, Cargo.toml, or the image. */
function chooseProtocol(
  boot: BootProtocolName | undefined,
  project: KernelProject | undefined,
  bytes: ByteSource,
): { name: BootProtocolName | undefined; source: string } {
  if (boot !== undefined) return { name: boot, source: 'from --boot' };
  if (project?.boot !== undefined) {
    if (!isBootProtocolName(project.boot)) {
      throw new CliError('E_BAD_MANIFEST', `${project.manifestPath}: boot = '${project.boot}': ${unknownProtocol(project.boot)}`);
    }
    return { name: project.boot, source: `from ${project.manifestPath}` };
  }
  const detected = detectBootProtocol(bytes);
  return detected === undefined
    ? { name: undefined, source: 'not detected' }
    : { name: detected.name, source: `detected from ${detected.evidence}` };
}

/** A path relative to the working directory when it lies below it, else absolute. */
function displayPath(path: string, io: Io): string {
  const fromCwd = relative(io.cwd, path);
  return fromCwd !== '' && !fromCwd.startsWith('..') && !isAbsolute(fromCwd) ? fromCwd : path;
}

function count(findings: readonly Finding[], level: Finding['level'], noun: string): string {
  const n = findings.filter((finding) => finding.level === level).length;
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function summary(findings: readonly Finding[], path: string, protocol: { name: string | undefined; source: string }): string {
  const counts = `${count(findings, 'ok', 'check')} ok, ${count(findings, 'warning', 'warning')}, ${count(findings, 'error', 'error')}`;
  const verdict = hasErrors(findings) ? 'fails' : 'passes';
  const what = protocol.name === undefined ? 'the kernel checks (boot protocol unknown)' : `the ${protocol.name} checks (protocol ${protocol.source})`;
  return `summary: ${path} ${verdict} ${what}: ${counts}`;
}

/** The result as data, for `check --json`: what `summary` says, and every finding. */
function checkReport(findings: readonly Finding[], path: string, protocol: { name: string | undefined; source: string }) {
  const counted = (level: Finding['level']) => findings.filter((finding) => finding.level === level).length;
  return {
    path,
    protocol: protocol.name ?? null,
    protocolSource: protocol.source,
    passes: !hasErrors(findings),
    counts: { ok: counted('ok'), warning: counted('warning'), error: counted('error') },
    findings: findings.map(({ level, message }) => ({ level, message })),
  };
}

/** `baremetal-kernel check`: prints one line per finding and a summary; exit 1 on any error. */
export function runCheck(args: readonly string[], io: Io): number {
  try {
    const { path, boot, help, json } = parseCheckArguments(args);
    if (help) {
      io.stdout(HELP);
      return EXIT.ok;
    }
    const project = findKernelProject(io.cwd);
    const elf = kernelPath(path, project, io);
    // The project's protocol is for the project's kernel; another ELF given by path says its own.
    const ownKernel = project !== undefined && (path === undefined || isProjectKernel(elf, project, io));
    const { protocol, findings } = withKernel(elf, io, (bytes) => {
      const chosen = chooseProtocol(boot, ownKernel ? project : undefined, bytes);
      return { protocol: chosen, findings: checkKernelImage(bytes, chosen.name) };
    });
    if (json) {
      io.stdout(`${JSON.stringify(checkReport(findings, displayPath(elf, io), protocol), null, 2)}\n`);
    } else {
      io.stdout(`${[...findings.map(formatFinding), summary(findings, displayPath(elf, io), protocol)].join('\n')}\n`);
    }
    return hasErrors(findings) ? EXIT.failure : EXIT.ok;
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`error: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
