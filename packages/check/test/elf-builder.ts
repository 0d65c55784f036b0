/**
 * Synthetic kernels for the checker's tests: byte patching, a tiny ELF64 builder, Multiboot2
 * headers and ELF notes, each written from the specification rather than from the code under test.
 * The CLI's `check` tests use them too (packages/create-baremetal-kernel/test/check-support.ts).
 */
import { ET_EXEC, PT_LOAD } from '../src/elf.js';
export { ET_DYN, ET_EXEC, PF_R, PF_W, PF_X, PT_DYNAMIC, PT_LOAD, PT_NOTE } from '../src/elf.js';

// ---------------------------------------------------------------------------------------------
// Byte patching
// ---------------------------------------------------------------------------------------------

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const getU16 = (bytes: Uint8Array, offset: number): number => view(bytes).getUint16(offset, true);
export const getU32 = (bytes: Uint8Array, offset: number): number => view(bytes).getUint32(offset, true);
export const getU64 = (bytes: Uint8Array, offset: number): bigint => view(bytes).getBigUint64(offset, true);
export const setU16 = (bytes: Uint8Array, offset: number, value: number): void => view(bytes).setUint16(offset, value, true);
export const setU32 = (bytes: Uint8Array, offset: number, value: number): void => view(bytes).setUint32(offset, value >>> 0, true);
export const setU64 = (bytes: Uint8Array, offset: number, value: bigint): void => view(bytes).setBigUint64(offset, value, true);

/** Little-endian bytes of 64-bit words (the layout of Limine IDs, tags and markers in memory). */
export function wordBytes(...words: readonly (bigint | string)[]): Uint8Array {
  const bytes = new Uint8Array(words.length * 8);
  words.forEach((word, index) => setU64(bytes, index * 8, BigInt(word)));
  return bytes;
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// A minimal ELF64 builder (ELF-64 Object File Format 1.5, §3 and §7)
// ---------------------------------------------------------------------------------------------


export interface SegmentSpec {
  readonly type?: number;
  readonly flags: number;
  readonly vaddr: bigint;
  /** p_paddr; defaults to vaddr. */
  readonly paddr?: bigint;
  /** File-backed contents (p_filesz = its length). */
  readonly data?: Uint8Array;
  /** p_memsz; defaults to the data's length. */
  readonly memsz?: bigint;
  readonly align?: bigint;
}

export interface ElfSpec {
  /** ELF64 (the default) or ELF32 (gABI Elf32_Ehdr and Elf32_Phdr, e_machine EM_386 by default). */
  readonly elfClass?: 32 | 64;
  readonly type?: number;
  /** Default: EM_X86_64 (62) for ELF64, EM_386 (3) for ELF32. */
  readonly machine?: number;
  readonly entry: bigint;
  readonly segments: readonly SegmentSpec[];
}

export interface BuiltElf {
  readonly bytes: Uint8Array;
  /** The file offset of each segment's data, in the order given. */
  readonly dataOffsets: readonly number[];
}

const HEADER_SIZE = 64;
const PROGRAM_HEADER_SIZE = 56;
/** gABI Elf32_Ehdr and Elf32_Phdr sizes. */
const ELF32_HEADER_SIZE = 52;
const ELF32_PROGRAM_HEADER_SIZE = 32;
const PAGE = 0x1000;

/**
 * An ELF executable: header, program headers, then each segment's data at a page-congruent offset.
 * ELF64 by default; with `elfClass: 32` the gABI's Elf32 layout (32-bit fields, p_flags after p_memsz).
 */
export function buildElf(spec: ElfSpec): BuiltElf {
  const elf32 = spec.elfClass === 32;
  const headerSize = elf32 ? ELF32_HEADER_SIZE : HEADER_SIZE;
  const entrySize = elf32 ? ELF32_PROGRAM_HEADER_SIZE : PROGRAM_HEADER_SIZE;
  const tableEnd = headerSize + spec.segments.length * entrySize;
  const dataOffsets: number[] = [];
  let cursor = tableEnd;
  for (const segment of spec.segments) {
    const congruent = Number(segment.vaddr % BigInt(PAGE));
    let offset = Math.floor(cursor / PAGE) * PAGE + congruent;
    if (offset < cursor) offset += PAGE;
    dataOffsets.push(offset);
    cursor = offset + (segment.data?.length ?? 0);
  }
  const bytes = new Uint8Array(cursor);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, elf32 ? 1 : 2, 1, 1], 0); // magic, ELFCLASS32/64, ELFDATA2LSB, EV_CURRENT
  setU16(bytes, 16, spec.type ?? ET_EXEC);
  setU16(bytes, 18, spec.machine ?? (elf32 ? 3 : 62));
  setU32(bytes, 20, 1); // e_version EV_CURRENT
  if (elf32) {
    setU32(bytes, 24, Number(spec.entry));
    setU32(bytes, 28, headerSize); // e_phoff
    setU16(bytes, 40, headerSize); // e_ehsize
    setU16(bytes, 42, entrySize);
    setU16(bytes, 44, spec.segments.length);
  } else {
    setU64(bytes, 24, spec.entry);
    setU64(bytes, 32, BigInt(headerSize)); // e_phoff
    setU16(bytes, 52, headerSize); // e_ehsize
    setU16(bytes, 54, entrySize);
    setU16(bytes, 56, spec.segments.length);
  }
  spec.segments.forEach((segment, index) => {
    const at = headerSize + index * entrySize;
    const size = BigInt(segment.data?.length ?? 0);
    const fields = {
      type: segment.type ?? PT_LOAD,
      flags: segment.flags,
      offset: BigInt(dataOffsets[index]!),
      vaddr: segment.vaddr,
      paddr: segment.paddr ?? segment.vaddr,
      filesz: size,
      memsz: segment.memsz ?? size,
      align: segment.align ?? BigInt(PAGE),
    };
    if (elf32) {
      // Elf32_Phdr: p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align (u32 each).
      [fields.type, fields.offset, fields.vaddr, fields.paddr, fields.filesz, fields.memsz, fields.flags, fields.align].forEach((value, field) =>
        setU32(bytes, at + field * 4, Number(value)),
      );
    } else {
      setU32(bytes, at, fields.type);
      setU32(bytes, at + 4, fields.flags);
      setU64(bytes, at + 8, fields.offset);
      setU64(bytes, at + 16, fields.vaddr);
      setU64(bytes, at + 24, fields.paddr);
      setU64(bytes, at + 32, fields.filesz);
      setU64(bytes, at + 40, fields.memsz);
      setU64(bytes, at + 48, fields.align);
    }
    if (segment.data) bytes.set(segment.data, dataOffsets[index]!);
  });
  return { bytes, dataOffsets };
}

/** The file offset of program header `index`: e_phoff + index * e_phentsize, of the file's class. */
export function programHeaderOffset(bytes: Uint8Array, index: number): number {
  if (bytes[4] === 1) return getU32(bytes, 28) + index * getU16(bytes, 42);
  return Number(getU64(bytes, 32)) + index * getU16(bytes, 54);
}

// ---------------------------------------------------------------------------------------------
// Multiboot2 headers (Multiboot2 specification 2.0, §3.1.1-§3.1.3) and ELF notes (gABI)
// ---------------------------------------------------------------------------------------------

/** §3.1.2: the header magic, written out here rather than taken from the model under test. */
export const MULTIBOOT2_MAGIC = 0xe85250d6;

/** §3.1.3: u16 type, u16 flags, u32 size (default 8 + the payload), the payload, zero-padded to 8 bytes. */
export function multiboot2Tag(type: number, flags = 0, payload: Uint8Array = new Uint8Array(0), size = 8 + payload.length): Uint8Array {
  const tag = new Uint8Array(Math.ceil((8 + payload.length) / 8) * 8);
  setU16(tag, 0, type);
  setU16(tag, 2, flags);
  setU32(tag, 4, size);
  tag.set(payload, 8);
  return tag;
}

/** §3.1.3: the end tag (type 0, flags 0, size 8). */
export const MULTIBOOT2_END_TAG = multiboot2Tag(0);

/** §3.1.2: the checksum that makes magic + architecture + header_length + checksum 0 mod 2^32. */
export function multiboot2Checksum(architecture: number, headerLength: number): number {
  return (2 ** 32 - ((MULTIBOOT2_MAGIC + architecture + headerLength) % 2 ** 32)) % 2 ** 32;
}

export interface Multiboot2HeaderSpec {
  /** Default 0 (i386). */
  readonly architecture?: number;
  /** Default: the 16 fixed bytes plus the tags. */
  readonly headerLength?: number;
  /** Default: the correct one for the fields. */
  readonly checksum?: number;
  /** Default: only the end tag. */
  readonly tags?: Uint8Array;
}

/** §3.1.1-§3.1.3: magic, architecture, header_length, checksum, then the tags. */
export function multiboot2Header(spec: Multiboot2HeaderSpec = {}): Uint8Array {
  const tags = spec.tags ?? MULTIBOOT2_END_TAG;
  const architecture = spec.architecture ?? 0;
  const headerLength = spec.headerLength ?? 16 + tags.length;
  const header = new Uint8Array(16 + tags.length);
  setU32(header, 0, MULTIBOOT2_MAGIC);
  setU32(header, 4, architecture);
  setU32(header, 8, headerLength);
  setU32(header, 12, spec.checksum ?? multiboot2Checksum(architecture, headerLength));
  header.set(tags, 16);
  return header;
}

/** `size` zero bytes with `part` at `offset` (cut off where the file ends). */
export function placeAt(part: Uint8Array, offset: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(part.subarray(0, Math.max(0, size - offset)), offset);
  return bytes;
}

/** gABI: u32 namesz (with the NUL), u32 descsz, u32 type, the name and the descriptor, each padded to `alignment`. */
export function elfNote(name: string, type: number, descriptor: Uint8Array, alignment = 4): Uint8Array {
  const pad = (length: number): number => Math.ceil(length / alignment) * alignment;
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const note = new Uint8Array(pad(12 + nameBytes.length) + pad(descriptor.length));
  setU32(note, 0, nameBytes.length);
  setU32(note, 4, descriptor.length);
  setU32(note, 8, type);
  note.set(nameBytes, 12);
  note.set(descriptor, pad(12 + nameBytes.length));
  return note;
}

// ---------------------------------------------------------------------------------------------
// Section headers and a symbol table (ELF-64 Object File Format 1.5, §4-§6)
// ---------------------------------------------------------------------------------------------

/** §6: one Elf64_Sym. `info` is st_info (binding << 4 | type), `shndx` st_shndx. */
export interface SymbolSpec {
  readonly name: string;
  readonly value: bigint;
  readonly size?: bigint;
  readonly info?: number;
  readonly shndx?: number;
}

/** Where {@link withSymbols} put things, for tests that corrupt them. */
export interface SectionLayout {
  readonly bytes: Uint8Array;
  /** File offset of the section header table (e_shoff). */
  readonly tableOffset: number;
  /** File offsets of .strtab, .shstrtab and .symtab's data. */
  readonly strtabOffset: number;
  readonly shstrtabOffset: number;
  readonly symtabOffset: number;
}

const SECTION_HEADER_SIZE = 64;
const SYMBOL_SIZE = 24;

/** A string table (§5): a NUL, then each string with its NUL; returns the table and each string's offset. */
function stringTable(strings: readonly string[]): { table: Uint8Array; offsets: number[] } {
  const offsets: number[] = [];
  const parts: Uint8Array[] = [new Uint8Array(1)];
  let length = 1;
  for (const text of strings) {
    offsets.push(length);
    const encoded = new TextEncoder().encode(`${text}\0`);
    parts.push(encoded);
    length += encoded.length;
  }
  return { table: concat(...parts), offsets };
}

const align8 = (value: number): number => Math.ceil(value / 8) * 8;

/**
 * `bytes` (an ELF64 file) with sections appended: [0] SHT_NULL, [1] .symtab (SHT_SYMTAB, sh_link 2,
 * the null symbol then `symbols`), [2] .strtab, [3] .shstrtab (e_shstrndx), then the section header
 * table, and e_shoff, e_shentsize, e_shnum, e_shstrndx set to them.
 */
export function withSymbols(bytes: Uint8Array, symbols: readonly SymbolSpec[]): SectionLayout {
  // An ELF32 file (e_ident[EI_CLASS] 1) gets the gABI's Elf32_Shdr (40 bytes) and Elf32_Sym (16 bytes).
  const elf32 = bytes[4] === 1;
  const sectionHeaderSize = elf32 ? 40 : SECTION_HEADER_SIZE;
  const symbolSize = elf32 ? 16 : SYMBOL_SIZE;
  const names = stringTable(symbols.map((symbol) => symbol.name));
  const sectionNames = stringTable(['.symtab', '.strtab', '.shstrtab']);
  const symtab = new Uint8Array((symbols.length + 1) * symbolSize);
  symbols.forEach((symbol, index) => {
    const at = (index + 1) * symbolSize;
    setU32(symtab, at, names.offsets[index]!);
    if (elf32) {
      // Elf32_Sym: st_name, st_value, st_size (u32), st_info, st_other (u8), st_shndx (u16).
      setU32(symtab, at + 4, Number(symbol.value));
      setU32(symtab, at + 8, Number(symbol.size ?? 0n));
      symtab[at + 12] = symbol.info ?? 0x10;
      setU16(symtab, at + 14, symbol.shndx ?? 1);
    } else {
      symtab[at + 4] = symbol.info ?? 0x10; // STB_GLOBAL, STT_NOTYPE
      setU16(symtab, at + 6, symbol.shndx ?? 1);
      setU64(symtab, at + 8, symbol.value);
      setU64(symtab, at + 16, symbol.size ?? 0n);
    }
  });
  const strtabOffset = bytes.length;
  const shstrtabOffset = strtabOffset + names.table.length;
  const symtabOffset = align8(shstrtabOffset + sectionNames.table.length);
  const tableOffset = align8(symtabOffset + symtab.length);
  const file = new Uint8Array(tableOffset + 4 * sectionHeaderSize);
  file.set(bytes, 0);
  file.set(names.table, strtabOffset);
  file.set(sectionNames.table, shstrtabOffset);
  file.set(symtab, symtabOffset);
  const header = (index: number, name: number, type: number, offset: number, size: number, link = 0, entsize = 0) => {
    const at = tableOffset + index * sectionHeaderSize;
    setU32(file, at, name);
    setU32(file, at + 4, type);
    if (elf32) {
      // Elf32_Shdr: sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size, sh_link, sh_info, sh_addralign, sh_entsize.
      setU32(file, at + 16, offset);
      setU32(file, at + 20, size);
      setU32(file, at + 24, link);
      setU32(file, at + 32, 1);
      setU32(file, at + 36, entsize);
    } else {
      setU64(file, at + 24, BigInt(offset));
      setU64(file, at + 32, BigInt(size));
      setU32(file, at + 40, link);
      setU64(file, at + 48, 1n);
      setU64(file, at + 56, BigInt(entsize));
    }
  };
  header(1, sectionNames.offsets[0]!, 2, symtabOffset, symtab.length, 2, symbolSize);
  header(2, sectionNames.offsets[1]!, 3, strtabOffset, names.table.length);
  header(3, sectionNames.offsets[2]!, 3, shstrtabOffset, sectionNames.table.length);
  if (elf32) {
    setU32(file, 32, tableOffset); // e_shoff
    setU16(file, 46, sectionHeaderSize); // e_shentsize
    setU16(file, 48, 4); // e_shnum
    setU16(file, 50, 3); // e_shstrndx
  } else {
    setU64(file, 40, BigInt(tableOffset)); // e_shoff
    setU16(file, 58, sectionHeaderSize); // e_shentsize
    setU16(file, 60, 4); // e_shnum
    setU16(file, 62, 3); // e_shstrndx
  }
  return { bytes: file, tableOffset, strtabOffset, shstrtabOffset, symtabOffset };
}

// ---------------------------------------------------------------------------------------------
// Projects
// ---------------------------------------------------------------------------------------------

/**
 * A generated kernel's Cargo.toml as `check` reads it: the package name, another [[bin]] whose
 * name must not be taken for it, and the boot protocol with a trailing comment.
 */
export const MANIFEST = [
  '[package]',
  'name = "my-os"',
  'version = "0.1.0"',
  '',
  '[[bin]]',
  'name = "not-this-one"',
  '',
  '[package.metadata.baremetal-kernel]',
  'generator-version = "0.1.0"',
  'boot = "limine"  # comment',
  'preset = "baseline"',
  '',
].join('\n');

/** §3.1.5: the address tag (type 2): header_addr, load_addr, load_end_addr, bss_end_addr. */
export interface AddressTagFields {
  readonly headerAddr: number;
  readonly loadAddr: number;
  readonly loadEndAddr: number;
  readonly bssEndAddr: number;
}

/**
 * A kernel GRUB loads by its address tag (§3.1.5, the "a.out kludge"), not as an ELF: `prefix`
 * (default nothing), the multiboot2 header with an address tag, an entry address tag (§3.1.6)
 * unless `entryAddr` is null, and the end tag, then `code` (default `jmp .`).
 */
export function addressTaggedKernel(spec: {
  readonly address: AddressTagFields;
  readonly entryAddr: number | null;
  readonly prefix?: Uint8Array;
  readonly code?: Uint8Array;
}): Uint8Array {
  const { headerAddr, loadAddr, loadEndAddr, bssEndAddr } = spec.address;
  const fields = new Uint8Array(16);
  [headerAddr, loadAddr, loadEndAddr, bssEndAddr].forEach((value, index) => setU32(fields, index * 4, value));
  const entry = new Uint8Array(4);
  if (spec.entryAddr !== null) setU32(entry, 0, spec.entryAddr);
  const tags = concat(multiboot2Tag(2, 0, fields), ...(spec.entryAddr === null ? [] : [multiboot2Tag(3, 0, entry)]), MULTIBOOT2_END_TAG);
  return concat(spec.prefix ?? new Uint8Array(0), multiboot2Header({ tags }), spec.code ?? new Uint8Array([0xeb, 0xfe]));
}
