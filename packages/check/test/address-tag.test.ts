/**
 * Kernels GRUB loads by their address tag (§3.1.5): GRUB 2.06 computes where the load starts in
 * the file and how long it is from the tag alone and never reads an ELF (grub_multiboot2_load in
 * grub-core/loader/multiboot_mbi2.c). The GRUB verdicts beside each case are checked against a
 * real GRUB by test/e2e/grub-differential.test.ts (rows named aout-*).
 */
import { describe, expect, it } from 'vitest';
import { checkKernelImage } from '../src/kernel-image.js';
import { hasErrors, type Finding } from '../src/findings.js';
import { addressTaggedKernel, buildElf, concat, multiboot2Header, multiboot2Tag, MULTIBOOT2_END_TAG, PF_R, PF_X, setU32 } from './elf-builder.js';

/** The header (16 bytes, a 24-byte address tag, a 16-byte entry tag, the end tag) before the code. */
const HEADER_SIZE = 64;
const MIB = 0x100000;

const errors = (findings: readonly Finding[]) => findings.filter((finding) => finding.level === 'error').map((finding) => finding.message);
const warnings = (findings: readonly Finding[]) => findings.filter((finding) => finding.level === 'warning').map((finding) => finding.message);

/** A flat kernel whose file is loaded whole at 1 MiB and entered at its code. */
const flat = (address: Partial<Parameters<typeof addressTaggedKernel>[0]['address']> = {}, entryAddr: number | null = MIB + HEADER_SIZE) =>
  addressTaggedKernel({ address: { headerAddr: MIB, loadAddr: MIB, loadEndAddr: 0, bssEndAddr: 0, ...address }, entryAddr });

describe('a kernel loaded by its address tag (GRUB reads no ELF)', () => {
  it('accepts a flat binary, which is no ELF at all (GRUB loads it)', () => {
    const findings = checkKernelImage(flat());
    expect(errors(findings)).toEqual([]);
    expect(findings.map((finding) => finding.message).join('\n')).toMatch(/GRUB loads the kernel by it .*does not read the file as an ELF/);
    expect(findings.some((finding) => /load at \[0x100000, 0x100042\)/.test(finding.message))).toBe(true);
  });

  it('takes load_addr 0xffffffff as "from the start of the file" (GRUB loads it)', () => {
    const kernel = addressTaggedKernel({ prefix: new Uint8Array(8), address: { headerAddr: MIB + 8, loadAddr: 0xffff_ffff, loadEndAddr: 0, bssEndAddr: 0 }, entryAddr: MIB + 8 + HEADER_SIZE });
    const findings = checkKernelImage(kernel);
    expect(errors(findings)).toEqual([]);
    expect(findings.some((finding) => /load at \[0x100000, /.test(finding.message))).toBe(true);
  });

  it('does not apply ELF rules to an ELF it loads by the tag: segments past 4 GiB do not matter (GRUB loads it)', () => {
    const header = multiboot2Header({
      tags: concat(multiboot2Tag(2, 0, words(MIB, MIB, 0, 0)), multiboot2Tag(3, 0, words(MIB)), MULTIBOOT2_END_TAG),
    });
    const elf = buildElf({ entry: 0xffff_f000n, segments: [{ flags: PF_R | PF_X, vaddr: 0xffff_f000n, data: concat(header, new Uint8Array([0xeb, 0xfe])), memsz: 0x2000n }] }).bytes;
    expect(hasErrors(checkKernelImage(elf, 'multiboot2'))).toBe(false);
    // Without the address tag, GRUB loads the same ELF by its segments and refuses it.
    const plain = buildElf({ entry: 0xffff_f000n, segments: [{ flags: PF_R | PF_X, vaddr: 0xffff_f000n, data: concat(multiboot2Header(), new Uint8Array([0xeb, 0xfe])), memsz: 0x2000n }] }).bytes;
    expect(errors(checkKernelImage(plain, 'multiboot2')).join('\n')).toMatch(/segment crosses 4 GiB border/);
  });

  it('refuses a load that starts before the file (GRUB: "attempt to seek outside of the file")', () => {
    // header_addr - load_addr is 0x100 but the header is at file offset 0.
    expect(errors(checkKernelImage(flat({ headerAddr: MIB + 0x100 })))).toEqual([expect.stringMatching(/starts at file offset -256 .*, outside the file's 66 bytes: GRUB refuses the kernel \("attempt to seek outside of the file"\)/)]);
  });

  it('refuses load_end_addr below load_addr', () => {
    expect(errors(checkKernelImage(flat({ loadEndAddr: MIB - 0x10 })))).toEqual([expect.stringMatching(/load_end_addr 0x000ffff0 is below load_addr 0x00100000/)]);
  });

  it('refuses bss_end_addr below the end of the loaded data', () => {
    expect(errors(checkKernelImage(flat({ bssEndAddr: MIB + 0x10 })))).toEqual([expect.stringMatching(/bss_end_addr 0x00100010 is below the end of the loaded data \(0x100042\)/)]);
  });

  it('refuses a kernel that reaches past 4 GiB', () => {
    expect(errors(checkKernelImage(flat({ headerAddr: 0xffff_fff0, loadAddr: 0xffff_fff0 }, 0xffff_fff0)))).toEqual([
      expect.stringMatching(/spans \[0xfffffff0, 0x100000032\), past 4 GiB/),
    ]);
  });

  it('warns, and only warns, about a load below 1 MiB, a load past the end of the file, an entry outside, header_addr below load_addr', () => {
    expect(warnings(checkKernelImage(flat({ headerAddr: 0x10000, loadAddr: 0x10000 }, 0x10000 + HEADER_SIZE)))).toEqual([expect.stringMatching(/loaded at 0x10000, below 0x100000/)]);
    const pastEnd = checkKernelImage(flat({ loadEndAddr: MIB + 0x1000 }));
    expect(errors(pastEnd)).toEqual([]);
    expect(warnings(pastEnd)).toEqual([expect.stringMatching(/load_end_addr reaches 4030 bytes past the end of the file/)]);
    const outside = checkKernelImage(flat({}, MIB + 0x5000));
    expect(errors(outside)).toEqual([]);
    expect(warnings(outside)).toEqual([expect.stringMatching(/entry address 0x00105000 lies outside the loaded kernel \[0x100000, 0x100042\)/)]);
    // The header 0x40 bytes into the file, header_addr = load_addr: the load starts 0x40 bytes in.
    const low = checkKernelImage(addressTaggedKernel({ prefix: new Uint8Array(0x40), address: { headerAddr: MIB, loadAddr: MIB + 0x10, loadEndAddr: 0, bssEndAddr: 0 }, entryAddr: MIB + 0x20 }));
    expect(errors(low)).toEqual([]);
    expect(warnings(low)).toEqual([expect.stringMatching(/header_addr 0x00100000 is below load_addr 0x00100010; §3.1.5/)]);
  });

  it('refuses an address tag without an entry address tag, as before (GRUB: "load address tag without entry address tag")', () => {
    expect(errors(checkKernelImage(flat({}, null))).join('\n')).toMatch(/\("load address tag without entry address tag"\)/);
  });

  it('leaves the address tag alone for another protocol', () => {
    expect(errors(checkKernelImage(flat(), 'limine')).join('\n')).toMatch(/ELF/);
  });
});

function words(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  values.forEach((value, index) => setU32(bytes, index * 4, value));
  return bytes;
}
