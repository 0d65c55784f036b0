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
  /** `-C target-cpu`, or undefined for the target's own `x86-64`. */
  readonly targetCpu: string | undefined;
  /**
   * `-C target-feature` additions. The target spec disables SSE..AVX2 explicitly, and those
   * settings win over `-C target-cpu`, so a preset must re-enable them by name.
   */
  readonly targetFeatures: readonly string[];
  /** The `target_feature` set `rustc --print cfg` reports with these flags (tested against rustc). */
  readonly cfgFeatures: readonly string[];
  readonly cpuSetup: CpuSetup;
  /** GCC/Clang `-march` giving C code the same instructions. */
  readonly cMarch: string;
  /** Whether C code may use SSE registers (it must still not pass floats to Rust; see caveats). */
  readonly cSimd: boolean;
  readonly caveats: readonly string[];
}

const NO_SETUP: CpuSetup = { requiredFeatures: [], cr0Set: [], cr0Clear: [], cr4Set: [], xcr0: [] };

const SSE_FEATURES = ['+sse', '+sse2', '+sse3', '+ssse3', '+sse4.1', '+sse4.2'];

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

const SOFT_FLOAT_CODEGEN_CAVEAT =
  'The target ABI is soft-float and cannot be changed, so LLVM allocates no SSE/AVX registers: ' +
  'floats stay in software and vector code (intrinsics included) is lowered to scalar instructions. ' +
  'What the preset buys is its integer instructions (POPCNT, CMPXCHG16B, and with v3 LZCNT, BMI1/2, MOVBE).';
const SIMD_STATE_CAVEAT =
  'The boot code enables SSE (and AVX) state, so inline assembly may use those registers; if it does, ' +
  'interrupt handlers and context switches must save them (FXSAVE/FXRSTOR, or XSAVE/XRSTOR with AVX).';
const C_FLOAT_CAVEAT = 'C code compiled for this preset may use SSE internally but must not pass float or double values to Rust.';
const CORE_BASELINE_CAVEAT =
  'core, alloc and compiler_builtins stay at the baseline (prebuilt on rustup stable; with build-std the ' +
  'preset flags apply to the kernel crate only, because LLVM cannot build compiler_builtins with SSE on a soft-float target).';

export const PRESETS: readonly FeaturePreset[] = [
  {
    name: 'baseline',
    summary: "the target's defaults: no SIMD, floats in software; runs on every x86_64 CPU (recommended)",
    targetCpu: undefined,
    targetFeatures: [],
    cfgFeatures: ['fxsr'],
    cpuSetup: NO_SETUP,
    cMarch: 'x86-64',
    cSimd: false,
    caveats: [
      'No SSE state exists in the kernel, so interrupt handlers and context switches need not save any.',
    ],
  },
  {
    name: 'x86-64-v2',
    summary: 'SSE up to 4.2, POPCNT and CMPXCHG16B (CPUs since about 2009); boot code enables SSE',
    targetCpu: 'x86-64-v2',
    targetFeatures: SSE_FEATURES,
    cfgFeatures: ['cmpxchg16b', 'fxsr', 'popcnt', 'sse', 'sse2', 'sse3', 'sse4.1', 'sse4.2', 'ssse3'],
    cpuSetup: { requiredFeatures: V2_REQUIRED, ...SSE_SETUP },
    cMarch: 'x86-64-v2',
    cSimd: true,
    caveats: [SOFT_FLOAT_CODEGEN_CAVEAT, SIMD_STATE_CAVEAT, C_FLOAT_CAVEAT, CORE_BASELINE_CAVEAT],
  },
  {
    name: 'x86-64-v3',
    summary: 'adds AVX, AVX2, FMA, BMI1/2, LZCNT, MOVBE (CPUs since about 2015); boot code enables SSE and AVX',
    targetCpu: 'x86-64-v3',
    targetFeatures: [...SSE_FEATURES, '+avx', '+avx2', '+fma', '+f16c'],
    cfgFeatures: [
      'avx',
      'avx2',
      'bmi1',
      'bmi2',
      'cmpxchg16b',
      'f16c',
      'fma',
      'fxsr',
      'lzcnt',
      'movbe',
      'popcnt',
      'sse',
      'sse2',
      'sse3',
      'sse4.1',
      'sse4.2',
      'ssse3',
      'xsave',
    ],
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
    cSimd: true,
    caveats: [
      SOFT_FLOAT_CODEGEN_CAVEAT,
      SIMD_STATE_CAVEAT,
      C_FLOAT_CAVEAT,
      CORE_BASELINE_CAVEAT,
      'The XSAVE area for x87+SSE+AVX state is 832 bytes (CPUID leaf 0DH gives the exact size); size task save areas from CPUID.',
    ],
  },
];

export const DEFAULT_PRESET: PresetName = 'baseline';

export function findPreset(name: string): FeaturePreset | undefined {
  return PRESETS.find((preset) => preset.name === name);
}

/** The QEMU `-cpu` value under TCG: QEMU's baseline model plus exactly the preset's CPUID bits. */
export function qemuCpuModel(preset: FeaturePreset): string {
  const flags = preset.cpuSetup.requiredFeatures.map((feature) => `+${feature.qemuFlag}`);
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
