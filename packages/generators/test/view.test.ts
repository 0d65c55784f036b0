import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findPreset } from '@baremetal-kernel/target';
import { GENERATOR_VERSION, cpuidChecks, kernelView, shellWord } from '../src/index.js';
import { kernelConfig } from './support.js';

describe('kernelView', () => {
  it('has nothing for the baseline boot code to enable', () => {
    const view = kernelView(kernelConfig());
    expect(view.preset).toMatchObject({ isBaseline: true, enablesSse: false, enablesAvx: false, cpuidChecks: [] });
    expect(view.qemu.args).toBe('-cpu qemu64 -m 128M -serial stdio -display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04');
  });

  it('gives the v3 boot code ready-made masks and grouped CPUID checks', () => {
    const view = kernelView(kernelConfig({ preset: 'x86-64-v3' }));
    expect(view.preset).toMatchObject({ enablesSse: true, enablesAvx: true, cr0Set: '0x2', cr0Clear: '0x4', cr4Set: '0x40600', xcr0: '0x7' });
    expect(view.preset.cr4Bits).toBe('OSFXSR (bit 9), OSXMMEXCPT (bit 10), OSXSAVE (bit 18)');
  });

  it('records the choices as TOML for [package.metadata.baremetal-kernel]', () => {
    expect(kernelView(kernelConfig({ preset: 'x86-64-v2' })).metadata).toEqual({
      generatorVersion: `"${GENERATOR_VERSION}"`,
      boot: '"multiboot2"',
      preset: '"x86-64-v2"',
      toolchain: '"system"',
      modules: '[]',
    });
  });

  it("keeps the generator version equal to the package's", () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(GENERATOR_VERSION).toBe(manifest.version);
  });
});

describe('cpuidChecks', () => {
  it('groups bits by leaf, sub-leaf and register', () => {
    expect(cpuidChecks(findPreset('x86-64-v2')!.cpuSetup.requiredFeatures)).toEqual([
      { leaf: '0x1', subleaf: '0x0', register: 'edx', mask: '0x6000000', features: 'SSE, SSE2' },
      { leaf: '0x1', subleaf: '0x0', register: 'ecx', mask: '0x982201', features: 'SSE3, SSSE3, SSE4.1, SSE4.2, POPCNT, CMPXCHG16B' },
      { leaf: '0x80000001', subleaf: '0x0', register: 'ecx', mask: '0x1', features: 'LAHF/SAHF in 64-bit mode' },
    ]);
  });
});

describe('shellWord', () => {
  it('quotes only what needs it', () => {
    expect(shellWord('-cpu')).toBe('-cpu');
    expect(shellWord('qemu64,+sse4.1')).toBe('qemu64,+sse4.1');
    expect(shellWord("it's here")).toBe("'it'\\''s here'");
  });
});
