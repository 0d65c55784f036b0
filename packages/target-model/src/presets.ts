import { CONTROL_BITS, CPUID, registerMask, type CpuidFeature, type RegisterBit } from './cpu.js';

export type PresetName = 'baseline' | 'x86-64-v2' | 'x86-64-v3';

/** What the boot code must do, before any Rust code runs, so that the preset's instructions work. */
export interface CpuSetup {
  /** CPUID bits the boot code checks, refusing to go on (with a message) when one is missing. */
  readonly requiredFeatures: readonly CpuidFeature[];
  /** CR0 bits to set and to clear. */
  readonly cr0Set: readonly RegisterBit[];
  readonly cr0Clear: readonly RegisterBit[];
  /** CR4 bits to set. */
  readonly cr4Set: readonly RegisterBit[];
  /** XCR0 bits to write with XSETBV, or none when the preset uses no XSAVE-managed state. */
  readonly xcr0: readonly RegisterBit[];
}

export interface FeaturePreset {
  readonly name: PresetName;
  readonly summary: string;
  /**
   * `-C target-cpu`, or undefined for the target's own `x86-64`. The target spec's explicit
   * `-sse..-avx2` win over the CPU, so this adds the level's integer instructions only (see the
   * note above {@link PRESETS} for why no preset adds `-C target-feature=+sse...`).
   */
  readonly targetCpu: string | undefined;
  /**
   * The `target_feature` set a stable compiler's `rustc --print cfg` reports with these flags
   * (tested against rustc). Stable rustc hides the features that are still unstable.
   */
  readonly cfgFeatures: readonly string[];
  /**
   * The features the compiler also enables with these flags that are still unstable (rustc 1.96
   * warns "unstable feature specified" for `-C target-feature=+x87` or `+lahfsahf` on stable). A
   * nightly compiler, or a stable one under `RUSTC_BOOTSTRAP=1` as the system profile runs it,
   * reports them too: see {@link cfgFeaturesOn}.
   */
  readonly unstableCfgFeatures: readonly string[];
  readonly cpuSetup: CpuSetup;
  /** GCC/Clang `-march` giving C code the same integer instructions (SIMD stays off, as in Rust). */
  readonly cMarch: string;
  /**
   * QEMU `-cpu` properties needed beyond the checked features. QEMU 7.2 under TCG hangs on the
   * CR4.OSXSAVE write unless the model also has XSAVEOPT (measured), so v3 adds it.
   */
  readonly qemuQuirkFlags: readonly string[];
  readonly caveats: readonly string[];
}

const NO_SETUP: CpuSetup = { requiredFeatures: [], cr0Set: [], cr0Clear: [], cr4Set: [], xcr0: [] };

const V2_REQUIRED: readonly CpuidFeature[] = [
  CPUID.sse,
  CPUID.sse2,
  CPUID.sse3,
  CPUID.ssse3,
  CPUID.sse41,
  CPUID.sse42,
  CPUID.popcnt,
  CPUID.cmpxchg16b,
  CPUID.lahfSahf,
];

const SSE_SETUP: Omit<CpuSetup, 'requiredFeatures'> = {
  cr0Set: [CONTROL_BITS.cr0MonitorCoprocessor],
  cr0Clear: [CONTROL_BITS.cr0Emulation],
  cr4Set: [CONTROL_BITS.cr4Osfxsr, CONTROL_BITS.cr4Osxmmexcpt],
  xcr0: [],
};

/*
 * Why no preset enables SSE for code generation. Measured with rustc 1.96 on x86_64-unknown-none, whose ABI is soft-float (`+soft-float` cannot
 * be turned off: rustc warns that doing so will become a hard error):
 * - `-C target-feature=+sse,...` on every crate: LLVM aborts building compiler_builtins
 *   ("Do not know how to soften this operator's operand").
 * - the same on the kernel crate only: it builds, but LLVM miscompiles it (a kernel calls through
 *   a garbage `core::fmt` function pointer and triple-faults while printing).
 * So presets use `-C target-cpu` alone, which is safe for every crate, `core` included.
 */
const SOFT_FLOAT_CAVEAT =
  'The target ABI is soft-float, so the compiler never uses SSE/AVX registers: floats stay in software and ' +
  'vector code is scalar. The preset gains its integer instructions (POPCNT and CMPXCHG16B; with v3 also ' +
  'LZCNT, BMI1/2 and MOVBE), which need no CPU state.';
const SIMD_STATE_CAVEAT =
  'The boot code still enables SSE (and with v3 AVX) state so that inline assembly may use those registers; ' +
  'code that does must save them in interrupt handlers and context switches (FXSAVE/FXRSTOR, or XSAVE/XRSTOR).';
const C_FLOAT_CAVEAT = 'C code gets the same -march with SSE off, and must not pass float or double values to Rust.';

export const PRESETS: readonly FeaturePreset[] = [
  {
    name: 'baseline',
    summary: "the target's defaults: no SIMD, floats in software; runs on every x86_64 CPU (recommended)",
    targetCpu: undefined,
    cfgFeatures: ['fxsr'],
    unstableCfgFeatures: ['x87'],
    cpuSetup: NO_SETUP,
    cMarch: 'x86-64',
    qemuQuirkFlags: [],
    caveats: [
      'No SSE state exists in the kernel, so interrupt handlers and context switches need not save any.',
    ],
  },
  {
    name: 'x86-64-v2',
    summary: 'the x86-64-v2 level (CPUs since about 2009): POPCNT and CMPXCHG16B in Rust code, SSE state for assembly',
    targetCpu: 'x86-64-v2',
    cfgFeatures: ['cmpxchg16b', 'fxsr', 'popcnt'],
    unstableCfgFeatures: ['lahfsahf', 'x87'],
    cpuSetup: { requiredFeatures: V2_REQUIRED, ...SSE_SETUP },
    cMarch: 'x86-64-v2',
    qemuQuirkFlags: [],
    caveats: [SOFT_FLOAT_CAVEAT, SIMD_STATE_CAVEAT, C_FLOAT_CAVEAT],
  },
  {
    name: 'x86-64-v3',
    summary: 'the x86-64-v3 level (CPUs since about 2015): adds LZCNT, BMI1/2 and MOVBE, and AVX state for assembly',
    targetCpu: 'x86-64-v3',
    cfgFeatures: ['bmi1', 'bmi2', 'cmpxchg16b', 'fxsr', 'lzcnt', 'movbe', 'popcnt', 'xsave'],
    unstableCfgFeatures: ['lahfsahf', 'x87'],
    cpuSetup: {
      requiredFeatures: [
        ...V2_REQUIRED,
        CPUID.xsave,
        CPUID.avx,
        CPUID.avx2,
        CPUID.fma,
        CPUID.f16c,
        CPUID.bmi1,
        CPUID.bmi2,
        CPUID.movbe,
        CPUID.lzcnt,
      ],
      ...SSE_SETUP,
      cr4Set: [...SSE_SETUP.cr4Set, CONTROL_BITS.cr4Osxsave],
      xcr0: [CONTROL_BITS.xcr0X87, CONTROL_BITS.xcr0Sse, CONTROL_BITS.xcr0Avx],
    },
    cMarch: 'x86-64-v3',
    qemuQuirkFlags: ['xsaveopt'],
    caveats: [
      SOFT_FLOAT_CAVEAT,
      SIMD_STATE_CAVEAT,
      C_FLOAT_CAVEAT,
      'The XSAVE area for x87+SSE+AVX state is 832 bytes (CPUID leaf 0DH gives the exact size); size task save areas from CPUID.',
    ],
  },
];

export const DEFAULT_PRESET: PresetName = 'baseline';

export function findPreset(name: string): FeaturePreset | undefined {
  return PRESETS.find((preset) => preset.name === name);
}

/**
 * Which features a compiler reports through `cfg(target_feature)`: `stable` hides the unstable ones;
 * `nightly` means a nightly compiler or any compiler with `RUSTC_BOOTSTRAP=1` in its environment.
 */
export type CfgChannel = 'stable' | 'nightly';

/** The sorted `target_feature` set `rustc --print cfg` reports for a preset on a channel. */
export function cfgFeaturesOn(preset: FeaturePreset, channel: CfgChannel): string[] {
  const features = channel === 'stable' ? preset.cfgFeatures : [...preset.cfgFeatures, ...preset.unstableCfgFeatures];
  return [...features].sort();
}

/** The QEMU `-cpu` value under TCG: QEMU's baseline model plus the preset's CPUID bits (and quirks). */
export function qemuCpuModel(preset: FeaturePreset): string {
  const flags = [...preset.cpuSetup.requiredFeatures.map((feature) => feature.qemuFlag), ...preset.qemuQuirkFlags].map(
    (flag) => `+${flag}`,
  );
  return ['qemu64', ...flags].join(',');
}

/** Masks for the boot code, so templates do no arithmetic. */
export function cpuSetupMasks(setup: CpuSetup): { cr0Set: number; cr0Clear: number; cr4Set: number; xcr0: number } {
  return {
    cr0Set: registerMask(setup.cr0Set),
    cr0Clear: registerMask(setup.cr0Clear),
    cr4Set: registerMask(setup.cr4Set),
    xcr0: registerMask(setup.xcr0),
  };
}
