/**
 * The bytes a loader copies from the file into memory: the file-backed part of each PT_LOAD
 * segment (p_offset, p_filesz), at its virtual address. What lies only in .bss (p_memsz beyond
 * p_filesz) is zeros at boot, and what lies outside every PT_LOAD is never loaded.
 *
 * Searching it is linear in the file's size however the segments overlap in the file: each file
 * byte is scanned once, and each match is then given to every segment whose data holds it.
 */
import { inBounds, scan, wordsPattern, type Bytes } from './bytes.js';
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
  /** The chunk it was found in (set by {@link findInLoadedData}). */
  readonly chunk?: FileBackedChunk;
}

/**
 * The most occurrences one search returns. A kernel holds a handful of each pattern (Limine: one
 * base revision tag, one pair of markers, one request for each of the few dozen features); only a
 * crafted file, its segments mapping the same file bytes thousands of times over, comes near
 * this, and a search stops here rather than build a list as long as segments times matches.
 */
export const OCCURRENCE_LIMIT = 4096;

export function fileBackedChunks(bytes: Bytes, elf: ElfImage): FileBackedChunk[] {
  return loadSegments(elf)
    .filter((segment) => segment.filesz > 0n && inBounds(bytes, segment.offset, segment.filesz))
    .map((segment) => ({ segment, fileStart: Number(segment.offset), fileEnd: Number(segment.offset + segment.filesz) }));
}

/** The file ranges the chunks cover, sorted and with overlapping ones merged: each byte once. */
export function coveredRanges(chunks: readonly FileBackedChunk[]): Array<readonly [number, number]> {
  const byStart = [...chunks].sort((a, b) => a.fileStart - b.fileStart);
  const ranges: Array<[number, number]> = [];
  for (const { fileStart, fileEnd } of byStart) {
    const last = ranges[ranges.length - 1];
    if (last !== undefined && fileStart < last[1]) last[1] = Math.max(last[1], fileEnd);
    else ranges.push([fileStart, fileEnd]);
  }
  return ranges;
}

/**
 * Every occurrence of the 64-bit words at any byte offset of the loaded data, in virtual address
 * order: one per chunk whose data holds the whole pattern (at most {@link OCCURRENCE_LIMIT}).
 */
export function findInLoadedData(bytes: Bytes, chunks: readonly FileBackedChunk[], pattern: readonly bigint[]): Occurrence[] {
  const length = pattern.length * 8;
  const byStart = [...chunks].sort((a, b) => a.fileStart - b.fileStart);
  const occurrences: Occurrence[] = [];
  // A sweep over the matches in file order: `active` holds the chunks that start at or before the
  // match and still hold a pattern there; a chunk dropped from it holds no later match either.
  let active: FileBackedChunk[] = [];
  let next = 0;
  const visit = (fileOffset: number): boolean => {
    while (next < byStart.length && byStart[next]!.fileStart <= fileOffset) active.push(byStart[next++]!);
    active = active.filter((chunk) => fileOffset + length <= chunk.fileEnd);
    for (const chunk of active) {
      occurrences.push({ fileOffset, vaddr: chunk.segment.vaddr + BigInt(fileOffset - chunk.fileStart), chunk });
      if (occurrences.length === OCCURRENCE_LIMIT) return false;
    }
    return true;
  };
  const matcher = wordsPattern(pattern);
  for (const [start, end] of coveredRanges(byStart)) {
    if (occurrences.length === OCCURRENCE_LIMIT || pattern.length === 0) break;
    scan(bytes, matcher, { start, end, step: 1 }, visit);
  }
  return occurrences.sort((a, b) => (a.vaddr < b.vaddr ? -1 : a.vaddr > b.vaddr ? 1 : 0));
}

/**
 * Whether `size` bytes from an occurrence can be read without leaving its chunk: the one it was
 * found in (the bytes after it in memory are that segment's), or, for an occurrence made without
 * one, any chunk.
 */
export function fitsInChunk(chunks: readonly FileBackedChunk[], occurrence: Occurrence, size: number): boolean {
  const fits = (chunk: FileBackedChunk): boolean => occurrence.fileOffset >= chunk.fileStart && occurrence.fileOffset + size <= chunk.fileEnd;
  return occurrence.chunk === undefined ? chunks.some(fits) : fits(occurrence.chunk);
}
