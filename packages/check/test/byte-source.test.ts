/**
 * Reading a kernel by position instead of whole: the file source (a file descriptor and
 * `fs.readSync` at an offset, behind a small block cache), and searches that read a window at a
 * time. What the checks find must not depend on how the bytes are read.
 */
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIMINE } from '@baremetal-kernel/target';
import { findWords, readU16, readU32, readU64, readU8, type ByteSource } from '../src/bytes.js';
import { fileSource } from '../src/file-source.js';
import { checkKernelImage } from '../src/kernel-image.js';
import { buildElf, concat, multiboot2Header, PF_R, PF_W, PF_X, wordBytes } from './elf-builder.js';

const directory = mkdtempSync(join(tmpdir(), 'check-byte-source-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Runs `use` on a file source over `bytes` written to a file, then `size` bytes long (a hole after them). */
function withFile<T>(bytes: Uint8Array, use: (source: ByteSource) => T, size = bytes.length): T {
  const path = join(directory, `file-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, bytes);
  truncateSync(path, size);
  const fd = openSync(path, 'r');
  try {
    return use(fileSource(fd));
  } finally {
    closeSync(fd);
    rmSync(path);
  }
}

/** A source that counts the bytes asked of it. */
function counting(source: ByteSource): ByteSource & { readonly total: () => number } {
  let total = 0;
  return {
    size: source.size,
    read(offset, length) {
      const bytes = source.read(offset, length);
      total += bytes.length;
      return bytes;
    },
    total: () => total,
  };
}

const HIGHER_HALF = 0xffff_ffff_8000_0000n;
const MULTIBOOT2_KERNEL = buildElf({
  entry: 0x100000n,
  segments: [{ flags: PF_R | PF_X, vaddr: 0x100000n, data: concat(multiboot2Header(), new Uint8Array(16).fill(0xf4)) }],
}).bytes;
const LIMINE_KERNEL = buildElf({
  entry: HIGHER_HALF,
  segments: [
    { flags: PF_R | PF_X, vaddr: HIGHER_HALF, data: new Uint8Array(16).fill(0xc3) },
    {
      flags: PF_R | PF_W,
      vaddr: HIGHER_HALF + 0x1000n,
      // Markers, tag and one request, then the 32 bytes a real kernel's .data gives after them
      // (Limine's scan reads 32 bytes at each step, limine.c).
      data: wordBytes(
        ...LIMINE.requestsStartMarker,
        ...LIMINE.baseRevisionMagic,
        BigInt(LIMINE.baseRevision),
        ...LIMINE.requests.hhdm,
        0n,
        0n,
        ...LIMINE.requestsEndMarker,
        0n,
        0n,
        0n,
        0n,
      ),
    },
  ],
}).bytes;

describe('findWords reads a window at a time', () => {
  const pattern = [0x1122_3344_5566_7788n, 0x99aa_bbcc_ddee_ff00n];

  it('finds a pattern before, across and after a window edge exactly once', () => {
    // Windows of 64 bytes: the 16-byte pattern at 40..72 starts before the edge, straddles it, starts on it, lies after it.
    // On zeros, and on copies of the pattern's first byte (0x88), which the search jumps between.
    for (const [at, background] of Array.from({ length: 33 }, (_, index) => [[40 + index, 0], [40 + index, 0x88]] as const).flat()) {
      const bytes = new Uint8Array(200).fill(background);
      bytes.set(wordBytes(...pattern), at);
      expect(findWords(bytes, pattern, 0, bytes.length, 1, { window: 64 })).toEqual([at]);
      // In 8-byte steps only where it is 8-byte aligned, with windows that are no multiple of the step.
      expect(findWords(bytes, pattern, 0, bytes.length, 8, { window: 60 })).toEqual(at % 8 === 0 ? [at] : []);
      // From a start off the 8-byte lattice, the lattice is the start's.
      expect(findWords(bytes, pattern, 4, bytes.length, 8, { window: 60 })).toEqual(at % 8 === 4 ? [at] : []);
    }
  });

  it('finds a pattern ending exactly at `end` and not one past it, with windows smaller than the pattern', () => {
    const bytes = new Uint8Array(100);
    bytes.set(wordBytes(...pattern), 50);
    expect(findWords(bytes, pattern, 0, 66, 1, { window: 8 })).toEqual([50]);
    expect(findWords(bytes, pattern, 0, 65, 1, { window: 8 })).toEqual([]);
  });

  it('finds every copy, and stops at `max`', () => {
    const bytes = concat(new Uint8Array(3), ...Array.from({ length: 10 }, () => wordBytes(...pattern)));
    const all = Array.from({ length: 10 }, (_, index) => 3 + index * 16);
    expect(findWords(bytes, pattern, 0, bytes.length, 1, { window: 20 })).toEqual(all);
    expect(findWords(bytes, pattern, 0, bytes.length, 1, { window: 20, max: 3 })).toEqual(all.slice(0, 3));
  });

  it('finds a pattern across a window edge in a file too', () => {
    const bytes = new Uint8Array(10_000);
    bytes.set(wordBytes(...pattern), 4090); // across the file source's 4 KiB block edge as well
    expect(withFile(bytes, (source) => findWords(source, pattern, 0, source.size, 1, { window: 4096 }))).toEqual([4090]);
  });
});

describe('fileSource', () => {
  it('reads what the bytes in memory hold, across its block edges, and nothing past the end', () => {
    const bytes = Uint8Array.from({ length: 3 * 4096 + 100 }, (_, index) => (index * 131 + 7) & 0xff);
    const offsets = [0, 1, 4088, 4089, 4092, 4093, 4095, 4096, 8190, bytes.length - 8, bytes.length - 4, bytes.length - 1, bytes.length, bytes.length + 5];
    withFile(bytes, (source) => {
      expect(source.size).toBe(bytes.length);
      for (const offset of offsets) {
        expect([readU8(source, offset), readU16(source, offset), readU32(source, offset), readU64(source, offset)]).toEqual([
          readU8(bytes, offset),
          readU16(bytes, offset),
          readU32(bytes, offset),
          readU64(bytes, offset),
        ]);
      }
      expect(source.read(bytes.length - 3, 10)).toEqual(bytes.subarray(bytes.length - 3));
      expect(source.read(4000, 9000)).toEqual(bytes.subarray(4000, 13_000));
      expect(source.read(bytes.length + 1, 4)).toHaveLength(0);
    });
  });

  it('gives the same findings as the same bytes in memory', () => {
    for (const kernel of [MULTIBOOT2_KERNEL, LIMINE_KERNEL]) {
      const inMemory = checkKernelImage(kernel);
      expect(inMemory.filter((finding) => finding.level === 'error')).toEqual([]);
      expect(withFile(kernel, (source) => checkKernelImage(source))).toEqual(inMemory);
    }
  });

  it('reads a few KiB of a kernel followed by 1 GiB of zeros, not the zeros', () => {
    for (const kernel of [MULTIBOOT2_KERNEL, LIMINE_KERNEL]) {
      const read = withFile(
        kernel,
        (source) => {
          const counted = counting(source);
          const findings = checkKernelImage(counted);
          expect(findings.filter((finding) => finding.level === 'error')).toEqual([]);
          return counted.total();
        },
        kernel.length + 2 ** 30,
      );
      // The ELF header, the program headers, the first 32 KiB (multiboot2) or the loaded data, and
      // one search window of 1 MiB to detect Limine's markers (Limine): megabytes of a gigabyte.
      expect(read).toBeLessThan(2 * 1024 * 1024);
    }
  });
});
