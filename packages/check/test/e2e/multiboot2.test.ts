/**
 * The checker on real multiboot2 kernels: generated, built with cargo (debug and release), then
 * checked as built and as deliberately corrupted copies. Expected lines are computed from readelf's
 * view of the same file, not from our own ELF reader.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { MULTIBOOT2 } from '@baremetal-kernel/target';
import { checkKernelImage, detectBootProtocol } from '../../src/kernel-image.js';
import { formatFinding, hasErrors } from '../../src/findings.js';
import { permissions, PT_LOAD, PT_NOTE } from '../../src/elf.js';
import { parseElf, symbolValue } from '../../src/parse.js';
import { getU32, setU16, setU32, setU64 } from '../elf-builder.js';
import {
  buildRealKernel,
  COLD_BUILD_TIMEOUT,
  readelfFacts,
  readelfSections,
  readelfSymbols,
  type ReadelfFacts,
  type RealKernel,
} from './real-kernel.js';

const hex = (value: number | bigint): string => `0x${value.toString(16)}`;
const hex32 = (value: number): string => `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
/** The checksum that makes magic + architecture + length + checksum 0 mod 2^32 (§3.1.2). */
const checksumFor = (length: number): number => (0x1_0000_0000 - ((MULTIBOOT2.headerMagic + MULTIBOOT2.architectureI386 + length) % 0x1_0000_0000)) >>> 0;

/** templates/boot/multiboot2/src/boot/multiboot2.rs: 16 bytes of fields, a 24-byte framebuffer tag, an 8-byte end tag. */
const HEADER_LENGTH = 48;
const PVH_NOTE = 'PVH note (Xen, XEN_ELFNOTE_PHYS32_ENTRY)';
/** Why GRUB takes no header from a magic whose fields are wrong (multiboot_mbi2.c find_header). */
const GRUB_SKIPS = '; GRUB steps over this magic and finds no multiboot header';

let kernel: RealKernel;

// Builds into the multiboot2 end-to-end tests' cache, compiling whatever it lacks.
beforeAll(() => {
  kernel = buildRealKernel('check-os');
}, COLD_BUILD_TIMEOUT);

/** What the checker finds in an intact kernel, from readelf's facts about it. */
class ExpectedReport {
  readonly facts: ReadelfFacts;
  readonly headerOffset: number;

  constructor(readonly path: string) {
    this.facts = readelfFacts(path);
    // linker.ld puts the header first in the first PT_LOAD segment.
    this.headerOffset = Number(this.loads()[0]!.offset);
  }

  loads() {
    return this.facts.programHeaders.filter((header) => header.type === 'LOAD' && header.memsz > 0n);
  }

  note() {
    return this.facts.programHeaders.find((header) => header.type === 'NOTE')!;
  }

  segment(index: number): string {
    const header = this.facts.programHeaders[index]!;
    return `PT_LOAD #${index} [${hex(header.vaddr)}, ${hex(header.vaddr + header.memsz)}) ${header.permissions}`;
  }

  segmentContaining(address: bigint): string {
    const load = this.loads().find((header) => address >= header.vaddr && address < header.vaddr + header.memsz)!;
    return this.segment(load.index);
  }

  get elf(): string {
    return `ok: ELF64, little-endian, x86-64, ET_EXEC, ${this.facts.programHeaders.length} program headers (${this.loads().length} PT_LOAD)`;
  }

  get span(): string {
    const loads = this.loads();
    const low = loads.reduce((min, load) => (load.vaddr < min ? load.vaddr : min), loads[0]!.vaddr);
    const high = loads.reduce((max, load) => (load.vaddr + load.memsz > max ? load.vaddr + load.memsz : max), 0n);
    return `ok: PT_LOAD segments span [${hex(low)}, ${hex(high)}): at or above the link address 0x100000 and below 4 GiB`;
  }

  get entry(): string {
    return `ok: entry point ${hex(this.facts.entry)} lies in the executable segment ${this.segmentContaining(this.facts.entry)}`;
  }

  get headerLocation(): string {
    return `ok: multiboot2 header at file offset ${hex(this.headerOffset)} (within the first 32 KiB, 8-byte aligned)`;
  }

  headerFields(length = HEADER_LENGTH): string {
    return `ok: multiboot2 header fields: architecture 0 (i386), header_length ${length}, checksum ${hex32(checksumFor(length))} (sums to 0)`;
  }

  get tags(): string {
    return 'ok: multiboot2 header tags: framebuffer (type 5, optional), end (type 0)';
  }

  get pvh(): string {
    const entry = this.facts.pvhEntry!;
    return `ok: ${PVH_NOTE} entry point ${hex(entry)} lies in the executable segment ${this.segmentContaining(entry)}`;
  }

  /** Every line of an intact kernel's report, without the summary. */
  get findings(): string[] {
    return [this.elf, this.span, this.entry, this.headerLocation, this.headerFields(), this.tags, this.pvh];
  }
}

/** The findings of the checker on `bytes` as multiboot2, one line each. */
function lines(bytes: Uint8Array, protocol: 'multiboot2' | undefined = 'multiboot2'): string[] {
  return checkKernelImage(bytes, protocol).map(formatFinding);
}

describe('check on real built multiboot2 kernels', () => {
  for (const profile of ['debug', 'release'] as const) {
    it(`passes the ${profile} ELF`, () => {
      const path = kernel.elf(profile);
      const expected = new ExpectedReport(path);
      expect(lines(readFileSync(path))).toEqual(expected.findings);
    });
  }

  it('detects the protocol from the image, and checks it the same without being told', () => {
    const path = kernel.elf('release');
    const bytes = readFileSync(path);
    expect(detectBootProtocol(bytes)).toEqual({ name: 'multiboot2', evidence: 'a multiboot2 header in the first 32 KiB' });
    expect(lines(bytes, undefined)).toEqual(new ExpectedReport(path).findings);
  });
});

/** readelf's names of the program header types a linker gives a kernel (gABI, and GNU's). */
const PROGRAM_HEADER_TYPES: Readonly<Record<string, number>> = { LOAD: PT_LOAD, NOTE: PT_NOTE, GNU_STACK: 0x6474e551, GNU_RELRO: 0x6474e552, GNU_EH_FRAME: 0x6474e550 };

describe('parseElf reads a real kernel as readelf does', () => {
  for (const profile of ['debug', 'release'] as const) {
    it(`the ${profile} ELF: header, program headers, the PVH note, sections and symbols`, () => {
      const path = kernel.elf(profile);
      const elf = parseElf(readFileSync(path));
      const facts = readelfFacts(path);
      expect(elf.type).toBe(2); // ET_EXEC: the multiboot2 kernel is linked static
      expect(elf.entry).toBe(facts.entry);
      expect(
        elf.programHeaders.map((header) => ({
          index: header.index,
          type: header.type,
          offset: header.offset,
          vaddr: header.vaddr,
          filesz: header.filesz,
          memsz: header.memsz,
          permissions: permissions(header.flags),
        })),
      ).toEqual(facts.programHeaders.map((header) => ({ ...header, type: PROGRAM_HEADER_TYPES[header.type] })));
      const pvh = elf.notes.filter((note) => note.name === 'Xen' && note.type === 18);
      expect(pvh).toHaveLength(1);
      expect(new DataView(readFileSync(path).buffer).getBigUint64(pvh[0]!.descriptorOffset, true)).toBe(facts.pvhEntry);

      const sections = readelfSections(path);
      expect(sections.length).toBeGreaterThan(10);
      expect(elf.sections.map(({ index, name, type, addr, offset, size, entsize, flags, link, info, addralign }) => ({
        index, name, type, addr, offset, size, entsize, flags, link, info, addralign,
      }))).toEqual(sections);

      const symbols = readelfSymbols(path);
      expect(symbols.length).toBeGreaterThan(100);
      expect(elf.symbols).toEqual(symbols);
      // The bounds linker.ld exports, which the memory map and the tests use.
      for (const name of ['__kernel_start', '__text_start', '__text_end', '__data_start', '__bss_start', '__bss_end', '__kernel_end']) {
        expect(symbolValue(elf, name), name).toBe(symbols.find((symbol) => symbol.name === name)!.value);
      }
    });
  }
});

describe('check on corrupted copies of a real kernel', () => {
  let original: Uint8Array;
  let expected: ExpectedReport;

  beforeAll(() => {
    original = new Uint8Array(readFileSync(kernel.elf('debug')));
    expected = new ExpectedReport(kernel.elf('debug'));
  });

  /** Checks a patched copy of the debug kernel as multiboot2: its finding lines, and whether it passes. */
  function checkCorrupted(patch: (bytes: Uint8Array) => Uint8Array | void) {
    const copy = original.slice();
    const bytes = patch(copy) ?? copy;
    const findings = checkKernelImage(bytes, 'multiboot2');
    return { lines: findings.map(formatFinding), passes: !hasErrors(findings) };
  }

  it('rejects a wrong header magic', () => {
    const run = checkCorrupted((bytes) => setU32(bytes, expected.headerOffset, MULTIBOOT2.headerMagic + 1));
    expect(run.lines).toEqual(
      [
        expected.elf,
        expected.span,
        expected.entry,
        'error: no multiboot2 header: the magic 0xe85250d6 is at no 8-byte-aligned offset in the first 32 KiB of the file (§3.1.1)',
        expected.pvh,
      ],
    );
    expect(run.passes).toBe(false);
  });

  it('rejects a broken checksum, naming the checksum that would be right', () => {
    const run = checkCorrupted((bytes) => setU32(bytes, expected.headerOffset + 12, 0x12345678));
    const sum = (MULTIBOOT2.headerMagic + HEADER_LENGTH + 0x12345678) >>> 0;
    expect(run.lines).toEqual(
      [
        expected.elf,
        expected.span,
        expected.entry,
        expected.headerLocation,
        'error: multiboot2 header checksum is 0x12345678 but must make the sum of magic, architecture, header_length and checksum ' +
          `0 mod 2^32 (it is ${hex32(sum)}; the checksum should be ${hex32(checksumFor(HEADER_LENGTH))}, §3.1.2)${GRUB_SKIPS}`,
        expected.tags,
        expected.pvh,
      ],
    );
    expect(run.passes).toBe(false);
  });

  it('rejects a non-i386 architecture', () => {
    const run = checkCorrupted((bytes) => {
      setU32(bytes, expected.headerOffset + 4, 4);
      setU32(bytes, expected.headerOffset + 12, checksumFor(HEADER_LENGTH) - 4);
    });
    expect(run.lines).toEqual(
      [
        expected.elf,
        expected.span,
        expected.entry,
        expected.headerLocation,
        `error: multiboot2 header architecture is 4, must be 0 (32-bit protected-mode i386, §3.1.2)${GRUB_SKIPS}`,
        expected.tags,
        expected.pvh,
      ],
    );
  });

  // GRUB (multiboot_mbi2.c) walks the tags by their sizes to the end tag and uses header_length only in the checksum.
  for (const length of [40, 56]) {
    it(`only warns of a header_length of ${length} where the end tag ends the header at 48: GRUB walks to the end tag`, () => {
      const run = checkCorrupted((bytes) => {
        setU32(bytes, expected.headerOffset + 8, length);
        setU32(bytes, expected.headerOffset + 12, checksumFor(length));
      });
      expect(run.lines).toEqual(
        [
          expected.elf,
          expected.span,
          expected.entry,
          expected.headerLocation,
          expected.headerFields(length),
          `warning: multiboot2 header_length is ${length} but the header ends with its end tag after ${HEADER_LENGTH} bytes: ` +
            '§3.1.2 makes header_length the length of the header, tags included; GRUB uses it only in the checksum',
          expected.tags,
          expected.pvh,
        ],
      );
      expect(run.passes).toBe(true);
    });
  }

  it('follows a tag smaller than a tag header as GRUB does, 8 bytes on, into what GRUB refuses', () => {
    const run = checkCorrupted((bytes) => setU32(bytes, expected.headerOffset + 20, 4));
    // GRUB steps 8 bytes, to the framebuffer tag's width and height, read as a tag type and size.
    const width = getU32(original, expected.headerOffset + 24) & 0xffff;
    expect(run.lines).toContain(
      `warning: multiboot2 header tag at file offset ${hex(expected.headerOffset + 16)} (type 5) has size 4, less than the 8-byte tag header (§3.1.3); GRUB steps over it as 8 bytes`,
    );
    expect(run.lines).toContain(
      `error: multiboot2 header tag at file offset ${hex(expected.headerOffset + 24)} (type ${width}) is not a tag type of the specification (§3.1.3) ` +
        `and is not marked optional: GRUB refuses the kernel ("unsupported tag: ${hex(width)}")`,
    );
    expect(run.passes).toBe(false);
  });

  it('warns about a tag type the specification does not define', () => {
    const run = checkCorrupted((bytes) => setU16(bytes, expected.headerOffset + 16, 77));
    expect(run.lines).toEqual(
      [
        expected.elf,
        expected.span,
        expected.entry,
        expected.headerLocation,
        expected.headerFields(),
        'ok: multiboot2 header tags: end (type 0)',
        `warning: multiboot2 header tag at file offset ${hex(expected.headerOffset + 16)} (type 77) is not a tag type of the specification (§3.1.3): it is marked optional, so loaders skip it`,
        expected.pvh,
      ],
    );
    expect(run.passes).toBe(true);
  });

  it('rejects a header magic at an offset that is not 8-byte aligned', () => {
    const run = checkCorrupted((bytes) => {
      setU32(bytes, expected.headerOffset, 0);
      setU32(bytes, expected.headerOffset + 4, MULTIBOOT2.headerMagic);
    });
    expect(run.lines).toEqual(
      [
        expected.elf,
        expected.span,
        expected.entry,
        `error: multiboot2 header magic 0xe85250d6 found at file offset ${hex(expected.headerOffset + 4)}, which is not 8-byte aligned: loaders only look at aligned offsets (§3.1.1)`,
        expected.pvh,
      ],
    );
    expect(run.passes).toBe(false);
  });

  it('rejects an image whose header lies only beyond the first 32 KiB', () => {
    const beyond = 0x9000;
    const run = checkCorrupted((bytes) => {
      bytes.copyWithin(beyond, expected.headerOffset, expected.headerOffset + HEADER_LENGTH);
      setU32(bytes, expected.headerOffset, 0);
    });
    expect(run.lines).toEqual(
      [
        expected.elf,
        expected.span,
        expected.entry,
        `error: multiboot2 header magic 0xe85250d6 found only at file offset ${hex(beyond)}, beyond the first 32 KiB (32768 bytes) that loaders search (§3.1.1)`,
        expected.pvh,
      ],
    );
    expect(run.passes).toBe(false);
  });

  it('rejects a header that starts inside the first 32 KiB but runs past it', () => {
    const near = 0x8000 - 8;
    const run = checkCorrupted((bytes) => {
      bytes.copyWithin(near, expected.headerOffset, expected.headerOffset + HEADER_LENGTH);
      setU32(bytes, expected.headerOffset, 0);
    });
    expect(run.lines).toEqual(
      [
        expected.elf,
        expected.span,
        expected.entry,
        `error: multiboot2 header at file offset ${hex(near)} ends at ${hex(near + 16)}, past the first 32 KiB (32768 bytes, §3.1.1)`,
        expected.pvh,
      ],
    );
    expect(run.passes).toBe(false);
  });

  describe('the PVH note', () => {
    const noteOffset = () => Number(expected.note().offset);
    const noteIndex = () => expected.note().index;

    it('rejects a descriptor that is not a 4- or 8-byte address', () => {
      const run = checkCorrupted((bytes) => setU32(bytes, noteOffset() + 4, 3));
      expect(run.lines).toEqual(
        [
          ...expected.findings.slice(0, 6),
          `error: ${PVH_NOTE} at file offset ${hex(noteOffset())} has a 3-byte descriptor, must be 4 or 8 (the entry address)`,
        ],
      );
      expect(run.passes).toBe(false);
    });

    it('rejects an entry address outside executable code', () => {
      const headerSegment = expected.loads()[0]!;
      const run = checkCorrupted((bytes) => setU64(bytes, noteOffset() + 16, headerSegment.vaddr));
      expect(run.lines).toEqual(
        [
          ...expected.findings.slice(0, 6),
          `error: ${PVH_NOTE} entry point ${hex(headerSegment.vaddr)} lies in ${expected.segment(headerSegment.index)}, which is not executable (no PF_X)`,
        ],
      );
    });

    it('rejects an entry address that is not 32-bit', () => {
      const run = checkCorrupted((bytes) => setU32(bytes, noteOffset() + 20, 1));
      const address = (1n << 32n) + expected.facts.pvhEntry!;
      expect(run.lines).toEqual(
        [...expected.findings.slice(0, 6), `error: ${PVH_NOTE} gives ${hex(address)}, which is not a 32-bit physical address`],
      );
    });

    it('rejects a note that runs past its segment, and then misses the PVH entry', () => {
      const run = checkCorrupted((bytes) => setU32(bytes, noteOffset(), 4096));
      expect(run.lines).toEqual(
        [
          ...expected.findings.slice(0, 6),
          `error: PT_NOTE #${noteIndex()}: the note at file offset ${hex(noteOffset())} (name size 4096, descriptor size 8) runs past the end of its segment`,
          `warning: no ${PVH_NOTE}: QEMU direct boot (-kernel) will not work; GRUB boots the kernel through its multiboot2 header`,
        ],
      );
      expect(run.passes).toBe(false);
    });

    it('only warns when there is no PVH note: GRUB still boots the kernel', () => {
      const run = checkCorrupted((bytes) => setU32(bytes, noteOffset() + 12, getU32(bytes, noteOffset() + 12) ^ 0x00020000)); // "Xen" -> "Xgn"
      expect(run.lines).toEqual(
        [
          ...expected.findings.slice(0, 6),
          `warning: no ${PVH_NOTE}: QEMU direct boot (-kernel) will not work; GRUB boots the kernel through its multiboot2 header`,
        ],
      );
      expect(run.passes).toBe(true);
    });
  });

  describe('the ELF', () => {
    it('warns of an entry point in a segment that is not executable: GRUB enters it without paging', () => {
      const headerSegment = expected.loads()[0]!;
      const run = checkCorrupted((bytes) => setU64(bytes, 24, headerSegment.vaddr));
      expect(run.lines).toEqual(
        [
          expected.elf,
          expected.span,
          `warning: entry point ${hex(headerSegment.vaddr)} lies in ${expected.segment(headerSegment.index)}, which is not executable (no PF_X): ` +
            "GRUB enters it without paging, where PF_X does not apply, but the kernel's own page tables may",
          ...expected.findings.slice(3),
        ],
      );
      expect(run.passes).toBe(true);
    });

    it('rejects an entry point outside every segment, as GRUB does', () => {
      const run = checkCorrupted((bytes) => setU64(bytes, 24, 0x5000_0000n));
      expect(run.lines).toEqual(
        [
          expected.elf,
          expected.span,
          `error: entry point 0x50000000 lies in no program header's virtual range: GRUB refuses the kernel ("entry point isn't in a segment")`,
          ...expected.findings.slice(3),
        ],
      );
    });

    const phdr = (index: number) => 64 + index * 56;

    it('warns of a segment loaded below the link address and refuses one reaching 4 GiB, by p_paddr', () => {
      const first = expected.loads()[0]!;
      const last = expected.loads().at(-1)!;
      const run = checkCorrupted((bytes) => {
        setU64(bytes, phdr(first.index) + 24, 0x80000n);
        setU64(bytes, phdr(last.index) + 24, 0xffff_f000n);
      });
      expect(run.lines).toEqual(
        [
          expected.elf,
          `warning: PT_LOAD #${first.index} at physical [0x80000, ${hex(0x80000n + first.memsz)}) starts below 0x100000: GRUB 2.06 loads it there, ` +
            "but below 1 MiB lie the firmware's data, the video memory and ROMs (0xa0000-0xfffff); link the kernel at 0x100000 or above",
          `error: PT_LOAD #${last.index} at physical [0xfffff000, ${hex(0xffff_f000n + last.memsz)}) reaches 4 GiB: GRUB refuses the kernel ("segment crosses 4 GiB border")`,
          ...expected.findings.slice(2),
        ],
      );
      expect(run.passes).toBe(false);
    });

    it('loads by p_paddr: the same moves of p_vaddr alone change nothing GRUB does', () => {
      const first = expected.loads()[0]!;
      const last = expected.loads().at(-1)!;
      const run = checkCorrupted((bytes) => {
        setU64(bytes, phdr(first.index) + 16, 0x80000n);
        setU64(bytes, phdr(last.index) + 16, 0xffff_f000n);
      });
      expect(run.lines).toEqual([
        expected.elf,
        expected.span
          .replace('span [', 'span physical [')
          .replace(': at or above', " (GRUB loads by p_paddr; the virtual addresses are the kernel's own): at or above"),
        ...expected.findings.slice(2),
      ]);
      expect(run.passes).toBe(true);
    });

    it('warns of an ET_DYN image, which GRUB loads at its p_paddr unrelocated', () => {
      const run = checkCorrupted((bytes) => setU16(bytes, 16, 3));
      expect(run.lines).toEqual(
        [
          expected.elf.replace('ET_EXEC', 'ET_DYN'),
          'warning: ELF type is ET_DYN: GRUB loads it at its p_paddr without relocating it, so it must need no relocations; ' +
            'a multiboot2 kernel is normally ET_EXEC (relocation-model=static)',
          ...expected.findings.slice(1),
        ],
      );
      expect(run.passes).toBe(true);
    });

    it('rejects another machine, and still checks the multiboot2 header', () => {
      const run = checkCorrupted((bytes) => setU16(bytes, 18, 3));
      expect(run.lines).toEqual(
        [
          'error: ELF machine is 3, an x86_64 kernel must be EM_X86_64 (62)',
          expected.headerLocation,
          expected.headerFields(),
          expected.tags,
        ],
      );
    });

    it('rejects a truncated file, naming each segment whose data is cut off', () => {
      const length = 0x3000;
      const run = checkCorrupted((bytes) => bytes.slice(0, length));
      const cut = expected
        .loads()
        .filter((load) => load.filesz > 0n && load.offset + load.filesz > BigInt(length))
        .map(
          (load) =>
            `error: ${expected.segment(load.index)} has its file data at [${hex(load.offset)}, ${hex(load.offset + load.filesz)}) ` +
            `but the file has only ${hex(length)} bytes (truncated?)`,
        );
      expect(cut.length).toBeGreaterThan(0);
      // The section header table lies at the end of the file, past the cut: GRUB reads it whole
      // for a multiboot2 kernel and stops (multiboot_elfxx.c: "premature end of file").
      const sections = expected.facts.sectionHeaders;
      expect(sections.offset).toBeGreaterThan(BigInt(length));
      const table =
        `error: the section header table (${sections.count} entries of ${sections.entrySize} bytes at file offset ${hex(sections.offset)}) ` +
        `extends past the end of the file (${hex(length)} bytes): GRUB refuses the kernel ("premature end of file")`;
      expect(run.lines).toEqual([...cut, table, ...expected.findings.slice(1)]);
      expect(run.passes).toBe(false);
    });

    it('rejects a file cut inside the program header table or the ELF header', () => {
      const table = checkCorrupted((bytes) => bytes.slice(0, 300));
      expect(table.lines).toEqual(
        [
          `error: the program header table (${expected.facts.programHeaders.length} entries of 56 bytes at file offset 0x40) extends past the end of the file (0x12c bytes)`,
          'error: no multiboot2 header: the magic 0xe85250d6 is at no 8-byte-aligned offset in the first 32 KiB of the file (§3.1.1)',
        ],
      );
      const header = checkCorrupted((bytes) => bytes.slice(0, 40));
      expect(header.lines).toEqual(
        [
          'error: ELF header truncated: the file has 40 bytes, an ELF64 header needs 64',
          'error: no multiboot2 header: the magic 0xe85250d6 is at no 8-byte-aligned offset in the first 32 KiB of the file (§3.1.1)',
        ],
      );
      expect(header.passes).toBe(false);
    });
  });
});
