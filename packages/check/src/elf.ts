/**
 * Reading an ELF image, ELF64 (x86-64) or ELF32 (i386, which multiboot2 loaders also take): the
 * file header and the program header table, never throwing on malformed input. Field offsets are
 * from the System V gABI ("ELF-64 Object File Format" 1.5, §3 File header, §7 Program header table;
 * the generic ABI's Elf32 structures) and the x86-64 and i386 psABIs. What GRUB refuses is from its
 * multiboot2 loader, grub-core/loader/multiboot_elfxx.c (grub_multiboot_load_elf32/64).
 */
import { hex, inBounds, readU16, readU32, readU64, readU8, sizeOf, type Bytes } from './bytes.js';
import { error, listed, ok, warning, type Finding } from './findings.js';

/** §3 e_ident: "\x7fELF". */
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;
/** §3 e_ident[EI_CLASS]: ELFCLASS32, ELFCLASS64. */
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
/** §3 e_ident[EI_DATA]: ELFDATA2LSB. */
const ELFDATA2LSB = 1;
/** §3 e_ident[EI_VERSION] and e_version: EV_CURRENT, the only version. */
const EV_CURRENT = 1;
/** §3: the size of an ELF64 file header. */
export const ELF64_HEADER_SIZE = 64;
/** x86-64 psABI §4.1.1: e_machine EM_X86_64. */
export const EM_X86_64 = 62;
/** i386 psABI: e_machine EM_386 (GRUB's MULTIBOOT_ELF32_MACHINE on x86). */
export const EM_386 = 3;
/** §3 e_type. */
export const ET_EXEC = 2;
export const ET_DYN = 3;
/** §7 p_type. */
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_NOTE = 4;
/** §7 p_flags. */
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

/** Where a field lies in a structure and how wide it is. */
interface Field {
  readonly at: number;
  readonly size: 1 | 2 | 4 | 8;
}

/**
 * One ELF class's layout: the gABI's Elf32_* or Elf64_* structures, field by field. Both classes
 * are read into the same {@link ElfImage}, {@link ProgramHeader} and section structures.
 */
export interface ElfClassLayout {
  readonly elfClass: typeof ELFCLASS32 | typeof ELFCLASS64;
  readonly name: 'ELF32' | 'ELF64';
  /** The machine this class must be for an x86 kernel, and its name. */
  readonly machine: number;
  readonly machineName: string;
  readonly headerSize: number;
  readonly header: {
    readonly entry: Field;
    readonly phoff: Field;
    readonly shoff: Field;
    readonly phentsize: Field;
    readonly phnum: Field;
    readonly shentsize: Field;
    readonly shnum: Field;
    readonly shstrndx: Field;
  };
  readonly programHeaderSize: number;
  readonly programHeader: Readonly<Record<'type' | 'flags' | 'offset' | 'vaddr' | 'paddr' | 'filesz' | 'memsz' | 'align', Field>>;
  readonly sectionHeaderSize: number;
  readonly sectionHeader: Readonly<
    Record<'name' | 'type' | 'flags' | 'addr' | 'offset' | 'size' | 'link' | 'info' | 'addralign' | 'entsize', Field>
  >;
  readonly symbolSize: number;
  readonly symbol: Readonly<Record<'name' | 'value' | 'size' | 'info' | 'shndx', Field>>;
}

const u16 = (at: number): Field => ({ at, size: 2 });
const u32 = (at: number): Field => ({ at, size: 4 });
const u64 = (at: number): Field => ({ at, size: 8 });
const u8 = (at: number): Field => ({ at, size: 1 });

/** gABI Elf32_Ehdr (52 bytes), Elf32_Phdr (32), Elf32_Shdr (40), Elf32_Sym (16). */
export const ELF32_LAYOUT: ElfClassLayout = {
  elfClass: ELFCLASS32,
  name: 'ELF32',
  machine: EM_386,
  machineName: 'EM_386',
  headerSize: 52,
  header: { entry: u32(24), phoff: u32(28), shoff: u32(32), phentsize: u16(42), phnum: u16(44), shentsize: u16(46), shnum: u16(48), shstrndx: u16(50) },
  programHeaderSize: 32,
  programHeader: { type: u32(0), offset: u32(4), vaddr: u32(8), paddr: u32(12), filesz: u32(16), memsz: u32(20), flags: u32(24), align: u32(28) },
  sectionHeaderSize: 40,
  sectionHeader: {
    name: u32(0), type: u32(4), flags: u32(8), addr: u32(12), offset: u32(16),
    size: u32(20), link: u32(24), info: u32(28), addralign: u32(32), entsize: u32(36),
  },
  symbolSize: 16,
  symbol: { name: u32(0), value: u32(4), size: u32(8), info: u8(12), shndx: u16(14) },
};

/** ELF-64 §3 Elf64_Ehdr (64 bytes), §7 Elf64_Phdr (56), §4 Elf64_Shdr (64), §6 Elf64_Sym (24). */
export const ELF64_LAYOUT: ElfClassLayout = {
  elfClass: ELFCLASS64,
  name: 'ELF64',
  machine: EM_X86_64,
  machineName: 'EM_X86_64',
  headerSize: ELF64_HEADER_SIZE,
  header: { entry: u64(24), phoff: u64(32), shoff: u64(40), phentsize: u16(54), phnum: u16(56), shentsize: u16(58), shnum: u16(60), shstrndx: u16(62) },
  programHeaderSize: 56,
  programHeader: { type: u32(0), flags: u32(4), offset: u64(8), vaddr: u64(16), paddr: u64(24), filesz: u64(32), memsz: u64(40), align: u64(48) },
  sectionHeaderSize: 64,
  sectionHeader: {
    name: u32(0), type: u32(4), flags: u64(8), addr: u64(16), offset: u64(24),
    size: u64(32), link: u32(40), info: u32(44), addralign: u64(48), entsize: u64(56),
  },
  symbolSize: 24,
  symbol: { name: u32(0), info: u8(4), shndx: u16(6), value: u64(8), size: u64(16) },
};

/** The layout of the class in e_ident[EI_CLASS], or undefined for an unknown class. */
export function elfClassLayout(bytes: Bytes): ElfClassLayout | undefined {
  const elfClass = readU8(bytes, 4);
  return elfClass === ELFCLASS64 ? ELF64_LAYOUT : elfClass === ELFCLASS32 ? ELF32_LAYOUT : undefined;
}

const READERS = { 1: readU8, 2: readU16, 4: readU32 } as const;

/** A field of the structure at `base`, as a BigInt (`undefined` past the end of the file). */
export function readField(bytes: Bytes, base: number, field: Field): bigint | undefined {
  if (field.size === 8) return readU64(bytes, base + field.at);
  const value = READERS[field.size](bytes, base + field.at);
  return value === undefined ? undefined : BigInt(value);
}

/** A field of at most 32 bits that the caller has checked lies in the file, as a number. */
export function fieldNumber(bytes: Bytes, base: number, field: Field): number {
  if (field.size === 8) return Number(readU64(bytes, base + field.at)!);
  return READERS[field.size](bytes, base + field.at)!;
}

export interface ProgramHeader {
  /** Position in the program header table. */
  readonly index: number;
  readonly type: number;
  readonly flags: number;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly paddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  readonly align: bigint;
}

export interface ElfImage {
  /** The class's layout: ELF64 (x86-64) or ELF32 (i386). */
  readonly layout: ElfClassLayout;
  readonly type: number;
  readonly entry: bigint;
  readonly programHeaderOffset: bigint;
  /** e_phentsize: the table's stride, at least the class's program header size. */
  readonly programHeaderEntrySize: number;
  readonly programHeaders: readonly ProgramHeader[];
}

export interface ElfReading {
  /** Whether the file starts with the ELF magic at all. */
  readonly isElf: boolean;
  /** The image, when its header and program header table are readable and it is ELF64 x86-64 or ELF32 i386. */
  readonly elf: ElfImage | undefined;
  readonly findings: readonly Finding[];
}

export function isElfFile(bytes: Bytes): boolean {
  return ELF_MAGIC.every((byte, index) => readU8(bytes, index) === byte);
}

export function elfTypeName(type: number): string {
  if (type === ET_EXEC) return 'ET_EXEC';
  if (type === ET_DYN) return 'ET_DYN';
  return `type ${type}`;
}

/** `r-x` style, as the flags of a mapping. */
export function permissions(flags: number): string {
  return `${flags & PF_R ? 'r' : '-'}${flags & PF_W ? 'w' : '-'}${flags & PF_X ? 'x' : '-'}`;
}

/** Each image's load segments, found once: many rules ask, and an image may have 65535 program headers. */
const LOAD_SEGMENTS = new WeakMap<ElfImage, ProgramHeader[]>();

/** Segments the loader maps: PT_LOAD with memory (a zero-sized PT_LOAD maps nothing). */
export function loadSegments(elf: ElfImage): ProgramHeader[] {
  let segments = LOAD_SEGMENTS.get(elf);
  if (segments === undefined) {
    segments = elf.programHeaders.filter((header) => header.type === PT_LOAD && header.memsz > 0n);
    LOAD_SEGMENTS.set(elf, segments);
  }
  // A copy: callers may sort theirs.
  return segments.slice();
}

/** `PT_LOAD #1 [0x101000, 0x128d6f) r-x`: the program header's index, virtual range and permissions. */
export function describeSegment(segment: ProgramHeader): string {
  return `PT_LOAD #${segment.index} [${hex(segment.vaddr)}, ${hex(segment.vaddr + segment.memsz)}) ${permissions(segment.flags)}`;
}

/** The PT_LOAD segment whose virtual range contains `address`. */
export function segmentContaining(elf: ElfImage, address: bigint): ProgramHeader | undefined {
  return loadSegments(elf).find((segment) => address >= segment.vaddr && address < segment.vaddr + segment.memsz);
}

function readProgramHeader(bytes: Bytes, layout: ElfClassLayout, at: number, index: number): ProgramHeader {
  // §7 (and Elf32_Phdr, which puts p_flags after p_memsz). The caller has checked that the whole
  // entry lies in the file.
  const fields = layout.programHeader;
  const wide = (field: Field): bigint => readField(bytes, at, field)!;
  return {
    index,
    type: fieldNumber(bytes, at, fields.type),
    flags: fieldNumber(bytes, at, fields.flags),
    offset: wide(fields.offset),
    vaddr: wide(fields.vaddr),
    paddr: wide(fields.paddr),
    filesz: wide(fields.filesz),
    memsz: wide(fields.memsz),
    align: wide(fields.align),
  };
}

/** Problems of one PT_LOAD segment's sizes against the file (§7: p_filesz <= p_memsz, data in the file). */
function segmentFileProblems(bytes: Bytes, segment: ProgramHeader): Finding[] {
  const problems: Finding[] = [];
  if (segment.filesz > segment.memsz) {
    problems.push(
      error(`${describeSegment(segment)} has p_filesz ${hex(segment.filesz)} larger than p_memsz ${hex(segment.memsz)}`),
    );
  }
  // A segment without file data (.bss) reads nothing from the file, whatever its p_offset.
  if (segment.filesz > 0n && !inBounds(bytes, segment.offset, segment.filesz)) {
    problems.push(
      error(
        `${describeSegment(segment)} has its file data at [${hex(segment.offset)}, ${hex(segment.offset + segment.filesz)}) ` +
          `but the file has only ${hex(sizeOf(bytes))} bytes (truncated?)`,
      ),
    );
  }
  return problems;
}

/**
 * The ELF identification and the header fields every loader checks first (§3; GRUB's
 * multiboot_elfxx.c refuses each of these before it reads a program header): the layout to read
 * the rest with, or the findings that stop the reading.
 */
function readIdentification(bytes: Bytes): { layout: ElfClassLayout | undefined; findings: Finding[] } {
  const fail = (message: string) => ({ layout: undefined, findings: [error(message)] });
  const elfClass = readU8(bytes, 4);
  const layout = elfClassLayout(bytes);
  if (layout === undefined) {
    return elfClass === undefined
      ? fail(`ELF header truncated: the file has ${sizeOf(bytes)} bytes, an ELF header needs at least ${ELF32_LAYOUT.headerSize}`)
      : fail(`ELF class is ${elfClass} (unknown), a kernel must be ELF64 (class 2), or ELF32 (class 1) for multiboot2`);
  }
  if (sizeOf(bytes) < layout.headerSize) {
    return fail(`ELF header truncated: the file has ${sizeOf(bytes)} bytes, an ${layout.name} header needs ${layout.headerSize}`);
  }
  const data = readU8(bytes, 5)!;
  if (data !== ELFDATA2LSB) return fail(`ELF data encoding is ${data}, an x86 kernel must be little-endian (ELFDATA2LSB = 1)`);
  const machine = readU16(bytes, 18)!;
  if (machine !== layout.machine) {
    return fail(
      layout === ELF64_LAYOUT
        ? `ELF machine is ${machine}, an x86_64 kernel must be ${layout.machineName} (${layout.machine})`
        : `ELF machine is ${machine}, an ELF32 kernel must be ${layout.machineName} (${layout.machine}): GRUB loads no other ("invalid arch-dependent ELF magic")`,
    );
  }
  // multiboot_elfxx.c refuses e_version != EV_CURRENT ("invalid arch-dependent ELF magic").
  const version = readU32(bytes, 20)!;
  if (version !== EV_CURRENT) {
    return fail(`ELF e_version is ${version}, must be EV_CURRENT (1): GRUB refuses the file ("invalid arch-dependent ELF magic")`);
  }
  // The gABI also asks e_ident[EI_VERSION] to be EV_CURRENT; GRUB's multiboot2 loader does not look.
  const identVersion = readU8(bytes, 6)!;
  const findings =
    identVersion === EV_CURRENT
      ? []
      : [warning(`ELF e_ident[EI_VERSION] is ${identVersion}, the gABI (§3 e_ident) requires EV_CURRENT (1); GRUB's multiboot2 loader does not check it`)];
  return { layout, findings };
}

/** Reads and checks the ELF header and program header table (§3, §7), ELF64 x86-64 or ELF32 i386. */
export function readElf(bytes: Bytes): ElfReading {
  if (!isElfFile(bytes)) {
    return { isElf: false, elf: undefined, findings: [error('not an ELF file: it does not start with the ELF magic 7f 45 4c 46')] };
  }
  const identification = readIdentification(bytes);
  const { layout } = identification;
  if (layout === undefined) return { isElf: true, elf: undefined, findings: identification.findings };
  const fail = (message: string): ElfReading => ({ isElf: true, elf: undefined, findings: [...identification.findings, error(message)] });
  const header = layout.header;
  const type = readU16(bytes, 16)!;
  const entry = readField(bytes, 0, header.entry)!;
  const programHeaderOffset = readField(bytes, 0, header.phoff)!;
  const entrySize = fieldNumber(bytes, 0, header.phentsize);
  const count = fieldNumber(bytes, 0, header.phnum);

  if (count === 0) return fail('the ELF file has no program headers: a loader has nothing to load');
  if (entrySize < layout.programHeaderSize) {
    return fail(`ELF program header entry size is ${entrySize}, ${layout.name} program headers are ${layout.programHeaderSize} bytes`);
  }
  const tableSize = BigInt(entrySize) * BigInt(count);
  if (!inBounds(bytes, programHeaderOffset, tableSize)) {
    return fail(
      `the program header table (${count} entries of ${entrySize} bytes at file offset ${hex(programHeaderOffset)}) ` +
        `extends past the end of the file (${hex(sizeOf(bytes))} bytes)`,
    );
  }
  const tableStart = Number(programHeaderOffset);
  const programHeaders = Array.from({ length: count }, (_, index) =>
    readProgramHeader(bytes, layout, tableStart + index * entrySize, index),
  );
  const elf: ElfImage = { layout, type, entry, programHeaderOffset, programHeaderEntrySize: entrySize, programHeaders };
  const loads = loadSegments(elf);
  const faulty = loads.filter((segment) => segment.filesz > segment.memsz || (segment.filesz > 0n && !inBounds(bytes, segment.offset, segment.filesz)));
  const findings: Finding[] = [
    ...identification.findings,
    ...listed(faulty, (segment) => segmentFileProblems(bytes, segment), 'PT_LOAD segments whose file data does not fit'),
  ];
  if (loads.length === 0) findings.push(error('the ELF file has no PT_LOAD segment: a loader has nothing to load'));
  if (!findings.some((finding) => finding.level === 'error')) {
    const architecture = layout === ELF64_LAYOUT ? 'x86-64' : 'i386';
    findings.unshift(
      ok(`${layout.name}, little-endian, ${architecture}, ${elfTypeName(type)}, ${count} program headers (${loads.length} PT_LOAD)`),
    );
  }
  return { isElf: true, elf, findings };
}
