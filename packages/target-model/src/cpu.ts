/**
 * CPU facts the presets are built from: CPUID feature bits and the control-register bits that
 * let code use SSE and AVX. Sources: Intel SDM Vol. 2A (CPUID, Tables 3-8, 3-10 and 3-11),
 * Vol. 3A §2.5 (control registers), §13.1-13.3 (enabling SSE/AVX state), and the x86-64 psABI
 * (micro-architecture levels).
 */

export type CpuidRegister = 'eax' | 'ebx' | 'ecx' | 'edx';

/** One CPUID feature bit, with the names rustc and QEMU use for it. */
export interface CpuidFeature {
  /** Human name, as in the SDM. */
  readonly name: string;
  readonly leaf: number;
  readonly subleaf: number;
  readonly register: CpuidRegister;
  readonly bit: number;
  /** QEMU's `-cpu` property that turns the bit on. */
  readonly qemuFlag: string;
}

function feature(
  name: string,
  leaf: number,
  register: CpuidRegister,
  bit: number,
  qemuFlag: string,
  subleaf = 0,
): CpuidFeature {
  return { name, leaf, subleaf, register, bit, qemuFlag };
}

/** CPUID leaf 1, 7 and 0x8000_0001 bits that the micro-architecture levels require. */
export const CPUID = {
  // Leaf 1, EDX (SDM Vol. 2A, Table 3-11).
  sse: feature('SSE', 0x1, 'edx', 25, 'sse'),
  sse2: feature('SSE2', 0x1, 'edx', 26, 'sse2'),
  // Leaf 1, ECX (SDM Vol. 2A, Table 3-10).
  sse3: feature('SSE3', 0x1, 'ecx', 0, 'sse3'),
  ssse3: feature('SSSE3', 0x1, 'ecx', 9, 'ssse3'),
  fma: feature('FMA', 0x1, 'ecx', 12, 'fma'),
  cmpxchg16b: feature('CMPXCHG16B', 0x1, 'ecx', 13, 'cx16'),
  sse41: feature('SSE4.1', 0x1, 'ecx', 19, 'sse4.1'),
  sse42: feature('SSE4.2', 0x1, 'ecx', 20, 'sse4.2'),
  movbe: feature('MOVBE', 0x1, 'ecx', 22, 'movbe'),
  popcnt: feature('POPCNT', 0x1, 'ecx', 23, 'popcnt'),
  xsave: feature('XSAVE', 0x1, 'ecx', 26, 'xsave'),
  avx: feature('AVX', 0x1, 'ecx', 28, 'avx'),
  f16c: feature('F16C', 0x1, 'ecx', 29, 'f16c'),
  // Leaf 7, sub-leaf 0, EBX (SDM Vol. 2A, CPUID leaf 07H).
  bmi1: feature('BMI1', 0x7, 'ebx', 3, 'bmi1'),
  avx2: feature('AVX2', 0x7, 'ebx', 5, 'avx2'),
  bmi2: feature('BMI2', 0x7, 'ebx', 8, 'bmi2'),
  // Leaf 0x8000_0001, ECX (SDM Vol. 2A, CPUID leaf 80000001H).
  lahfSahf: feature('LAHF/SAHF in 64-bit mode', 0x8000_0001, 'ecx', 0, 'lahf-lm'),
  lzcnt: feature('LZCNT', 0x8000_0001, 'ecx', 5, 'abm'),
} as const;

/** A bit of a control register (or of XCR0), with the reason a kernel sets or clears it. */
export interface RegisterBit {
  readonly register: 'cr0' | 'cr4' | 'xcr0';
  readonly name: string;
  readonly bit: number;
  readonly reason: string;
}

function registerBit(register: RegisterBit['register'], name: string, bit: number, reason: string): RegisterBit {
  return { register, name, bit, reason };
}

/** SDM Vol. 3A §2.5 and §13.1-13.3. */
export const CONTROL_BITS = {
  cr0MonitorCoprocessor: registerBit('cr0', 'MP', 1, 'WAIT/FWAIT honour TS, as SSE requires (SDM 3A §13.1.3)'),
  cr0Emulation: registerBit('cr0', 'EM', 2, 'when set, SSE instructions raise #UD: must be clear (SDM 3A §13.1.3)'),
  cr4Osfxsr: registerBit('cr4', 'OSFXSR', 9, 'the OS saves SSE state with FXSAVE; enables SSE instructions'),
  cr4Osxmmexcpt: registerBit('cr4', 'OSXMMEXCPT', 10, 'unmasked SIMD float exceptions raise #XM instead of #UD'),
  cr4Osxsave: registerBit('cr4', 'OSXSAVE', 18, 'enables XGETBV/XSETBV, needed to turn on AVX state'),
  xcr0X87: registerBit('xcr0', 'X87', 0, 'must always be set in XCR0'),
  xcr0Sse: registerBit('xcr0', 'SSE', 1, 'XMM register state'),
  xcr0Avx: registerBit('xcr0', 'AVX', 2, 'upper halves of the YMM registers; requires the SSE bit'),
} as const;

/** The value of a set of register bits, as a number. */
export function registerMask(bits: readonly RegisterBit[]): number {
  return bits.reduce((mask, bit) => mask | (1 << bit.bit), 0) >>> 0;
}
