/**
 * The section header table of an ELF file and the symbol tables it holds (System V ABI,
 * "ELF-64 Object File Format" 1.5: §3 File header, §4 Sections, §5 String tables, §6 Symbol
 * table; the gABI's Elf32 structures for ELF32). Loaders mostly do not read them; GRUB's multiboot2
 * loader does (grub-core/loader/multiboot_elfxx.c reads the whole table, refuses SHT_REL and
 * SHT_RELA sections, and stops at "premature end of file" when the table is cut off), and the tests
 * and tools that look inside a kernel do: the bounds its linker script exports (`__text_start`,
 * `__bss_end`), the size of `.text`.
 *
 * Linear in the file's size whatever the tables say: names are sliced from one decoded copy of
 * their string table (a name is found by a precomputed next-NUL index, never by scanning again),
 * and only one SHT_SYMTAB is read, as the gABI allows only one.
 */
import { hex, inBounds, readRange, readU16, sizeOf, type Bytes } from './bytes.js';
import { elfClassLayout, fieldNumber, readField, type ElfClassLayout } from './elf.js';
import { error, type Finding } from './findings.js';

/** §4 sh_type. */
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
/** §4: section index 0 is reserved (SHN_UNDEF): no section. */
export const SHN_UNDEF = 0;

export interface SectionHeader {
  /** Position in the section header table. */
  readonly index: number;
  /** From the section name string table (e_shstrndx); empty when it has none. */
  readonly name: string;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  readonly offset: bigint;
  readonly size: bigint;
  readonly link: number;
  readonly info: number;
  readonly addralign: bigint;
  readonly entsize: bigint;
}

export interface ElfSymbol {
  /** From the string table the symbol table's sh_link names. */
  readonly name: string;
  readonly value: bigint;
  readonly size: bigint;
  /** §6 st_info: the low four bits (STT_NOTYPE 0, STT_OBJECT 1, STT_FUNC 2, STT_SECTION 3, STT_FILE 4). */
  readonly type: number;
  /** §6 st_info: the high four bits (STB_LOCAL 0, STB_GLOBAL 1, STB_WEAK 2). */
  readonly binding: number;
  /** §6 st_shndx: the section it is defined in (0: undefined). */
  readonly sectionIndex: number;
}

export interface SectionReading {
  readonly sections: readonly SectionHeader[];
  readonly problems: readonly Finding[];
}

export interface SymbolReading {
  readonly symbols: readonly ElfSymbol[];
  readonly problems: readonly Finding[];
}

/** The bytes of a section, as file offsets `[start, end)`, when it has file data inside the file. */
function fileRange(bytes: Bytes, section: Pick<SectionHeader, 'type' | 'offset' | 'size'>): readonly [number, number] | undefined {
  if (section.type === SHT_NOBITS || !inBounds(bytes, section.offset, section.size)) return undefined;
  return [Number(section.offset), Number(section.offset + section.size)];
}

/** §4 (and Elf32_Shdr): the section header at `at`, which lies in the file. */
function sectionHeaderAt(bytes: Bytes, layout: ElfClassLayout, at: number, index: number, name: string): SectionHeader {
  const fields = layout.sectionHeader;
  return {
    index,
    name,
    type: fieldNumber(bytes, at, fields.type),
    flags: readField(bytes, at, fields.flags)!,
    addr: readField(bytes, at, fields.addr)!,
    offset: readField(bytes, at, fields.offset)!,
    size: readField(bytes, at, fields.size)!,
    link: fieldNumber(bytes, at, fields.link),
    info: fieldNumber(bytes, at, fields.info),
    addralign: readField(bytes, at, fields.addralign)!,
    entsize: readField(bytes, at, fields.entsize)!,
  };
}

/** Names in ELF files are bytes; decoded one character per byte (the WHATWG 'latin1' label). */
const LATIN1 = new TextDecoder('latin1');

/**
 * A string table (§5) read once: the NUL-terminated string at any offset in O(1), sliced from one
 * decoded copy of the table, so that any number of names costs no more than the table itself.
 */
export class StringTable {
  private readonly text: string;
  /** For each offset, where the next NUL is (or the table's length without one). */
  private readonly nextNul: Uint32Array;

  constructor(bytes: Uint8Array) {
    this.text = LATIN1.decode(bytes);
    this.nextNul = new Uint32Array(bytes.length);
    let nul = bytes.length;
    for (let offset = bytes.length - 1; offset >= 0; offset--) {
      if (bytes[offset] === 0) nul = offset;
      this.nextNul[offset] = nul;
    }
  }

  /** The string at `offset` up to its NUL (or the table's end); `undefined` outside the table. */
  at(offset: number): string | undefined {
    return offset >= 0 && offset < this.nextNul.length ? this.text.slice(offset, this.nextNul[offset]) : undefined;
  }
}

/**
 * The most bytes of one string table that are read: 8 MiB, some 40 times a debug kernel's .strtab
 * (about 220 KiB). A crafted table claiming gigabytes is read up to here, and a name at or past it
 * reads as empty, so that memory stays bounded whatever the file says.
 */
export const STRING_TABLE_READ_LIMIT = 8 << 20;

function stringTableOf(bytes: Bytes, range: readonly [number, number]): StringTable {
  return new StringTable(readRange(bytes, range[0], Math.min(range[1] - range[0], STRING_TABLE_READ_LIMIT)));
}

/** Why the section header table cannot be read whole; `reason` tells the kinds apart for the rules. */
export interface SectionTableProblem {
  /** The ELF header is cut off, the entries are smaller than the class's, or the table runs past the file. */
  readonly reason: 'header' | 'entry-size' | 'past-end';
  readonly finding: Finding;
}

/**
 * Why the section header table cannot be read whole, or `undefined` when it can or there is none
 * (e_shoff or e_shnum 0).
 */
export function sectionTableProblem(bytes: Bytes, layout: ElfClassLayout): SectionTableProblem | undefined {
  if (sizeOf(bytes) < layout.headerSize) {
    return { reason: 'header', finding: error('ELF header truncated: it ends before its section header fields') };
  }
  const header = layout.header;
  const tableOffset = readField(bytes, 0, header.shoff)!;
  const entrySize = readField(bytes, 0, header.shentsize)!;
  const count = readField(bytes, 0, header.shnum)!;
  if (tableOffset === 0n || count === 0n) return undefined;
  if (entrySize < BigInt(layout.sectionHeaderSize)) {
    return {
      reason: 'entry-size',
      finding: error(`ELF section header entry size is ${entrySize}, ${layout.name} section headers are ${layout.sectionHeaderSize} bytes`),
    };
  }
  if (!inBounds(bytes, tableOffset, entrySize * count)) {
    return {
      reason: 'past-end',
      finding: error(
        `the section header table (${count} entries of ${entrySize} bytes at file offset ${hex(tableOffset)}) ` +
          `extends past the end of the file (${hex(sizeOf(bytes))} bytes)`,
      ),
    };
  }
  return undefined;
}

/**
 * The section headers with their names (§4, §5), given a readable ELF header. A file without a
 * section header table (e_shoff or e_shnum 0, as a stripped loader image may be) has none.
 */
export function readSections(bytes: Bytes): SectionReading {
  const layout = elfClassLayout(bytes);
  if (layout === undefined) return { sections: [], problems: [error('not an ELF32 or ELF64 file: its sections cannot be read')] };
  const problem = sectionTableProblem(bytes, layout);
  if (problem !== undefined) return { sections: [], problems: [problem.finding] };
  const header = layout.header;
  const tableOffset = readField(bytes, 0, header.shoff)!;
  const entrySize = fieldNumber(bytes, 0, header.shentsize);
  const count = fieldNumber(bytes, 0, header.shnum);
  const namesIndex = fieldNumber(bytes, 0, header.shstrndx);
  if (tableOffset === 0n || count === 0) return { sections: [], problems: [] };
  const start = Number(tableOffset);
  // §4 (and Elf32_Shdr): the whole table lies in the file (checked above).
  const fields = layout.sectionHeader;
  const nameOffsets = Array.from({ length: count }, (_, index) => fieldNumber(bytes, start + index * entrySize, fields.name));
  const problems: Finding[] = [];
  const namesOffset = start + namesIndex * entrySize;
  let names: StringTable | undefined;
  if (namesIndex !== SHN_UNDEF) {
    const range = namesIndex < count ? fileRange(bytes, sectionHeaderAt(bytes, layout, namesOffset, namesIndex, '')) : undefined;
    if (range === undefined) {
      problems.push(error(`the section name string table (section ${namesIndex}) is not in the file: sections are unnamed`));
    } else {
      names = stringTableOf(bytes, range);
    }
  }
  const sections = nameOffsets.map((nameOffset, index) =>
    sectionHeaderAt(bytes, layout, start + index * entrySize, index, names?.at(nameOffset) ?? ''),
  );
  return { sections, problems };
}

/** The sections holding relocations (§4 SHT_REL, SHT_RELA), which GRUB's multiboot2 loader refuses. */
export function relocationSections(sections: readonly SectionHeader[]): SectionHeader[] {
  return sections.filter((section) => section.type === SHT_REL || section.type === SHT_RELA);
}

/** How many further symbol tables a problem names before it only counts them. */
const NAMED_EXTRA_TABLES = 5;

/**
 * Every symbol of the SHT_SYMTAB section (§6), named from its string table (§5). The gABI allows
 * one symbol table ("currently, an object file may have only one section of each type", §4
 * SHT_SYMTAB): a second is a problem, and is not read.
 */
export function readSymbols(bytes: Bytes, sections: readonly SectionHeader[]): SymbolReading {
  const layout = elfClassLayout(bytes);
  const tables = sections.filter((section) => section.type === SHT_SYMTAB);
  const [table, ...extra] = tables;
  if (layout === undefined || table === undefined) return { symbols: [], problems: [] };
  const label = (section: SectionHeader): string => section.name || `#${section.index}`;
  const problems: Finding[] = [];
  if (extra.length > 0) {
    const named = extra.slice(0, NAMED_EXTRA_TABLES).map(label).join(', ');
    const more = extra.length > NAMED_EXTRA_TABLES ? ` and ${extra.length - NAMED_EXTRA_TABLES} more` : '';
    problems.push(
      error(
        `symbol table${extra.length > 1 ? 's' : ''} ${named}${more} ${extra.length > 1 ? 'are further SHT_SYMTAB sections' : 'is a second SHT_SYMTAB'}: ` +
          `the gABI allows one per file, and only ${label(table)} is read`,
      ),
    );
  }
  const where = `symbol table ${label(table)}`;
  const range = fileRange(bytes, table);
  const strings = sections[table.link];
  const stringRange = strings?.type === SHT_STRTAB ? fileRange(bytes, strings) : undefined;
  if (range === undefined || stringRange === undefined) {
    problems.push(error(`${where}: its entries or its string table (section ${table.link}) are not in the file`));
    return { symbols: [], problems };
  }
  return { symbols: readSymbolEntries(bytes, layout, range, stringTableOf(bytes, stringRange)), problems };
}

function readSymbolEntries(bytes: Bytes, layout: ElfClassLayout, range: readonly [number, number], names: StringTable): ElfSymbol[] {
  const symbols: ElfSymbol[] = [];
  const fields = layout.symbol;
  // §6 Elf64_Sym (Elf32_Sym orders value and size before info): only whole entries.
  for (let at = range[0]; at + layout.symbolSize <= range[1]; at += layout.symbolSize) {
    const info = fieldNumber(bytes, at, fields.info);
    symbols.push({
      name: names.at(fieldNumber(bytes, at, fields.name)) ?? '',
      value: readField(bytes, at, fields.value)!,
      size: readField(bytes, at, fields.size)!,
      type: info & 0xf,
      binding: info >> 4,
      sectionIndex: readU16(bytes, at + fields.shndx.at)!,
    });
  }
  return symbols;
}
