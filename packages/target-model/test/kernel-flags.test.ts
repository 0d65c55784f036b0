import { describe, expect, it } from 'vitest';
import { cFlags, findPreset, qemuArgs, rustflags, validateKernelRequest, type KernelRequest } from '../src/index.js';

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
      '-fno-omit-frame-pointer',
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

