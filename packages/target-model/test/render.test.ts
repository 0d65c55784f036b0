import { describe, expect, it } from 'vitest';
import {
  cFlags,
  cargoConfig,
  findPreset,
  qemuArgs,
  rustToolchain,
  rustflags,
  tomlArray,
  tomlString,
  validateKernelRequest,
  type KernelRequest,
} from '../src/index.js';

function config(request: Partial<KernelRequest> = {}) {
  const result = validateKernelRequest({ name: 'os', toolchain: 'system', ...request });
  if (!result.ok) throw new Error(result.problems.map((problem) => problem.message).join('\n'));
  return result.config;
}

describe('rustflags', () => {
  it('asks only for a static kernel on the baseline', () => {
    expect(rustflags(config())).toEqual(['-C', 'relocation-model=static', '-C', 'force-frame-pointers=yes']);
  });

  it('raises the CPU level and adds no SSE target features', () => {
    expect(rustflags(config({ preset: 'x86-64-v2' }))).toEqual(['-C', 'relocation-model=static', '-C', 'force-frame-pointers=yes', '-C', 'target-cpu=x86-64-v2']);
    expect(rustflags(config({ preset: 'x86-64-v3' })).join(' ')).not.toContain('target-feature');
  });

  it('names the code model only when it differs from the target default', () => {
    expect(rustflags(config({ codeModel: 'large' }))).toEqual(['-C', 'relocation-model=static', '-C', 'force-frame-pointers=yes', '-C', 'code-model=large']);
  });
});

describe('cargoConfig', () => {
  it('builds core offline from vendored sources with the system profile', () => {
    expect(cargoConfig(config({ preset: 'x86-64-v2' }))).toEqual({
      target: '"x86_64-unknown-none"',
      rustflagPairs: ['"-C", "relocation-model=static"', '"-C", "force-frame-pointers=yes"', '"-C", "target-cpu=x86-64-v2"'],
      buildStd: { crates: '["core", "alloc", "compiler_builtins"]', features: '["compiler-builtins-mem"]' },
      vendorDirectory: '"/usr/lib/rustlib/src/rust/library/vendor"',
      bootstrap: true,
    });
  });

  it('uses the prebuilt target on rustup stable', () => {
    expect(cargoConfig(config({ toolchain: 'rustup-stable', preset: 'x86-64-v2' }))).toMatchObject({
      rustflagPairs: ['"-C", "relocation-model=static"', '"-C", "force-frame-pointers=yes"', '"-C", "target-cpu=x86-64-v2"'],
      buildStd: undefined,
      vendorDirectory: undefined,
      bootstrap: false,
    });
  });

  it('builds core from rust-src on nightly, fetching its dependencies as cargo normally does', () => {
    expect(cargoConfig(config({ toolchain: 'rustup-nightly' }))).toMatchObject({
      buildStd: { crates: '["core", "alloc", "compiler_builtins"]' },
      vendorDirectory: undefined,
      bootstrap: false,
    });
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

describe('qemuArgs', () => {
  it('runs headless with serial on stdio, the exit device and the preset CPU, never KVM', () => {
    const args = qemuArgs(config({ preset: 'x86-64-v2' }));
    expect(args).toEqual([
      '-cpu',
      'qemu64,+sse,+sse2,+sse3,+ssse3,+sse4.1,+sse4.2,+popcnt,+cx16,+lahf-lm',
      '-m',
      '128M',
      '-serial',
      'stdio',
      '-display',
      'none',
      '-no-reboot',
      '-device',
      'isa-debug-exit,iobase=0xf4,iosize=0x04',
    ]);
    expect(args.join(' ')).not.toContain('kvm');
  });
});

describe('cFlags', () => {
  const baseline = findPreset('baseline')!;
  it('keeps baseline C code off the FPU and SIMD registers, static and in the kernel code model', () => {
    expect(cFlags({ compiler: 'gcc', preset: baseline, codeModel: 'kernel', relocationModel: 'static' })).toEqual([
      '-ffreestanding',
      '-fno-stack-protector',
      '-fno-stack-check',
      '-mno-red-zone',
      '-fno-lto',
      '-march=x86-64',
      '-mno-80387',
      '-mno-mmx',
      '-mno-sse',
      '-mno-sse2',
      '-mcmodel=kernel',
      '-fno-pic',
      '-fno-pie',
    ]);
  });

  it("gives C the preset's level with SIMD off, as in Rust", () => {
    const flags = cFlags({ compiler: 'gcc', preset: findPreset('x86-64-v3')!, codeModel: 'kernel', relocationModel: 'static' });
    expect(flags).toContain('-march=x86-64-v3');
    expect(flags.indexOf('-mno-sse')).toBeGreaterThan(flags.indexOf('-march=x86-64-v3'));
  });

  it('names the target for clang and avoids the kernel model with PIC', () => {
    const flags = cFlags({ compiler: 'clang', preset: baseline, codeModel: 'kernel', relocationModel: 'pic' });
    expect(flags[0]).toBe('--target=x86_64-unknown-none-elf');
    expect(flags.slice(-2)).toEqual(['-mcmodel=small', '-fpie']);
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

describe('cFlags: position-independent C', () => {
  it('keeps the large code model with PIC, and falls back to small for the others', () => {
    const baseline = findPreset('baseline')!;
    const model = (codeModel: 'kernel' | 'small' | 'medium' | 'large') =>
      cFlags({ compiler: 'gcc', preset: baseline, codeModel, relocationModel: 'pic' }).filter((flag) => flag.startsWith('-mcmodel='));
    expect(model('large')).toEqual(['-mcmodel=large']);
    expect(model('kernel')).toEqual(['-mcmodel=small']);
    expect(model('medium')).toEqual(['-mcmodel=small']);
  });

  it('names no target for gcc, which must already be an x86_64 ELF compiler', () => {
    const flags = cFlags({ compiler: 'gcc', preset: findPreset('baseline')!, codeModel: 'kernel', relocationModel: 'static' });
    expect(flags.filter((flag) => flag.startsWith('--target'))).toEqual([]);
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
