/**
 * The plugin as a user installs it: target-model, generators, check and nx-plugin packed with
 * `npm pack`, installed with nx into an empty Nx workspace outside the repository (from npm's
 * cache: nothing beyond what `npm ci` fetched), `"plugins": ["@baremetal-kernel/nx"]` in its nx.json.
 * Then Nx itself: the generator makes two kernels, the inferred projects build, cache, restore,
 * rebuild on a change, are affected one at a time, test in QEMU and pass the ELF check.
 *
 * Only kernel a is built (one clean build of core, ~30 s); b exists to be left alone.
 * Nx runs without its daemon, without Nx Cloud, with a cache directory of its own, and with no
 * NX_* variable from the Nx that runs this test (`npm test` passes --skip-nx-cache, which an
 * inherited NX_SKIP_NX_CACHE would carry into the workspace).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const packed = ['target-model', 'check', 'generators', 'nx-plugin'].map((name) => join(repoRoot, 'packages', name));
/** nx as the repository has it, so the install finds it (and @nx/devkit of the same version) in npm's cache. */
const nxVersion = (JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'nx', 'package.json'), 'utf8')) as { version: string }).version;

const scratch = mkdtempSync(join(tmpdir(), 'bk-nx-e2e-'));
const workspace = join(scratch, 'workspace');
const IMAGE = 'kernels/a/target/x86_64-unknown-none/debug/a';
const ISO = 'kernels/a/target/x86_64-unknown-none/debug/iso/a.iso';

const env: Record<string, string> = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !entry[0].toLowerCase().startsWith('npm_') && !entry[0].startsWith('NX_') && entry[0] !== 'FORCE_COLOR',
    ),
  ),
  // Debian's toolchain first: a rustup in ~/.cargo/bin lacks the vendored std sources.
  PATH: `/usr/bin:${process.env.PATH ?? ''}`,
  NO_COLOR: '1',
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_CACHE_DIRECTORY: join(scratch, 'nx-cache'),
  NX_TUI: 'false',
};

function run(command: string, args: readonly string[], options: { cwd?: string; timeoutMs?: number } = {}) {
  const result = spawnSync(command, args, { cwd: options.cwd ?? workspace, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: options.timeoutMs ?? 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr, output: `${result.stdout}\n${result.stderr}` };
}

/** `nx ARGS` in the workspace (its own installed nx), which must succeed. */
function nx(args: readonly string[], timeoutMs = 120_000) {
  // Tasks' output as plain lines, each task's headed by `> nx run PROJECT:TARGET` and how it ran.
  const style = args[0] === 'run' ? ['--output-style=static'] : [];
  const result = run(join(workspace, 'node_modules', '.bin', 'nx'), [...args, ...style], { timeoutMs });
  expect(result.status, result.output).toBe(0);
  return result.output;
}

/** Whether Nx's output says the task's result came from its cache. */
const fromCache = (output: string, task: string) => output.includes(`> nx run ${task}  [local cache]`) || output.includes(`> nx run ${task}  [existing outputs match the cache, left as is]`);

function git(...args: string[]) {
  const result = run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.invalid', ...args]);
  expect(result.status, result.output).toBe(0);
}

describe('@baremetal-kernel/nx installed from its tarball in an Nx workspace', () => {
  beforeAll(() => {
    const tarballs = packed.map((directory) => {
      const result = run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: directory });
      expect(result.status, result.stderr).toBe(0);
      const [{ filename, files }] = JSON.parse(result.stdout) as [{ filename: string; files: { path: string }[] }];
      expect(files.map((file) => file.path)).toContain('dist/index.js');
      return join(scratch, filename);
    });
    run('mkdir', ['-p', workspace], { cwd: scratch });
    writeFileSync(join(workspace, 'package.json'), `${JSON.stringify({ name: 'kernels-workspace', private: true })}\n`);
    writeFileSync(join(workspace, 'nx.json'), `${JSON.stringify({ plugins: ['@baremetal-kernel/nx'] }, null, 2)}\n`);
    writeFileSync(join(workspace, '.gitignore'), 'node_modules\n.nx\n');
    const installed = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `nx@${nxVersion}`, ...tarballs], { timeoutMs: 300_000 });
    expect(installed.status, installed.output).toBe(0);
  }, 360_000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('generates two kernels with nx g, and infers a project of each, named after its crate', () => {
    for (const name of ['a', 'b']) nx(['g', '@baremetal-kernel/nx:kernel', `kernels/${name}`, '--toolchain=system', '--no-interactive']);
    expect(existsSync(join(workspace, 'kernels/a/Cargo.toml'))).toBe(true);
    const projects = JSON.parse(run(join(workspace, 'node_modules', '.bin', 'nx'), ['show', 'projects', '--json']).stdout) as string[];
    expect(projects.sort()).toEqual(['a', 'b']);
    const a = JSON.parse(run(join(workspace, 'node_modules', '.bin', 'nx'), ['show', 'project', 'a', '--json']).stdout) as { root: string; targets: Record<string, unknown> };
    expect(a.root).toBe('kernels/a');
    expect(Object.keys(a.targets).sort()).toEqual(['build', 'check', 'clippy', 'iso', 'run', 'test']);
  }, 120_000);

  it('builds the image, serves a second build from the cache, restores a deleted image from it, and rebuilds after a change', () => {
    const lockBeforeBuild = readFileSync(join(workspace, 'kernels/a/Cargo.lock'), 'utf8');
    const first = nx(['run', 'a:build'], 300_000);
    expect(fromCache(first, 'a:build'), first).toBe(false);
    expect(statSync(join(workspace, IMAGE)).size).toBeGreaterThan(0);

    // The kernel came with the Cargo.lock cargo writes (an input): the first build left it as it
    // was, so nothing changed means the cache from the second build on.
    const lock = join(workspace, 'kernels/a/Cargo.lock');
    expect(readFileSync(lock, 'utf8')).toBe(lockBeforeBuild);
    const second = nx(['run', 'a:build']);
    expect(fromCache(second, 'a:build'), second).toBe(true);

    const image = readFileSync(join(workspace, IMAGE));
    rmSync(join(workspace, IMAGE));
    const restored = nx(['run', 'a:build']);
    expect(restored, restored).toContain('> nx run a:build  [local cache]');
    expect(readFileSync(join(workspace, IMAGE)).equals(image)).toBe(true);

    appendFileSync(join(workspace, 'kernels/a/src/main.rs'), '\n// changed\n');
    const changed = nx(['run', 'a:build'], 300_000);
    expect(fromCache(changed, 'a:build'), changed).toBe(false);
  }, 600_000);

  it('knows that a change to a affects a and not b', () => {
    git('init', '-q', '-b', 'main');
    git('add', '-A');
    git('commit', '-q', '-m', 'two kernels');
    appendFileSync(join(workspace, 'kernels/a/src/lib.rs'), '\n// changed again\n');
    const affected = run(join(workspace, 'node_modules', '.bin', 'nx'), ['show', 'projects', '--affected', '--base=HEAD', '--json']);
    expect(affected.status, affected.output).toBe(0);
    expect(JSON.parse(affected.stdout)).toEqual(['a']);
  }, 120_000);

  it("passes the ELF check after the build it depends on, and builds the GRUB ISO", () => {
    const checked = nx(['run', 'a:check'], 300_000);
    expect(checked).toMatch(/summary: kernels\/a\/target\/x86_64-unknown-none\/debug\/a passes the multiboot2 checks: \d+ ok, 0 warnings, 0 errors/);
    // The runner prints the ISO's path relative to the project, where cargo runs it.
    const iso = nx(['run', 'a:iso'], 300_000);
    expect(iso.split('\n')).toContain(ISO.replace('kernels/a/', ''));
    expect(statSync(join(workspace, ISO)).size).toBeGreaterThan(0);
    const again = nx(['run', 'a:iso']);
    expect(fromCache(again, 'a:iso'), again).toBe(true);
  }, 600_000);

  it('boots its test kernels in QEMU and passes', () => {
    const tested = nx(['run', 'a:test'], 600_000);
    expect(tested).toMatch(/test result: ok/);
  }, 600_000);
});
