/**
 * Reading section headers, symbol tables and NUL-terminated names (ELF-64 Object File Format 1.5,
 * §4-§6), and parseElf, the one call tests and tools use to look inside a kernel.
 */
import { describe, expect, it } from 'vitest';
import { CSTRING_READ_LIMIT, readCString } from '../src/bytes.js';
import { ElfParseError, parseElf, symbolValue } from '../src/parse.js';
import {
  readSections,
  readSymbols,
  relocationSections,
  SHT_NOBITS,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  STRING_TABLE_READ_LIMIT,
  StringTable,
} from '../src/sections.js';
import { buildElf, concat, elfNote, getU32, PF_R, PF_X, PT_NOTE, setU16, setU32, setU64, withSymbols } from './elf-builder.js';

const ascii = (text: string) => new TextEncoder().encode(text);

describe('readCString', () => {
  const bytes = ascii('abc\0de\0f');

  it('reads up to the first NUL', () => {
    expect(readCString(bytes, 0)).toBe('abc');
    expect(readCString(bytes, 1)).toBe('bc');
    expect(readCString(bytes, 4)).toBe('de');
    expect(readCString(bytes, 3)).toBe('');
  });

  it('stops at `end` or at the end of the file when no NUL comes first', () => {
    expect(readCString(bytes, 0, 2)).toBe('ab');
    expect(readCString(bytes, 7)).toBe('f');
    expect(readCString(bytes, 4, 100)).toBe('de');
    expect(readCString(bytes, 7, 100)).toBe('f');
  });

  it('is undefined outside [0, end) and past the file', () => {
    expect(readCString(bytes, 2, 2)).toBeUndefined();
    expect(readCString(bytes, 8)).toBeUndefined();
    expect(readCString(bytes, -1)).toBeUndefined();
    expect(readCString(bytes, 100, 200)).toBeUndefined();
  });

  it('reads one character per byte, never decoding UTF-8 sequences', () => {
    expect(readCString(new Uint8Array([0xc3, 0xa9, 0x41, 0]), 0)).toBe('\u00c3\u00a9A');
  });
});

const CODE = 0x10_1000n;
const plain = buildElf({ entry: CODE, segments: [{ flags: PF_R | PF_X, vaddr: CODE, data: new Uint8Array(32) }] }).bytes;
const SYMBOLS = [
  { name: '__text_start', value: CODE },
  { name: 'kernel_main', value: CODE + 0x10n, size: 0x20n, info: 0x12, shndx: 5 }, // STB_GLOBAL, STT_FUNC
  { name: 'local_thing', value: 0x10_2000n, size: 8n, info: 0x01 }, // STB_LOCAL, STT_OBJECT
] as const;

describe('readSections', () => {
  it('reads every section header with its name from e_shstrndx', () => {
    const layout = withSymbols(plain, SYMBOLS);
    const { sections, problems } = readSections(layout.bytes);
    expect(problems).toEqual([]);
    expect(sections.map(({ index, name, type, offset, link, entsize }) => ({ index, name, type, offset, link, entsize }))).toEqual([
      { index: 0, name: '', type: 0, offset: 0n, link: 0, entsize: 0n },
      { index: 1, name: '.symtab', type: SHT_SYMTAB, offset: BigInt(layout.symtabOffset), link: 2, entsize: 24n },
      { index: 2, name: '.strtab', type: SHT_STRTAB, offset: BigInt(layout.strtabOffset), link: 0, entsize: 0n },
      { index: 3, name: '.shstrtab', type: SHT_STRTAB, offset: BigInt(layout.shstrtabOffset), link: 0, entsize: 0n },
    ]);
    expect(sections[1]!.size).toBe(4n * 24n);
    expect(sections[3]!.size).toBe(BigInt(ascii('\0.symtab\0.strtab\0.shstrtab\0').length));
  });

  it('reads every field at its offset (§4)', () => {
    const layout = withSymbols(plain, []);
    const at = layout.tableOffset + 64; // section 1
    setU64(layout.bytes, at + 8, 0x6n); // sh_flags: SHF_ALLOC | SHF_EXECINSTR
    setU64(layout.bytes, at + 16, 0xffff_ffff_8000_0000n);
    setU32(layout.bytes, at + 44, 7);
    setU64(layout.bytes, at + 48, 16n);
    const section = readSections(layout.bytes).sections[1]!;
    expect(section).toMatchObject({ flags: 6n, addr: 0xffff_ffff_8000_0000n, info: 7, addralign: 16n, entsize: 24n });
  });

  it('has no sections without a section header table (e_shoff or e_shnum 0)', () => {
    expect(readSections(plain)).toEqual({ sections: [], problems: [] });
    const noCount = withSymbols(plain, []).bytes;
    setU16(noCount, 60, 0);
    expect(readSections(noCount)).toEqual({ sections: [], problems: [] });
    const noOffset = withSymbols(plain, []).bytes;
    setU64(noOffset, 40, 0n);
    expect(readSections(noOffset)).toEqual({ sections: [], problems: [] });
  });

  it('leaves sections unnamed, silently, when e_shstrndx is SHN_UNDEF', () => {
    const layout = withSymbols(plain, []);
    setU16(layout.bytes, 62, 0);
    // Section 0 pointing at the real name table: SHN_UNDEF still means "no names".
    setU32(layout.bytes, layout.tableOffset + 4, 3);
    setU64(layout.bytes, layout.tableOffset + 24, BigInt(layout.shstrtabOffset));
    setU64(layout.bytes, layout.tableOffset + 32, 27n);
    const { sections, problems } = readSections(layout.bytes);
    expect(problems).toEqual([]);
    expect(sections.map((section) => section.name)).toEqual(['', '', '', '']);
  });

  it('gives a name whose offset lies past the name table as empty', () => {
    const layout = withSymbols(plain, []);
    setU32(layout.bytes, layout.tableOffset + 64, 0x1000); // .symtab's sh_name
    expect(readSections(layout.bytes).sections.map((section) => section.name)).toEqual(['', '', '.strtab', '.shstrtab']);
  });

  it('names the problem when the name table is not in the file, or is no section at all', () => {
    const outside = withSymbols(plain, []);
    setU64(outside.bytes, outside.tableOffset + 3 * 64 + 24, 0x10_0000n); // .shstrtab's sh_offset past the end
    expect(readSections(outside.bytes).problems).toEqual([
      { level: 'error', message: 'the section name string table (section 3) is not in the file: sections are unnamed' },
    ]);
    expect(readSections(outside.bytes).sections.map((section) => section.name)).toEqual(['', '', '', '']);
    const missing = withSymbols(plain, []);
    setU16(missing.bytes, 62, 9);
    expect(readSections(missing.bytes).problems).toEqual([
      { level: 'error', message: 'the section name string table (section 9) is not in the file: sections are unnamed' },
    ]);
    const nobits = withSymbols(plain, []);
    setU32(nobits.bytes, nobits.tableOffset + 3 * 64 + 4, SHT_NOBITS);
    expect(readSections(nobits.bytes).problems).toHaveLength(1);
  });

  it('refuses a table past the end of the file or with entries smaller than 64 bytes', () => {
    const layout = withSymbols(plain, []);
    const cut = layout.bytes.slice(0, layout.bytes.length - 1);
    expect(readSections(cut)).toEqual({
      sections: [],
      problems: [
        {
          level: 'error',
          message: `the section header table (4 entries of 64 bytes at file offset 0x${layout.tableOffset.toString(16)}) extends past the end of the file (0x${cut.length.toString(16)} bytes)`,
        },
      ],
    });
    const small = withSymbols(plain, []).bytes;
    setU16(small, 58, 40);
    expect(readSections(small)).toEqual({
      sections: [],
      problems: [{ level: 'error', message: 'ELF section header entry size is 40, ELF64 section headers are 64 bytes' }],
    });
  });

  it('honours a larger e_shentsize', () => {
    const layout = withSymbols(plain, []);
    // Two 64-byte entries read as one 128-byte entry: sections 0 and 2 of the original.
    setU16(layout.bytes, 58, 128);
    setU16(layout.bytes, 60, 2);
    setU16(layout.bytes, 62, 0);
    const { sections } = readSections(layout.bytes);
    expect(sections.map((section) => section.type)).toEqual([0, SHT_STRTAB]);
    expect(sections[1]!.offset).toBe(BigInt(layout.strtabOffset));
  });

  it('refuses a file cut before its section header fields', () => {
    const problem = { level: 'error', message: 'ELF header truncated: it ends before its section header fields' };
    expect(readSections(plain.slice(0, 63))).toEqual({ sections: [], problems: [problem] });
    expect(readSections(plain.slice(0, 64))).toEqual({ sections: [], problems: [] });
  });
});

describe('readSymbols', () => {
  it('reads each symbol of SHT_SYMTAB: name, value, size, type, binding, section (§6)', () => {
    const { bytes } = withSymbols(plain, SYMBOLS);
    const { symbols, problems } = readSymbols(bytes, readSections(bytes).sections);
    expect(problems).toEqual([]);
    expect(symbols).toEqual([
      { name: '', value: 0n, size: 0n, type: 0, binding: 0, sectionIndex: 0 },
      { name: '__text_start', value: CODE, size: 0n, type: 0, binding: 1, sectionIndex: 1 },
      { name: 'kernel_main', value: CODE + 0x10n, size: 0x20n, type: 2, binding: 1, sectionIndex: 5 },
      { name: 'local_thing', value: 0x10_2000n, size: 8n, type: 1, binding: 0, sectionIndex: 1 },
    ]);
  });

  it('names the problem when the string table is not SHT_STRTAB or not in the file', () => {
    const wrongLink = withSymbols(plain, SYMBOLS);
    setU32(wrongLink.bytes, wrongLink.tableOffset + 64 + 40, 1); // .symtab's sh_link: itself
    const reading = readSymbols(wrongLink.bytes, readSections(wrongLink.bytes).sections);
    expect(reading).toEqual({
      symbols: [],
      problems: [{ level: 'error', message: 'symbol table .symtab: its entries or its string table (section 1) are not in the file' }],
    });
    const unnamed = withSymbols(plain, SYMBOLS);
    setU16(unnamed.bytes, 62, 0); // no section names: the table is named by its index
    setU32(unnamed.bytes, unnamed.tableOffset + 64 + 40, 99); // sh_link: no such section
    expect(readSymbols(unnamed.bytes, readSections(unnamed.bytes).sections).problems).toEqual([
      { level: 'error', message: 'symbol table #1: its entries or its string table (section 99) are not in the file' },
    ]);
    const outside = withSymbols(plain, SYMBOLS);
    setU64(outside.bytes, outside.tableOffset + 64 + 32, 0x10_0000n); // .symtab's sh_size past the end
    expect(readSymbols(outside.bytes, readSections(outside.bytes).sections).problems).toHaveLength(1);
  });

  it('gives a name past its string table as empty, and cuts an unterminated one at the table end', () => {
    const layout = withSymbols(plain, SYMBOLS);
    setU32(layout.bytes, layout.symtabOffset + 24, 0x1000); // symbol 1's st_name beyond .strtab
    // .strtab ends with 'local_thing\0': three bytes shorter, it ends inside the name, before any NUL.
    const strtabSize = layout.tableOffset + 2 * 64 + 32;
    setU64(layout.bytes, strtabSize, BigInt(layout.shstrtabOffset - layout.strtabOffset - 3));
    const names = readSymbols(layout.bytes, readSections(layout.bytes).sections).symbols.map((symbol) => symbol.name);
    expect(names).toEqual(['', '', 'kernel_main', 'local_thi']);
  });

  it('reads only whole entries', () => {
    const layout = withSymbols(plain, SYMBOLS);
    setU64(layout.bytes, layout.tableOffset + 64 + 32, BigInt(3 * 24 + 23));
    expect(readSymbols(layout.bytes, readSections(layout.bytes).sections).symbols).toHaveLength(3);
  });
});

describe('parseElf', () => {
  const note = elfNote('Xen', 18, new Uint8Array(8));
  const image = buildElf({
    entry: CODE,
    segments: [
      { flags: PF_R | PF_X, vaddr: CODE, data: new Uint8Array(32) },
      { type: PT_NOTE, flags: PF_R, vaddr: 0x10_2000n, data: note, align: 4n },
      { flags: PF_R, vaddr: 0x10_3000n, data: new Uint8Array(0) }, // maps nothing
    ],
  });
  const { bytes } = withSymbols(image.bytes, SYMBOLS);

  it('reads the header, program headers, notes, sections and symbols in one call', () => {
    const elf = parseElf(bytes);
    expect(elf.type).toBe(2);
    expect(elf.entry).toBe(CODE);
    expect(elf.programHeaders.map((header) => header.type)).toEqual([1, PT_NOTE, 1]);
    expect(elf.loadSegments.map((header) => header.index)).toEqual([0]);
    expect(elf.notes.map((entry) => [entry.name, entry.type, entry.descriptorOffset])).toEqual([['Xen', 18, image.dataOffsets[1]! + 16]]);
    expect(elf.sections.map((section) => section.name)).toEqual(['', '.symtab', '.strtab', '.shstrtab']);
    expect(elf.symbols.map((symbol) => symbol.name)).toEqual(['', '__text_start', 'kernel_main', 'local_thing']);
  });

  it('throws an ElfParseError listing what makes the file unreadable', () => {
    expect(() => parseElf(ascii('not an elf'))).toThrow(
      new ElfParseError([{ level: 'error', message: 'not an ELF file: it does not start with the ELF magic 7f 45 4c 46' }]),
    );
    expect(() => parseElf(ascii('not an elf'))).toThrow(/^cannot read the ELF file:\nerror: not an ELF file/);
    const twoProblems = new ElfParseError([
      { level: 'error', message: 'one' },
      { level: 'error', message: 'two' },
    ]);
    expect(twoProblems.message).toBe('cannot read the ELF file:\nerror: one\nerror: two');
    expect(twoProblems.name).toBe('ElfParseError');
    const brokenSymbols = bytes.slice();
    setU32(brokenSymbols, getU32(brokenSymbols, 40) + 64 + 40, 0); // .symtab's sh_link: the null section
    let thrown: unknown;
    try {
      parseElf(brokenSymbols);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ElfParseError);
    expect((thrown as ElfParseError).problems).toEqual([
      { level: 'error', message: 'symbol table .symtab: its entries or its string table (section 0) are not in the file' },
    ]);
    const brokenNote = bytes.slice();
    setU32(brokenNote, image.dataOffsets[1]!, 4096);
    expect(() => parseElf(brokenNote)).toThrow(/runs past the end of its segment/);
  });

  it('gives the value of a symbol by name, and refuses a missing or ambiguous one', () => {
    const elf = parseElf(bytes);
    expect(symbolValue(elf, 'kernel_main')).toBe(CODE + 0x10n);
    expect(() => symbolValue(elf, 'nothing')).toThrow('no symbol nothing in the ELF file');
    const twice = { ...elf, symbols: [...elf.symbols, { ...elf.symbols[2]!, value: 1n }] };
    expect(() => symbolValue(twice, 'kernel_main')).toThrow('symbol kernel_main has 2 different values');
    const same = { ...elf, symbols: [...elf.symbols, elf.symbols[2]!] };
    expect(symbolValue(same, 'kernel_main')).toBe(CODE + 0x10n);
  });
});

describe('StringTable (§5)', () => {
  const table = new StringTable(ascii('\0abc\0de'));

  it('gives the string at any offset up to its NUL, or to the end of the table without one', () => {
    expect([0, 1, 2, 4, 5, 6, 7].map((offset) => table.at(offset))).toEqual(['', 'abc', 'bc', '', 'de', 'e', undefined]);
    expect(table.at(-1)).toBeUndefined();
    expect(new StringTable(new Uint8Array(0)).at(0)).toBeUndefined();
  });

  it('reads one character per byte', () => {
    expect(new StringTable(new Uint8Array([0xc3, 0xa9, 0])).at(0)).toBe('\u00c3\u00a9');
  });
});

describe('relocation sections and symbol tables as the gABI allows them (§4)', () => {
  it('finds SHT_REL and SHT_RELA sections, and no other', () => {
    const layout = withSymbols(plain, []);
    const { bytes } = layout;
    setU32(bytes, layout.tableOffset + 64 + 4, SHT_REL);
    setU32(bytes, layout.tableOffset + 2 * 64 + 4, SHT_RELA);
    expect([SHT_REL, SHT_RELA]).toEqual([9, 4]);
    expect(relocationSections(readSections(bytes).sections).map(({ index, name, type }) => ({ index, name, type }))).toEqual([
      { index: 1, name: '.symtab', type: SHT_REL },
      { index: 2, name: '.strtab', type: SHT_RELA },
    ]);
    expect(relocationSections(readSections(withSymbols(plain, SYMBOLS).bytes).sections)).toEqual([]);
  });

  it('reads one SHT_SYMTAB and names a second as a problem, without reading it', () => {
    const layout = withSymbols(plain, SYMBOLS);
    const { bytes } = layout;
    // Sections unnamed (e_shstrndx SHN_UNDEF), and .shstrtab (section 3) turned into a second
    // symbol table over the first one's entries, with the same string table.
    setU16(bytes, 62, 0);
    const at = layout.tableOffset + 3 * 64;
    setU32(bytes, at + 4, SHT_SYMTAB);
    setU64(bytes, at + 24, BigInt(layout.symtabOffset));
    setU64(bytes, at + 32, BigInt(4 * 24));
    setU32(bytes, at + 40, 2);
    const reading = readSymbols(bytes, readSections(bytes).sections);
    expect(reading.problems).toEqual([
      { level: 'error', message: 'symbol table #3 is a second SHT_SYMTAB: the gABI allows one per file, and only #1 is read' },
    ]);
    expect(reading.symbols.map((symbol) => symbol.name)).toEqual(['', '__text_start', 'kernel_main', 'local_thing']);
    // Seven more: one problem, naming five of them.
    const seven = Array.from({ length: 8 }, (_, index) => ({ ...readSections(bytes).sections[3]!, index: 3 + index }));
    expect(readSymbols(bytes, [...readSections(bytes).sections.slice(0, 3), ...seven]).problems).toEqual([
      {
        level: 'error',
        message: 'symbol tables #3, #4, #5, #6, #7 and 3 more are further SHT_SYMTAB sections: the gABI allows one per file, and only #1 is read',
      },
    ]);
  });
});

describe('bounded reads of names', () => {
  it('reads a NUL-terminated string to at most CSTRING_READ_LIMIT bytes', () => {
    const long = new Uint8Array(CSTRING_READ_LIMIT + 100).fill(0x41);
    expect(readCString(long, 0)).toHaveLength(CSTRING_READ_LIMIT);
    expect(readCString(long, 100)).toHaveLength(CSTRING_READ_LIMIT);
    // Fewer bytes before the end of the bytes than the limit: all of them.
    expect(readCString(long, 200)).toHaveLength(CSTRING_READ_LIMIT - 100);
  });

  it('reads a string table up to STRING_TABLE_READ_LIMIT: a name past it is empty, one across it cut', () => {
    const elf = buildElf({ entry: 0x100000n, segments: [{ flags: PF_R | PF_X, vaddr: 0x100000n, data: new Uint8Array(16) }] }).bytes;
    const layout = withSymbols(elf, [
      { name: 'a', value: 1n },
      { name: 'b', value: 2n },
    ]);
    // .strtab (section 2) moved to a table of 9 MiB of 'A', with a NUL 10 bytes past the limit.
    const table = new Uint8Array(9 << 20).fill(0x41);
    table[STRING_TABLE_READ_LIMIT + 10] = 0;
    const bytes = concat(layout.bytes, table);
    setU64(bytes, layout.tableOffset + 2 * 64 + 24, BigInt(layout.bytes.length));
    setU64(bytes, layout.tableOffset + 2 * 64 + 32, BigInt(table.length));
    setU32(bytes, layout.symtabOffset + 24, STRING_TABLE_READ_LIMIT - 4);
    setU32(bytes, layout.symtabOffset + 2 * 24, STRING_TABLE_READ_LIMIT + 1);
    const { symbols, problems } = readSymbols(bytes, readSections(bytes).sections);
    expect(problems).toEqual([]);
    expect(symbols.slice(1).map((symbol) => symbol.name)).toEqual(['AAAA', '']);
  });
});
