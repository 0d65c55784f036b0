import { validateKernelRequest, type KernelRequest } from '@baremetal-kernel/target';
import { describe, expect, it } from 'vitest';
import { cargoConfig, rustToolchain, sharedSysroot } from '../src/cargo-files.js';
import { tomlArray, tomlString } from '../src/toml.js';

function config(request: Partial<KernelRequest> = {}) {
  const result = validateKernelRequest({ name: 'os', toolchain: 'system', ...request });
  if (!result.ok) throw new Error(result.problems.map((problem) => problem.message).join('\n'));
  return result.config;
}

describe('cargoConfig', () => {
  it('builds core offline from vendored sources with the system profile', () => {
    expect(cargoConfig(config({ preset: 'x86-64-v2' }))).toEqual({
      target: '"x86_64-unknown-none"',
      rustflagPairs: ['"-C", "relocation-model=static"', '"-C", "force-frame-pointers=yes"', '"-C", "target-cpu=x86-64-v2"'],
      buildStd: { crates: '["core", "alloc", "compiler_builtins"]', features: '["compiler-builtins-mem"]' },
      vendorDirectory: '"/usr/lib/rustlib/src/rust/library/vendor"',
      bootstrap: true,
      sharedSysrootWrapper: { rustc: '"./.cargo/sysroot-rustc"', rustdoc: '"./.cargo/sysroot-rustdoc"' },
    });
  });

  it('uses the prebuilt target on rustup stable', () => {
    expect(cargoConfig(config({ toolchain: 'rustup-stable', preset: 'x86-64-v2' }))).toMatchObject({
      rustflagPairs: ['"-C", "relocation-model=static"', '"-C", "force-frame-pointers=yes"', '"-C", "target-cpu=x86-64-v2"'],
      buildStd: undefined,
      vendorDirectory: undefined,
      bootstrap: false,
      sharedSysrootWrapper: undefined,
    });
  });

  it('builds core from rust-src on nightly, fetching its dependencies as cargo normally does', () => {
    expect(cargoConfig(config({ toolchain: 'rustup-nightly' }))).toMatchObject({
      buildStd: { crates: '["core", "alloc", "compiler_builtins"]' },
      vendorDirectory: undefined,
      bootstrap: false,
      sharedSysrootWrapper: { rustc: '"./.cargo/sysroot-rustc"', rustdoc: '"./.cargo/sysroot-rustdoc"' },
    });
  });
});

describe('sharedSysroot', () => {
  it('gives the rustc wrapper the build-std crates, the profile-only options where the cache is, and its own path (for build.rs)', () => {
    expect(sharedSysroot(config())).toEqual({
      crates: 'core,alloc,compiler_builtins',
      features: 'compiler-builtins-mem',
      profileOptions:
        'opt-level debuginfo debug-assertions overflow-checks lto linker-plugin-lto codegen-units embed-bitcode incremental metadata extra-filename strip split-debuginfo linker link-arg link-args prefer-dynamic rpath panic',
      format: 2,
      directoryVariable: 'BAREMETAL_KERNEL_SYSROOT_DIR',
      cacheSubdirectory: 'baremetal-kernel/sysroots',
      wrapperPath: '.cargo/sysroot-rustc',
    });
  });

  it('is there for the profiles that build core from source, not for the prebuilt target', () => {
    expect(sharedSysroot(config({ toolchain: 'rustup-nightly' }))).toBeDefined();
    expect(sharedSysroot(config({ toolchain: 'rustup-stable' }))).toBeUndefined();
  });

  it('never leaves a codegen option that reaches core out of the key', () => {
    const profileOnly = sharedSysroot(config())!.profileOptions.split(' ');
    for (const option of ['target-cpu', 'target-feature', 'code-model', 'relocation-model', 'force-frame-pointers', 'soft-float']) {
      expect(profileOnly).not.toContain(option);
    }
  });
});

describe('rustToolchain', () => {
  it('pins stable with the target, nightly with rust-src, and nothing for the system profile', () => {
    expect(rustToolchain(config({ toolchain: 'rustup-stable' }))).toEqual({
      channel: '"stable"',
      components: '["rustfmt", "clippy"]',
      targets: '["x86_64-unknown-none"]',
      profile: '"minimal"',
    });
    expect(rustToolchain(config({ toolchain: 'rustup-nightly' }))?.components).toBe('["rust-src", "rustfmt", "clippy"]');
    expect(rustToolchain(config())).toBeUndefined();
  });
});

describe('toml', () => {
  it('escapes strings', () => {
    expect(tomlString('C:\\path "quoted"\n')).toBe('"C:\\\\path \\"quoted\\"\\n"');
    expect(tomlString('\u0001')).toBe('"\\u0001"');
    expect(tomlArray(['a', 'b'])).toBe('["a", "b"]');
    expect(tomlArray([])).toBe('[]');
  });
});

describe('cargoConfig: where the std sources come from', () => {
  it('points cargo at vendored sources only for a profile that uses them, and only when it knows where they are', () => {
    const system = config();
    expect(cargoConfig({ ...system, vendorDirectory: undefined }).vendorDirectory).toBeUndefined();
    const stable = config({ toolchain: 'rustup-stable' });
    expect(cargoConfig({ ...stable, vendorDirectory: '/usr/lib/rustlib/src/rust/library/vendor' }).vendorDirectory).toBeUndefined();
  });
});

describe('rustToolchain: nightly', () => {
  it('pins nightly with rust-src and no prebuilt target (build-std compiles core)', () => {
    expect(rustToolchain(config({ toolchain: 'rustup-nightly' }))).toEqual({
      channel: '"nightly"',
      components: '["rust-src", "rustfmt", "clippy"]',
      targets: '[]',
      profile: '"minimal"',
    });
  });
});

describe('tomlString: every escape TOML basic strings have', () => {
  it('escapes tab, carriage return, DEL and the other control characters', () => {
    expect(tomlString('a\tb\rc')).toBe('"a\\tb\\rc"');
    expect(tomlString('\u007f\u001f')).toBe('"\\u007f\\u001f"');
    expect(tomlString('plain ascii, é and ~')).toBe('"plain ascii, é and ~"');
  });
});
