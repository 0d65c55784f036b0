import { describe, expect, it } from 'vitest';
import { PRESETS, cpuSetupMasks, findPreset, qemuCpuModel } from '../src/index.js';

const preset = (name: string) => findPreset(name)!;

describe('feature presets', () => {
  it('offers baseline, x86-64-v2 and x86-64-v3, baseline first', () => {
    expect(PRESETS.map((p) => p.name)).toEqual(['baseline', 'x86-64-v2', 'x86-64-v3']);
  });

  it('asks the baseline boot code for nothing', () => {
    expect(cpuSetupMasks(preset('baseline').cpuSetup)).toEqual({ cr0Set: 0, cr0Clear: 0, cr4Set: 0, xcr0: 0 });
    expect(qemuCpuModel(preset('baseline'))).toBe('qemu64');
  });

  it('enables SSE for x86-64-v2: CR0.MP set, CR0.EM clear, CR4.OSFXSR and OSXMMEXCPT', () => {
    expect(cpuSetupMasks(preset('x86-64-v2').cpuSetup)).toEqual({ cr0Set: 0x2, cr0Clear: 0x4, cr4Set: 0x600, xcr0: 0 });
  });

  it('also enables AVX state for x86-64-v3: CR4.OSXSAVE and XCR0 = x87|SSE|AVX', () => {
    expect(cpuSetupMasks(preset('x86-64-v3').cpuSetup)).toEqual({ cr0Set: 0x2, cr0Clear: 0x4, cr4Set: 0x40600, xcr0: 0x7 });
  });

  it('gives QEMU exactly the CPUID bits each preset checks for', () => {
    expect(qemuCpuModel(preset('x86-64-v2'))).toBe('qemu64,+sse,+sse2,+sse3,+ssse3,+sse4.1,+sse4.2,+popcnt,+cx16,+lahf-lm');
    expect(qemuCpuModel(preset('x86-64-v3'))).toBe(
      'qemu64,+sse,+sse2,+sse3,+ssse3,+sse4.1,+sse4.2,+popcnt,+cx16,+lahf-lm,+xsave,+avx,+avx2,+fma,+f16c,+bmi1,+bmi2,+movbe,+abm,+xsaveopt',
    );
  });

  it('checks, in CPUID, every feature rustc enables beyond the baseline', () => {
    const baseline = new Set(preset('baseline').cfgFeatures);
    for (const { cfgFeatures, cpuSetup } of PRESETS) {
      const checked = new Set(cpuSetup.requiredFeatures.map((feature) => feature.qemuFlag));
      const aliases: Record<string, string> = { cmpxchg16b: 'cx16', lzcnt: 'abm' };
      for (const feature of cfgFeatures.filter((name) => !baseline.has(name))) {
        expect(checked, `${feature} is checked`).toContain(aliases[feature] ?? feature);
      }
    }
  });

  it('says what the soft-float ABI means for the SIMD levels', () => {
    for (const name of ['x86-64-v2', 'x86-64-v3']) {
      expect(preset(name).caveats.join(' ')).toMatch(/never uses SSE\/AVX registers/);
      expect(preset(name).caveats.join(' ')).toMatch(/must save them in interrupt handlers and context switches/);
    }
  });
});
