/**
 * The bytes a loader copies from the file into memory: the file-backed part of each PT_LOAD
 * segment (p_offset, p_filesz), at its virtual address. What lies only in .bss (p_memsz beyond
 * p_filesz) is zeros at boot, and what lies outside every PT_LOAD is never loaded.
 */
import { findWords, inBounds } from './bytes.js';
import { loadSegments, type ElfImage, type ProgramHeader } from './elf.js';

export interface FileBackedChunk {
  readonly segment: ProgramHeader;
  readonly fileStart: number;
  readonly fileEnd: number;
}

/** Where a pattern was found: its file offset and, inside a chunk, its virtual address. */
export interface Occurrence {
  readonly fileOffset: number;
  readonly vaddr: bigint;
}

export function fileBackedChunks(bytes: Uint8Array, elf: ElfImage): FileBackedChunk[] {
  return loadSegments(elf)
    .filter((segment) => segment.filesz > 0n && inBounds(bytes, segment.offset, segment.filesz))
    .map((segment) => ({ segment, fileStart: Number(segment.offset), fileEnd: Number(segment.offset + segment.filesz) }));
}

/** Every occurrence of the 64-bit words at any byte offset of the loaded data, in virtual address order. */
export function findInLoadedData(bytes: Uint8Array, chunks: readonly FileBackedChunk[], pattern: readonly bigint[]): Occurrence[] {
  return chunks
    .flatMap((chunk) =>
      findWords(bytes, pattern, chunk.fileStart, chunk.fileEnd, 1).map((fileOffset) => ({
        fileOffset,
        vaddr: chunk.segment.vaddr + BigInt(fileOffset - chunk.fileStart),
      })),
    )
    .sort((a, b) => (a.vaddr < b.vaddr ? -1 : a.vaddr > b.vaddr ? 1 : 0));
}

/** Whether `size` bytes from an occurrence can be read without leaving its chunk. */
export function fitsInChunk(chunks: readonly FileBackedChunk[], occurrence: Occurrence, size: number): boolean {
  return chunks.some((chunk) => occurrence.fileOffset >= chunk.fileStart && occurrence.fileOffset + size <= chunk.fileEnd);
}
