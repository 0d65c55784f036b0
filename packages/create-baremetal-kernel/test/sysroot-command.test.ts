import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SHARED_SYSROOT } from '@baremetal-kernel/target';
import { runCommand } from '../src/router.js';
import { sharedSysrootsLine } from '../src/doctor/report.js';
import { ABANDONED_AFTER_MS, parseSysrootKey, readSysrootCache } from '../src/sysroot-cache.js';
import { memoryIo, temporaryDirectory } from './support.js';

/** A key.txt as .cargo/sysroot-rustc writes it: its fields, then `rustc -vV`. */
const key = (cpu: string) =>
  [
    'format: 2',
    'target: x86_64-unknown-none',
    'build-std: core,alloc,compiler_builtins',
    'build-std-features: compiler-builtins-mem',
    `codegen: -C target-cpu=${cpu} -C code-model=kernel`,
    'rustc 1.96.0 (ac68faa20 2026-05-25) (built from a source tarball)',
    'binary: rustc',
    'host: x86_64-unknown-linux-gnu',
    'release: 1.96.0',
  ].join('\n');

/** Each sysroot: a 2048-byte libcore.rlib and its key.txt (about 300 bytes): 2.3 KiB, 4.6 KiB for both. */
/** A cache directory with two finished sysroots, a build in progress and one killed long ago. */
function cacheWithSysroots() {
  const root = temporaryDirectory();
  for (const cpu of ['x86-64', 'x86-64-v3']) {
    const lib = join(root, `x86_64-unknown-none-1.96.0-${cpu}`, 'lib/rustlib/x86_64-unknown-none/lib');
    mkdirSync(lib, { recursive: true });
    writeFileSync(join(lib, 'libcore.rlib'), Buffer.alloc(2048));
    writeFileSync(join(root, `x86_64-unknown-none-1.96.0-${cpu}`, 'key.txt'), key(cpu));
    // The compiler's own host libraries are a link: never counted, never followed.
    symlinkSync('/usr/lib', join(root, `x86_64-unknown-none-1.96.0-${cpu}`, 'lib/rustlib/host'));
  }
  mkdirSync(join(root, '.building-x86_64-unknown-none-1.96.0-new.AbCdEf'));
  const killed = join(root, '.building-x86_64-unknown-none-1.96.0-old.GhIjKl');
  mkdirSync(killed);
  const longAgo = (Date.now() - 2 * ABANDONED_AFTER_MS) / 1000;
  utimesSync(killed, longAgo, longAgo);
  writeFileSync(join(root, '.lock'), '');
  return root;
}

const sysroot = (args: string[], root: string) => {
  const memory = memoryIo(temporaryDirectory(), { env: { [SHARED_SYSROOT.directoryVariable]: root } });
  return runCommand(['sysroot', ...args], memory.io).then((status) => ({ status, out: memory.stdout(), err: memory.stderr() }));
};

describe('baremetal-kernel sysroot', () => {
  it('lists each sysroot with its compiler, its codegen options and its size, without following links', async () => {
    const root = cacheWithSysroots();
    const { status, out } = await sysroot([], root);
    expect(status).toBe(0);
    expect(out).toContain(`2 shared sysroots in ${root} (4.6 KiB):`);
    expect(out).toMatch(/x86_64-unknown-none-1\.96\.0-x86-64-v3 {2}rustc 1\.96\.0 \(ac68faa20 2026-05-25\).*; -Ctarget-cpu=x86-64-v3 -Ccode-model=kernel; 2\.3 KiB/);
    const json = JSON.parse((await sysroot(['--json'], root)).out);
    expect(json.sysroots.map((entry: { release: string }) => entry.release)).toEqual(['1.96.0', '1.96.0']);
    expect(json.unfinished).toHaveLength(2);
  });

  it('says where they will be when there are none (the directory need not exist)', async () => {
    const root = join(temporaryDirectory(), 'not-yet');
    const { status, out } = await sysroot([], root);
    expect(status).toBe(0);
    expect(out).toBe(`no shared sysroots in ${root} (the first build of a system or nightly kernel makes one)\n`);
  });

  it('--clean removes the sysroots and a killed build, and leaves a build in progress alone', async () => {
    const root = cacheWithSysroots();
    const { status, out } = await sysroot(['--clean'], root);
    expect(status).toBe(0);
    expect(out).toBe(`removed 3 shared sysroots from ${root} (4.6 KiB); left 1 build in progress\n`);
    expect(readdirSync(root).sort()).toEqual(['.building-x86_64-unknown-none-1.96.0-new.AbCdEf', '.lock']);
    expect(existsSync('/usr/lib'), 'the linked directory is untouched').toBe(true);
  });

  it('refuses a bad option in one line, status 2, removing nothing', async () => {
    const root = cacheWithSysroots();
    const { status, err, out } = await sysroot(['--clear'], root);
    expect(status).toBe(2);
    expect(out).toBe('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^error: .*--clear/);
    expect(readSysrootCache(root).sysroots).toHaveLength(2);
  });
});

describe("doctor's shared sysroots line", () => {
  it('counts them, their size and compilers, and names the command that removes them', () => {
    const root = cacheWithSysroots();
    const line = sharedSysrootsLine(readSysrootCache(root));
    expect(line).toMatchObject({ name: 'shared sysroots', status: 'ok', needed: false });
    expect(line.detail).toBe(`2 in ${root} (4.6 KiB; rustc 1.96.0): \`baremetal-kernel sysroot\` lists them, --clean removes them`);
    expect(sharedSysrootsLine(readSysrootCache(join(root, 'none'))).detail).toMatch(/^none yet in /);
  });

  it('reads a key.txt: the release, the compiler line and the codegen options', () => {
    expect(parseSysrootKey(key('x86-64-v2'))).toEqual({
      release: '1.96.0',
      compiler: 'rustc 1.96.0 (ac68faa20 2026-05-25) (built from a source tarball)',
      codegen: '-Ctarget-cpu=x86-64-v2 -Ccode-model=kernel',
    });
  });
});
