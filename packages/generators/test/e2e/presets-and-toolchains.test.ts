/**
 * Every feature preset boots with the QEMU CPU model the target model gives it, and every
 * toolchain profile's project builds and passes its tests. The rustup profiles are emulated with
 * Debian's compiler (there is no rustup here): see `emulatedRustupSysroot`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PRESETS, TARGET } from '@baremetal-kernel/target';
import { TEST_SYSROOT_DIRECTORY, cacheDirectory, cargo, emulatedRustupSysroot, generate, run, kernelElf, type CargoOptions } from './support.js';

const BUILD_TIMEOUT = 300_000;
/** One test compiles `core` twice from a cold cache (debug and release) and boots five times. */
const WHOLE_PRESET_TIMEOUT = 2 * BUILD_TIMEOUT;
/**
 * QEMU's limit for a boot that must fail in its first instructions: ample on an idle machine, and
 * still short beside a hang, but not so short that a machine busy with builds misses the message.
 */
const REFUSAL_BOOT_TIMEOUT_SECONDS = '20';

/**
 * The crates whose libraries cargo compiled into a target directory for the kernel target (debug),
 * now or on an earlier run. Throws when there is nothing to look at, so that "core is not among
 * them" can never pass because nothing was built.
 */
function compiledCrates(targetDirectory: string): string[] {
  const deps = join(targetDirectory, TARGET.triple, 'debug', 'deps');
  if (!existsSync(deps)) throw new Error(`no ${deps}: cargo built nothing for ${TARGET.triple} there`);
  const crates = readdirSync(deps)
    .map((file) => /^lib(\w+?)-[0-9a-f]+\.rlib$/.exec(file)?.[1])
    .filter((name): name is string => name !== undefined);
  if (crates.length === 0) throw new Error(`no library in ${deps}: cargo built nothing for ${TARGET.triple} there`);
  return crates;
}

/** One unit of a build, as `cargo build --message-format=json` reports it (the fields used here). */
interface CompilerArtifact {
  readonly reason: 'compiler-artifact';
  readonly manifest_path: string;
  readonly target: { readonly name: string; readonly kind: readonly string[] };
  readonly filenames: readonly string[];
  readonly fresh: boolean;
}

/**
 * Every unit a `--message-format=json` build needed, whether compiled now or fresh from an earlier
 * run: cargo reports a fresh unit too, with the files it would have produced. So this says what the
 * project's build consists of even when the target directory is a warm cache shared between runs.
 */
function compilerArtifacts(output: string): CompilerArtifact[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{"reason":"compiler-artifact"'))
    .map((line) => JSON.parse(line) as CompilerArtifact);
}

/** `cargo build --message-format=json`, which must succeed without a warning; its artifacts. */
function buildForArtifacts(directory: string, options: CargoOptions): CompilerArtifact[] {
  const build = cargo(directory, ['build', '--message-format=json'], options);
  expect(build.status, build.output).toBe(0);
  expect(build.output).not.toMatch(/"level":"warning"/);
  return compilerArtifacts(build.output);
}

/** The standard library's crates among a build's units. */
const standardLibrary = (artifacts: readonly CompilerArtifact[]) =>
  artifacts.filter((artifact) => ['core', 'alloc', 'compiler_builtins'].includes(artifact.target.name));

/** The lines of the boot summary that every path prints, in any order (multiboot2.test.ts checks the order). */
function expectBooted(output: string, name: string): void {
  expect(output).toMatch(new RegExp(`^\\[kernel\\] ${name} 0\\.1\\.0$`, 'm'));
  expect(output).toMatch(/^\[boot\] loader: PVH direct boot$/m);
  expect(output).toMatch(/^\[cpu\] preset: baseline \(CR0 = 0x[0-9a-f]+, CR4 = 0x[0-9a-f]+\)$/m);
  expect(output).toMatch(/^\[heap\] allocation works: Box = 42, Vec = \[1, 4, 9, 16, 25\], String = "hello from the heap"$/m);
  expect(output).toMatch(/^\[kernel\] boot complete$/m);
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
      expect(test.output).toMatch(/^test result: ok\. 13 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in \d+\.\d{2}s$/m);

      // The preset's integer instructions are in use, and no SSE/AVX register (soft-float ABI).
      const code = run('objdump', ['-d', '--no-show-raw-insn', kernelElf(targetDirectory, 'preset-os')]).output;
      expect(code).toMatch(/\bpopcnt\b/);
      expect(code).not.toMatch(/%[xy]mm\d/);

      const release = cargo(directory, ['run', '--release', '--', '--direct'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
      expect(release.status, release.output).toBe(0);
      expect(release.output).not.toMatch(/^warning/m);
      expect(release.output).toMatch(/^\[kernel\] boot complete$/m);
    }, WHOLE_PRESET_TIMEOUT);

    it('refuses, with a message naming the feature, a CPU that lacks the preset', () => {
      const { directory } = generate({ name: 'preset-os', preset: presetName });
      const boot = cargo(directory, ['run', '--', '--direct'], {
        targetDirectory,
        env: { QEMU_CPU: 'qemu64', TIMEOUT: REFUSAL_BOOT_TIMEOUT_SECONDS },
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
    const artifacts = buildForArtifacts(directory, options);
    // This build compiled the kernel into this target directory and needed nothing of the
    // standard library (fresh or not): it came prebuilt. Nor was any of it compiled here on an
    // earlier run (this target directory holds this profile's builds only).
    expect(standardLibrary(artifacts)).toEqual([]);
    expect(artifacts.find((artifact) => artifact.target.kind.includes('bin'))?.filenames).toEqual([
      kernelElf(options.targetDirectory, 'stable-os'),
    ]);
    const crates = compiledCrates(options.targetDirectory);
    expect(crates).toContain('stable_os');
    expect(crates).not.toContain('core');
    expect(crates).not.toContain('alloc');
    const boot = cargo(directory, ['run', '--', '--direct'], options);
    expect(boot.status, boot.output).toBe(0);
    expectBooted(boot.output, 'stable-os');
    const test = cargo(directory, ['test'], options);
    expect(test.status, test.output).toBe(0);
    expect(test.output).toMatch(/^test result: ok\. 13 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in \d+\.\d{2}s$/m);
  }, BUILD_TIMEOUT);

  it('rustup-nightly: builds against the shared sysroot (core compiled once, not in the project), boots and passes its tests', () => {
    const { directory } = generate({ name: 'nightly-os', toolchain: 'rustup-nightly' });
    // A stand-in for a nightly compiler with rust-src: unstable options allowed. The standard
    // library's dependencies come from the compiler's vendored copy, which the sysroot's builder
    // finds by itself (a real nightly has none and fetches them from crates.io).
    const options = {
      targetDirectory: cacheDirectory('e2e-multiboot2-rustup-nightly-baseline'),
      env: { RUSTC_BOOTSTRAP: '1' },
      timeoutMs: BUILD_TIMEOUT,
    };
    const artifacts = buildForArtifacts(directory, options);
    // Nothing of the standard library is a unit of this build (fresh or not), nor was it ever
    // compiled into this project's target directory: it comes from a shared sysroot, which holds it.
    expect(standardLibrary(artifacts)).toEqual([]);
    const kernel = artifacts.find((artifact) => artifact.target.kind.includes('bin'));
    expect(kernel?.target.name).toBe('nightly-os');
    expect(kernel!.filenames).toEqual([kernelElf(options.targetDirectory, 'nightly-os')]);
    const crates = compiledCrates(options.targetDirectory);
    expect(crates).toContain('nightly_os');
    expect(crates).not.toContain('core');
    const shared = readdirSync(TEST_SYSROOT_DIRECTORY).filter((name) => !name.startsWith('.'));
    expect(
      shared.some((sysroot) => readdirSync(join(TEST_SYSROOT_DIRECTORY, sysroot, 'lib', 'rustlib', TARGET.triple, 'lib')).some((file) => file.startsWith('libcore-'))),
    ).toBe(true);

    const boot = cargo(directory, ['run', '--', '--direct'], options);
    expect(boot.status, boot.output).toBe(0);
    expectBooted(boot.output, 'nightly-os');
    const test = cargo(directory, ['test'], options);
    expect(test.status, test.output).toBe(0);
    expect(test.output).toMatch(/^test result: ok\. 13 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in \d+\.\d{2}s$/m);
  }, BUILD_TIMEOUT);
});
