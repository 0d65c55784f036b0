/**
 * Every feature preset boots with the QEMU CPU model the target model gives it, and every
 * toolchain profile's project builds and passes its tests. The rustup profiles are emulated with
 * Debian's compiler (there is no rustup here): see `emulatedRustupSysroot`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEBIAN_VENDOR_DIRECTORY, PRESETS, TARGET } from '@baremetal-kernel/target';
import { cacheDirectory, cargo, emulatedRustupSysroot, generate, run, kernelElf } from './support.js';

const BUILD_TIMEOUT = 300_000;

/** The crates cargo compiled into a target directory for the kernel target (debug). */
function compiledCrates(targetDirectory: string): string[] {
  const deps = join(targetDirectory, TARGET.triple, 'debug', 'deps');
  if (!existsSync(deps)) return [];
  return readdirSync(deps)
    .map((file) => /^lib(\w+?)-[0-9a-f]+\.rlib$/.exec(file)?.[1])
    .filter((name): name is string => name !== undefined);
}

describe.each(PRESETS.filter((preset) => preset.name !== 'baseline').map((preset) => [preset.name, preset] as const))(
  'the %s preset',
  (presetName, preset) => {
    const targetDirectory = cacheDirectory(`e2e-multiboot2-system-${presetName}`);

    it('builds clean, boots directly and through GRUB, and passes its tests', () => {
      const { directory } = generate({ name: 'preset-os', preset: presetName });
      const build = cargo(directory, ['build'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
      expect(build.status, build.output).toBe(0);
      expect(build.output).not.toMatch(/^warning/m);
      const clippy = cargo(directory, ['clippy', '--all-targets', '--', '-D', 'warnings'], { targetDirectory });
      expect(clippy.status, clippy.output).toBe(0);
      expect(cargo(directory, ['fmt', '--check'], { targetDirectory }).status).toBe(0);

      for (const path of ['--direct', '--bios']) {
        const boot = cargo(directory, ['run', '--', path], { targetDirectory, timeoutMs: 120_000 });
        expect(boot.status, boot.output).toBe(0);
        expect(boot.output).toMatch(new RegExp(`^\\[cpu\\] preset: ${presetName} \\(CR0 = `, 'm'));
        expect(boot.output).toMatch(/^\[kernel\] boot complete$/m);
      }
      const test = cargo(directory, ['test'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
      expect(test.status, test.output).toBe(0);
      expect(test.output).toMatch(/^test result: ok\. 8 passed; 0 failed$/m);

      // The preset's integer instructions are in use, and no SSE/AVX register (soft-float ABI).
      const code = run('objdump', ['-d', '--no-show-raw-insn', kernelElf(targetDirectory, 'preset-os')]).output;
      expect(code).toMatch(/\bpopcnt\b/);
      expect(code).not.toMatch(/%[xy]mm\d/);

      const release = cargo(directory, ['run', '--release', '--', '--direct'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
      expect(release.status, release.output).toBe(0);
      expect(release.output).not.toMatch(/^warning/m);
      expect(release.output).toMatch(/^\[kernel\] boot complete$/m);
    }, BUILD_TIMEOUT);

    it('refuses, with a message naming the feature, a CPU that lacks the preset', () => {
      const { directory } = generate({ name: 'preset-os', preset: presetName });
      const boot = cargo(directory, ['run', '--', '--direct'], {
        targetDirectory,
        env: { QEMU_CPU: 'qemu64', TIMEOUT: '5' },
        timeoutMs: 120_000,
      });
      expect(boot.status).not.toBe(0);
      expect(boot.output).toMatch(
        new RegExp(`^boot error: this kernel needs \\S+, which this CPU does not have; it was built for the ${presetName} preset`, 'm'),
      );
      expect(boot.output).toContain(preset.name);
    }, BUILD_TIMEOUT);
  },
);

describe('toolchain profiles', () => {
  it('rustup-stable: builds against a prebuilt core without RUSTC_BOOTSTRAP, boots and passes its tests', () => {
    const sysroot = emulatedRustupSysroot();
    const { directory } = generate({ name: 'stable-os', toolchain: 'rustup-stable' });
    // Cargo appends --config rustflags to the project's own.
    const options = {
      targetDirectory: cacheDirectory('e2e-multiboot2-rustup-stable-baseline'),
      config: [`target.${TARGET.triple}.rustflags=["--sysroot","${sysroot}"]`],
      timeoutMs: BUILD_TIMEOUT,
    };
    const build = cargo(directory, ['build'], options);
    expect(build.status, build.output).toBe(0);
    expect(build.output).not.toMatch(/^warning/m);
    // Nothing of the standard library was compiled, now or ever: it came prebuilt.
    expect(compiledCrates(options.targetDirectory)).not.toContain('core');
    const boot = cargo(directory, ['run', '--', '--direct'], options);
    expect(boot.status, boot.output).toBe(0);
    expect(boot.output).toMatch(/^\[kernel\] boot complete$/m);
    const test = cargo(directory, ['test'], options);
    expect(test.status, test.output).toBe(0);
    expect(test.output).toMatch(/^test result: ok\. 8 passed; 0 failed$/m);
  }, BUILD_TIMEOUT);

  it('rustup-nightly: builds core from source with build-std, boots and passes its tests', () => {
    const { directory } = generate({ name: 'nightly-os', toolchain: 'rustup-nightly' });
    // Stand-ins for a nightly compiler with rust-src: unstable options allowed, and the standard
    // library's dependencies from the vendored copy (a real nightly fetches them from crates.io).
    const options = {
      targetDirectory: cacheDirectory('e2e-multiboot2-rustup-nightly-baseline'),
      env: { RUSTC_BOOTSTRAP: '1' },
      config: ['source.crates-io.replace-with="rustlib"', `source.rustlib.directory="${DEBIAN_VENDOR_DIRECTORY}"`],
      timeoutMs: BUILD_TIMEOUT,
    };
    const build = cargo(directory, ['build'], options);
    expect(build.status, build.output).toBe(0);
    // core was compiled for this project (build-std), whether now or on an earlier run.
    expect(compiledCrates(options.targetDirectory)).toContain('core');
    const boot = cargo(directory, ['run', '--', '--direct'], options);
    expect(boot.status, boot.output).toBe(0);
    expect(boot.output).toMatch(/^\[kernel\] boot complete$/m);
    const test = cargo(directory, ['test'], options);
    expect(test.status, test.output).toBe(0);
  }, BUILD_TIMEOUT);
});
