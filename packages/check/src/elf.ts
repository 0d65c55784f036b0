/**
 * Reading an ELF64 image: the file header and the program header table, never throwing on
 * malformed input. Field offsets are from the System V ABI, "ELF-64 Object File Format" 1.5
 * (§3 File header, §7 Program header table) and the x86-64 psABI.
 */
import { hex, inBounds, readU16, readU32, readU64, readU8 } from './bytes.js';
import { error, ok, type Finding } from './findings.js';

/** §3 e_ident: "\x7fELF". */
const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;
/** §3 e_ident[EI_CLASS]: ELFCLASS64. */
const ELFCLASS64 = 2;
/** §3 e_ident[EI_DATA]: ELFDATA2LSB. */
const ELFDATA2LSB = 1;
/** §3: the size of an ELF64 file header. */
export const ELF64_HEADER_SIZE = 64;
/** §7: the size of an ELF64 program header (e_phentsize may be larger, never smaller). */
const ELF64_PROGRAM_HEADER_SIZE = 56;
/** x86-64 psABI §4.1.1: e_machine EM_X86_64. */
export const EM_X86_64 = 62;
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
  readonly type: number;
  readonly entry: bigint;
  readonly programHeaderOffset: bigint;
  readonly programHeaders: readonly ProgramHeader[];
}

export interface ElfReading {
  /** Whether the file starts with the ELF magic at all. */
  readonly isElf: boolean;
  /** The image, when its header and program header table are readable and it is ELF64 x86-64. */
  readonly elf: ElfImage | undefined;
  readonly findings: readonly Finding[];
}

export function isElfFile(bytes: Uint8Array): boolean {
  return ELF_MAGIC.every((byte, index) => bytes[index] === byte);
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

/** Segments the loader maps: PT_LOAD with memory (a zero-sized PT_LOAD maps nothing). */
export function loadSegments(elf: ElfImage): ProgramHeader[] {
  return elf.programHeaders.filter((header) => header.type === PT_LOAD && header.memsz > 0n);
}

/** `PT_LOAD #1 [0x101000, 0x128d6f) r-x`: the program header's index, virtual range and permissions. */
export function describeSegment(segment: ProgramHeader): string {
  return `PT_LOAD #${segment.index} [${hex(segment.vaddr)}, ${hex(segment.vaddr + segment.memsz)}) ${permissions(segment.flags)}`;
}

/** The PT_LOAD segment whose virtual range contains `address`. */
export function segmentContaining(elf: ElfImage, address: bigint): ProgramHeader | undefined {
  return loadSegments(elf).find((segment) => address >= segment.vaddr && address < segment.vaddr + segment.memsz);
}

function readProgramHeader(bytes: Uint8Array, at: number, index: number): ProgramHeader {
  // §7: p_type, p_flags (u32), then p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align (u64).
  // The caller has checked that the whole entry lies in the file.
  return {
    index,
    type: readU32(bytes, at)!,
    flags: readU32(bytes, at + 4)!,
    offset: readU64(bytes, at + 8)!,
    vaddr: readU64(bytes, at + 16)!,
    paddr: readU64(bytes, at + 24)!,
    filesz: readU64(bytes, at + 32)!,
    memsz: readU64(bytes, at + 40)!,
    align: readU64(bytes, at + 48)!,
  };
}

/** Problems of one PT_LOAD segment's sizes against the file (§7: p_filesz <= p_memsz, data in the file). */
function segmentFileProblems(bytes: Uint8Array, segment: ProgramHeader): Finding[] {
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
          `but the file has only ${hex(bytes.byteLength)} bytes (truncated?)`,
      ),
    );
  }
  return problems;
}

/** Reads and checks the ELF header and program header table (§3, §7). */
export function readElf(bytes: Uint8Array): ElfReading {
  if (!isElfFile(bytes)) {
    return { isElf: false, elf: undefined, findings: [error('not an ELF file: it does not start with the ELF magic 7f 45 4c 46')] };
  }
  const fail = (message: string): ElfReading => ({ isElf: true, elf: undefined, findings: [error(message)] });
  if (bytes.byteLength < ELF64_HEADER_SIZE) {
    return fail(`ELF header truncated: the file has ${bytes.byteLength} bytes, an ELF64 header needs ${ELF64_HEADER_SIZE}`);
  }
  const elfClass = readU8(bytes, 4)!;
  if (elfClass !== ELFCLASS64) {
    return fail(`ELF class is ${elfClass} (${elfClass === 1 ? 'ELF32' : 'unknown'}), an x86_64 kernel must be ELF64 (class 2)`);
  }
  const data = readU8(bytes, 5)!;
  if (data !== ELFDATA2LSB) {
    return fail(`ELF data encoding is ${data}, an x86_64 kernel must be little-endian (ELFDATA2LSB = 1)`);
  }
  const machine = readU16(bytes, 18)!;
  if (machine !== EM_X86_64) {
    return fail(`ELF machine is ${machine}, an x86_64 kernel must be EM_X86_64 (${EM_X86_64})`);
  }
  const type = readU16(bytes, 16)!;
  const entry = readU64(bytes, 24)!;
  const programHeaderOffset = readU64(bytes, 32)!;
  const entrySize = readU16(bytes, 54)!;
  const count = readU16(bytes, 56)!;

  if (count === 0) return fail('the ELF file has no program headers: a loader has nothing to load');
  if (entrySize < ELF64_PROGRAM_HEADER_SIZE) {
    return fail(`ELF program header entry size is ${entrySize}, ELF64 program headers are ${ELF64_PROGRAM_HEADER_SIZE} bytes`);
  }
  const tableSize = BigInt(entrySize) * BigInt(count);
  if (!inBounds(bytes, programHeaderOffset, tableSize)) {
    return fail(
      `the program header table (${count} entries of ${entrySize} bytes at file offset ${hex(programHeaderOffset)}) ` +
        `extends past the end of the file (${hex(bytes.byteLength)} bytes)`,
    );
  }
  const tableStart = Number(programHeaderOffset);
  const programHeaders = Array.from({ length: count }, (_, index) =>
    readProgramHeader(bytes, tableStart + index * entrySize, index),
  );
  const elf: ElfImage = { type, entry, programHeaderOffset, programHeaders };
  const loads = loadSegments(elf);
  const findings: Finding[] = loads.flatMap((segment) => segmentFileProblems(bytes, segment));
  if (loads.length === 0) findings.push(error('the ELF file has no PT_LOAD segment: a loader has nothing to load'));
  if (findings.length === 0) {
    findings.unshift(
      ok(`ELF64, little-endian, x86-64, ${elfTypeName(type)}, ${count} program headers (${loads.length} PT_LOAD)`),
    );
  }
  return { isElf: true, elf, findings };
}
