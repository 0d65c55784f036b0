/**
 * The generated runners as programs. Each runner is rendered from the real templates and run by
 * bash with stand-ins for QEMU, GRUB, xorriso, mtools and a Limine release first in PATH; after
 * them come only the few coreutils the runners use, so the real QEMU and GRUB are out of reach.
 * A test judges what QEMU was given, the runner's exit status and its one-line errors. Real boots
 * are in test/e2e. ShellCheck lints every distinct runner the configurations produce.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  LIMINE as LIMINE_MODEL,
  LIMINE_RELEASE,
  OVMF_FIRMWARE_LOCATIONS,
  PRESETS,
  QEMU,
  SHARED_SYSROOT,
  TOOLCHAINS,
  debugExitDevice,
  debugExitStatus,
  findPreset,
  qemuCpuModel,
  type KernelRequest,
} from '@baremetal-kernel/target';
import {
  FRAGMENTS_FOLDER,
  KERNEL_COMMAND_LINE,
  availableBootProtocols,
  compileTemplates,
  kernelView,
  loadTemplates,
  planKernel,
  renderCompiled,
} from '../../src/index.js';
import { kernelConfig } from '../support.js';

// Each test starts a few short processes, many tests at once: well under a second each on an idle
// machine, but the default 5 s is too tight when builds share the two cores. A hang is still caught.
vi.setConfig({ testTimeout: 30_000 });

const templates = compileTemplates(loadTemplates());
const EXIT_OPTION = KERNEL_COMMAND_LINE.exitAfterBoot;
const work = mkdtempSync(join(tmpdir(), 'runner-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A program of this machine, Debian's /usr/bin first (where the rest of the suite looks too). */
function hostTool(name: string): string {
  const directories = ['/usr/bin', '/bin', ...(process.env.PATH ?? '').split(delimiter)];
  const found = directories.map((directory) => join(directory, name)).find((path) => existsSync(path));
  if (!found) throw new Error(`${name} not found on this machine; the runner tests need it`);
  return found;
}

const BASH = hostTool('bash');

/** The commands the runners (on the paths tested here) and the stand-ins run besides builtins. */
const CORE_TOOLS = ['basename', 'cat', 'cp', 'dirname', 'head', 'mkdir', 'mktemp', 'rm', 'sed', 'sleep', 'sort', 'tail', 'timeout'];
const coreDirectory = join(work, 'core');
mkdirSync(coreDirectory);
for (const tool of CORE_TOOLS) symlinkSync(hostTool(tool), join(coreDirectory, tool));

/** Creates the file that follows `-o`, as grub-mkrescue and `xorriso -as mkisofs` do. */
const WRITES_OUTPUT = 'while (($#)); do [[ $1 != -o ]] || : >"$2"; shift; done';

/**
 * Each stand-in first writes its arguments, one a line, to $FAKE_LOG/<its name>. QEMU also notes
 * its parent process (`timeout`, or bash when interactive), prints the file $FAKE_QEMU_OUTPUT (the
 * kernel's serial output) if set, then exits with $FAKE_QEMU_STATUS or, with FAKE_QEMU_HANG set,
 * hangs (exec: so that `timeout` kills the hanging process itself). Asked `-display help`, it only
 * lists `none` and $FAKE_QEMU_DISPLAYS, as a QEMU with those display backends does.
 */
const PRELUDES: Record<string, string> = {
  'qemu-system-x86_64': [
    'if [[ "$*" == "-display help" ]]; then',
    '  printf \'%s\\n\' "Available display backend types:" none ${FAKE_QEMU_DISPLAYS:-}',
    '  exit 0',
    'fi',
  ].join('\n'),
};
const STAND_INS: Record<string, string> = {
  'qemu-system-x86_64': [
    'read -r parent <"/proc/$PPID/comm"',
    'printf \'%s\\n\' "$parent" >"$FAKE_LOG/qemu-parent"',
    '[[ -z "${FAKE_QEMU_OUTPUT:-}" ]] || cat "$FAKE_QEMU_OUTPUT"',
    '[[ -z "${FAKE_QEMU_HANG:-}" ]] || exec sleep 20',
    'exit "$FAKE_QEMU_STATUS"',
  ].join('\n'),
  'grub-mkrescue': WRITES_OUTPUT,
  'grub2-mkrescue': WRITES_OUTPUT,
  xorriso: WRITES_OUTPUT,
  mformat: '',
};
/**
 * A symboliser as `addr2line -a -f -C -i -e ELF ADDRESS...` answers: per address the address, then
 * a (mangled) function and file:line made up from the address, under the project that holds ELF. An
 * address ending in dead is unknown (`??`), one ending in beef is assembly without line information,
 * one ending in cafe is a call to `inner` inlined into `outer` (innermost first, as with -i).
 */
const ADDR2LINE = [
  'elf=""',
  'while [[ $1 == -* ]]; do',
  '  [[ $1 != -e ]] || { elf=$2; shift; }',
  '  shift',
  'done',
  'for address in "$@"; do',
  '  printf \'%s\\n\' "$address"',
  '  case "$address" in',
  "  *cafe) printf 'demo::inner\\n%s/src/inner.rs:3\\ndemo::outer\\n%s/src/outer.rs:7\\n' \"${elf%%/target/*}\" \"${elf%%/target/*}\" ;;",
  "  *dead) printf '??\\n??:0\\n' ;;",
  "  *beef) printf 'boot_long_mode\\nentry.s:0\\n' ;;",
  '  *) printf \'%s\\n%s\\n\' "demo::frame_${address: -4}::h0123456789abcdef" "${elf%%/target/*}/src/demo.rs:$((16#${address: -2})) (discriminator 2)" ;;',
  '  esac',
  'done',
].join('\n');
STAND_INS.addr2line = ADDR2LINE;
STAND_INS['llvm-addr2line-99'] = ADDR2LINE.replaceAll('demo::', 'llvm::demo::');
STAND_INS['my-symbolizer'] = ADDR2LINE.replaceAll('demo::', 'mine::demo::');
const standInDirectory = join(work, 'stand-ins');
mkdirSync(standInDirectory);
for (const [name, body] of Object.entries(STAND_INS)) {
  const prelude = PRELUDES[name] === undefined ? '' : `${PRELUDES[name]}\n`;
  writeFileSync(join(standInDirectory, name), `#!${BASH}\n${prelude}printf '%s\\n' "$@" >"$FAKE_LOG/\${0##*/}"\n${body}\n`);
  chmodSync(join(standInDirectory, name), 0o755);
}

/** PATH with exactly these stand-ins, then the coreutils. */
const paths = new Map<string, string>();
function pathWith(tools: readonly string[]): string {
  const key = [...tools].sort().join(',');
  if (!paths.has(key)) {
    const directory = mkdtempSync(join(work, 'bin-'));
    for (const tool of tools) symlinkSync(join(standInDirectory, tool), join(directory, tool));
    paths.set(key, directory);
  }
  return `${paths.get(key)}${delimiter}${coreDirectory}`;
}

/**
 * An unpacked Limine release as the runner checks it: the ISO's files and a host tool `limine`,
 * whose `--version` prints `version` (lines without single quotes; by default the pinned release).
 */
const LIMINE_FILES = ['limine-bios.sys', 'limine-bios-cd.bin', 'limine-uefi-cd.bin', 'BOOTX64.EFI'];
function standInLimine(name: string, omit?: string, version: readonly string[] = [`limine ${LIMINE_RELEASE.version}`]): string {
  const directory = join(work, name);
  mkdirSync(directory);
  for (const file of LIMINE_FILES) if (file !== omit) writeFileSync(join(directory, file), `stand-in ${file}\n`);
  const tool = [
    `#!${BASH}`,
    'case "$1" in',
    `--version) printf '%s\\n' ${version.map((line) => `'${line}'`).join(' ')} ;;`,
    'bios-install) printf \'%s\\n\' "$@" >"$FAKE_LOG/limine" ;;',
    '*) exit 1 ;;',
    'esac',
  ];
  writeFileSync(join(directory, 'limine'), `${tool.join('\n')}\n`, { mode: 0o755 });
  return directory;
}
const limineDirectory = standInLimine('limine');

interface Protocol {
  boot: 'multiboot2' | 'limine';
  /** The stand-ins a machine set up for this runner has. */
  tools: readonly string[];
  env: Record<string, string>;
  /** The boot loader's configuration, in the ISO's staging folder. */
  configFile: string;
  /** Its line that passes the kernel command line. */
  commandLine: (cmdline: string) => string;
  /** Where the kernel is copied in the staging folder. */
  stagedKernel: string;
  /** The BOOT values it takes, as its refusal of another lists them. */
  bootChoices: string;
}

const MULTIBOOT2: Protocol = {
  boot: 'multiboot2',
  tools: ['qemu-system-x86_64', 'grub-mkrescue', 'xorriso', 'mformat'],
  env: {},
  configFile: 'boot/grub/grub.cfg',
  commandLine: (cmdline) => `    multiboot2 /boot/kernel.elf ${cmdline}`,
  stagedKernel: 'boot/kernel.elf',
  bootChoices: 'bios, uefi or direct',
};
const LIMINE: Protocol = {
  boot: 'limine',
  tools: ['qemu-system-x86_64', 'xorriso'],
  env: { LIMINE_DIR: limineDirectory },
  configFile: 'boot/limine/limine.conf',
  commandLine: (cmdline) => `    cmdline: ${cmdline}`,
  stagedKernel: 'boot/kernel',
  bootChoices: 'bios or uefi',
};

interface Runner {
  protocol: Protocol;
  text: string;
}

function runnerFor(protocol: Protocol, request: Partial<KernelRequest> = {}): Runner {
  const plan = planKernel(kernelConfig({ boot: protocol.boot, ...request }), templates);
  return { protocol, text: plan.files.find((file) => file.path === 'runner')!.contents };
}

/** The runner rendered with another OVMF search list (the real one depends on the machine). */
function runnerWithOvmfCandidates(protocol: Protocol, ovmfCandidates: string[]): Runner {
  return runnerWithView(protocol, (view) => ({ ...view, ovmfCandidates }));
}

/** The runner rendered from a changed view of the protocol's default configuration. */
function runnerWithView(protocol: Protocol, change: (view: ReturnType<typeof kernelView>) => object): Runner {
  const view = change(kernelView(kernelConfig({ boot: protocol.boot })));
  // The common skeleton, with the protocol's fragments as planKernel gives them.
  const fragments = `boot/${protocol.boot}/${FRAGMENTS_FOLDER}`;
  const partials = Object.fromEntries(
    [...templates].filter(([path]) => path.startsWith(fragments)).map(([path, render]) => [path.slice(fragments.length, -'.hbs'.length), render]),
  );
  return { protocol, text: renderCompiled('kernel/runner.hbs', templates.get('kernel/runner.hbs')!, view, partials) };
}

interface RunOptions {
  args?: readonly string[];
  env?: Record<string, string>;
  /** The stand-ins on PATH (default: all the protocol needs). */
  tools?: readonly string[];
  /** A test binary (target/.../deps/), as `cargo test` runs it, instead of the `cargo run` kernel. */
  testBinary?: boolean;
}

/** Runs a program to its end (a hung one is killed after 15 s): its status and output. */
function spawnAsync(command: string, args: readonly string[], options: { env: Record<string, string>; cwd?: string; input?: string }) {
  const { env, cwd = work, input } = options;
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, timeout: 15_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
    child.stderr.on('data', (data: Buffer) => (stderr += data.toString()));
    child.stdin.on('error', () => {}); // a child that could not start: its 'error' event says why
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Runs a runner in a fresh project, as cargo does: `runner <kernel> [args]`. */
async function run(runner: Runner, options: RunOptions = {}) {
  const project = mkdtempSync(join(work, 'project-'));
  writeFileSync(join(project, 'runner'), runner.text);
  const profile = join(project, 'target', 'x86_64-unknown-none', 'debug');
  const kernel = options.testBinary ? join(profile, 'deps', 'test_os-0123456789abcdef') : join(profile, 'test-os');
  mkdirSync(dirname(kernel), { recursive: true });
  writeFileSync(kernel, 'a kernel ELF\n');
  const log = join(project, 'log');
  mkdirSync(log);
  const env = {
    PATH: pathWith(options.tools ?? runner.protocol.tools),
    FAKE_LOG: log,
    FAKE_QEMU_STATUS: String(QEMU.successStatus),
    ...runner.protocol.env,
    ...options.env,
  };
  // In the project, as cargo runs it: a glob in QEMU_EXTRA_ARGS would match the files there.
  const result = await spawnAsync(BASH, [join(project, 'runner'), kernel, ...(options.args ?? [])], { env, cwd: project });
  const logged = (name: string) => (existsSync(join(log, name)) ? readFileSync(join(log, name), 'utf8').split('\n').slice(0, -1) : undefined);
  const isoDirectory = join(dirname(kernel), 'iso');
  return {
    ...result,
    kernel,
    iso: join(isoDirectory, `${basename(kernel)}.iso`),
    isoDirectory,
    staging: join(isoDirectory, basename(kernel)),
    /** QEMU's arguments, or undefined if QEMU did not run. */
    qemu: logged('qemu-system-x86_64'),
    qemuParent: logged('qemu-parent')?.[0],
    logged,
    /** The boot loader configuration the ISO was built from, as lines. */
    config: () => readFileSync(join(isoDirectory, basename(kernel), runner.protocol.configFile), 'utf8').split('\n'),
  };
}
type Run = Awaited<ReturnType<typeof run>>;

/** Whether `sequence` occurs in `args` as consecutive elements. */
function containsSequence(args: readonly string[], sequence: readonly string[]): boolean {
  return args.some((_, start) => sequence.every((arg, offset) => args[start + offset] === arg));
}

/** The runner failed (a non-zero status, not a signal) and said why in one line. */
function expectOneLineFailure(result: Run, message: RegExp) {
  expect(result.status).not.toBe(0);
  expect(result.status).not.toBeNull();
  expect(result.stderr).toMatch(/^runner: [^\n]*\n$/);
  expect(result.stderr).toMatch(message);
}

/** The runner refused before running QEMU. */
function expectOneLineError(result: Run, message: RegExp) {
  expectOneLineFailure(result, message);
  expect(result.qemu).toBeUndefined();
}

/** QEMU ran and the runner judged its exit status a failure. */
function expectFailure(result: Run, message: RegExp) {
  expect(result.qemu).toBeDefined();
  expectOneLineFailure(result, message);
}

const pflashCode = (path: string) => `if=pflash,format=raw,unit=0,readonly=on,file=${path}`;
const pflashVars = (path: string) => `if=pflash,format=raw,unit=1,file=${path}`;

/** OVMF stand-ins: two files with recognisable contents. */
function ovmfImages(name: string) {
  const directory = join(work, name);
  mkdirSync(directory);
  const code = join(directory, 'OVMF_CODE.fd');
  const vars = join(directory, 'OVMF_VARS.fd');
  writeFileSync(code, 'code\n');
  writeFileSync(vars, `variables of ${name}\n`);
  return { code, vars };
}

/** A file holding what the stand-in QEMU prints as the kernel's serial output. */
let outputFiles = 0;
function kernelOutput(text: string): string {
  const path = join(work, `kernel-output-${outputFiles++}`);
  writeFileSync(path, text);
  return path;
}

/** The kernel command line a run gave the kernel: `-append`'s value, or the loader's configuration. */
function kernelCommandLine(protocol: Protocol, result: Run): string {
  const append = result.qemu!.indexOf('-append');
  if (append >= 0) return result.qemu![append + 1]!;
  const prefix = protocol.commandLine('');
  const line = result.config().find((candidate) => candidate.startsWith(prefix));
  if (line === undefined) throw new Error(`no command line in ${protocol.configFile}`);
  return line.slice(prefix.length);
}

/** The symboliser stand-in's answer for a frame, as the runner prints it. */
const namedFrame = (n: number, address: string, prefix = '') =>
  `  #${n} ${address} ${prefix}demo::frame_${address.slice(-4)} at src/demo.rs:${Number.parseInt(address.slice(-2), 16)}`;

describe.concurrent.each([MULTIBOOT2, LIMINE])('the $boot runner', (protocol) => {
  const runner = runnerFor(protocol);

  describe('test arguments (cargo test [NAME] [-- ARGS])', () => {
    it('gives a test kernel no arguments and never the exit option by default', async () => {
      const result = await run(runner, { testBinary: true });
      expect(result.status, result.stderr).toBe(0);
      expect(kernelCommandLine(protocol, result)).toBe('');
    });

    it('passes every argument that is not a runner option to the test kernel, in order', async () => {
      const args = ['vec_grows', '--exact', '--skip', 'slow_one', '--ignored', '--list', '--include-ignored', '--test-threads=1'];
      const result = await run(runner, { testBinary: true, args });
      expect(result.status, result.stderr).toBe(0);
      expect(kernelCommandLine(protocol, result)).toBe(args.join(' '));
    });

    it('keeps its own options among them (here --bios and --kvm) and passes the rest', async () => {
      const result = await run(runner, { testBinary: true, args: ['--bios', 'alpha', '--kvm', '--ignored'] });
      expect(result.status, result.stderr).toBe(0);
      expect(containsSequence(result.qemu!, ['-cdrom', result.iso])).toBe(true);
      expect(containsSequence(result.qemu!, QEMU.kvmArgs)).toBe(true);
      expect(result.config()).toContain(protocol.commandLine('alpha --ignored'));
    });

    it('refuses in one line an argument the kernel command line cannot carry', async () => {
      for (const arg of ['two words', 'semi;colon', '$(reboot)', "quo'te"]) {
        expectOneLineError(
          await run(runner, { testBinary: true, args: [arg] }),
          /^runner: test argument '.*': only letters, digits and _ : \. = - can go on the kernel command line$/m,
        );
      }
    });

    it(`refuses arguments longer than the kernel keeps (${KERNEL_COMMAND_LINE.capacity} bytes), in one line`, async () => {
      const fits = await run(runner, { testBinary: true, args: ['a'.repeat(KERNEL_COMMAND_LINE.capacity)] });
      expect(fits.status, fits.stderr).toBe(0);
      const tooLong = await run(runner, { testBinary: true, args: ['a'.repeat(KERNEL_COMMAND_LINE.capacity - 1), 'b'] });
      expectOneLineError(tooLong, new RegExp(`^runner: test arguments too long for the kernel command line \\(${KERNEL_COMMAND_LINE.capacity + 1} bytes, at most ${KERNEL_COMMAND_LINE.capacity}\\)$`, 'm'));
    });
  });

  describe('kernel options (cargo run -- NAME=VALUE)', () => {
    it('puts them on the kernel command line after the exit option, and alone with --interactive', async () => {
      const result = await run(runner, { args: ['log=debug', 'x.y=1'] });
      expect(result.status, result.stderr).toBe(0);
      expect(kernelCommandLine(protocol, result)).toBe('exit-after-boot log=debug x.y=1');
      const interactive = await run(runner, { args: ['--interactive', 'log=debug'] });
      expect(kernelCommandLine(protocol, interactive)).toBe('log=debug');
    });

    it('refuses in one line a word that is not an option, or that the command line cannot carry', async () => {
      expectOneLineError(await run(runner, { args: ['debug'] }), /^runner: unknown option 'debug' \(try: cargo run -- --help\)$/m);
      expectOneLineError(await run(runner, { args: ['=debug'] }), /^runner: unknown option '=debug' \(try: cargo run -- --help\)$/m);
      expectOneLineError(
        await run(runner, { args: ['log=$(reboot)'] }),
        /^runner: kernel option 'log=\$\(reboot\)': only letters, digits and _ : \. = - can go on the kernel command line$/m,
      );
    });
  });

  describe("the kernel's output", () => {
    const backtrace = [
      'panicked at src/main.rs:5:1: boom',
      'backtrace:',
      '  #0 0xffffffff80001234',
      '  #1 0xffffffff8000dead',
      '  #2 0xffffffff8000beef\r',
      '  #3 0x00000000001000ff',
      '  #4 0x000000000010cafe',
      'after the backtrace',
      '',
    ].join('\n');
    const named = [
      'panicked at src/main.rs:5:1: boom',
      'backtrace:',
      namedFrame(0, '0xffffffff80001234'),
      '  #1 0xffffffff8000dead',
      '  #2 0xffffffff8000beef boot_long_mode',
      namedFrame(3, '0x00000000001000ff'),
      '  #4 0x000000000010cafe demo::outer at src/outer.rs:7',
      '      inlined: demo::inner at src/inner.rs:3',
      'after the backtrace',
      '',
    ].join('\n');

    it('names backtrace addresses with addr2line (function at file:line, relative to the project)', async () => {
      const result = await run(runner, { tools: [...protocol.tools, 'addr2line'], env: { FAKE_QEMU_OUTPUT: kernelOutput(backtrace) } });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toBe(named);
      expect(result.stderr).toBe('');
      // One symboliser run for the whole backtrace.
      expect(result.logged('addr2line')).toEqual(['-a', '-f', '-C', '-i', '-e', result.kernel, '0xffffffff80001234', '0xffffffff8000dead', '0xffffffff8000beef', '0x00000000001000ff', '0x000000000010cafe']);
    });

    it("prefers LLVM's llvm-addr2line-N to binutils' addr2line, and takes ADDR2LINE over both", async () => {
      const tools = [...protocol.tools, 'addr2line', 'llvm-addr2line-99', 'my-symbolizer'];
      const llvm = await run(runner, { tools, env: { FAKE_QEMU_OUTPUT: kernelOutput(backtrace) } });
      expect(llvm.stdout).toContain(namedFrame(0, '0xffffffff80001234', 'llvm::'));
      const chosen = await run(runner, { tools, env: { FAKE_QEMU_OUTPUT: kernelOutput(backtrace), ADDR2LINE: 'my-symbolizer' } });
      expect(chosen.stdout).toContain(namedFrame(0, '0xffffffff80001234', 'mine::'));
    });

    it('without a symboliser, prints the addresses as they are and says once, in one line, what to install', async () => {
      const twice = `${backtrace}backtrace:\n  #0 0xffffffff80001234\n`;
      const result = await run(runner, { env: { FAKE_QEMU_OUTPUT: kernelOutput(twice) } });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout.replaceAll('\r', '')).toBe(`${backtrace}backtrace:\n  #0 0xffffffff80001234\n`.replaceAll('\r', ''));
      expect(result.stderr).toBe('runner: no addr2line to name these addresses: install LLVM (llvm-addr2line) or binutils (addr2line), or set ADDR2LINE\n');
    });

    it('removes terminal control sequences (screen clears, colours, cursor moves) and keeps the text', async () => {
      const painted = '\x1b[2J\x1b[01;01H\x1b[=3h\x1b[0m\x1b[37m\x1b[40mGRUB loading.\r\n\x1b(B\x1bc[kernel] boot complete\r\ntest a ... \x1b[1m';
      const result = await run(runner, { env: { FAKE_QEMU_OUTPUT: kernelOutput(painted) } });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toBe('GRUB loading.\r\n[kernel] boot complete\r\ntest a ... ');
    });

    it('passes the output through untouched with --interactive (the user talks to the serial console)', async () => {
      const painted = `\x1b[2J\x1b[01;01H${backtrace}`;
      const result = await run(runner, { args: ['--interactive'], tools: [...protocol.tools, 'addr2line'], env: { FAKE_QEMU_OUTPUT: kernelOutput(painted) } });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toBe(painted);
    });

    it.each([
      ['after `test NAME ... `', 'running 3 tests\ntest alpha ... ok <0.001s>\ntest beta ... ', 'beta'],
      ['after a line the test printed', 'running 2 tests\ntest alpha ... ok <0.001s>\ntest talks ... (print)\r\nstill going\n', 'talks'],
      ['after a panic in an earlier test', 'test alpha ... FAILED <0.002s>\npanicked at x\ntest beta ... ignored\ntest gamma ... ', 'gamma'],
    ])('names the test that hung %s when TIMEOUT fires', async (_, output, name) => {
      const result = await run(runner, { testBinary: true, env: { FAKE_QEMU_OUTPUT: kernelOutput(output), FAKE_QEMU_HANG: '1', TIMEOUT: '1' } });
      expectFailure(result, new RegExp(`^runner: timed out after 1s while running test '${name}' \\(hung\\?\\); set TIMEOUT to wait longer$`, 'm'));
      expect(result.stdout).toBe(output.endsWith('\n') ? output : `${output}\n`);
    });

    it('names no test when the last one finished before the kernel hung', async () => {
      const output = 'test alpha ... ok <0.001s>\ntest talks ... (print)\nok <0.000s>\n\ntest result: ok. 2 passed; 0 failed\n';
      const result = await run(runner, { testBinary: true, env: { FAKE_QEMU_OUTPUT: kernelOutput(output), FAKE_QEMU_HANG: '1', TIMEOUT: '1' } });
      expectFailure(result, /^runner: timed out after 1s \(kernel hung\?\); set TIMEOUT to wait longer$/m);
    });

    it.each([
      ['the failure status', QEMU.failureStatus, /^runner: the kernel reported failure$/m],
      ['status 0', 0, /^runner: QEMU exited with status 0/m],
    ])("judges QEMU's status, not the filter's, with %s", async (_, status, message) => {
      const tools = [...protocol.tools, 'addr2line'];
      expectFailure(await run(runner, { tools, env: { FAKE_QEMU_OUTPUT: kernelOutput(backtrace), FAKE_QEMU_STATUS: String(status) } }), message);
    });
  });

  describe('the screen (-display)', () => {
    const displayOf = (result: Run) => {
      const args = result.qemu!;
      expect(args.filter((arg) => arg === '-display')).toHaveLength(1);
      return args[args.indexOf('-display') + 1];
    };

    it('shows none when not interactive, even where a display exists', async () => {
      const result = await run(runner, { env: { DISPLAY: ':0', FAKE_QEMU_DISPLAYS: 'gtk sdl' } });
      expect(displayOf(result)).toBe('none');
      expect(result.stderr).toBe('');
    });

    it.each([
      [{ DISPLAY: ':0', FAKE_QEMU_DISPLAYS: 'curses gtk sdl' }, 'gtk'],
      [{ WAYLAND_DISPLAY: 'wayland-0', FAKE_QEMU_DISPLAYS: 'sdl' }, 'sdl'],
    ])('with --interactive and a display (%o), opens a window: -display %s', async (env, backend) => {
      const result = await run(runner, { args: ['--interactive'], env });
      expect(result.status, result.stderr).toBe(0);
      expect(displayOf(result)).toBe(backend);
      expect(result.stderr).toMatch(new RegExp(`^runner: the screen is in QEMU's ${backend} window \\(QEMU_DISPLAY=none: no window\\)$`, 'm'));
    });

    it('with --interactive and a display but a QEMU without GTK or SDL, shows none and says what to install', async () => {
      const result = await run(runner, { args: ['--interactive'], env: { DISPLAY: ':0', FAKE_QEMU_DISPLAYS: 'curses egl-headless' } });
      expect(displayOf(result)).toBe('none');
      expect(result.stderr).toMatch(/^runner: no screen: this QEMU has no GTK or SDL \(Debian\/Ubuntu: install qemu-system-gui\); QEMU_DISPLAY=vnc=localhost:0 shows it to a VNC viewer on localhost:5900$/m);
    });

    it('with --interactive and no display, shows none and says in one line how to see the screen', async () => {
      const result = await run(runner, { args: ['--interactive'], env: { FAKE_QEMU_DISPLAYS: 'gtk' } });
      expect(displayOf(result)).toBe('none');
      expect(result.stderr).toMatch(/^runner: no screen: DISPLAY and WAYLAND_DISPLAY are unset; QEMU_DISPLAY=vnc=localhost:0 shows it to a VNC viewer on localhost:5900$/m);
    });

    it('takes QEMU_DISPLAY as it is, interactive or not', async () => {
      for (const args of [[], ['--interactive']]) {
        const result = await run(runner, { args, env: { QEMU_DISPLAY: 'vnc=localhost:1', DISPLAY: ':0', FAKE_QEMU_DISPLAYS: 'gtk' } });
        expect(displayOf(result)).toBe('vnc=localhost:1');
      }
    });
  });

  describe('cargo run', () => {
    it.each(['baseline', 'x86-64-v3'])('boots an ISO on BIOS under a timeout, with the %s preset and the exit option', async (preset) => {
      const result = await run(runnerFor(protocol, { preset }));
      expect(result.status, result.stderr).toBe(0);
      expect(result.qemu).toEqual([
        '-cpu',
        qemuCpuModel(findPreset(preset)!),
        '-m',
        QEMU.memory,
        '-display',
        'none',
        '-no-reboot',
        '-device',
        debugExitDevice(),
        '-serial',
        'stdio',
        '-cdrom',
        result.iso,
      ]);
      expect(result.qemuParent).toBe('timeout');
      expect(existsSync(result.iso)).toBe(true);
      expect(result.config()).toContain(protocol.commandLine(EXIT_OPTION));
      expect(readFileSync(join(result.staging, protocol.stagedKernel), 'utf8')).toBe('a kernel ELF\n');
    });

    it('boots the ISO on BIOS with --bios or BOOT=bios, test binaries too', async () => {
      for (const options of [{ args: ['--bios'] }, { env: { BOOT: 'bios' } }]) {
        const result = await run(runner, { ...options, testBinary: true });
        expect(result.status, result.stderr).toBe(0);
        expect(result.qemu!.slice(-2)).toEqual(['-cdrom', result.iso]);
        expect(result.qemu).not.toContain('-kernel');
      }
    });

    it('builds the ISO with --iso-only or ISO_ONLY=1, printing its path, without QEMU (none on PATH)', async () => {
      const tools = protocol.tools.filter((tool) => tool !== 'qemu-system-x86_64');
      for (const options of [{ args: ['--iso-only'] }, { env: { ISO_ONLY: '1' } }]) {
        const result = await run(runner, { ...options, tools });
        expect(result.status, result.stderr).toBe(0);
        expect(result.stdout).toBe(`${result.iso}\n`);
        expect(existsSync(result.iso)).toBe(true);
        expect(result.qemu).toBeUndefined();
      }
    });
  });

  describe('--uefi', () => {
    it('boots the ISO on OVMF_CODE as read-only pflash, with a private copy of OVMF_VARS', async () => {
      const ovmf = ovmfImages(`ovmf-${protocol.boot}`);
      const firmware = { OVMF_CODE: ovmf.code, OVMF_VARS: ovmf.vars };
      for (const options of [{ args: ['--uefi'], env: firmware }, { env: { ...firmware, BOOT: 'uefi' } }]) {
        const result = await run(runner, options);
        expect(result.status, result.stderr).toBe(0);
        const copy = join(result.isoDirectory, 'OVMF_VARS.fd');
        expect(containsSequence(result.qemu!, ['-drive', pflashCode(ovmf.code)])).toBe(true);
        expect(containsSequence(result.qemu!, ['-drive', pflashVars(copy)])).toBe(true);
        expect(readFileSync(copy, 'utf8')).toBe(`variables of ovmf-${protocol.boot}\n`);
        expect(result.qemu!.filter((arg) => arg.includes('pflash'))).toHaveLength(2);
        expect(containsSequence(result.qemu!, ['-cdrom', result.iso])).toBe(true);
      }
    });

    it('gives BIOS boots no firmware drive', async () => {
      expect((await run(runner)).qemu!.join(' ')).not.toMatch(/pflash|OVMF/);
    });

    it('says in one line that OVMF_CODE does not exist', async () => {
      const missing = join(work, 'no-such-ovmf', 'OVMF_CODE.fd');
      expectOneLineError(await run(runner, { args: ['--uefi'], env: { OVMF_CODE: missing } }), new RegExp(`^runner: OVMF_CODE=${missing} does not exist$`, 'm'));
    });

    it('without OVMF_CODE, takes the first image of its search list that exists, with its variables', async () => {
      const found = ovmfImages(`ovmf-found-${protocol.boot}`);
      const later = ovmfImages(`ovmf-later-${protocol.boot}`);
      const absent = join(work, 'absent');
      const searching = runnerWithOvmfCandidates(protocol, [`${absent}/CODE.fd|${absent}/VARS.fd`, `${found.code}|${found.vars}`, `${later.code}|`]);
      const result = await run(searching, { args: ['--uefi'] });
      expect(result.status, result.stderr).toBe(0);
      expect(containsSequence(result.qemu!, ['-drive', pflashCode(found.code)])).toBe(true);
      expect(containsSequence(result.qemu!, ['-drive', pflashVars(join(result.isoDirectory, 'OVMF_VARS.fd'))])).toBe(true);
      expect(readFileSync(join(result.isoDirectory, 'OVMF_VARS.fd'), 'utf8')).toBe(`variables of ovmf-found-${protocol.boot}\n`);

      // An image without a variable store: no second drive.
      const codeOnly = await run(runnerWithOvmfCandidates(protocol, [`${absent}/CODE.fd|`, `${later.code}|`]), { args: ['--uefi'] });
      expect(codeOnly.status, codeOnly.stderr).toBe(0);
      expect(codeOnly.qemu!.filter((arg) => arg.includes('pflash'))).toEqual([pflashCode(later.code)]);
    });

    it('says in one line what to install when no image of its search list exists', async () => {
      const absent = join(work, 'absent');
      const result = await run(runnerWithOvmfCandidates(protocol, [`${absent}/A.fd|${absent}/A_VARS.fd`, `${absent}/B.fd|`]), { args: ['--uefi'] });
      expectOneLineError(result, /^runner: OVMF \(UEFI firmware\) not found: install it \(Debian\/Ubuntu: ovmf; Fedora: edk2-ovmf; Arch: edk2-ovmf; macOS: brew install qemu\), or set OVMF_CODE=/);
    });

    it("searches the model's OVMF locations in order (on this machine)", async () => {
      const installed = OVMF_FIRMWARE_LOCATIONS.find((location) => existsSync(location.code));
      const result = await run(runner, { args: ['--uefi'] });
      if (installed) {
        expect(result.status, result.stderr).toBe(0);
        expect(containsSequence(result.qemu!, ['-drive', pflashCode(installed.code)])).toBe(true);
        expect(result.qemu!.some((arg) => arg.includes('unit=1'))).toBe(installed.vars !== undefined && existsSync(installed.vars));
      } else {
        expectOneLineError(result, /^runner: OVMF \(UEFI firmware\) not found/);
      }
    });
  });

  describe('--gdb, --interactive, --kvm', () => {
    it('--gdb adds the GDB stub options, keeps the exit option, and prints the command that attaches', async () => {
      const result = await run(runner, { args: ['--gdb'] });
      expect(result.status, result.stderr).toBe(0);
      expect(containsSequence(result.qemu!, QEMU.gdbArgs)).toBe(true);
      // The kernel still exits QEMU when done, so a debugging session ends with its status.
      expect(result.config()).toContain(protocol.commandLine(EXIT_OPTION));
      expect(result.stderr).toContain(`runner: QEMU waits for GDB on localhost:${QEMU.gdbPort}; attach from another terminal with:\n`);
      expect(result.stderr).toMatch(/^runner: {3}gdb -q -x \S+\/kernel\.gdb \S+$/m);
    });

    it('has no GDB stub and no KVM unless asked', async () => {
      const args = (await run(runner)).qemu!;
      for (const arg of [...QEMU.gdbArgs, ...QEMU.kvmArgs]) expect(args).not.toContain(arg);
    });

    it('--interactive drops the exit option and the timeout, and gives the serial port the monitor too', async () => {
      const result = await run(runner, { args: ['--interactive'] });
      expect(result.status, result.stderr).toBe(0);
      expect(containsSequence(result.qemu!, ['-serial', 'mon:stdio'])).toBe(true);
      expect(containsSequence(result.qemu!, ['-serial', 'stdio'])).toBe(false);
      expect(result.qemuParent).toBe('bash');
      expect(result.config()).toContain(protocol.commandLine(''));
      expect(result.config().join('\n')).not.toContain(EXIT_OPTION);
      for (const arg of QEMU.gdbArgs) expect(result.qemu).not.toContain(arg);
    });

    it('--kvm adds the KVM options', async () => {
      const result = await run(runner, { args: ['--kvm'] });
      expect(result.status, result.stderr).toBe(0);
      expect(containsSequence(result.qemu!, QEMU.kvmArgs)).toBe(true);
      expect(result.qemuParent).toBe('timeout');
    });
  });

  describe('environment', () => {
    it('passes QEMU_MEMORY, QEMU_CPU and QEMU_EXTRA_ARGS (split at whitespace, not globbed) to QEMU', async () => {
      const extra = ' -smp 2   -d int,cpu_reset\t-name * ';
      const result = await run(runner, { env: { QEMU_MEMORY: '512M', QEMU_CPU: 'max', QEMU_EXTRA_ARGS: extra } });
      expect(result.status, result.stderr).toBe(0);
      expect(containsSequence(result.qemu!, ['-m', '512M'])).toBe(true);
      expect(containsSequence(result.qemu!, ['-cpu', 'max'])).toBe(true);
      expect(result.qemu!.slice(-6)).toEqual(['-smp', '2', '-d', 'int,cpu_reset', '-name', '*']);
    });

    // The least RAM each path boots with, measured with real QEMU 7.2, SeaBIOS, OVMF and GRUB (see
    // the runner): below it the firmware or loader stops without a word and the run would time out.
    // Limine on UEFI: the 128M a review measured with a Limine release (issue 10).
    const minimums: readonly (readonly [string, number])[] =
      protocol.boot === 'multiboot2' ? [['--direct', 2], ['--bios', 12], ['--uefi', 64]] : [['--bios', 2], ['--uefi', 128]];

    it.each(minimums)('%s: refuses in one line, before QEMU runs, a QEMU_MEMORY below the %iM the path needs', async (option, mib) => {
      const below = await run(runner, { args: [option], env: { QEMU_MEMORY: `${mib - 1}M` } });
      expectOneLineError(below, new RegExp(`^runner: QEMU_MEMORY=${mib - 1}M is too little: .+ needs at least ${mib}M \\(default ${QEMU.memory}\\)$`, 'm'));
      // 1 KiB short is still too little; the minimum itself, in any unit, boots.
      expectOneLineError(await run(runner, { args: [option], env: { QEMU_MEMORY: `${mib * 1024 - 1}K` } }), /too little/);
      for (const enough of [`${mib}`, `${mib}M`, `${mib * 1024}k`]) {
        const result = await run(runner, { args: [option], env: { QEMU_MEMORY: enough } });
        expect(result.status, `${enough}: ${result.stderr}`).toBe(0);
        expect(containsSequence(result.qemu!, ['-m', enough])).toBe(true);
      }
    });

    it("reads QEMU_MEMORY as QEMU's -m does (MiB, or a K, M, G or T suffix) and refuses anything else in one line", async () => {
      for (const size of ['2G', '2g', '4096', '1T']) {
        const result = await run(runner, { args: ['--uefi'], env: { QEMU_MEMORY: size } });
        expect(result.status, `${size}: ${result.stderr}`).toBe(0);
        expect(containsSequence(result.qemu!, ['-m', size])).toBe(true);
      }
      for (const size of ['lots', '512MB', '-512M', '1.5G', '512M,slots=2', '0x200', ' 512M']) {
        expectOneLineError(
          await run(runner, { env: { QEMU_MEMORY: size } }),
          /^runner: QEMU_MEMORY='.*' is not a size QEMU takes here: a number of MiB \(512\) or a number with K, M, G or T \(512M, 2G\)$/m,
        );
      }
    });

    it('gives QEMU the CPU count of --smp N, --smp=N or QEMU_SMP (none by default) and refuses a non-number in one line', async () => {
      for (const [args, env] of [[['--smp', '4'], {}], [['--smp=4'], {}], [[], { QEMU_SMP: '4' }]] as const) {
        const result = await run(runner, { args, env });
        expect(result.status, result.stderr).toBe(0);
        expect(containsSequence(result.qemu!, ['-smp', '4'])).toBe(true);
      }
      // The option wins over the variable; a test kernel's harness never sees it.
      const test = await run(runner, { args: ['--smp', '2', 'some_test'], env: { QEMU_SMP: '4' }, testBinary: true });
      expect(containsSequence(test.qemu!, ['-smp', '2'])).toBe(true);
      expect(kernelCommandLine(protocol, test)).toBe('some_test');
      expect((await run(runner)).qemu).not.toContain('-smp');
      for (const value of ['four', '0', '-2', '2.5', '04', '4,cores=2']) {
        expectOneLineError(await run(runner, { args: ['--smp', value] }), /^runner: QEMU_SMP \/ --smp: '.*' is not a number of CPUs \(1, 2, 4, \.\.\.\)$/m);
        expectOneLineError(await run(runner, { env: { QEMU_SMP: value } }), /is not a number of CPUs/);
      }
      expectOneLineError(await run(runner, { args: ['--smp'] }), /^runner: --smp needs a number of CPUs \(cargo run -- --smp 4\)$/m);
      expect((await run(runner, { args: ['--help'] })).stderr).toMatch(/--smp N .*QEMU_SMP=N/);
    });

    it('refuses an unknown option in one line', async () => {
      expectOneLineError(await run(runner, { args: ['--uefi', '--frobnicate'] }), /^runner: unknown option '--frobnicate' \(try: cargo run -- --help\)$/m);
    });

    it('refuses a BOOT value it does not know in one line, naming the ones it takes', async () => {
      expectOneLineError(await run(runner, { env: { BOOT: 'floppy' } }), new RegExp(`^runner: BOOT must be ${protocol.bootChoices}, not 'floppy'$`, 'm'));
      // The values are whole words: a prefix or suffix of one is refused too.
      for (const near of ['bio', 'uefix']) expectOneLineError(await run(runner, { env: { BOOT: near } }), /^runner: BOOT must be /m);
    });

    it('prints its usage for --help (status 0) and when given no kernel (status 2)', async () => {
      const help = await run(runner, { args: ['--help'] });
      expect(help.status).toBe(0);
      for (const option of ['--bios', '--uefi', '--interactive', '--gdb', '--kvm', 'QEMU_MEMORY', 'QEMU_EXTRA_ARGS', 'OVMF_CODE']) {
        expect(help.stderr).toContain(option);
      }
      expect(help.qemu).toBeUndefined();
      const script = join(mkdtempSync(join(work, 'bare-')), 'runner');
      writeFileSync(script, runner.text);
      const bare = await spawnAsync(BASH, [script], { env: { PATH: pathWith([]) } });
      expect(bare.status).toBe(2);
      expect(bare.stderr).toBe(help.stderr);
    });
  });

  describe('missing tools', () => {
    it('says in one line to install QEMU when there is none', async () => {
      const tools = protocol.tools.filter((tool) => tool !== 'qemu-system-x86_64');
      for (const testBinary of [false, true]) {
        expectOneLineError(
          await run(runner, { tools, testBinary }),
          /^runner: qemu-system-x86_64 not found: install QEMU \(Debian\/Ubuntu: qemu-system-x86; Fedora: qemu-system-x86-core; Arch: qemu-system-x86; macOS: brew install qemu\)$/m,
        );
      }
    });

    it('says in one line to install xorriso when there is none', async () => {
      expectOneLineError(await run(runner, { tools: protocol.tools.filter((tool) => tool !== 'xorriso') }), /^runner: xorriso not found: .*install xorriso \(Debian\/Ubuntu: xorriso; Fedora: xorriso; Arch: libisoburn; macOS: brew install xorriso\)$/m);
    });
  });

  describe('exit status', () => {
    it('is 0 when the kernel reports success', async () => {
      const result = await run(runner, { env: { FAKE_QEMU_STATUS: String(QEMU.successStatus) } });
      expect(result.status).toBe(0);
      expect(result.stderr).toBe('');
    });

    it('fails when the kernel reports failure', async () => {
      expectFailure(await run(runner, { env: { FAKE_QEMU_STATUS: String(QEMU.failureStatus) } }), /^runner: the kernel reported failure$/m);
    });

    it("says `boot failed` with the kernel's reason when it printed a `boot error:` line and reported failure", async () => {
      // As after GRUB (BIOS): the loader's colours, and its last line without a newline.
      const output = '\x1b[0m\x1b[37mBooting `kernel`\r\n\r\nboot error: this kernel needs sse4.2 (CPUID.01H:ECX.SSE4_2[bit 20])\r\n';
      const env = { FAKE_QEMU_OUTPUT: kernelOutput(output), FAKE_QEMU_STATUS: String(QEMU.failureStatus) };
      expectFailure(await run(runner, { env }), /^runner: boot failed: this kernel needs sse4\.2 \(CPUID\.01H:ECX\.SSE4_2\[bit 20\]\)$/m);
      const sameLine = { ...env, FAKE_QEMU_OUTPUT: kernelOutput('Loading kernel...boot error: not started by a Multiboot2 or PVH loader\n') };
      expectFailure(await run(runner, { env: sameLine }), /^runner: boot failed: not started by a Multiboot2 or PVH loader$/m);
      // Only QEMU's failure status makes it a failed boot: after a later reset it is not.
      expectFailure(await run(runner, { env: { ...env, FAKE_QEMU_STATUS: '0' } }), /^runner: QEMU exited with status 0: the guest reset/m);
    });

    it('fails on status 0: a reset or triple fault, not a report', async () => {
      expectFailure(await run(runner, { env: { FAKE_QEMU_STATUS: '0' } }), /^runner: QEMU exited with status 0: the guest reset or triple-faulted/m);
    });

    it.each([1, debugExitStatus(0x12)])('fails on any other QEMU status (%i)', async (status) => {
      expectFailure(await run(runner, { env: { FAKE_QEMU_STATUS: String(status) } }), new RegExp(`^runner: QEMU failed with status ${status}$`, 'm'));
    });

    it('fails when the kernel hangs past TIMEOUT', async () => {
      const result = await run(runner, { env: { FAKE_QEMU_HANG: '1', TIMEOUT: '1' } });
      expectFailure(result, /^runner: timed out after 1s \(kernel hung\?\); set TIMEOUT to wait longer$/m);
    });
  });
});

describe.concurrent('the multiboot2 runner only', () => {
  const runner = runnerFor(MULTIBOOT2);

  it('boots test binaries directly, without the exit option (a test kernel always exits), and needs no GRUB for them', async () => {
    const result = await run(runner, { testBinary: true, tools: ['qemu-system-x86_64'] });
    expect(result.status, result.stderr).toBe(0);
    expect(containsSequence(result.qemu!, ['-kernel', result.kernel, '-append', ''])).toBe(true);
    expect(result.qemu).not.toContain('-cdrom');
    expect(result.qemuParent).toBe('timeout');
  });

  it('boots test binaries directly without the exit option when interactive', async () => {
    const result = await run(runner, { testBinary: true, args: ['--interactive'] });
    expect(containsSequence(result.qemu!, ['-kernel', result.kernel, '-append', ''])).toBe(true);
  });

  it('boots the cargo run kernel directly with --direct or BOOT=direct', async () => {
    for (const options of [{ args: ['--direct'] }, { env: { BOOT: 'direct' } }]) {
      const result = await run(runner, options);
      expect(containsSequence(result.qemu!, ['-kernel', result.kernel, '-append', EXIT_OPTION])).toBe(true);
    }
  });

  it('builds the ISO with grub-mkrescue from the staging folder', async () => {
    const result = await run(runner);
    expect(result.logged('grub-mkrescue')).toEqual(['-o', result.iso, result.staging]);
  });

  it("uses grub2-mkrescue (Fedora's name) when there is no grub-mkrescue", async () => {
    const result = await run(runner, { tools: ['qemu-system-x86_64', 'grub2-mkrescue', 'xorriso', 'mformat'] });
    expect(result.status, result.stderr).toBe(0);
    expect(result.logged('grub2-mkrescue')).toEqual(['-o', result.iso, result.staging]);
  });

  it.each([
    ['grub-mkrescue', /^runner: grub-mkrescue not found: install GRUB \(Debian\/Ubuntu: grub-common grub-pc-bin grub-efi-amd64-bin; Fedora: grub2-tools-extra grub2-pc-modules grub2-efi-x64-modules; Arch: grub; macOS: brew install x86_64-elf-grub\)$/m],
    ['mformat', /^runner: mformat not found: .*install mtools \(Debian\/Ubuntu: mtools; .*\)$/m],
  ])('says in one line what to install when %s is missing', async (missing, message) => {
    expectOneLineError(await run(runner, { tools: MULTIBOOT2.tools.filter((tool) => tool !== missing) }), message);
  });
});

describe.concurrent('the limine runner only', () => {
  const runner = runnerFor(LIMINE);

  it('boots test binaries from an ISO too (QEMU cannot load a Limine kernel)', async () => {
    const result = await run(runner, { testBinary: true });
    expect(result.status, result.stderr).toBe(0);
    expect(containsSequence(result.qemu!, ['-cdrom', result.iso])).toBe(true);
    expect(result.qemu).not.toContain('-kernel');
    expect(result.config()).toContain(LIMINE.commandLine(''));
  });

  it('builds the hybrid ISO with xorriso and installs the BIOS stage with the release host tool', async () => {
    const result = await run(runner);
    const xorriso = result.logged('xorriso')!;
    expect(xorriso.slice(0, 2)).toEqual(['-as', 'mkisofs']);
    expect(containsSequence(xorriso, [result.staging, '-o', result.iso])).toBe(true);
    expect(result.logged('limine')).toEqual(['bios-install', result.iso]);
    expect(readFileSync(join(result.staging, 'EFI', 'BOOT', 'BOOTX64.EFI'), 'utf8')).toBe('stand-in BOOTX64.EFI\n');
  });

  it('refuses --direct in one line', async () => {
    expectOneLineError(await run(runner, { args: ['--direct'] }), /^runner: there is no direct boot for a Limine kernel/m);
  });

  it('refuses in one line a LIMINE_DIR that lacks a file the ISO needs', async () => {
    const incomplete = standInLimine('limine-incomplete', 'BOOTX64.EFI');
    expectOneLineError(
      await run(runner, { env: { LIMINE_DIR: incomplete } }),
      new RegExp(`^runner: LIMINE_DIR is not a usable Limine: ${incomplete} has no BOOTX64\\.EFI$`, 'm'),
    );
  });
});

/**
 * Which LIMINE_DIR releases the runner takes: any that implements the kernel's base revision. The
 * minimum is Limine's ChangeLog, written out here rather than read from the model: "Release 11.0.0
 * ... Implement support for base revision 6 of the Limine boot protocol" (10.8.0 implemented 5).
 * `limine --version` prints "Limine <version>" and then copyright lines (host/limine.c, version()).
 */
describe.concurrent('the limine runner and the LIMINE_DIR release', () => {
  const runner = runnerFor(LIMINE);
  const FIRST_WITH_REVISION_6 = '11.0.0';
  const hostToolOutput = (version: string) => [
    `Limine ${version}`,
    'Copyright (C) 2019-2026 Mintsuki and contributors.',
    'Limine is distributed under the terms of the BSD-2-Clause license.',
  ];
  let releases = 0;
  const release = (lines: readonly string[]) => standInLimine(`limine-release-${releases++}`, undefined, lines);

  it('is told by the model that generated kernels ask for base revision 6', () => {
    expect(LIMINE_MODEL.baseRevision).toBe(6);
    expect(LIMINE_RELEASE.minimumVersion).toBe(FIRST_WITH_REVISION_6);
  });

  it.each([FIRST_WITH_REVISION_6, '11.0.1', '11.10.0', LIMINE_RELEASE.version, '100.0.0'])('builds the ISO with Limine %s and boots it', async (version) => {
    const result = await run(runner, { env: { LIMINE_DIR: release(hostToolOutput(version)) } });
    expect(result.status, result.stderr).toBe(0);
    expect(result.logged('limine')).toEqual(['bios-install', result.iso]);
    expect(containsSequence(result.qemu!, ['-cdrom', result.iso])).toBe(true);
  });

  it.each(['10.8.5', '10.99.99', '9.6.7', '6.20231216.0', '1.0.0'])('refuses Limine %s in one line, naming the minimum', async (version) => {
    const result = await run(runner, { env: { LIMINE_DIR: release(hostToolOutput(version)) } });
    expectOneLineError(
      result,
      new RegExp(
        `^runner: LIMINE_DIR is not a usable Limine: it is Limine ${version.replaceAll('.', '\\.')} \\(its 'limine --version' says 'Limine ${version.replaceAll('.', '\\.')}'\\), ` +
          `older than 11\\.0\\.0, the first release with base revision 6, which this kernel asks for$`,
        'm',
      ),
    );
    expect(result.logged('limine')).toBeUndefined();
  });

  // Base revision 5 came with 10.8.0: a runner made for it must compare minor and patch numbers too.
  const revision5Runner = runnerWithView(LIMINE, (view) => ({
    ...view,
    limine: { ...view.limine, baseRevision: 5, release: { ...view.limine.release, minimumVersion: '10.8.0' } },
  }));
  it.each([
    ['10.8.0', true],
    ['10.8.1', true],
    ['10.10.0', true],
    ['11.0.0', true],
    ['10.7.9', false],
    ['10.7.10', false],
    ['9.9.9', false],
  ])('compares every number of the version: Limine %s for a kernel asking for base revision 5, accepted: %s', async (version, accepted) => {
    const result = await run(revision5Runner, { args: ['--iso-only'], tools: ['xorriso'], env: { LIMINE_DIR: release(hostToolOutput(version)) } });
    if (accepted) expect(result.status, result.stderr).toBe(0);
    else expectOneLineError(result, new RegExp(`older than 10\\.8\\.0, the first release with base revision 5, which this kernel asks for$`, 'm'));
  });

  it.each([
    ['a line without a version number', ['Limine (custom build)'], 'Limine \\(custom build\\)'],
    ['nothing', [], 'nothing'],
    ['its version only on the second line', ['Limine', '12.9.1'], 'Limine'],
  ])('says it cannot tell the release when the host tool prints %s, and what it found', async (_, lines, found) => {
    // With no lines, printf still prints one empty line: the runner reads '' and says "nothing".
    const result = await run(runner, { env: { LIMINE_DIR: release(lines) } });
    expectOneLineError(
      result,
      new RegExp(
        `^runner: LIMINE_DIR is not a usable Limine: cannot tell which release it is: its 'limine --version' says '${found}', ` +
          'which holds no version number \\(this kernel needs Limine 11\\.0\\.0 or later\\)$',
        'm',
      ),
    );
  });
});

/** Runs ShellCheck on a script; a machine without ShellCheck fails the test, it does not skip it. */
async function shellcheck(script: string) {
  try {
    return await spawnAsync('shellcheck', ['-'], { env: { PATH: process.env.PATH ?? '', LC_ALL: 'C.UTF-8' }, input: script });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('shellcheck is not installed: run tools/install-toolchain.sh');
    throw error;
  }
}

describe.concurrent('ShellCheck', () => {
  // Every configuration that could change a script (the runner, the shared sysroot's rustc
  // wrapper); equal texts are linted once.
  const scripts = new Map<string, string[]>();
  for (const boot of availableBootProtocols(templates)) {
    for (const preset of PRESETS) {
      for (const toolchain of TOOLCHAINS) {
        const config = kernelConfig({ boot, preset: preset.name, toolchain: toolchain.name });
        for (const file of planKernel(config, templates).files) {
          if (!['runner', SHARED_SYSROOT.wrapperPath, SHARED_SYSROOT.rustdocPath].includes(file.path)) continue;
          scripts.set(file.contents, [...(scripts.get(file.contents) ?? []), `${file.path} of ${boot}/${preset.name}/${toolchain.name}`]);
        }
      }
    }
  }

  it('lints the shared sysroot scripts too', () => {
    for (const path of [SHARED_SYSROOT.wrapperPath, SHARED_SYSROOT.rustdocPath]) {
      expect([...scripts.values()].flat().some((key) => key.startsWith(`${path} of `))).toBe(true);
    }
  });

  it.each([...scripts].map(([text, keys]) => [keys.join(', '), text]))('finds nothing in the %s', async (_, text) => {
    const result = await shellcheck(text);
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
