/**
 * The compilation target every generated kernel uses, with its defaults as the compiler
 * really has them (`rustc -Z unstable-options --print target-spec-json --target x86_64-unknown-none`,
 * Rust 1.96). Tests compare this record with the compiler's own answer.
 */

/** Code models LLVM offers for x86_64 (`-C code-model`). */
export type CodeModel = 'small' | 'kernel' | 'medium' | 'large';

/** Relocation models that make sense for a freestanding kernel (`-C relocation-model`). */
export type RelocationModel = 'static' | 'pic';

export interface CodeModelFact {
  readonly name: CodeModel;
  /** Where code and data must live for this model to link. */
  readonly addressRange: string;
  readonly description: string;
}

export interface RelocationModelFact {
  readonly name: RelocationModel;
  /** What the linker produces for a kernel with this model. */
  readonly output: string;
  readonly description: string;
}

export const TARGET = {
  triple: 'x86_64-unknown-none',
  llvmTarget: 'x86_64-unknown-none-elf',
  arch: 'x86_64',
  /** The target's baseline CPU; presets raise it with `-C target-cpu`. */
  cpu: 'x86-64',
  /** `features` from the target spec: no MMX/SSE/AVX registers, floats in software. */
  specFeatures: ['-mmx', '-sse', '-sse2', '-sse3', '-ssse3', '-sse4.1', '-sse4.2', '-avx', '-avx2', '+soft-float'],
  /**
   * The ABI is soft-float and cannot be changed with `-C target-feature=-soft-float` (rustc warns and
   * will make it a hard error). Presets may enable SIMD instructions, but `f32`/`f64` arguments are
   * still passed in general-purpose registers and float arithmetic stays in software.
   */
  rustcAbi: 'softfloat',
  codeModel: 'kernel' as CodeModel,
  /** `static-position-independent-executables: true` with the PIC relocation model: static-pie. */
  relocationModel: 'pic' as RelocationModel,
  disableRedZone: true,
  panicStrategy: 'abort',
  linker: 'rust-lld',
  linkerFlavor: 'gnu-lld',
  /** `core` and `alloc` only; `alloc` needs a `#[global_allocator]`. */
  std: false,
  maxAtomicWidth: 64,
  /** Stack probes are inline; no `__rust_probestack` needed. */
  stackProbes: 'inline',
} as const;

/** The `target_feature` values `rustc --print cfg` reports for the target with no extra flags. */
export const TARGET_DEFAULT_CFG_FEATURES: readonly string[] = ['fxsr'];

export const CODE_MODELS: readonly CodeModelFact[] = [
  {
    name: 'kernel',
    addressRange: 'the top 2 GiB of the address space, or anywhere a sign-extended 32-bit address reaches',
    description:
      "The target's default. Absolute addresses are sign-extended 32-bit immediates (R_X86_64_32S), " +
      'so it links at 0xffffffff80000000 and also at 1 MiB.',
  },
  {
    name: 'small',
    addressRange: 'the low 2 GiB',
    description: 'Zero-extended 32-bit absolute addresses; cannot link a higher-half kernel.',
  },
  {
    name: 'medium',
    addressRange: 'code in the low 2 GiB, large data anywhere',
    description: 'Rarely useful for kernels; cannot link a higher-half kernel.',
  },
  {
    name: 'large',
    addressRange: 'anywhere',
    description: 'Every absolute address is a 64-bit immediate: always links, larger and slower code.',
  },
];

export const RELOCATION_MODELS: readonly RelocationModelFact[] = [
  {
    name: 'static',
    output: 'a position-dependent ELF (ET_EXEC) linked at a fixed address',
    description: 'Needed when 32-bit boot code takes absolute addresses (R_X86_64_32), as a multiboot2 entry does.',
  },
  {
    name: 'pic',
    output: 'a static position-independent ELF (ET_DYN, static-pie)',
    description: "The target's default. The loader may place the kernel anywhere and must apply its relocations.",
  },
];

export function codeModelFact(name: CodeModel): CodeModelFact {
  return CODE_MODELS.find((model) => model.name === name)!;
}

export function relocationModelFact(name: RelocationModel): RelocationModelFact {
  return RELOCATION_MODELS.find((model) => model.name === name)!;
}
