/**
 * The section header table of an ELF64 file and the symbol tables it holds (System V ABI,
 * "ELF-64 Object File Format" 1.5: §3 File header, §4 Sections, §5 String tables, §6 Symbol
 * table). Loaders never read them; the tests and tools that look inside a kernel do: the bounds
 * its linker script exports (`__text_start`, `__bss_end`), the size of `.text`.
 */
import { hex, inBounds, readCString, readU16, readU32, readU64, readU8 } from './bytes.js';
import { ELF64_HEADER_SIZE } from './elf.js';
import { error, type Finding } from './findings.js';

/** §3: e_shoff (u64), then e_shentsize, e_shnum and e_shstrndx (u16). */
const E_SHOFF = 40;
const E_SHENTSIZE = 58;
const E_SHNUM = 60;
const E_SHSTRNDX = 62;
/** §4: the size of an ELF64 section header (e_shentsize may be larger, never smaller). */
const ELF64_SECTION_HEADER_SIZE = 64;
/** §6: the size of an Elf64_Sym. */
const ELF64_SYMBOL_SIZE = 24;
/** §4 sh_type. */
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;
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
function fileRange(bytes: Uint8Array, section: Pick<SectionHeader, 'type' | 'offset' | 'size'>): readonly [number, number] | undefined {
  if (section.type === SHT_NOBITS || !inBounds(bytes, section.offset, section.size)) return undefined;
  return [Number(section.offset), Number(section.offset + section.size)];
}

/**
 * The section headers with their names (§4, §5), given a readable ELF64 header. A file without a
 * section header table (e_shoff or e_shnum 0, as a stripped loader image may be) has none.
 */
export function readSections(bytes: Uint8Array): SectionReading {
  if (bytes.byteLength < ELF64_HEADER_SIZE) {
    return { sections: [], problems: [error('ELF header truncated: it ends before its section header fields')] };
  }
  const tableOffset = readU64(bytes, E_SHOFF)!;
  const entrySize = readU16(bytes, E_SHENTSIZE)!;
  const count = readU16(bytes, E_SHNUM)!;
  const namesIndex = readU16(bytes, E_SHSTRNDX)!;
  if (tableOffset === 0n || count === 0) return { sections: [], problems: [] };
  if (entrySize < ELF64_SECTION_HEADER_SIZE) {
    return {
      sections: [],
      problems: [error(`ELF section header entry size is ${entrySize}, ELF64 section headers are ${ELF64_SECTION_HEADER_SIZE} bytes`)],
    };
  }
  if (!inBounds(bytes, tableOffset, BigInt(entrySize) * BigInt(count))) {
    return {
      sections: [],
      problems: [
        error(
          `the section header table (${count} entries of ${entrySize} bytes at file offset ${hex(tableOffset)}) ` +
            `extends past the end of the file (${hex(bytes.byteLength)} bytes)`,
        ),
      ],
    };
  }
  const start = Number(tableOffset);
  // §4: sh_name, sh_type (u32), sh_flags, sh_addr, sh_offset, sh_size (u64), sh_link, sh_info
  // (u32), sh_addralign, sh_entsize (u64). The whole table lies in the file (checked above).
  const unnamed = Array.from({ length: count }, (_, index) => {
    const at = start + index * entrySize;
    return {
      index,
      nameOffset: readU32(bytes, at)!,
      type: readU32(bytes, at + 4)!,
      flags: readU64(bytes, at + 8)!,
      addr: readU64(bytes, at + 16)!,
      offset: readU64(bytes, at + 24)!,
      size: readU64(bytes, at + 32)!,
      link: readU32(bytes, at + 40)!,
      info: readU32(bytes, at + 44)!,
      addralign: readU64(bytes, at + 48)!,
      entsize: readU64(bytes, at + 56)!,
    };
  });
  const problems: Finding[] = [];
  const namesSection = unnamed[namesIndex];
  let names: readonly [number, number] | undefined;
  if (namesIndex !== SHN_UNDEF) {
    names = namesSection === undefined ? undefined : fileRange(bytes, namesSection);
    if (names === undefined) {
      problems.push(error(`the section name string table (section ${namesIndex}) is not in the file: sections are unnamed`));
    }
  }
  const sections = unnamed.map(({ nameOffset, ...section }): SectionHeader => ({
    ...section,
    name: names === undefined ? '' : (readCString(bytes, names[0] + nameOffset, names[1]) ?? ''),
  }));
  return { sections, problems };
}

/** Every symbol of every SHT_SYMTAB section (§6), named from its string table (§5). */
export function readSymbols(bytes: Uint8Array, sections: readonly SectionHeader[]): SymbolReading {
  const symbols: ElfSymbol[] = [];
  const problems: Finding[] = [];
  for (const table of sections.filter((section) => section.type === SHT_SYMTAB)) {
    const where = `symbol table ${table.name || `#${table.index}`}`;
    const range = fileRange(bytes, table);
    const strings = sections[table.link];
    const stringRange = strings?.type === SHT_STRTAB ? fileRange(bytes, strings) : undefined;
    if (range === undefined || stringRange === undefined) {
      problems.push(error(`${where}: its entries or its string table (section ${table.link}) are not in the file`));
      continue;
    }
    // §6: st_name (u32), st_info, st_other (u8), st_shndx (u16), st_value, st_size (u64).
    for (let at = range[0]; at + ELF64_SYMBOL_SIZE <= range[1]; at += ELF64_SYMBOL_SIZE) {
      const info = readU8(bytes, at + 4)!;
      symbols.push({
        name: readCString(bytes, stringRange[0] + readU32(bytes, at)!, stringRange[1]) ?? '',
        value: readU64(bytes, at + 8)!,
        size: readU64(bytes, at + 16)!,
        type: info & 0xf,
        binding: info >> 4,
        sectionIndex: readU16(bytes, at + 6)!,
      });
    }
  }
  return { symbols, problems };
}
