/**
 * A generated kernel's developer tools, for real:
 * - GDB: `cargo run -- --gdb` (and `cargo test -- --gdb`) starts QEMU waiting for a debugger and
 *   prints the command to attach; that command, with the project's kernel.gdb, stops at the main
 *   function, reads a local and lets the kernel run to its successful exit. The VS Code launch
 *   configuration's GDB commands do the same.
 * - The build script's toolchain check: a compiler that cannot build `core` for the target is
 *   named, with the fix, before rustc fails with E0463.
 * - `cargo doc` without warnings, on both boot protocols.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { QEMU } from '@baremetal-kernel/target';
import { cacheDirectory, cargo, generate, plainText, rustEnvironment } from './support.js';

const NAME = 'devtools-os';
const CRATE = 'devtools_os';
/** Shared with multiboot2.test.ts: `core` is compiled once for both. */
const targetDirectory = cacheDirectory('e2e-multiboot2-system-baseline');
let directory: string;

const BUILD_TIMEOUT = 300_000;
/** Building (cached), booting under TCG (GRUB takes longest) and two GDB round trips. */
const SESSION_TIMEOUT = 240_000;

beforeAll(() => {
  if (spawnSync('gdb', ['--version']).status !== 0) throw new Error('gdb is not installed: run tools/install-toolchain.sh');
  directory = generate({ name: NAME }).directory;
  const build = cargo(directory, ['build', '--all-targets'], { targetDirectory });
  expect(build.status, build.output).toBe(0);
}, BUILD_TIMEOUT);

// --- GDB ------------------------------------------------------------------------------------------

interface Finished {
  readonly status: number | null;
  readonly output: string;
}

/** Starts a command in its own process group (so that QEMU, its grandchild, can be killed too). */
function start(command: string, args: readonly string[], cwd: string, env: Record<string, string> = {}) {
  const child = spawn(command, args, {
    cwd,
    env: rustEnvironment({ CARGO_TARGET_DIR: targetDirectory, ...env }),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const finished = new Promise<Finished>((resolve) => child.on('close', (status) => resolve({ status, output: plainText(output) })));
  return { child, finished, output: () => plainText(output) };
}

function killGroup(child: ChildProcess) {
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The attach command the runner prints: `gdb -q -x <kernel.gdb> <elf>` (paths without spaces here). */
const ATTACH = /^runner:   gdb -q -x (\S+) (\S+)$/m;

/**
 * Runs `cargo <args>` (which must pass --gdb to the runner), waits for the attach command, runs
 * GDB in batch mode with `gdbArgs(script, elf)`, and returns both outputs once both have ended.
 * With `lateBy`, GDB attaches that many milliseconds after the runner asked for it.
 */
async function debugSession(
  cargoArgs: readonly string[],
  gdbArgs: (script: string, elf: string) => string[],
  options: { env?: Record<string, string>; lateBy?: number } = {},
) {
  const run = start('cargo', cargoArgs, directory, options.env);
  let gdb: ReturnType<typeof start> | undefined;
  try {
    const [, script, elf] = await waitFor('the attach command', () => ATTACH.exec(run.output()) ?? undefined, 120_000);
    await new Promise((resolve) => setTimeout(resolve, options.lateBy ?? 0));
    gdb = start('gdb', ['-q', '-batch', '-nx', ...gdbArgs(script!, elf!)], directory);
    const debugger_ = await Promise.race([
      gdb.finished,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`GDB did not finish:\n${gdb!.output()}`)), 120_000)),
    ]);
    const kernel = await Promise.race([
      run.finished,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`QEMU did not exit:\n${run.output()}`)), 60_000)),
    ]);
    return { gdb: debugger_.output, run: kernel.output, status: kernel.status, script: script!, elf: elf! };
  } finally {
    killGroup(run.child);
    if (gdb) killGroup(gdb.child);
  }
}

/** What GDB shows on stopping at a function of this crate (a hardware breakpoint says "Breakpoint" too). */
const stoppedAt = (fn: string) => new RegExp(`^Breakpoint \\d+, ${CRATE}::${fn} \\(boot_info=0x[0-9a-f]+`, 'm');
const loaderIs = (loader: string) => new RegExp(`^\\$1 = ${CRATE}::boot_info::Loader::${loader}$`, 'm');

/** GDB's arguments with the project's kernel.gdb: stop at the main function, read a local, go on. */
const withProjectScript = (script: string, elf: string) => ['-x', script, '-ex', 'print boot_info.loader', '-ex', 'continue', elf];

describe('GDB on a generated kernel', () => {
  it('`cargo run -- --gdb --direct`: the printed command stops at kernel_main, reads a local, and the kernel exits with success', async () => {
    // A debugging session has no timeout: TIMEOUT=1 and a GDB that comes 3 s late change nothing.
    const session = await debugSession(['run', '--', '--gdb', '--direct'], withProjectScript, { env: { TIMEOUT: '1' }, lateBy: 3000 });
    expect(session.script).toBe(join(directory, 'kernel.gdb'));
    expect(session.elf).toBe(join(targetDirectory, 'x86_64-unknown-none', 'debug', NAME));
    expect(session.run).toContain(`runner: QEMU waits for GDB on localhost:${QEMU.gdbPort}`);
    expect(session.gdb).toMatch(/^Hardware assisted breakpoint 1 at 0x[0-9a-f]+: file src\/main\.rs/m);
    expect(session.gdb).toMatch(stoppedAt('kernel_main'));
    expect(session.gdb).toMatch(loaderIs('Pvh'));
    expect(session.run).toMatch(/^\[kernel\] boot complete$/m);
    expect(session.status, session.run).toBe(0);
  }, SESSION_TIMEOUT);

  it('`cargo run -- --gdb`: the same through GRUB on BIOS, which loads the kernel after GDB attached', async () => {
    const session = await debugSession(['run', '--', '--gdb', '--bios'], withProjectScript);
    expect(session.gdb).toMatch(stoppedAt('kernel_main'));
    expect(session.gdb).toMatch(loaderIs('Multiboot2'));
    expect(session.run).toMatch(/^\[kernel\] boot complete$/m);
    expect(session.status, session.run).toBe(0);
  }, SESSION_TIMEOUT);

  it('`cargo test -- --gdb`: stops a test binary at test_kernel_main, and its tests pass', async () => {
    const session = await debugSession(['test', '--test', 'kernel', '--', '--gdb'], withProjectScript);
    expect(session.elf).toMatch(/\/deps\/kernel-[0-9a-f]+$/);
    expect(session.gdb).toMatch(stoppedAt('testing::test_kernel_main'));
    expect(session.gdb).toMatch(loaderIs('Pvh'));
    expect(session.status, session.run).toBe(0);
  }, SESSION_TIMEOUT);

  it("VS Code: the launch configuration's GDB commands stop at kernel_main, after the task that starts QEMU", async () => {
    const launch = JSON.parse(readFileSync(join(directory, '.vscode', 'launch.json'), 'utf8'));
    const tasks = JSON.parse(readFileSync(join(directory, '.vscode', 'tasks.json'), 'utf8'));
    const configuration = launch.configurations[0];
    const task = tasks.tasks.find((candidate: { label: string }) => candidate.label === configuration.preLaunchTask);
    expect(task.command).toBe('cargo run -- --gdb');
    expect(configuration.type).toBe('cppdbg');
    expect(configuration.program).toBe(`\${workspaceFolder}/target/x86_64-unknown-none/debug/${NAME}`);
    const texts = (commands: { text: string }[]) => commands.flatMap((command) => ['-ex', command.text]);

    // What the C/C++ extension does: load the program, run the setup commands, connect, run the
    // post-connect commands, continue.
    const session = await debugSession(['run', '--', '--gdb', '--direct'], (_, elf) => [
      ...texts(configuration.setupCommands),
      '-ex',
      `target remote ${configuration.miDebuggerServerAddress}`,
      ...texts(configuration.postRemoteConnectCommands),
      '-ex',
      'continue',
      '-ex',
      'print boot_info.loader',
      '-ex',
      'continue',
      elf,
    ]);
    expect(session.gdb).toMatch(stoppedAt('kernel_main'));
    expect(session.gdb).toMatch(loaderIs('Pvh'));
    expect(session.status, session.run).toBe(0);
    // The task counts as started (and the debugger attaches) when the runner says QEMU waits.
    const ready = new RegExp(task.problemMatcher.background.endsPattern, 'm');
    expect(session.run).toMatch(ready);
    expect(`   Compiling ${NAME} v0.1.0`).toMatch(new RegExp(task.problemMatcher.background.beginsPattern));
  }, SESSION_TIMEOUT);
});

// --- The toolchain check ---------------------------------------------------------------------------

/** The part of the output that says what to do: the build script's fix, one command. */
const fixLine = (command: string) => new RegExp(`^\\s*Fix, then build again:\\n\\s+${command.replace(/[$.*+?()[\]{}|\\^]/g, '\\$&')}$`, 'm');

describe("the build script's toolchain check", () => {
  const rustupRustc = join(homedir(), '.cargo', 'bin', 'rustc');
  const rustupSysroot = existsSync(rustupRustc) ? spawnSync(rustupRustc, ['--print', 'sysroot'], { encoding: 'utf8' }).stdout.trim() : '';
  /** This machine's situation: a rustup toolchain without the target nor rust-src first in PATH. */
  const rustupLacksTarget =
    rustupSysroot !== '' &&
    !existsSync(join(rustupSysroot, 'lib', 'rustlib', 'x86_64-unknown-none')) &&
    !existsSync(join(rustupSysroot, 'lib', 'rustlib', 'src'));

  it.skipIf(!rustupLacksTarget)(
    'system profile, rustup first in PATH: names the fix (put /usr/bin first) instead of E0463',
    () => {
      const result = spawnSync('cargo', ['build'], {
        cwd: directory,
        env: { ...rustEnvironment(), PATH: `${join(homedir(), '.cargo', 'bin')}:${process.env.PATH ?? ''}`, CARGO_TARGET_DIR: mkdtempSync(join(tmpdir(), 'rustup-')) },
        encoding: 'utf8',
        timeout: BUILD_TIMEOUT,
      });
      const output = plainText(`${result.stdout}${result.stderr}`);
      expect(result.status).not.toBe(0);
      expect(output).toContain(`cannot build this kernel: this project builds \`core\` with the system compiler in /usr`);
      expect(output).toMatch(fixLine('export PATH=/usr/bin:$PATH'));
      expect(output).not.toContain('E0463');
    },
    BUILD_TIMEOUT,
  );

  it('system profile, a compiler whose sysroot is not the system one (as stable cargo ignores build-std): the same fix', () => {
    // Stable cargo ignores [unstable]; an empty sysroot is one without the target and without rust-src.
    const config = join(directory, '.cargo', 'config.toml');
    const original = readFileSync(config, 'utf8');
    const sysroot = mkdtempSync(join(tmpdir(), 'sysroot-'));
    try {
      const withoutBuildStd = original.replace(/^\[unstable\]\n(?:(?!\[).*\n)*/m, '');
      expect(withoutBuildStd).not.toMatch(/^(\[unstable\]|build-std)/m);
      writeFileSync(config, withoutBuildStd);
      const build = cargo(directory, ['build'], {
        targetDirectory: mkdtempSync(join(tmpdir(), 'no-build-std-')),
        config: [`target.x86_64-unknown-none.rustflags=["--sysroot","${sysroot}"]`],
      });
      expect(build.status).not.toBe(0);
      expect(build.output).toContain(`(sysroot ${sysroot}), which cannot build this kernel`);
      expect(build.output).toMatch(fixLine('export PATH=/usr/bin:$PATH'));
      expect(build.output).not.toContain('E0463');
    } finally {
      writeFileSync(config, original);
    }
  }, BUILD_TIMEOUT);

  it('rustup-stable profile, a toolchain without the prebuilt target: names `rustup target add` instead of E0463', () => {
    const stable = generate({ name: 'stable-check-os', toolchain: 'rustup-stable' }).directory;
    const sysroot = mkdtempSync(join(tmpdir(), 'sysroot-'));
    const options = {
      targetDirectory: mkdtempSync(join(tmpdir(), 'no-target-')),
      config: [`target.x86_64-unknown-none.rustflags=["--sysroot","${sysroot}"]`],
    };
    // Through rustup's proxies (they set RUSTUP_TOOLCHAIN), and with another compiler first in PATH.
    const throughRustup = cargo(stable, ['build'], { ...options, env: { RUSTUP_TOOLCHAIN: 'stable' } });
    expect(throughRustup.status).not.toBe(0);
    expect(throughRustup.output).toContain('it has no prebuilt `core` for x86_64-unknown-none');
    expect(throughRustup.output).toMatch(fixLine('rustup target add x86_64-unknown-none'));
    expect(throughRustup.output).not.toContain('E0463');
    const otherCompiler = cargo(stable, ['build'], options);
    expect(otherCompiler.output).toMatch(fixLine('with ~/.cargo/bin first in PATH: rustup target add x86_64-unknown-none'));
  }, BUILD_TIMEOUT);
});

// --- cargo doc -------------------------------------------------------------------------------------

describe('cargo doc', () => {
  it.each([
    ['multiboot2', 'e2e-multiboot2-system-baseline'],
    ['limine', 'e2e-limine-system-baseline'],
  ] as const)(
    'documents a %s kernel without a warning',
    (boot, cache) => {
      const project = boot === 'multiboot2' ? directory : generate({ name: 'doc-os', boot }).directory;
      const doc = cargo(project, ['doc'], { targetDirectory: cacheDirectory(cache) });
      expect(doc.status, doc.output).toBe(0);
      expect(doc.output).not.toMatch(/^(warning|error)/m);
      expect(doc.output).toMatch(/^\s*Generated .*\/doc\/.*index\.html$/m);
    },
    BUILD_TIMEOUT,
  );
});
