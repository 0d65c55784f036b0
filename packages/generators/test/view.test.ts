import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GENERATOR_VERSION, kernelView } from '../src/index.js';
import { kernelConfig } from './support.js';

describe('kernelView', () => {
  it('has nothing for the baseline boot code to enable', () => {
    const view = kernelView(kernelConfig());
    expect(view.preset).toMatchObject({ isBaseline: true, enablesSse: false, enablesAvx: false, requiredFeatures: [], highestBasicLeaf: '0x1' });
    expect(view.qemu).toMatchObject({ cpu: 'qemu64', memory: '128M', debugExitDevice: 'isa-debug-exit,iobase=0xf4,iosize=0x04' });
  });

  it('gives the v3 boot code ready-made masks and grouped CPUID checks', () => {
    const view = kernelView(kernelConfig({ preset: 'x86-64-v3' }));
    expect(view.preset).toMatchObject({ enablesSse: true, enablesAvx: true, cr0Set: '0x2', cr0Clear: '0x4', cr4Set: '0x40600', xcr0: '0x7' });
    expect(view.preset.cr4Bits).toBe('OSFXSR (bit 9), OSXMMEXCPT (bit 10), OSXSAVE (bit 18)');
    expect(view.preset.highestBasicLeaf).toBe('0x7');
    expect(view.preset.requiredFeatures).toContainEqual({ name: 'AVX2', leaf: '0x7', subleaf: '0x0', register: 'ebx', bit: 5 });
    expect(view.preset.requiredFeatures).toContainEqual({ name: 'LZCNT', leaf: '0x80000001', subleaf: '0x0', register: 'ecx', bit: 5 });
  });

  it("fails loudly, naming it, on a boot path whose least memory the protocol's row does not give", () => {
    const config = kernelConfig();
    const minimumMemory = Object.fromEntries(Object.entries(config.boot.minimumMemory).filter(([path]) => path !== 'direct'));
    expect(() => kernelView({ ...config, boot: { ...config.boot, minimumMemory } })).toThrow(
      "the multiboot2 row has no minimum memory for its boot path 'direct'",
    );
  });

  it('records the choices as TOML for [package.metadata.baremetal-kernel]', () => {
    expect(kernelView(kernelConfig({ preset: 'x86-64-v2' })).metadata).toEqual({
      generatorVersion: `"${GENERATOR_VERSION}"`,
      boot: '"multiboot2"',
      preset: '"x86-64-v2"',
      toolchain: '"system"',
      codeModel: '"kernel"',
      relocationModel: '"static"',
      modules: '[]',
    });
  });

  it("keeps the generator version equal to the package's", () => {
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(GENERATOR_VERSION).toBe(manifest.version);
  });
});
