/**
 * The PVH start info's structures, as the model gives them to the kernel's parser. The offsets are
 * start_info.h's layout tables (xen/include/public/arch-x86/hvm/start_info.h, which calls them
 * canonical); the header also gives the same structures in C. These tests hold the two descriptions
 * together: every field where C's layout rules put it after the one before, no gap and no overlap,
 * and the structure's size a whole number of its widest field, so a mistyped offset or type fails.
 */
import { describe, expect, it } from 'vitest';
import { PVH, type StructLayout } from '../src/index.js';

const BYTES = { u32: 4, u64: 8 } as const;

/** Where C puts each field of a structure of naturally aligned integers, and its size. */
function cLayout(layout: StructLayout): { offsets: number[]; size: number } {
  let end = 0;
  const offsets = layout.fields.map((field) => {
    const size = BYTES[field.type];
    const offset = Math.ceil(end / size) * size;
    end = offset + size;
    return offset;
  });
  const alignment = Math.max(...layout.fields.map((field) => BYTES[field.type]));
  return { offsets, size: Math.ceil(end / alignment) * alignment };
}

describe('PVH: the start info structures', () => {
  it.each([
    ['hvm_start_info', PVH.startInfo],
    ['hvm_modlist_entry', PVH.moduleEntry],
    ['hvm_memmap_table_entry', PVH.memoryMapEntry],
  ])('%s: each field where C puts it, and the size C gives it', (_name, layout) => {
    const c = cLayout(layout);
    expect(layout.fields.map((field) => field.offset)).toEqual(c.offsets);
    expect(layout.size).toBe(c.size);
    // No padding anywhere: the header's tables leave no gaps (its reserved fields fill them).
    expect(layout.fields.reduce((sum, field) => sum + BYTES[field.type], 0)).toBe(layout.size);
  });

  it('names the fields as start_info.h does, in its order', () => {
    expect(PVH.startInfo.fields.map((field) => field.name)).toEqual([
      'magic',
      'version',
      'flags',
      'nr_modules',
      'modlist_paddr',
      'cmdline_paddr',
      'rsdp_paddr',
      'memmap_paddr',
      'memmap_entries',
      'reserved',
    ]);
    expect(PVH.moduleEntry.fields.map((field) => field.name)).toEqual(['paddr', 'size', 'cmdline_paddr', 'reserved']);
    expect(PVH.memoryMapEntry.fields.map((field) => field.name)).toEqual(['addr', 'size', 'type', 'reserved']);
  });

  it('reads the memory map from version 1 on, where start_info.h added it', () => {
    expect(PVH.memoryMapVersion).toBe(1);
  });
});
