/**
 * Bounds-checked little-endian reads over a file's bytes: a byte array in memory, or a
 * {@link ByteSource} that reads only the ranges asked for (a file: file-source.ts),
 * so that checking a file never reads it whole. Every reader returns `undefined` past the end
 * instead of throwing, so malformed images turn into findings, never exceptions.
 */
/**
 * The bytes of a file, read by position. `read` gives `[offset, offset + length)` cut at the end
 * of the source (a view or a copy, not to be written to); callers ask for bounded lengths.
 */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
}

/** What the readers take: bytes in memory, or a source that reads them on demand. */
export type Bytes = Uint8Array | ByteSource;

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

/** The number of bytes. */
export function sizeOf(bytes: Bytes): number {
  return bytes instanceof Uint8Array ? bytes.byteLength : bytes.size;
}

/** `[offset, offset + length)` cut at the end: a view of an array, or what the source reads. */
export function readRange(bytes: Bytes, offset: number, length: number): Uint8Array {
  const start = Math.max(0, Math.min(offset, sizeOf(bytes)));
  const end = Math.max(start, Math.min(offset + length, sizeOf(bytes)));
  return bytes instanceof Uint8Array ? bytes.subarray(start, end) : bytes.read(start, end - start);
}

/** Whether `[offset, offset + length)` lies inside the bytes (offsets may be huge BigInts from ELF fields). */
export function inBounds(bytes: Bytes, offset: number | bigint, length: number | bigint): boolean {
  const size = sizeOf(bytes);
  if (typeof offset === 'number' && typeof length === 'number') {
    // Exact while both are safe integers, as offsets and sizes of a file are.
    return offset >= 0 && length >= 0 && offset + length <= size;
  }
  const start = BigInt(offset);
  const length64 = BigInt(length);
  return start >= 0n && length64 >= 0n && start + length64 <= BigInt(size);
}

/** The little-endian unsigned value of `width` (at most 4) bytes at `offset` of a source. */
function sourceNumber(source: ByteSource, offset: number, width: number): number {
  const chunk = source.read(offset, width);
  let value = 0;
  for (let index = width - 1; index >= 0; index--) value = value * 256 + chunk[index]!;
  return value;
}

export function readU8(bytes: Bytes, offset: number): number | undefined {
  if (!inBounds(bytes, offset, 1)) return undefined;
  return bytes instanceof Uint8Array ? bytes[offset] : sourceNumber(bytes, offset, 1);
}

export function readU16(bytes: Bytes, offset: number): number | undefined {
  if (!inBounds(bytes, offset, 2)) return undefined;
  return bytes instanceof Uint8Array ? view(bytes).getUint16(offset, true) : sourceNumber(bytes, offset, 2);
}

export function readU32(bytes: Bytes, offset: number): number | undefined {
  if (!inBounds(bytes, offset, 4)) return undefined;
  return bytes instanceof Uint8Array ? view(bytes).getUint32(offset, true) : sourceNumber(bytes, offset, 4);
}

export function readU64(bytes: Bytes, offset: number): bigint | undefined {
  if (!inBounds(bytes, offset, 8)) return undefined;
  if (bytes instanceof Uint8Array) return view(bytes).getBigUint64(offset, true);
  return (BigInt(sourceNumber(bytes, offset + 4, 4)) << 32n) | BigInt(sourceNumber(bytes, offset, 4));
}

/**
 * The most bytes a NUL-terminated string is read to. The strings read this way are note names
 * ("Xen", "GNU"); a longer one is cut here rather than read to the end of a crafted segment.
 */
export const CSTRING_READ_LIMIT = 4096;

/**
 * The NUL-terminated string at `offset`, read no further than `end` (the end of its string table
 * or name field) nor {@link CSTRING_READ_LIMIT} bytes: Latin-1, so every byte is one character.
 * Without a NUL before that, the bytes up to it; `undefined` when `offset` lies outside
 * `[0, end)` or past the file.
 */
export function readCString(bytes: Bytes, offset: number, end: number = sizeOf(bytes)): string | undefined {
  const limit = Math.min(end, sizeOf(bytes));
  if (offset < 0 || offset >= limit) return undefined;
  const text = readRange(bytes, offset, Math.min(limit - offset, CSTRING_READ_LIMIT));
  const terminator = text.indexOf(0);
  return LATIN1.decode(terminator === -1 ? text : text.subarray(0, terminator));
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

/** How many bytes a search reads at a time (a window, plus the pattern's length less one). */
export const SCAN_WINDOW = 1 << 20;

/** What a search looks for: `length` bytes starting with `firstByte`, and whether they lie at a window's byte `at`. */
export interface Pattern {
  readonly length: number;
  readonly firstByte: number;
  readonly matches: (data: DataView, at: number) => boolean;
}

/** The little-endian 64-bit words: the low half of the first word compared first. */
export function wordsPattern(words: readonly bigint[]): Pattern {
  const firstLow = Number((words[0] ?? 0n) & 0xffffffffn);
  return {
    length: words.length * 8,
    firstByte: firstLow & 0xff,
    matches: (data, at) => data.getUint32(at, true) === firstLow && words.every((word, index) => data.getBigUint64(at + index * 8, true) === word),
  };
}

/** The little-endian u32 `value`. */
export function u32Pattern(value: number): Pattern {
  return { length: 4, firstByte: value & 0xff, matches: (data, at) => data.getUint32(at, true) === value >>> 0 };
}

/**
 * Visits the file offsets in `[start, end)`, stepping by `step` bytes from `start`, where the
 * pattern lies, until `visit` returns false. Reads the bytes a window at a time, each window
 * overlapping the next by the pattern's length less one byte, so that a match across a window's
 * edge is seen once: memory stays at a window whatever the file's size. Jumps from one copy of the
 * pattern's first byte to the next (a native search), so that the zeros and code between matches
 * cost little.
 */
export function scan(
  bytes: Bytes,
  pattern: Pattern,
  range: { readonly start: number; readonly end: number; readonly step: number; readonly window?: number },
  visit: (offset: number) => boolean,
): void {
  const { start, end, step, window = SCAN_WINDOW } = range;
  const { length, firstByte, matches } = pattern;
  // The last offset a match may start at.
  const last = Math.min(end, sizeOf(bytes)) - length;
  // A whole number of steps, so that every window starts on the same lattice as `start`.
  const stride = Math.max(step, Math.floor(window / step) * step);
  for (let base = Math.max(0, start); base <= last; base += stride) {
    const chunk = readRange(bytes, base, Math.min(stride, last - base + 1) + length - 1);
    const data = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let at = chunk.indexOf(firstByte); at !== -1; at = chunk.indexOf(firstByte, at + 1)) {
      // Up to the next offset on the lattice (window offsets that are multiples of `step`).
      const onLattice = at + ((step - (at % step)) % step);
      if (onLattice >= stride || onLattice + length > chunk.byteLength) break;
      if (onLattice !== at) {
        at = onLattice - 1;
        continue;
      }
      if (matches(data, at) && !visit(base + at)) return;
    }
  }
}

/**
 * File offsets in `[start, end)` where the little-endian 64-bit `pattern` words occur, stepping by
 * `step` bytes from `start`, at most `max` of them.
 */
export function findWords(
  bytes: Bytes,
  pattern: readonly bigint[],
  start: number,
  end: number,
  step: number,
  options: { readonly max?: number; readonly window?: number } = {},
): number[] {
  const found: number[] = [];
  const max = options.max ?? Number.POSITIVE_INFINITY;
  if (pattern.length === 0 || max <= 0) return found;
  const range = { start, end, step, ...(options.window === undefined ? {} : { window: options.window }) };
  scan(bytes, wordsPattern(pattern), range, (offset) => found.push(offset) < max);
  return found;
}

/** File offsets in `[start, end)`, stepping by `step`, holding the little-endian u32 `value`; at most `max`. */
export function findU32(bytes: Bytes, value: number, start: number, end: number, step: number, max = Number.POSITIVE_INFINITY): number[] {
  const found: number[] = [];
  if (max <= 0) return found;
  scan(bytes, u32Pattern(value), { start, end, step }, (offset) => found.push(offset) < max);
  return found;
}
