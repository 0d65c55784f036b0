/**
 * An exported example on its own, as its user gets it: `node tools/examples/export.mjs minimal DIR`
 * with no git identity configured, then in DIR, with Debian's toolchain first in PATH and cargo's
 * own target/ (no shared cache: this is the user's first build), `cargo build`, `cargo run` (GRUB
 * on BIOS in QEMU) and `cargo test`. One commit, and a clean work tree after all that.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BUILD_TIMEOUT = 600_000;
const root = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'export-e2e-'));
const directory = join(scratch, 'my-kernel');

/** No git identity of this machine's (the fallback author is used), Debian's toolchain, no stray flags. */
function environment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `/usr/bin:${process.env.PATH ?? ''}`,
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_CONFIG_NOSYSTEM: '1',
    CARGO_TERM_COLOR: 'never',
  };
  for (const name of ['RUSTFLAGS', 'RUSTC_BOOTSTRAP', 'CARGO_TARGET_DIR', 'CARGO_BUILD_TARGET', 'GIT_AUTHOR_NAME', 'GIT_AUTHOR_EMAIL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_EMAIL', 'EMAIL']) {
    delete env[name];
  }
  return env;
}

/** Runs a command to the end: its status and its output (stdout, then stderr), terminal colours removed. */
function run(command: string, args: readonly string[], cwd: string): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd, env: environment(), encoding: 'utf8', timeout: BUILD_TIMEOUT, maxBuffer: 64 * 1024 * 1024 });
  // eslint-disable-next-line no-control-regex
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|\r/g, '');
  return { status: result.status, output };
}

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('an exported example', () => {
  it('is a git repository with one commit, by the fallback author where git has none', () => {
    const exported = run('node', ['tools/examples/export.mjs', 'minimal', directory], root);
    expect(exported.status, exported.output).toBe(0);
    const log = run('git', ['log', '--format=%an <%ae>|%s'], directory);
    expect(log.output.trim().split('\n')).toEqual(['baremetal-kernel examples <examples@baremetal-kernel.invalid>|minimal: a kernel from baremetal-kernel 0.1.0']);
    expect(run('git', ['branch', '--show-current'], directory).output.trim()).toBe('main');
    expect(run('git', ['status', '--porcelain'], directory).output).toBe('');
  });

  it('builds with cargo build', () => {
    const build = run('cargo', ['build'], directory);
    expect(build.status, build.output).toBe(0);
  }, BUILD_TIMEOUT);

  it('boots with cargo run: GRUB on BIOS in QEMU, to the end of boot, exit status 0', () => {
    const boot = run('cargo', ['run'], directory);
    expect(boot.status, boot.output).toBe(0);
    expect(boot.output).toMatch(/^\[kernel\] minimal 0\.1\.0$/m);
    expect(boot.output).toMatch(/^\[kernel\] boot complete$/m);
  }, BUILD_TIMEOUT);

  it('passes its in-kernel tests with cargo test', () => {
    const test = run('cargo', ['test'], directory);
    expect(test.status, test.output).toBe(0);
    const results = test.output.split('\n').filter((line) => line.startsWith('test result:'));
    expect(results.length, test.output).toBeGreaterThan(5);
    for (const line of results) expect(line).toMatch(/^test result: ok\. \d+ passed; 0 failed;/);
  }, BUILD_TIMEOUT);

  it('leaves its work tree clean after all that (target/ ignored, Cargo.lock as committed)', () => {
    const status = run('git', ['status', '--porcelain', '--ignored'], directory);
    expect(status.output.trim().split('\n')).toEqual(['!! target/']);
    expect(run('git', ['log', '--oneline'], directory).output.trim().split('\n')).toHaveLength(1);
  });
});
