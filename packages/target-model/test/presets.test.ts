import { describe, expect, it } from 'vitest';
import { PRESETS, cfgFeaturesOn, cpuSetupMasks, findPreset, qemuCpuModel } from '../src/index.js';

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

  it('checks, in CPUID, every feature rustc enables beyond the baseline, stable or not', () => {
    const baseline = new Set(cfgFeaturesOn(preset('baseline'), 'nightly'));
    for (const current of PRESETS) {
      const checked = new Set(current.cpuSetup.requiredFeatures.map((feature) => feature.qemuFlag));
      const aliases: Record<string, string> = { cmpxchg16b: 'cx16', lzcnt: 'abm', lahfsahf: 'lahf-lm' };
      for (const feature of cfgFeaturesOn(current, 'nightly').filter((name) => !baseline.has(name))) {
        expect(checked, `${feature} is checked`).toContain(aliases[feature] ?? feature);
      }
    }
  });

  it('knows what each channel reports: nightly adds the unstable x87, and LAHF/SAHF from x86-64-v2 on', () => {
    // x87 is in every x86-64 CPU, LAHF/SAHF joins at x86-64-v2 (x86-64 psABI, §3.1.1 "Processor
    // Architecture", micro-architecture levels); rustc 1.96 still calls both unstable. The slow
    // layer checks both channels against the compiler itself.
    expect(cfgFeaturesOn(preset('baseline'), 'stable')).toEqual(['fxsr']);
    expect(cfgFeaturesOn(preset('baseline'), 'nightly')).toEqual(['fxsr', 'x87']);
    expect(cfgFeaturesOn(preset('x86-64-v2'), 'stable')).toEqual(['cmpxchg16b', 'fxsr', 'popcnt']);
    expect(cfgFeaturesOn(preset('x86-64-v2'), 'nightly')).toEqual(['cmpxchg16b', 'fxsr', 'lahfsahf', 'popcnt', 'x87']);
    expect(cfgFeaturesOn(preset('x86-64-v3'), 'nightly')).toEqual(
      ['bmi1', 'bmi2', 'cmpxchg16b', 'fxsr', 'lahfsahf', 'lzcnt', 'movbe', 'popcnt', 'x87', 'xsave'],
    );
    for (const current of PRESETS) {
      // Stable is a subset of nightly, and the two lists never name a feature twice.
      expect(cfgFeaturesOn(current, 'stable')).toEqual([...current.cfgFeatures].sort());
      expect(current.unstableCfgFeatures.filter((feature) => current.cfgFeatures.includes(feature))).toEqual([]);
      expect(new Set(cfgFeaturesOn(current, 'nightly')).size).toBe(current.cfgFeatures.length + current.unstableCfgFeatures.length);
    }
  });

  it('says what the soft-float ABI means for the SIMD levels', () => {
    for (const name of ['x86-64-v2', 'x86-64-v3']) {
      expect(preset(name).caveats.join(' ')).toMatch(/never uses SSE\/AVX registers/);
      expect(preset(name).caveats.join(' ')).toMatch(/must save them in interrupt handlers and context switches/);
    }
  });
});
