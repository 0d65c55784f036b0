/**
 * The checker's reading of ELF64 images, rule by rule on synthetic bytes: the file header and program
 * header table (ELF-64 Object File Format 1.5, §3 and §7), notes (gABI "Note Section"), the loaded
 * data of PT_LOAD segments, the address-range and entry-point rules, and the byte readers under them.
 */
import { describe, expect, it } from 'vitest';
import { alignUp, findWords, hex, hex32, inBounds, readU16, readU32, readU64, readU8, words } from '../src/bytes.js';
import {
  describeSegment,
  ELF64_LAYOUT,
  elfTypeName,
  isElfFile,
  loadSegments,
  permissions,
  readElf,
  segmentContaining,
  type ElfImage,
  type ProgramHeader,
} from '../src/elf.js';
import { error as errorFinding, formatFinding, hasErrors, ok as okFinding, warning as warningFinding } from '../src/findings.js';
import { checkKernelImage } from '../src/kernel-image.js';
import { fileBackedChunks, findInLoadedData, fitsInChunk, OCCURRENCE_LIMIT } from '../src/loaded-data.js';
import { NOTE_READ_LIMIT, readNotes } from '../src/notes.js';
import { parseElf } from '../src/parse.js';
import { checkEntryPoint, checkExecutableAddress, checkSegmentsInRange } from '../src/segments.js';
import {
  buildElf,
  concat,
  elfNote,
  multiboot2Header,
  PF_R,
  PF_W,
  PF_X,
  programHeaderOffset,
  PT_DYNAMIC,
  PT_LOAD,
  PT_NOTE,
  setU16,
  setU32,
  setU64,
  withSymbols,
  wordBytes,
} from './elf-builder.js';
import { cpuTimed } from './timing.js';

const ok = (message: string) => ({ level: 'ok', message });
const error = (message: string) => ({ level: 'error', message });

/** Two PT_LOAD segments (code, then data with .bss) and a PT_NOTE between them. */
const TWO_SEGMENTS = buildElf({
  entry: 0x101000n,
  segments: [
    { flags: PF_R | PF_X, vaddr: 0x101000n, data: new Uint8Array(0x20) },
    { type: PT_NOTE, flags: PF_R, vaddr: 0x101020n, data: new Uint8Array(12), align: 4n },
    { flags: PF_R | PF_W, vaddr: 0x102000n, data: new Uint8Array(0x10), memsz: 0x1000n },
  ],
});

function elfOf(bytes: Uint8Array): ElfImage {
  const { elf } = readElf(bytes);
  if (elf === undefined) throw new Error('test image does not read');
  return elf;
}

const segment = (fields: Partial<ProgramHeader>): ProgramHeader => ({
  index: 0,
  type: PT_LOAD,
  flags: PF_R,
  offset: 0n,
  vaddr: 0n,
  paddr: 0n,
  filesz: 0n,
  memsz: 0n,
  align: 0x1000n,
  ...fields,
});
const image = (...programHeaders: ProgramHeader[]): ElfImage => ({
  layout: ELF64_LAYOUT,
  type: 2,
  entry: 0n,
  programHeaderOffset: 64n,
  programHeaderEntrySize: 56,
  programHeaders,
});

describe('bytes', () => {
  const bytes = Uint8Array.from({ length: 16 }, (_, index) => index + 1);

  it('bounds a range by the file, for numbers and BigInts', () => {
    expect(inBounds(bytes, 0, 16)).toBe(true);
    expect(inBounds(bytes, 16, 0)).toBe(true);
    expect(inBounds(bytes, 15, 1)).toBe(true);
    expect(inBounds(bytes, 15, 2)).toBe(false);
    expect(inBounds(bytes, 17, 0)).toBe(false);
    expect(inBounds(bytes, -1, 1)).toBe(false);
    expect(inBounds(bytes, 1, -1)).toBe(false);
    expect(inBounds(bytes, 0xffff_ffff_ffff_fff0n, 0x20n)).toBe(false);
  });

  it('reads little-endian values, and undefined for any byte past the end', () => {
    expect(readU8(bytes, 15)).toBe(16);
    expect(readU8(bytes, 16)).toBeUndefined();
    expect(readU16(bytes, 14)).toBe(0x100f);
    expect(readU16(bytes, 15)).toBeUndefined();
    expect(readU32(bytes, 12)).toBe(0x100f0e0d);
    expect(readU32(bytes, 13)).toBeUndefined();
    expect(readU64(bytes, 8)).toBe(0x100f0e0d0c0b0a09n);
    expect(readU64(bytes, 9)).toBeUndefined();
    expect(readU8(bytes, -1)).toBeUndefined();
  });

  it('reads through a subarray at its own offsets', () => {
    expect(readU32(bytes.subarray(4), 0)).toBe(0x08070605);
  });

  it('formats hex as the specifications print it', () => {
    expect(hex(0x1000)).toBe('0x1000');
    expect(hex(0xffff_ffff_8000_0000n)).toBe('0xffffffff80000000');
    expect(hex32(0x1f)).toBe('0x0000001f');
    expect(hex32(-1)).toBe('0xffffffff');
  });

  it('aligns up', () => {
    expect([alignUp(0, 8), alignUp(1, 8), alignUp(8, 8), alignUp(9, 8), alignUp(13, 4)]).toEqual([0, 8, 8, 16, 16]);
  });

  it('reads hex words as BigInts', () => {
    expect(words(['0x10', '0xffffffffffffffff'])).toEqual([16n, 0xffff_ffff_ffff_ffffn]);
  });

  describe('findWords', () => {
    const pattern = [0x1122_3344_5566_7788n, 0x99aa_bbcc_ddee_ff00n];
    const haystack = (...offsets: number[]) => {
      const data = new Uint8Array(64);
      for (const offset of offsets) data.set(wordBytes(...pattern), offset);
      return data;
    };

    it('finds every occurrence at the step from start', () => {
      expect(findWords(haystack(3, 24), pattern, 0, 64, 1)).toEqual([3, 24]);
      expect(findWords(haystack(3, 24), pattern, 0, 64, 8)).toEqual([24]);
      expect(findWords(haystack(3, 27), pattern, 3, 64, 8)).toEqual([3, 27]);
    });

    it('finds a pattern ending exactly at the end of the range, and not one crossing it', () => {
      expect(findWords(haystack(48), pattern, 0, 64, 1)).toEqual([48]);
      expect(findWords(haystack(48), pattern, 0, 63, 1)).toEqual([]);
      expect(findWords(haystack(48), pattern, 0, 1000, 1)).toEqual([48]);
      expect(findWords(haystack(8), pattern, 9, 64, 1)).toEqual([]);
    });

    it('needs every word, not only the first', () => {
      const data = haystack(8);
      data[23] = 0x98; // was 0x99: the last byte of the second word
      expect(findWords(data, pattern, 0, 64, 1)).toEqual([]);
      // The first word's high half differs, its low half does not.
      const high = haystack(8);
      high[15] = 0x10; // was 0x11
      expect(findWords(high, pattern, 0, 64, 1)).toEqual([]);
    });

    it('starts at 0 for a negative start, and finds nothing for an empty pattern', () => {
      expect(findWords(haystack(0), pattern, -8, 64, 1)).toEqual([0]);
      expect(findWords(haystack(0), [], 0, 64, 1)).toEqual([]);
    });
  });
});

describe('findings', () => {
  it('builds, formats and counts findings', () => {
    expect([okFinding('a'), warningFinding('b'), errorFinding('c')]).toEqual([ok('a'), { level: 'warning', message: 'b' }, error('c')]);
    expect(formatFinding(warningFinding('look'))).toBe('warning: look');
    expect(hasErrors([okFinding('a'), warningFinding('b')])).toBe(false);
    expect(hasErrors([okFinding('a'), errorFinding('c')])).toBe(true);
    expect(hasErrors([])).toBe(false);
  });
});

describe('the ELF header (§3)', () => {
  const { bytes } = TWO_SEGMENTS;

  it('reads an intact image: type, entry, every program header field', () => {
    const reading = readElf(bytes);
    expect(reading.isElf).toBe(true);
    expect(reading.findings).toEqual([ok('ELF64, little-endian, x86-64, ET_EXEC, 3 program headers (2 PT_LOAD)')]);
    const distinct = bytes.slice();
    // Give the last program header distinct values in every field.
    const at = programHeaderOffset(distinct, 2);
    setU32(distinct, at, PT_LOAD);
    setU32(distinct, at + 4, PF_R | PF_W);
    setU64(distinct, at + 8, 0x2000n);
    setU64(distinct, at + 16, 0x102000n);
    setU64(distinct, at + 24, 0x202000n);
    setU64(distinct, at + 32, 0x10n);
    setU64(distinct, at + 40, 0x1000n);
    setU64(distinct, at + 48, 0x200000n);
    const elf = elfOf(distinct);
    expect(elf).toMatchObject({ type: 2, entry: 0x101000n, programHeaderOffset: 64n });
    expect(elf.programHeaders[2]).toEqual({
      index: 2,
      type: PT_LOAD,
      flags: PF_R | PF_W,
      offset: 0x2000n,
      vaddr: 0x102000n,
      paddr: 0x202000n,
      filesz: 0x10n,
      memsz: 0x1000n,
      align: 0x200000n,
    });
    expect(elf.programHeaders.map((header) => header.type)).toEqual([PT_LOAD, PT_NOTE, PT_LOAD]);
  });

  it('needs the ELF magic, every byte of it', () => {
    for (let index = 0; index < 4; index++) {
      const wrong = bytes.slice();
      wrong[index] = 0;
      expect(isElfFile(wrong)).toBe(false);
      expect(readElf(wrong)).toEqual({
        isElf: false,
        elf: undefined,
        findings: [error('not an ELF file: it does not start with the ELF magic 7f 45 4c 46')],
      });
    }
    expect(isElfFile(bytes.subarray(0, 4))).toBe(true);
    expect(isElfFile(bytes.subarray(0, 3))).toBe(false);
  });

  it('needs the 64-byte header', () => {
    expect(readElf(bytes.subarray(0, 63))).toEqual({
      isElf: true,
      elf: undefined,
      findings: [error('ELF header truncated: the file has 63 bytes, an ELF64 header needs 64')],
    });
    // 64 bytes hold the header; then the program header table is missing.
    expect(readElf(bytes.subarray(0, 64)).findings).toEqual([
      error('the program header table (3 entries of 56 bytes at file offset 0x40) extends past the end of the file (0x40 bytes)'),
    ]);
  });

  it('names the class, data encoding and machine it refuses', () => {
    const patched = (offset: number, value: number) => {
      const copy = bytes.slice();
      copy[offset] = value;
      return readElf(copy);
    };
    // ELF32 with the x86-64 machine: GRUB takes ELF32 only for EM_386.
    expect(patched(4, 1).findings).toEqual([
      error('ELF machine is 62, an ELF32 kernel must be EM_386 (3): GRUB loads no other ("invalid arch-dependent ELF magic")'),
    ]);
    expect(patched(4, 3).findings).toEqual([error('ELF class is 3 (unknown), a kernel must be ELF64 (class 2), or ELF32 (class 1) for multiboot2')]);
    expect(patched(4, 0).findings).toEqual([error('ELF class is 0 (unknown), a kernel must be ELF64 (class 2), or ELF32 (class 1) for multiboot2')]);
    expect(patched(5, 0).findings).toEqual([error('ELF data encoding is 0, an x86 kernel must be little-endian (ELFDATA2LSB = 1)')]);
    expect(patched(5, 2).findings).toEqual([error('ELF data encoding is 2, an x86 kernel must be little-endian (ELFDATA2LSB = 1)')]);
    expect(patched(18, 40).findings).toEqual([error('ELF machine is 40, an x86_64 kernel must be EM_X86_64 (62)')]);
    expect(patched(18, 40)).toMatchObject({ isElf: true, elf: undefined });
    // e_machine is 16 bits: 62 + 256 is not 62.
    expect(patched(19, 1).findings).toEqual([error('ELF machine is 318, an x86_64 kernel must be EM_X86_64 (62)')]);
  });

  it('names the ELF types', () => {
    expect([elfTypeName(2), elfTypeName(3), elfTypeName(1), elfTypeName(4)]).toEqual(['ET_EXEC', 'ET_DYN', 'type 1', 'type 4']);
    const dyn = bytes.slice();
    setU16(dyn, 16, 3);
    expect(readElf(dyn).findings).toEqual([ok('ELF64, little-endian, x86-64, ET_DYN, 3 program headers (2 PT_LOAD)')]);
  });
});

describe('the program header table (§7)', () => {
  const { bytes } = TWO_SEGMENTS;

  it('needs program headers', () => {
    const none = bytes.slice();
    setU16(none, 56, 0);
    expect(readElf(none)).toEqual({ isElf: true, elf: undefined, findings: [error('the ELF file has no program headers: a loader has nothing to load')] });
  });

  it('needs entries of at least 56 bytes, and steps by e_phentsize when larger', () => {
    const small = bytes.slice();
    setU16(small, 54, 55);
    expect(readElf(small).findings).toEqual([error('ELF program header entry size is 55, ELF64 program headers are 56 bytes')]);
    // The same three headers at a 64-byte stride.
    const wide = bytes.slice();
    const table = bytes.slice(64, 64 + 3 * 56);
    wide.fill(0, 64, 64 + 3 * 64);
    for (let index = 0; index < 3; index++) wide.set(table.subarray(index * 56, index * 56 + 56), 64 + index * 64);
    setU16(wide, 54, 64);
    expect(elfOf(wide).programHeaders).toEqual(elfOf(bytes).programHeaders);
  });

  it('needs the table inside the file, up to its last byte', () => {
    const tableEnd = 64 + 3 * 56;
    // Cut right after the table: it reads, and only the segments' data is missing.
    const exact = readElf(bytes.subarray(0, tableEnd));
    expect(exact.elf?.programHeaders).toHaveLength(3);
    expect(exact.findings.map((finding) => finding.message)).toEqual([
      expect.stringMatching(/^PT_LOAD #0 .* has its file data at .* but the file has only 0xe8 bytes \(truncated\?\)$/),
      expect.stringMatching(/^PT_LOAD #2 .* has its file data at .* but the file has only 0xe8 bytes \(truncated\?\)$/),
    ]);
    expect(readElf(bytes.subarray(0, tableEnd - 1)).findings).toEqual([
      error('the program header table (3 entries of 56 bytes at file offset 0x40) extends past the end of the file (0xe7 bytes)'),
    ]);
    const far = bytes.slice();
    setU64(far, 32, 0xffff_ffff_ffff_ff00n);
    expect(readElf(far).findings).toEqual([
      error(
        `the program header table (3 entries of 56 bytes at file offset 0xffffffffffffff00) extends past the end of the file (0x${bytes.length.toString(16)} bytes)`,
      ),
    ]);
  });

  it('needs a PT_LOAD with memory', () => {
    const noLoad = bytes.slice();
    setU32(noLoad, programHeaderOffset(noLoad, 0), PT_DYNAMIC);
    setU64(noLoad, programHeaderOffset(noLoad, 2) + 40, 0n);
    setU64(noLoad, programHeaderOffset(noLoad, 2) + 32, 0n);
    const reading = readElf(noLoad);
    expect(reading.findings).toEqual([error('the ELF file has no PT_LOAD segment: a loader has nothing to load')]);
    expect(reading.elf?.programHeaders).toHaveLength(3);
  });

  it('refuses p_filesz larger than p_memsz, and accepts them equal', () => {
    const larger = bytes.slice();
    setU64(larger, programHeaderOffset(larger, 0) + 40, 0x1fn);
    expect(readElf(larger).findings).toEqual([error('PT_LOAD #0 [0x101000, 0x10101f) r-x has p_filesz 0x20 larger than p_memsz 0x1f')]);
    const equal = bytes.slice();
    setU64(equal, programHeaderOffset(equal, 2) + 40, 0x10n);
    expect(readElf(equal).findings).toEqual([ok('ELF64, little-endian, x86-64, ET_EXEC, 3 program headers (2 PT_LOAD)')]);
  });

  it('refuses file data past the end of the file, and accepts data ending exactly there', () => {
    const { dataOffsets } = TWO_SEGMENTS;
    expect(dataOffsets[2]! + 0x10).toBe(bytes.length);
    expect(readElf(bytes.subarray(0, bytes.length - 1)).findings).toEqual([
      error(
        `PT_LOAD #2 [0x102000, 0x103000) rw- has its file data at [0x${dataOffsets[2]!.toString(16)}, 0x${bytes.length.toString(16)}) ` +
          `but the file has only 0x${(bytes.length - 1).toString(16)} bytes (truncated?)`,
      ),
    ]);
  });

  it('reads no file data for a segment without any, wherever its p_offset points', () => {
    const bss = bytes.slice();
    const at = programHeaderOffset(bss, 2);
    setU64(bss, at + 32, 0n);
    setU64(bss, at + 8, 0xffff_ffffn);
    expect(readElf(bss).findings).toEqual([ok('ELF64, little-endian, x86-64, ET_EXEC, 3 program headers (2 PT_LOAD)')]);
  });

  it('reports every segment problem together, and no ok line with them', () => {
    const both = bytes.slice();
    setU64(both, programHeaderOffset(both, 0) + 40, 0x1fn);
    setU64(both, programHeaderOffset(both, 2) + 8, 0x10_0000n);
    expect(readElf(both).findings.map((finding) => finding.level)).toEqual(['error', 'error']);
  });
});

describe('segments', () => {
  it('formats permissions and segments', () => {
    expect([0, PF_R, PF_W, PF_X, PF_R | PF_W | PF_X, PF_R | PF_X].map(permissions)).toEqual(['---', 'r--', '-w-', '--x', 'rwx', 'r-x']);
    expect(describeSegment(segment({ index: 3, vaddr: 0x1000n, memsz: 0x20n, flags: PF_R | PF_W }))).toBe('PT_LOAD #3 [0x1000, 0x1020) rw-');
  });

  it('maps only PT_LOAD segments with memory', () => {
    const elf = image(
      segment({ index: 0, memsz: 0x10n }),
      segment({ index: 1, memsz: 0n }),
      segment({ index: 2, type: PT_NOTE, memsz: 0x10n }),
      segment({ index: 3, memsz: 1n }),
    );
    expect(loadSegments(elf).map((header) => header.index)).toEqual([0, 3]);
    // Each caller gets its own list: sorting one changes no other.
    loadSegments(elf).reverse();
    expect(loadSegments(elf).map((header) => header.index)).toEqual([0, 3]);
  });

  it('finds the segment containing an address: start inclusive, end exclusive', () => {
    const elf = image(segment({ index: 0, vaddr: 0x1000n, memsz: 0x100n }), segment({ index: 1, vaddr: 0x2000n, memsz: 0x100n }));
    expect(segmentContaining(elf, 0x1000n)?.index).toBe(0);
    expect(segmentContaining(elf, 0x10ffn)?.index).toBe(0);
    expect(segmentContaining(elf, 0x1100n)).toBeUndefined();
    expect(segmentContaining(elf, 0xfffn)).toBeUndefined();
    expect(segmentContaining(elf, 0x2000n)?.index).toBe(1);
  });

  describe('checkSegmentsInRange', () => {
    const range = { start: 0x1000n, end: 0x10000n, description: 'in the test range', belowStart: 'too low', pastEnd: 'too high' };

    it('accepts segments from exactly the start to exactly the end, and spans them', () => {
      const elf = image(segment({ index: 0, vaddr: 0x8000n, memsz: 0x8000n }), segment({ index: 1, vaddr: 0x1000n, memsz: 0x10n }));
      expect(checkSegmentsInRange(elf, range)).toEqual([ok('PT_LOAD segments span [0x1000, 0x10000): in the test range')]);
      const inner = image(segment({ index: 0, vaddr: 0x2000n, memsz: 0x10n }), segment({ index: 1, vaddr: 0x3000n, memsz: 0x20n }));
      expect(checkSegmentsInRange(inner, range)).toEqual([ok('PT_LOAD segments span [0x2000, 0x3020): in the test range')]);
    });

    it('refuses a segment one byte below the start or one byte past the end', () => {
      const elf = image(
        segment({ index: 0, vaddr: 0xfffn, memsz: 0x10n, flags: PF_R | PF_X }),
        segment({ index: 1, vaddr: 0x8000n, memsz: 0x8001n }),
        segment({ index: 2, vaddr: 0x2000n, memsz: 0x10n }),
      );
      expect(checkSegmentsInRange(elf, range)).toEqual([
        error('PT_LOAD #0 [0xfff, 0x100f) r-x starts below 0x1000: too low'),
        error('PT_LOAD #1 [0x8000, 0x10001) r-- ends past 0x10000: too high'),
      ]);
    });

    it('says nothing without segments', () => {
      expect(checkSegmentsInRange(image(segment({ memsz: 0n })), range)).toEqual([]);
    });
  });

  describe('checkExecutableAddress', () => {
    const elf = image(
      segment({ index: 0, vaddr: 0x1000n, paddr: 0x9000n, memsz: 0x100n, flags: PF_R | PF_X }),
      segment({ index: 1, vaddr: 0x2000n, paddr: 0xa000n, memsz: 0x100n, flags: PF_R | PF_W }),
    );

    it('needs an executable PT_LOAD at the virtual address', () => {
      expect(checkExecutableAddress(elf, 0x10ffn, 'entry')).toEqual(ok('entry 0x10ff lies in the executable segment PT_LOAD #0 [0x1000, 0x1100) r-x'));
      expect(checkExecutableAddress(elf, 0x1100n, 'entry')).toEqual(error('entry 0x1100 lies in no PT_LOAD segment'));
      expect(checkExecutableAddress(elf, 0x2000n, 'entry')).toEqual(
        error('entry 0x2000 lies in PT_LOAD #1 [0x2000, 0x2100) rw-, which is not executable (no PF_X)'),
      );
    });

    it('looks a physical address up by p_paddr, end exclusive', () => {
      expect(checkExecutableAddress(elf, 0x9000n, 'start', 'physical')).toEqual(
        ok('start 0x9000 lies in the executable segment PT_LOAD #0 [0x1000, 0x1100) r-x'),
      );
      expect(checkExecutableAddress(elf, 0x90ffn, 'start', 'physical').level).toBe('ok');
      expect(checkExecutableAddress(elf, 0x9100n, 'start', 'physical')).toEqual(error('start 0x9100 lies in no PT_LOAD segment (by physical address)'));
      expect(checkExecutableAddress(elf, 0x8fffn, 'start', 'physical').level).toBe('error');
      expect(checkExecutableAddress(elf, 0x1000n, 'start', 'physical').level).toBe('error');
    });

    it('checks e_entry as a virtual address', () => {
      expect(checkEntryPoint({ ...elf, entry: 0x1004n })).toEqual(ok('entry point 0x1004 lies in the executable segment PT_LOAD #0 [0x1000, 0x1100) r-x'));
    });
  });
});

describe('ELF notes (gABI)', () => {
  const noteImage = (notes: Uint8Array, align = 4n) =>
    buildElf({
      entry: 0x1000n,
      segments: [
        { flags: PF_R | PF_X, vaddr: 0x1000n, data: new Uint8Array(16) },
        { type: PT_NOTE, flags: PF_R, vaddr: 0x2000n, data: notes, align },
      ],
    });

  it('reads at most NOTE_READ_LIMIT notes, and says so only when there are more', () => {
    // Empty notes (namesz, descsz, type all 0) are 12 bytes each.
    const exactly = noteImage(new Uint8Array(12 * NOTE_READ_LIMIT)).bytes;
    expect(readNotes(exactly, elfOf(exactly))).toMatchObject({ problems: [] });
    expect(readNotes(exactly, elfOf(exactly)).notes).toHaveLength(NOTE_READ_LIMIT);
    const more = noteImage(new Uint8Array(12 * (NOTE_READ_LIMIT + 1))).bytes;
    expect(readNotes(more, elfOf(more)).notes).toHaveLength(NOTE_READ_LIMIT);
    expect(readNotes(more, elfOf(more)).problems).toEqual([
      warningFinding(`the PT_NOTE segments hold more than ${NOTE_READ_LIMIT} notes: only the first ${NOTE_READ_LIMIT} were read`),
    ]);
  });

  it('answers a PT_NOTE of 16 MiB of zeros (1.4 million empty notes) in well under a second', () => {
    // Before, every note was read, an object for each: 17 s for 64 MiB on this machine.
    const bytes = noteImage(new Uint8Array(16 << 20)).bytes;
    const { result: findings, ms } = cpuTimed(() => checkKernelImage(bytes, 'multiboot2'));
    expect(ms).toBeLessThan(1000);
    expect(findings).toContainEqual(
      warningFinding(`the PT_NOTE segments hold more than ${NOTE_READ_LIMIT} notes: only the first ${NOTE_READ_LIMIT} were read`),
    );
  });

  it('reads each note: name without its NUL, type, descriptor', () => {
    const { bytes, dataOffsets } = noteImage(concat(elfNote('Xen', 18, wordBytes(0x1234n)), elfNote('Linux', 7, new Uint8Array([1, 2, 3]))));
    const base = dataOffsets[1]!;
    const { notes, problems } = readNotes(bytes, elfOf(bytes));
    expect(problems).toEqual([]);
    expect(notes.map(({ segment: { index }, ...note }) => ({ index, ...note }))).toEqual([
      { index: 1, offset: base, name: 'Xen', type: 18, descriptorOffset: base + 16, descriptorSize: 8 },
      // 'Linux\0' is 6 bytes: the descriptor starts at 12 + 6 padded to 4 = 20.
      { index: 1, offset: base + 24, name: 'Linux', type: 7, descriptorOffset: base + 24 + 20, descriptorSize: 3 },
    ]);
  });

  it('pads to 8 bytes in an 8-aligned segment', () => {
    const { bytes, dataOffsets } = noteImage(concat(elfNote('Linux', 7, new Uint8Array(3), 8), elfNote('Xen', 18, new Uint8Array(8), 8)), 8n);
    const base = dataOffsets[1]!;
    expect(readNotes(bytes, elfOf(bytes)).notes.map((note) => [note.name, note.offset - base, note.descriptorOffset - base])).toEqual([
      ['Linux', 0, 24],
      ['Xen', 32, 48],
    ]);
  });

  it('reads the name up to its first NUL (gABI: null-terminated; Xen compares it with strcmp), never past namesz', () => {
    const note = elfNote('a\0b', 1, new Uint8Array(0));
    const padded = elfNote('c', 2, new Uint8Array(0));
    setU32(padded, 0, 4); // namesz 4: 'c' and three NULs
    const unterminated = elfNote('Xen', 3, new Uint8Array(0));
    setU32(unterminated, 0, 2); // namesz 2: 'Xe', no NUL; the padding keeps the layout
    const empty = elfNote('', 4, new Uint8Array(0));
    setU32(empty, 0, 0); // namesz 0: no name at all
    const { bytes } = noteImage(concat(note, padded, unterminated, empty));
    expect(readNotes(bytes, elfOf(bytes)).notes.map((entry) => [entry.name, entry.type])).toEqual([
      ['a', 1],
      ['c', 2],
      ['Xe', 3],
      ['', 4],
    ]);
  });

  it('reads a note whose 12-byte header ends the segment, and ignores fewer than 12 bytes', () => {
    const empty = new Uint8Array(12); // namesz 0, descsz 0, type 0
    const { bytes } = noteImage(concat(elfNote('Xen', 18, new Uint8Array(4)), empty));
    expect(readNotes(bytes, elfOf(bytes)).notes.map((note) => note.name)).toEqual(['Xen', '']);
    const { bytes: short } = noteImage(concat(elfNote('Xen', 18, new Uint8Array(4)), new Uint8Array(11)));
    expect(readNotes(short, elfOf(short))).toMatchObject({ problems: [], notes: [{ name: 'Xen' }] });
  });

  it('refuses a note whose descriptor runs past its segment, keeping the notes before it', () => {
    const last = elfNote('Xen', 18, new Uint8Array(8));
    setU32(last, 4, 9);
    const { bytes, dataOffsets } = noteImage(concat(elfNote('GNU', 1, new Uint8Array(4)), last));
    const reading = readNotes(bytes, elfOf(bytes));
    expect(reading.notes.map((note) => note.name)).toEqual(['GNU']);
    expect(reading.problems).toEqual([
      error(`PT_NOTE #1: the note at file offset 0x${(dataOffsets[1]! + 20).toString(16)} (name size 4, descriptor size 9) runs past the end of its segment`),
    ]);
    // A descriptor ending exactly at the segment's end is fine.
    setU32(last, 4, 8);
    const { bytes: fits } = noteImage(concat(elfNote('GNU', 1, new Uint8Array(4)), last));
    expect(readNotes(fits, elfOf(fits)).problems).toEqual([]);
  });

  it('refuses a PT_NOTE outside the file, and reads every PT_NOTE', () => {
    const { bytes } = buildElf({
      entry: 0x1000n,
      segments: [
        { flags: PF_R | PF_X, vaddr: 0x1000n, data: new Uint8Array(16) },
        { type: PT_NOTE, flags: PF_R, vaddr: 0x2000n, data: elfNote('A', 1, new Uint8Array(0)) },
        { type: PT_NOTE, flags: PF_R, vaddr: 0x3000n, data: elfNote('B', 2, new Uint8Array(0)) },
      ],
    });
    expect(readNotes(bytes, elfOf(bytes)).notes.map((note) => note.name)).toEqual(['A', 'B']);
    // #1 moved to start where the file ends (past #2, whose bytes end the file: no overlap).
    const outside = bytes.slice();
    setU64(outside, programHeaderOffset(outside, 1) + 8, BigInt(bytes.length));
    expect(readNotes(outside, elfOf(outside))).toEqual({
      notes: [expect.objectContaining({ name: 'B' })],
      problems: [error(`PT_NOTE #1 at file offset 0x${bytes.length.toString(16)} runs past the end of the file`)],
    });
  });
});

describe('loaded data', () => {
  const pattern = [0x0102_0304_0506_0708n];
  const data = (...offsets: number[]) => {
    const bytes = new Uint8Array(0x40);
    for (const offset of offsets) bytes.set(wordBytes(...pattern), offset);
    return bytes;
  };

  it('is the file-backed part of each PT_LOAD, at its virtual address, in address order', () => {
    const { bytes, dataOffsets } = buildElf({
      entry: 0n,
      segments: [
        { flags: PF_R, vaddr: 0x5000n, data: data(8) },
        { flags: PF_R, vaddr: 0x3000n, data: data(0x38), memsz: 0x1000n },
        { type: PT_NOTE, flags: PF_R, vaddr: 0x7000n, data: data(0) },
      ],
    });
    const chunks = fileBackedChunks(bytes, elfOf(bytes));
    expect(chunks.map(({ segment: { index }, fileStart, fileEnd }) => ({ index, fileStart, fileEnd }))).toEqual([
      { index: 0, fileStart: dataOffsets[0], fileEnd: dataOffsets[0]! + 0x40 },
      { index: 1, fileStart: dataOffsets[1], fileEnd: dataOffsets[1]! + 0x40 },
    ]);
    expect(findInLoadedData(bytes, chunks, pattern)).toEqual([
      { fileOffset: dataOffsets[1]! + 0x38, vaddr: 0x3038n, chunk: chunks[1] },
      { fileOffset: dataOffsets[0]! + 8, vaddr: 0x5008n, chunk: chunks[0] },
    ]);
  });

  it('leaves out segments without file data or with data outside the file', () => {
    const { bytes } = buildElf({
      entry: 0n,
      segments: [
        { flags: PF_R, vaddr: 0x1000n, memsz: 0x1000n },
        { flags: PF_R, vaddr: 0x2000n, data: data(0) },
        { flags: PF_R, vaddr: 0x3000n, data: data(0) },
      ],
    });
    const outside = bytes.slice();
    setU64(outside, programHeaderOffset(outside, 2) + 8, BigInt(bytes.length - 8));
    expect(fileBackedChunks(outside, elfOf(outside)).map((chunk) => chunk.segment.index)).toEqual([1]);
  });

  it('sorts occurrences by virtual address, equal ones kept', () => {
    const { bytes } = buildElf({
      entry: 0n,
      segments: [
        { flags: PF_R, vaddr: 0x9000n, data: data(0, 0x20) },
        { flags: PF_R, vaddr: 0x1000n, data: data(0x10) },
        { flags: PF_R, vaddr: 0x1000n, data: data(0x10) },
      ],
    });
    const chunks = fileBackedChunks(bytes, elfOf(bytes));
    expect(findInLoadedData(bytes, chunks, pattern).map((occurrence) => occurrence.vaddr)).toEqual([0x1010n, 0x1010n, 0x9000n, 0x9020n]);
  });

  it('fits a read inside one chunk, up to its last byte', () => {
    const chunk = { segment: segment({}), fileStart: 0x100, fileEnd: 0x140 };
    const at = (fileOffset: number) => ({ fileOffset, vaddr: 0n });
    expect(fitsInChunk([chunk], at(0x100), 0x40)).toBe(true);
    expect(fitsInChunk([chunk], at(0x101), 0x40)).toBe(false);
    expect(fitsInChunk([chunk], at(0xff), 8)).toBe(false);
    expect(fitsInChunk([], at(0x100), 8)).toBe(false);
    expect(fitsInChunk([{ ...chunk, fileStart: 0, fileEnd: 8 }, chunk], at(0x138), 8)).toBe(true);
  });
});


describe('ELF32 (gABI Elf32_Ehdr, Elf32_Phdr): what multiboot2 loaders also take', () => {
  // GRUB's multiboot_elfxx.c loads an ELF32 kernel when its machine is EM_386 (MULTIBOOT_ELF32_MACHINE).
  const ELF32 = buildElf({
    elfClass: 32,
    entry: 0x101010n,
    segments: [
      { flags: PF_R | PF_X, vaddr: 0x101000n, data: new Uint8Array(0x20) },
      { type: PT_NOTE, flags: PF_R, vaddr: 0x101020n, data: new Uint8Array(12), align: 4n },
      { flags: PF_R | PF_W, vaddr: 0xc010_2000n, paddr: 0x10_2000n, data: new Uint8Array(0x10), memsz: 0x1000n, align: 0x20_0000n },
    ],
  });

  it('reads into the same structures as ELF64: every field from its Elf32 offset', () => {
    const reading = readElf(ELF32.bytes);
    expect(reading.findings).toEqual([ok('ELF32, little-endian, i386, ET_EXEC, 3 program headers (2 PT_LOAD)')]);
    const elf = reading.elf!;
    expect(elf).toMatchObject({ type: 2, entry: 0x101010n, programHeaderOffset: 52n, programHeaderEntrySize: 32 });
    expect(elf.layout.name).toBe('ELF32');
    expect(elf.programHeaders[2]).toEqual({
      index: 2,
      type: PT_LOAD,
      flags: PF_R | PF_W,
      offset: BigInt(ELF32.dataOffsets[2]!),
      vaddr: 0xc010_2000n,
      paddr: 0x10_2000n,
      filesz: 0x10n,
      memsz: 0x1000n,
      align: 0x20_0000n,
    });
    expect(elf.programHeaders.map((header) => [header.type, header.flags])).toEqual([
      [PT_LOAD, PF_R | PF_X],
      [PT_NOTE, PF_R],
      [PT_LOAD, PF_R | PF_W],
    ]);
  });

  it('needs the 52-byte header, 32-byte entries and EM_386', () => {
    expect(readElf(ELF32.bytes.subarray(0, 51)).findings).toEqual([error('ELF header truncated: the file has 51 bytes, an ELF32 header needs 52')]);
    expect(readElf(ELF32.bytes.subarray(0, 52)).findings).toEqual([
      error('the program header table (3 entries of 32 bytes at file offset 0x34) extends past the end of the file (0x34 bytes)'),
    ]);
    expect(readElf(ELF32.bytes.subarray(0, 4)).findings).toEqual([error('ELF header truncated: the file has 4 bytes, an ELF header needs at least 52')]);
    const small = ELF32.bytes.slice();
    setU16(small, 42, 31);
    expect(readElf(small).findings).toEqual([error('ELF program header entry size is 31, ELF32 program headers are 32 bytes')]);
    const x86_64 = ELF32.bytes.slice();
    setU16(x86_64, 18, 62);
    expect(readElf(x86_64).findings).toEqual([
      error('ELF machine is 62, an ELF32 kernel must be EM_386 (3): GRUB loads no other ("invalid arch-dependent ELF magic")'),
    ]);
  });

  it('reads ELF32 section headers and symbols (Elf32_Shdr, Elf32_Sym) into the same structures', () => {
    const layout = withSymbols(ELF32.bytes, [
      { name: 'kernel_main', value: 0x101010n, size: 0x20n, info: 0x12, shndx: 5 },
      { name: '__bss_end', value: 0xc010_3000n },
    ]);
    const { bytes } = layout;
    const parsed = parseElf(bytes);
    expect(parsed.elfClass).toBe('ELF32');
    expect(parsed.sections.map(({ name, offset }) => [name, offset])).toEqual([
      ['', 0n],
      ['.symtab', BigInt(layout.symtabOffset)],
      ['.strtab', BigInt(layout.strtabOffset)],
      ['.shstrtab', BigInt(layout.shstrtabOffset)],
    ]);
    expect(parsed.symbols).toEqual([
      { name: '', value: 0n, size: 0n, type: 0, binding: 0, sectionIndex: 0 },
      { name: 'kernel_main', value: 0x101010n, size: 0x20n, type: 2, binding: 1, sectionIndex: 5 },
      { name: '__bss_end', value: 0xc010_3000n, size: 0n, type: 0, binding: 1, sectionIndex: 1 },
    ]);
  });
});

describe('the identification GRUB checks first (multiboot_elfxx.c, gABI §3)', () => {
  const { bytes } = TWO_SEGMENTS;

  it('refuses e_version other than EV_CURRENT, all 32 bits of it, as GRUB does', () => {
    for (const version of [0, 2, 0x101]) {
      const copy = bytes.slice();
      setU32(copy, 20, version);
      expect(readElf(copy)).toEqual({
        isElf: true,
        elf: undefined,
        findings: [error(`ELF e_version is ${version}, must be EV_CURRENT (1): GRUB refuses the file ("invalid arch-dependent ELF magic")`)],
      });
    }
  });

  it('warns of e_ident[EI_VERSION] other than EV_CURRENT, which the gABI requires and GRUB does not check', () => {
    const copy = bytes.slice();
    copy[6] = 0;
    const reading = readElf(copy);
    expect(reading.elf).toBeDefined();
    expect(reading.findings).toEqual([
      ok('ELF64, little-endian, x86-64, ET_EXEC, 3 program headers (2 PT_LOAD)'),
      { level: 'warning', message: "ELF e_ident[EI_VERSION] is 0, the gABI (§3 e_ident) requires EV_CURRENT (1); GRUB's multiboot2 loader does not check it" },
    ]);
  });
});

describe('the ELF tables GRUB reads for a multiboot2 kernel (multiboot_elfxx.c)', () => {
  /** A multiboot2 image padded to `size` bytes, its program header table moved to `tableOffset`. */
  function movedTable(tableOffset: number, size = 0x9000): Uint8Array {
    const { bytes } = buildElf({
      entry: 0x101000n,
      segments: [
        { flags: PF_R, vaddr: 0x100000n, data: multiboot2Header() },
        { flags: PF_R | PF_X, vaddr: 0x101000n, data: new Uint8Array(16) },
      ],
    });
    const file = new Uint8Array(size);
    file.set(bytes);
    file.copyWithin(tableOffset, 64, 64 + 2 * 56);
    file.fill(0, 64, 64 + 2 * 56);
    setU64(file, 32, BigInt(tableOffset));
    return file;
  }
  const about = (needle: string) => (bytes: Uint8Array) =>
    checkKernelImage(bytes, 'multiboot2').filter((finding) => finding.message.includes(needle));

  it('refuses a program header table ending past the 32 KiB GRUB reads it from, and takes one ending exactly there', () => {
    const tableFindings = about('program header table');
    expect(tableFindings(movedTable(0x8000 - 112))).toEqual([]);
    expect(tableFindings(movedTable(0x8000 - 112 + 8))).toEqual([
      error(
        'the program header table ends at file offset 0x8008, past the first 32768 bytes GRUB reads them from: ' +
          'GRUB refuses the kernel ("program header at a too high offset")',
      ),
    ]);
    // Limine reads the table wherever it is.
    expect(checkKernelImage(movedTable(0x8000 - 112 + 8), 'limine').filter((finding) => finding.message.includes('program header table'))).toEqual([]);
  });

  it('refuses a section header table cut off by the end of the file ("premature end of file"), warns of small entries', () => {
    const { bytes } = withSymbols(movedTable(64, 0x3000), []);
    const sectionFindings = about('section header');
    expect(sectionFindings(bytes)).toEqual([]);
    const cut = bytes.subarray(0, bytes.length - 1);
    expect(sectionFindings(cut)).toEqual([
      error(
        `the section header table (4 entries of 64 bytes at file offset 0x${(bytes.length - 256).toString(16)}) extends past the end of the file ` +
          `(0x${cut.length.toString(16)} bytes): GRUB refuses the kernel ("premature end of file")`,
      ),
    ]);
    const small = bytes.slice();
    setU16(small, 58, 40);
    expect(sectionFindings(small)).toEqual([
      {
        level: 'warning',
        message: "ELF section header entry size is 40, ELF64 section headers are 64 bytes (gABI §4); GRUB's multiboot2 loader reads the table all the same",
      },
    ]);
  });
});

describe('loaded data, bounded', () => {
  const pattern = [0x0102_0304_0506_0708n];

  it('gives a match to every segment whose data holds it, however their file ranges overlap', () => {
    const data = new Uint8Array(0x40);
    data.set(wordBytes(...pattern), 0x10);
    data.set(wordBytes(...pattern), 0x3c - 4); // crosses the end of the shorter segment below
    const { bytes, dataOffsets } = buildElf({ entry: 0n, segments: [{ flags: PF_R, vaddr: 0x5000n, data }] });
    const elf = elfOf(bytes);
    // A second PT_LOAD over the first 0x3c bytes of the same file data, at another address.
    const chunks = [
      ...fileBackedChunks(bytes, elf),
      { segment: { ...elf.programHeaders[0]!, index: 1, vaddr: 0x9000n }, fileStart: dataOffsets[0]!, fileEnd: dataOffsets[0]! + 0x3c },
    ];
    const found = findInLoadedData(bytes, chunks, pattern);
    expect(found.map(({ fileOffset, vaddr }) => ({ fileOffset, vaddr }))).toEqual([
      { fileOffset: dataOffsets[0]! + 0x10, vaddr: 0x5010n },
      { fileOffset: dataOffsets[0]! + 0x38, vaddr: 0x5038n },
      { fileOffset: dataOffsets[0]! + 0x10, vaddr: 0x9010n },
    ]);
    // A read after an occurrence stays in the segment it was found in: 0x2d bytes from 0x9010 leave
    // the shorter segment, though the same file bytes lie in the longer one.
    expect(found.map((occurrence) => fitsInChunk(chunks, occurrence, 0x2c))).toEqual([true, false, true]);
    expect(found.map((occurrence) => fitsInChunk(chunks, occurrence, 0x2d))).toEqual([true, false, false]);
  });

  it(`stops at ${OCCURRENCE_LIMIT} occurrences`, () => {
    const data = new Uint8Array(8 * 100);
    for (let word = 0; word < 100; word++) data.set(wordBytes(...pattern), word * 8);
    const { bytes, dataOffsets } = buildElf({ entry: 0n, segments: [{ flags: PF_R, vaddr: 0x5000n, data }] });
    const segment = elfOf(bytes).programHeaders[0]!;
    const chunk = (index: number) => ({ segment: { ...segment, index, vaddr: BigInt(index) << 20n }, fileStart: dataOffsets[0]!, fileEnd: bytes.length });
    expect(findInLoadedData(bytes, Array.from({ length: 40 }, (_, index) => chunk(index)), pattern)).toHaveLength(4000);
    expect(findInLoadedData(bytes, Array.from({ length: 41 }, (_, index) => chunk(index)), pattern)).toHaveLength(OCCURRENCE_LIMIT);
  });
});
