/** A kernel file read by position, never whole: what `check` reads a file on disk through. */
import { fstatSync, readSync } from 'node:fs';
import type { ByteSource } from './bytes.js';

/** How many bytes a {@link fileSource} reads at a time, and how many such blocks it keeps. */
const BLOCK_SIZE = 4096;
const CACHED_BLOCKS = 256;

/**
 * A file read by position (`fs.readSync` at an offset), never whole: the small reads of header
 * fields go through a cache of {@link CACHED_BLOCKS} blocks of {@link BLOCK_SIZE} bytes (1 MiB),
 * larger ones straight to the file. The caller owns `fd` and closes it.
 */
export function fileSource(fd: number, size: number = fstatSync(fd).size): ByteSource {
  const blocks = new Map<number, Uint8Array>();
  const readInto = (target: Uint8Array, position: number): Uint8Array => {
    let filled = 0;
    while (filled < target.byteLength) {
      const count = readSync(fd, target, filled, target.byteLength - filled, position + filled);
      if (count === 0) break; // The file shrank since its size was taken.
      filled += count;
    }
    return target.subarray(0, filled);
  };
  const block = (index: number): Uint8Array => {
    let cached = blocks.get(index);
    if (cached === undefined) {
      const position = index * BLOCK_SIZE;
      cached = readInto(new Uint8Array(Math.min(BLOCK_SIZE, size - position)), position);
      if (blocks.size >= CACHED_BLOCKS) blocks.delete(blocks.keys().next().value!);
      blocks.set(index, cached);
    }
    return cached;
  };
  return {
    size,
    read(offset: number, length: number): Uint8Array {
      const start = Math.max(0, Math.min(offset, size));
      const end = Math.max(start, Math.min(offset + length, size));
      const index = Math.floor(start / BLOCK_SIZE);
      if (end === start) return new Uint8Array(0);
      if (Math.floor((end - 1) / BLOCK_SIZE) === index) {
        return block(index).subarray(start - index * BLOCK_SIZE, end - index * BLOCK_SIZE);
      }
      return readInto(new Uint8Array(end - start), start);
    },
  };
}
