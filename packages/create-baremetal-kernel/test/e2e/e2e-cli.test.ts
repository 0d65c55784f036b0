/**
 * The published bins, bundled as they ship, run as child processes: without a terminal (as in
 * CI), and in a pseudo-terminal answering the prompts with real keystrokes.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileTemplates, loadTemplates, planKernel } from '@baremetal-kernel/generators';
import { validateKernelRequest } from '@baremetal-kernel/target';
import { buildRealKernel, COLD_BUILD_TIMEOUT, testCacheDirectory } from '../../../check/test/e2e/real-kernel.js';
import { temporaryDirectory } from '../support.js';

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));
const createBin = join(packageRoot, 'bin', 'create-baremetal-kernel.js');
const commandsBin = join(packageRoot, 'bin', 'baremetal-kernel.js');
/** Debian's toolchain first, as for every kernel build here. */
const env = { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}`, NO_COLOR: '1' };

beforeAll(() => {
  // Test what ships: the bundle, rebuilt from the current sources.
  execFileSync(process.execPath, [join(packageRoot, 'scripts', 'build.mjs')], { stdio: 'inherit' });
}, 60_000);

/** Runs a bin with node; a `launcher` (a command and its options, such as setpriv's) runs node in turn. */
function runBin(bin: string, args: string[], cwd: string, launcher: readonly string[] = []) {
  const [command, ...rest] = [...launcher, process.execPath, bin, ...args];
  const result = spawnSync(command!, rest, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('create-baremetal-kernel as a process', () => {
  // The kernels scaffolded below build into cached target directories (the generators' end-to-end
  // caches for the same configurations). Compile what they need here, from a cold cache if need
  // be, so that no test relies on another file having filled them, and each test's budget covers
  // only its own kernel crate and boot.
  const multiboot2Target = testCacheDirectory('e2e-multiboot2-system-baseline');
  const limineTarget = testCacheDirectory('e2e-limine-system-baseline');
  beforeAll(() => {
    buildRealKernel('warm-up-os', { profiles: ['debug'], targetDirectory: multiboot2Target });
    buildRealKernel('warm-up-os', { boot: 'limine', profiles: ['debug'], targetDirectory: limineTarget });
  }, COLD_BUILD_TIMEOUT);

  it('scaffolds without a terminal exactly what the generator plans, and the kernel boots', () => {
    const cwd = temporaryDirectory();
    const result = runBin(createBin, ['cli-os', '--yes'], cwd);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Wrote a multiboot2 kernel \(preset baseline, toolchain system\) to cli-os:/);

    const validation = validateKernelRequest({ name: 'cli-os', toolchain: 'system' });
    if (!validation.ok) throw new Error('invalid test configuration');
    const plan = planKernel(validation.config, compileTemplates(loadTemplates()));
    for (const file of plan.files) expect(readFileSync(join(cwd, 'cli-os', file.path), 'utf8'), file.path).toBe(file.contents);

    const boot = spawnSync('cargo', ['run', '--', '--direct'], {
      cwd: join(cwd, 'cli-os'),
      env: { ...env, CARGO_TARGET_DIR: multiboot2Target },
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(boot.status, boot.stderr).toBe(0);
    expect(boot.stdout.replaceAll('\r', '')).toMatch(/^\[kernel\] cli-os 0\.1\.0$/m);
  }, 300_000);

  it('never waits for input when there is no terminal, even with stdin left open', async () => {
    const cwd = temporaryDirectory();
    const child = spawn(process.execPath, [createBin, 'open-stdin-os'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const status = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill();
        reject(new Error('create-baremetal-kernel waited for input'));
      }, 20_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    expect(status).toBe(0);
    expect(existsSync(join(cwd, 'open-stdin-os', 'Cargo.toml'))).toBe(true);
  }, 30_000);

  it('fails bad input with one line and writes nothing', () => {
    const cwd = temporaryDirectory();
    expect(runBin(createBin, ['1os'], cwd)).toEqual({
      status: 2,
      stdout: '',
      stderr:
        "error: invalid project name: '1os' starts with a digit; a crate name must start with a letter; " +
        'pass a valid name with --name (the directory may keep its name)\n',
    });
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('scaffolds a Limine kernel whose build passes check', () => {
    const cwd = temporaryDirectory();
    expect(runBin(createBin, ['limine-cli-os', '--yes', '--boot', 'limine'], cwd).status).toBe(0);
    const project = join(cwd, 'limine-cli-os');
    const targetDirectory = limineTarget;
    const build = spawnSync('cargo', ['build'], { cwd: project, env: { ...env, CARGO_TARGET_DIR: targetDirectory }, encoding: 'utf8', timeout: 300_000 });
    expect(build.status, build.stderr).toBe(0);
    const check = spawnSync(process.execPath, [commandsBin, 'check'], {
      cwd: project,
      env: { ...env, CARGO_TARGET_DIR: targetDirectory },
      encoding: 'utf8',
    });
    expect(check.status, check.stdout).toBe(0);
    expect(check.stdout).toMatch(/^summary: .*limine-cli-os passes the limine checks \(protocol from .*Cargo\.toml\): \d+ checks ok, 0 warnings, 0 errors$/m);
  }, 300_000);

  it('finishes quietly, with the whole kernel written, when its reader goes away (| true, | head)', () => {
    const cwd = temporaryDirectory();
    // `true` exits without reading, so every write to the pipe fails with EPIPE.
    for (const command of [`"${process.execPath}" "${createBin}" piped-os --yes --toolchain system | true`, `"${process.execPath}" "${commandsBin}" list | head -1`]) {
      const result = spawnSync('bash', ['-c', `set -o pipefail; ${command}`], { cwd, env, encoding: 'utf8', timeout: 60_000 });
      expect({ command, status: result.status, stderr: result.stderr }).toEqual({ command, status: 0, stderr: '' });
    }
    const config = validateKernelRequest({ name: 'piped-os', toolchain: 'system' });
    if (!config.ok) throw new Error('the default request is valid');
    const planned = planKernel(config.config, compileTemplates(loadTemplates())).files.map((file) => file.path);
    for (const path of planned) expect(existsSync(join(cwd, 'piped-os', path)), path).toBe(true);
  });

  it('answers --version and list --json through the other bin', () => {
    const cwd = temporaryDirectory();
    expect(runBin(createBin, ['--version'], cwd).stdout).toBe('0.1.0\n');
    const list = runBin(commandsBin, ['list', '--json'], cwd);
    expect(list.status).toBe(0);
    expect((JSON.parse(list.stdout) as { presets: unknown[] }).presets).toHaveLength(3);
  });
});

describe('create-baremetal-kernel into a mount point', () => {
  // A bind-mounted directory is a mount of its own: rename(2) into it from its parent fails with
  // EXDEV, which is what staging beside the destination ran into. Needs the right to mount (root
  // here and in CI); elsewhere the test says why it cannot run.
  const parent = temporaryDirectory();
  const source = temporaryDirectory();
  const destination = join(parent, 'mounted-os');
  const mounted = (() => {
    mkdirSync(destination);
    return spawnSync('mount', ['--bind', source, destination], { encoding: 'utf8' });
  })();
  afterAll(() => {
    if (mounted.status === 0) spawnSync('umount', [destination]);
  });

  it.skipIf(mounted.status !== 0)('writes a whole kernel into a bind-mounted directory', () => {
    const result = runBin(createBin, ['mounted-os', '--yes'], parent);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    // Written through the mount: the files are in the mounted directory.
    expect(readdirSync(source)).toEqual(expect.arrayContaining(['Cargo.toml', 'runner', 'src']));
    expect(readdirSync(source).filter((name) => name.startsWith('.baremetal-kernel-staging-'))).toEqual([]);
  });
});

describe('create-baremetal-kernel without the right to write', () => {
  // Root may write anywhere, so as root (here and in CI) the bin runs as the unprivileged user
  // nobody, for whom root's directories are read-only; any other user runs it as themselves,
  // with the directories made read-only by their mode.
  const NOBODY = 65534;
  const asRoot = process.getuid?.() === 0;
  const parent = temporaryDirectory();
  // The unprivileged user must be able to reach the directories (mkdtemp makes them 0700).
  chmodSync(parent, 0o755);
  const writable = join(parent, 'writable-os');
  mkdirSync(writable);
  const readOnly = join(parent, 'read-only-os');
  mkdirSync(readOnly, { mode: 0o555 });
  if (asRoot) chownSync(writable, NOBODY, NOBODY);
  else chmodSync(parent, 0o555);
  afterAll(() => chmodSync(parent, 0o755));

  function runUnprivileged(args: string[]) {
    return runBin(createBin, args, parent, asRoot ? ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'] : []);
  }

  it('writes a whole kernel into a writable directory whose parent is read-only', () => {
    const result = runUnprivileged(['writable-os', '--yes']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readdirSync(writable)).toEqual(expect.arrayContaining(['Cargo.toml', 'runner', 'src']));
    expect(readdirSync(writable).filter((name) => name.startsWith('.baremetal-kernel-staging-'))).toEqual([]);
  });

  it('refuses, in one line and writing nothing, a new directory in a read-only parent', () => {
    const before = readdirSync(parent).sort();
    const result = runUnprivileged(['new-os', '--yes']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot write .*new-os: EACCES[^\n]*\n$/);
    expect(readdirSync(parent).sort()).toEqual(before);
  });

  it('refuses, in one line and writing nothing, a read-only destination', () => {
    const result = runUnprivileged(['read-only-os', '--yes']);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot write .*read-only-os: EACCES[^\n]*\n$/);
    expect(readdirSync(readOnly)).toEqual([]);
  });
});

describe('create-baremetal-kernel interrupted', () => {
  /** Runs create and sends `signal` after `delay` ms: the status, the signal that ended it, if any. */
  function interrupted(cwd: string, signal: NodeJS.Signals, delay: number) {
    return new Promise<{ status: number | null; killedBy: NodeJS.Signals | null }>((resolve, reject) => {
      const child = spawn(process.execPath, [createBin, 'os', '--yes'], { cwd, env, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill(signal), delay);
      child.on('error', reject);
      child.on('exit', (status, killedBy) => {
        clearTimeout(timer);
        resolve({ status, killedBy });
      });
    });
  }

  it('never leaves a half-written project or a staging directory, whenever SIGINT or SIGTERM comes', async () => {
    // create runs for 0.13-0.35 s here (idle to loaded), writing at its very end: the signals land
    // before Node has started it (killed by the signal), during the writing and after it. The range
    // starts where Node is still starting up, however fast the machine, so that both ends are reached. Each run either finished (exit 0, the whole project), or took back what
    // it wrote (exit 128+N), or died of the signal before it began writing; nothing in between.
    const expected = planKernel(
      (validateKernelRequest({ name: 'os', toolchain: 'system' }) as { ok: true; config: Parameters<typeof planKernel>[0] }).config,
      compileTemplates(loadTemplates()),
    ).files.map((file) => file.path);
    const outcomes = new Set<string>();
    for (let delay = 10; delay <= 450; delay += 20) {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        const cwd = temporaryDirectory();
        const { status, killedBy } = await interrupted(cwd, signal, delay);
        const what = `${signal} after ${delay} ms: status ${status}, killed by ${killedBy}`;
        expect([0, 128 + (signal === 'SIGINT' ? 2 : 15), null], what).toContain(status);
        if (existsSync(join(cwd, 'os'))) {
          // Written: all of it, and nothing of the writing left over.
          for (const path of expected) expect(existsSync(join(cwd, 'os', path)), `${what}: ${path}`).toBe(true);
          expect(readdirSync(join(cwd, 'os')).filter((name) => name.startsWith('.baremetal-kernel-staging-')), what).toEqual([]);
          expect(status === 128 + (signal === 'SIGINT' ? 2 : 15), `${what}: said it took it back`).toBe(false);
          outcomes.add('finished');
        } else {
          expect(readdirSync(cwd), what).toEqual([]);
          outcomes.add(status === null ? 'killed before writing' : 'taken back');
        }
      }
    }
    // Both ends of the range were reached: some runs were stopped, some finished.
    expect(outcomes.has('finished')).toBe(true);
    expect(outcomes.size).toBeGreaterThan(1);
  }, 120_000);
});

describe('baremetal-kernel add interrupted', () => {
  /** Every file under `directory` with its contents. */
  function tree(directory: string): Map<string, string> {
    const files = new Map<string, string>();
    for (const entry of readdirSync(directory, { recursive: true, withFileTypes: true })) {
      if (entry.isFile()) {
        const path = join(entry.parentPath, entry.name);
        files.set(path.slice(directory.length + 1), readFileSync(path, 'utf8'));
      }
    }
    return new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  it('leaves the kernel as it was, or whole with the modules, whenever SIGINT or SIGTERM comes', async () => {
    const original = join(temporaryDirectory(), 'os');
    execFileSync(process.execPath, [createBin, original, '--yes', '--toolchain', 'system'], { env, stdio: 'ignore' });
    const before = tree(original);
    const after = join(temporaryDirectory(), 'os');
    cpSync(original, after, { recursive: true });
    execFileSync(process.execPath, [commandsBin, 'add', 'keyboard', 'log', '--dir', after], { env, stdio: 'ignore' });
    const added = tree(after);
    const outcomes = new Set<string>();
    for (let delay = 100; delay <= 400; delay += 20) {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        const kernel = join(temporaryDirectory(), 'os');
        cpSync(original, kernel, { recursive: true });
        const { status } = await new Promise<{ status: number | null }>((resolve, reject) => {
          const child = spawn(process.execPath, [commandsBin, 'add', 'keyboard', 'log', '--dir', kernel], { env, stdio: 'ignore' });
          const timer = setTimeout(() => child.kill(signal), delay);
          child.on('error', reject);
          child.on('exit', (code) => {
            clearTimeout(timer);
            resolve({ status: code });
          });
        });
        const what = `${signal} after ${delay} ms: status ${status}`;
        const now = tree(kernel);
        // Whole with the modules (finished; or the signal came after the writing), or exactly as
        // before (stopped before writing, or everything taken back): no temporary file either way.
        const whole = JSON.stringify([...now]) === JSON.stringify([...added]);
        if (!whole) expect(now, what).toEqual(before);
        const tookBack = status === 128 + (signal === 'SIGINT' ? 2 : 15);
        expect(whole && tookBack, `${what}: said it took back what it kept`).toBe(false);
        outcomes.add(whole ? 'finished' : status === null ? 'killed before writing' : 'taken back');
      }
    }
    expect(outcomes.has('finished')).toBe(true);
    expect(outcomes.size).toBeGreaterThan(1);
  }, 120_000);
});

describe('create-baremetal-kernel in a terminal', () => {
  it('asks each question with a default, and moves through choices with the arrow keys', () => {
    const cwd = temporaryDirectory();
    const down = '\u001b[B';
    const steps = [
      ['Project name', 'tty-os\r'],
      ['Boot protocol', '\r'],
      ['CPU feature preset', `${down}\r`],
      // A checkbox: space ticks the first module (log), Enter goes on.
      ['Modules', ' \r'],
      ['Rust toolchain', '\r'],
    ];
    const session = spawnSync(
      'python3',
      [join(packageRoot, 'test', 'fixtures', 'pty-session.py'), JSON.stringify(steps), process.execPath, createBin],
      { cwd, env: { ...env, TERM: 'xterm' }, encoding: 'utf8', timeout: 90_000 },
    );
    expect(session.status, `${session.stdout}\n${session.stderr}`).toBe(0);
    expect(session.stdout).toContain('Wrote a multiboot2 kernel (preset x86-64-v2, toolchain system) to tty-os:');
    const manifest = readFileSync(join(cwd, 'tty-os', 'Cargo.toml'), 'utf8');
    expect(manifest).toContain('preset = "x86-64-v2"');
    expect(manifest).toContain('modules = ["log"]');
    expect(existsSync(join(cwd, 'tty-os', 'src', 'log.rs'))).toBe(true);
  }, 120_000);

  it('asks for a valid name first when the directory cannot be one, offering the closest', () => {
    const cwd = temporaryDirectory();
    const steps = [
      ["'My_OS2' cannot be one", '\r'],
      ['Boot protocol', '\r'],
      ['CPU feature preset', '\r'],
      ['Modules', '\r'],
      ['Rust toolchain', '\r'],
    ];
    const session = spawnSync(
      'python3',
      [join(packageRoot, 'test', 'fixtures', 'pty-session.py'), JSON.stringify(steps), process.execPath, createBin, 'My_OS2'],
      { cwd, env: { ...env, TERM: 'xterm' }, encoding: 'utf8', timeout: 90_000 },
    );
    expect(session.status, `${session.stdout}\n${session.stderr}`).toBe(0);
    expect(session.stdout).toContain('to My_OS2:');
    expect(readFileSync(join(cwd, 'My_OS2', 'Cargo.toml'), 'utf8')).toContain('name = "my_os2"');
  }, 120_000);
});
