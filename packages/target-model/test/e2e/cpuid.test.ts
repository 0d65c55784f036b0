/**
 * The model's CPUID table checked against the host C compiler's <cpuid.h>: a small C program
 * prints the `bit_*` masks the header defines, and every feature of the model must name the same
 * bit. The header gives each mask under a heading for its leaf and register; that placement is
 * written down below, macro by macro. Needs `cc` (GCC or Clang): the test fails, never skips,
 * without it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CPUID, type CpuidRegister } from '../../src/index.js';

interface HeaderBit {
  /** The mask's name in <cpuid.h>, which differs from the SDM's name for some features. */
  readonly macro: string;
  readonly leaf: number;
  readonly subleaf: number;
  readonly register: CpuidRegister;
}

const LEAF_1 = 0x1;
const LEAF_7 = 0x7;
const EXTENDED_LEAF_1 = 0x8000_0001;

/**
 * Where <cpuid.h> (GCC's and Clang's) files each mask: leaf 1 %ecx and %edx, "Extended Features
 * (%eax == 7)" %ebx (sub-leaf 0), "Extended Features (%eax == 0x80000001)" %ecx.
 */
const HEADER_BITS: Record<keyof typeof CPUID, HeaderBit> = {
  sse: { macro: 'bit_SSE', leaf: LEAF_1, subleaf: 0, register: 'edx' },
  sse2: { macro: 'bit_SSE2', leaf: LEAF_1, subleaf: 0, register: 'edx' },
  sse3: { macro: 'bit_SSE3', leaf: LEAF_1, subleaf: 0, register: 'ecx' },
  ssse3: { macro: 'bit_SSSE3', leaf: LEAF_1, subleaf: 0, register: 'ecx' },
  fma: { macro: 'bit_FMA', leaf: LEAF_1, subleaf: 0, register: 'ecx' },
  cmpxchg16b: { macro: 'bit_CMPXCHG16B', leaf: LEAF_1, subleaf: 0, register: 'ecx' },
  sse41: { macro: 'bit_SSE4_1', leaf: LEAF_1, subleaf: 0, register: 'ecx' },
  sse42: { macro: 'bit_SSE4_2', leaf: LEAF_1, subleaf: 0, register: 'ecx' },
  movbe: { macro: 'bit_MOVBE', leaf: LEAF_1, subleaf: 0, register: 'ecx' },
  popcnt: { macro: 'bit_POPCNT', leaf: LEAF_1, subleaf: 0, register: 'ecx' },
  xsave: { macro: 'bit_XSAVE', leaf: LEAF_1, subleaf: 0, register: 'ecx' },
  avx: { macro: 'bit_AVX', leaf: LEAF_1, subleaf: 0, register: 'ecx' },
  f16c: { macro: 'bit_F16C', leaf: LEAF_1, subleaf: 0, register: 'ecx' },
  // BMI1 is plain `bit_BMI` in the header.
  bmi1: { macro: 'bit_BMI', leaf: LEAF_7, subleaf: 0, register: 'ebx' },
  avx2: { macro: 'bit_AVX2', leaf: LEAF_7, subleaf: 0, register: 'ebx' },
  bmi2: { macro: 'bit_BMI2', leaf: LEAF_7, subleaf: 0, register: 'ebx' },
  lahfSahf: { macro: 'bit_LAHF_LM', leaf: EXTENDED_LEAF_1, subleaf: 0, register: 'ecx' },
  // LZCNT is AMD's "ABM" (advanced bit manipulation) bit; GCC also files a `bit_LZCNT` of the same
  // value among the leaf 1 masks, so the unambiguous name is used.
  lzcnt: { macro: 'bit_ABM', leaf: EXTENDED_LEAF_1, subleaf: 0, register: 'ecx' },
};

/** Compiles and runs a program printing `macro=value` for every mask above. */
function headerMasks(): Map<string, number> {
  const directory = mkdtempSync(join(tmpdir(), 'cpuid-h-'));
  const macros = Object.values(HEADER_BITS).map((bit) => bit.macro);
  const source = [
    '#include <cpuid.h>',
    '#include <stdio.h>',
    'int main(void) {',
    ...macros.map((macro) => `  printf("%s=%u\\n", "${macro}", (unsigned)(${macro}));`),
    '  return 0;',
    '}',
    '',
  ].join('\n');
  writeFileSync(join(directory, 'masks.c'), source);
  const program = join(directory, 'masks');
  const compile = spawnSync('cc', ['-o', program, join(directory, 'masks.c')], { encoding: 'utf8' });
  if (compile.error) throw new Error(`cannot run cc (install gcc): ${compile.error.message}`);
  expect(compile.stderr, 'cc output').toBe('');
  expect(compile.status).toBe(0);
  const run = spawnSync(program, { encoding: 'utf8' });
  if (run.error) throw run.error;
  expect(run.status).toBe(0);
  return new Map(
    run.stdout
      .trim()
      .split('\n')
      .map((line) => {
        const [macro, value] = line.split('=');
        return [macro!, Number(value)];
      }),
  );
}

describe("the CPUID table against the C compiler's <cpuid.h>", () => {
  const masks = headerMasks();

  it('has a header mask for every feature of the model', () => {
    expect(Object.keys(HEADER_BITS).sort()).toEqual(Object.keys(CPUID).sort());
    expect([...masks.keys()].sort()).toEqual(Object.values(HEADER_BITS).map((bit) => bit.macro).sort());
  });

  it.each(Object.entries(CPUID))('%s: leaf, sub-leaf, register and bit', (key, feature) => {
    const header = HEADER_BITS[key as keyof typeof CPUID];
    const mask = masks.get(header.macro)!;
    // One bit set, and it is the model's.
    expect(mask & (mask - 1), `${header.macro} = ${mask} is not a single bit`).toBe(0);
    expect(Math.log2(mask), `${header.macro} = ${mask}`).toBe(feature.bit);
    expect({ leaf: feature.leaf, subleaf: feature.subleaf, register: feature.register }).toEqual({
      leaf: header.leaf,
      subleaf: header.subleaf,
      register: header.register,
    });
  });
});
