/**
 * The probe over the real machine, against the model's detection: `detectToolchains(nodeProbe())`
 * on this machine (Debian's toolchain, prepared by tools/install-toolchain.sh), and the cached
 * `detectToolchainsFast`, which must report exactly the same, with fake rustc and rustup installs.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectToolchains } from '@baremetal-kernel/target';
import { describe, expect, it } from 'vitest';
import { detectToolchainsFast, nodeProbe } from '../../src/node-probe.js';

const env: NodeJS.ProcessEnv = { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}` };

describe('toolchain detection on this machine', () => {
  it("finds Debian's system toolchain with its vendored sources", () => {
    const report = detectToolchains(nodeProbe(env));
    const system = report.statuses.find((status) => status.name === 'system');
    expect(system?.usable, system?.detail).toBe(true);
    expect(report.systemVendorDirectory).toBe('/usr/lib/rustlib/src/rust/library/vendor');
    // It runs rustc a few times: a second on an idle machine, more while builds share the cores.
  }, 30_000);
});

describe('fast toolchain detection', () => {
  it('reports exactly what the thorough detection reports, on this machine', async () => {
    const cacheFile = join(mkdtempSync(join(tmpdir(), 'rustc-info-')), 'rustc-info.json');
    expect(await detectToolchainsFast(env, cacheFile)).toEqual(detectToolchains(nodeProbe(env)));
    // The second time from the cache, with the same answer.
    expect(await detectToolchainsFast(env, cacheFile)).toEqual(detectToolchains(nodeProbe(env)));
  });

  it('asks a rustc for its version once, and again when the binary changes', async () => {
    const home = mkdtempSync(join(tmpdir(), 'fake-rustc-'));
    const bin = join(home, 'bin');
    mkdirSync(bin);
    const log = join(home, 'calls.log');
    const rustc = join(bin, 'rustc');
    const script = (release: string) =>
      `#!/bin/sh\necho "$@" >> '${log}'\nprintf 'rustc ${release}\\nhost: x86_64-unknown-linux-gnu\\nrelease: ${release}\\n'\n`;
    writeFileSync(rustc, script('1.90.0'), { mode: 0o755 });
    const cacheFile = join(home, 'cache', 'rustc-info.json');
    const fakeEnv = { PATH: bin, HOME: home };
    const calls = () => readFileSync(log, 'utf8').split('\n').filter(Boolean);

    const first = await detectToolchainsFast(fakeEnv, cacheFile);
    expect(first.rustc?.version).toBe('1.90.0');
    expect(await detectToolchainsFast(fakeEnv, cacheFile)).toEqual(first);
    expect(calls()).toEqual(['-vV']);

    writeFileSync(rustc, script('1.91.0'), { mode: 0o755 });
    expect((await detectToolchainsFast(fakeEnv, cacheFile)).rustc?.version).toBe('1.91.0');
    expect(calls()).toEqual(['-vV', '-vV']);
  });

  it("reads rustup's toolchains, targets and components from disk", async () => {
    const home = mkdtempSync(join(tmpdir(), 'fake-rustup-'));
    const bin = join(home, 'bin');
    const toolchains = join(home, 'rustup', 'toolchains');
    mkdirSync(bin);
    writeFileSync(join(bin, 'rustup'), '#!/bin/sh\nexit 99\n', { mode: 0o755 });
    mkdirSync(join(toolchains, 'stable-x86_64-unknown-linux-gnu', 'lib', 'rustlib', 'x86_64-unknown-none', 'lib'), { recursive: true });
    mkdirSync(join(toolchains, 'nightly-x86_64-unknown-linux-gnu', 'lib', 'rustlib'), { recursive: true });
    writeFileSync(join(toolchains, 'nightly-x86_64-unknown-linux-gnu', 'lib', 'rustlib', 'components'), 'cargo-x86_64-unknown-linux-gnu\nrust-src\n');
    const report = await detectToolchainsFast({ PATH: bin, HOME: home, RUSTUP_HOME: join(home, 'rustup') });
    expect(report.statuses.slice(0, 2)).toEqual([
      { name: 'rustup-stable', usable: true, detail: 'stable toolchain with the x86_64-unknown-none target', fix: [] },
      { name: 'rustup-nightly', usable: true, detail: 'nightly toolchain with rust-src', fix: [] },
    ]);
    expect(report.recommended).toBe('rustup-stable');
  });
});
