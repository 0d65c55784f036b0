/**
 * Bounds-checked little-endian reads over a file's bytes. Every reader returns `undefined` past the
 * end instead of throwing, so malformed images turn into findings, never exceptions.
 */

/** Names in ELF files are bytes; decoded one character per byte (the WHATWG 'latin1' label). */
const LATIN1 = new TextDecoder('latin1');

/** One DataView per byte array, made on its first read: reads are many, and each new view costs. */
const VIEWS = new WeakMap<Uint8Array, DataView>();

function view(bytes: Uint8Array): DataView {
  let cached = VIEWS.get(bytes);
  if (cached === undefined) {
    cached = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    VIEWS.set(bytes, cached);
  }
  return cached;
}

/** Whether `[offset, offset + length)` lies inside the bytes (offsets may be huge BigInts from ELF fields). */
export function inBounds(bytes: Uint8Array, offset: number | bigint, length: number | bigint): boolean {
  if (typeof offset === 'number' && typeof length === 'number') {
    // Exact while both are safe integers, as offsets and sizes of an in-memory file are.
    return offset >= 0 && length >= 0 && offset + length <= bytes.byteLength;
  }
  const start = BigInt(offset);
  const size = BigInt(length);
  return start >= 0n && size >= 0n && start + size <= BigInt(bytes.byteLength);
}

export function readU8(bytes: Uint8Array, offset: number): number | undefined {
  return inBounds(bytes, offset, 1) ? bytes[offset] : undefined;
}

export function readU16(bytes: Uint8Array, offset: number): number | undefined {
  return inBounds(bytes, offset, 2) ? view(bytes).getUint16(offset, true) : undefined;
}

export function readU32(bytes: Uint8Array, offset: number): number | undefined {
  return inBounds(bytes, offset, 4) ? view(bytes).getUint32(offset, true) : undefined;
}

export function readU64(bytes: Uint8Array, offset: number): bigint | undefined {
  return inBounds(bytes, offset, 8) ? view(bytes).getBigUint64(offset, true) : undefined;
}

/**
 * The NUL-terminated string at `offset`, read no further than `end` (the end of its string table
 * or name field): Latin-1, so every byte is one character. Without a NUL before `end`, the bytes up
 * to `end`; `undefined` when `offset` lies outside `[0, end)` or past the file.
 */
export function readCString(bytes: Uint8Array, offset: number, end: number = bytes.byteLength): string | undefined {
  const limit = Math.min(end, bytes.byteLength);
  if (offset < 0 || offset >= limit) return undefined;
  const terminator = bytes.subarray(offset, limit).indexOf(0);
  const stop = terminator === -1 ? limit : offset + terminator;
  return LATIN1.decode(bytes.subarray(offset, stop));
}

/** `0x…` in lower case, as readelf and the specifications print addresses. */
export function hex(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}

/** `0x…` zero-padded to eight digits, for 32-bit fields such as magics and checksums. */
export function hex32(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}

export function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** The 64-bit words given as hex strings (the target model keeps 64-bit values as strings). */
export function words(hexWords: readonly string[]): bigint[] {
  return hexWords.map((word) => BigInt(word));
}

/**
 * File offsets in `[start, end)` where the little-endian 64-bit `pattern` words occur, stepping by
 * `step` bytes from `start`. Compares 32-bit halves as numbers first: kernels are megabytes.
 */
export function findWords(bytes: Uint8Array, pattern: readonly bigint[], start: number, end: number, step: number): number[] {
  const first = pattern[0];
  if (first === undefined) return [];
  const data = view(bytes);
  const limit = Math.min(end, bytes.byteLength) - pattern.length * 8;
  const firstLow = Number(first & 0xffffffffn);
  const matches: number[] = [];
  for (let offset = Math.max(0, start); offset <= limit; offset += step) {
    if (data.getUint32(offset, true) !== firstLow) continue;
    if (pattern.every((word, index) => data.getBigUint64(offset + index * 8, true) === word)) matches.push(offset);
  }
  return matches;
}
