/**
 * The checker on images that are not kernels, truncated or corrupted: findings with an error,
 * never an exception.
 */
import { describe, expect, it } from 'vitest';
import { LIMINE, MULTIBOOT2 } from '@baremetal-kernel/target';
import { checkKernelImage } from '../src/kernel-image.js';
import { readElf } from '../src/elf.js';
import { fileBackedChunks, findInLoadedData, OCCURRENCE_LIMIT } from '../src/loaded-data.js';
import { ElfParseError, parseElf } from '../src/parse.js';
import { readSections, readSymbols } from '../src/sections.js';
import { buildElf, concat, PF_R, PF_W, PF_X, programHeaderOffset, setU16, setU32, setU64, withSymbols, wordBytes } from './elf-builder.js';
import { cpuTimed } from './timing.js';

/** An ELF that is neither protocol's kernel: a code segment and nothing else. */
const PLAIN_ELF = buildElf({ entry: 0x100000n, segments: [{ flags: PF_R | PF_X, vaddr: 0x100000n, data: new Uint8Array(16) }] }).bytes;

describe('images that are not x86_64 ELF64 kernels', () => {
  it('rejects an ELF64 header read as ELF32, a big-endian file and one without program headers', () => {
    const elf32 = PLAIN_ELF.slice();
    elf32[4] = 1;
    expect(checkKernelImage(elf32, 'multiboot2')[0]).toEqual({
      level: 'error',
      message: 'ELF machine is 62, an ELF32 kernel must be EM_386 (3): GRUB loads no other ("invalid arch-dependent ELF magic")',
    });
    const bigEndian = PLAIN_ELF.slice();
    bigEndian[5] = 2;
    expect(checkKernelImage(bigEndian, 'limine')[0]?.message).toBe(
      'ELF data encoding is 2, an x86 kernel must be little-endian (ELFDATA2LSB = 1)',
    );
    const noHeaders = PLAIN_ELF.slice();
    noHeaders[56] = 0;
    expect(checkKernelImage(noHeaders, 'limine')).toEqual([
      { level: 'error', message: 'the ELF file has no program headers: a loader has nothing to load' },
    ]);
  });
});

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Under Stryker (which sets STRYKER_MUTATOR_WORKER in its test runners) the two robustness tests
 * below run once per mutant they reach, nearly every one, on instrumented code many times slower:
 * there they sample less, so that they stay well inside vitest's 5 s test timeout on a busy machine
 * (a timeout would count as a kill). The rule tests (*-rules.test.ts, elf.test.ts, sections.test.ts) are
 * what kill the checker's mutants; these guard against exceptions.
 */
const UNDER_MUTATION = process.env.STRYKER_MUTATOR_WORKER !== undefined;
/** Rounds of random corruption per protocol. */
const CORRUPTION_ROUNDS = UNDER_MUTATION ? 100 : 2000;
/** Truncations: every length below this (the ELF and program headers), then every 61st. */
const EVERY_LENGTH_BELOW = UNDER_MUTATION ? 320 : 1024;

// 2000 rounds take about 3 s alone, longer while the other packages' tests share the two cores.
describe('robustness against malformed images', { timeout: 30_000 }, () => {
  const multiboot2Header = (() => {
    const header = new Uint8Array(24);
    const view = new DataView(header.buffer);
    view.setUint32(0, MULTIBOOT2.headerMagic, true);
    view.setUint32(8, 24, true);
    view.setUint32(12, (0x1_0000_0000 - ((MULTIBOOT2.headerMagic + 24) % 0x1_0000_0000)) >>> 0, true);
    view.setUint32(20, 8, true); // end tag: type 0, flags 0, size 8
    return header;
  })();
  const note = concat(new Uint8Array([4, 0, 0, 0, 8, 0, 0, 0, 18, 0, 0, 0, 0x58, 0x65, 0x6e, 0]), wordBytes(0x101000n));
  const images = {
    multiboot2: buildElf({
      entry: 0x101000n,
      segments: [
        { flags: PF_R, vaddr: 0x100000n, data: multiboot2Header },
        { type: 4, flags: PF_R, vaddr: 0x100020n, data: note, align: 4n },
        { flags: PF_R | PF_X, vaddr: 0x101000n, data: new Uint8Array(32) },
        { flags: PF_R | PF_W, vaddr: 0x102000n, data: new Uint8Array(8), memsz: 0x1000n },
      ],
    }).bytes,
    limine: buildElf({
      entry: 0xffff_ffff_8000_0000n,
      segments: [
        { flags: PF_R | PF_X, vaddr: 0xffff_ffff_8000_0000n, data: new Uint8Array(16) },
        {
          flags: PF_R | PF_W,
          vaddr: 0xffff_ffff_8000_1000n,
          // 32 bytes after the end marker, as .data gives a real kernel: Limine's scan reads 32 bytes
          // at each step, so it does not see an end marker in the image's last 31 bytes (limine.c).
          data: wordBytes(...LIMINE.requestsStartMarker, ...LIMINE.baseRevisionMagic, 6n, ...LIMINE.requests.hhdm, 0n, 0n, ...LIMINE.requestsEndMarker, 0n, 0n, 0n, 0n),
        },
      ],
    }).bytes,
  } as const;

  for (const [protocol, image] of Object.entries(images) as Array<['multiboot2' | 'limine', Uint8Array]>) {
    it(`${protocol}: the intact synthetic image passes`, () => {
      const findings = checkKernelImage(image, protocol);
      expect(findings.filter((finding) => finding.level !== 'ok')).toEqual([]);
    });

    it(`${protocol}: every truncation gives findings with an error, never an exception`, () => {
      // Every length through the headers, then a sample through the data.
      const lengths = Array.from({ length: image.length }, (_, length) => length).filter((length) => length < EVERY_LENGTH_BELOW || length % 61 === 0);
      for (const length of lengths) {
        const findings = checkKernelImage(image.subarray(0, length), protocol);
        expect(findings.some((finding) => finding.level === 'error'), `truncated to ${length} bytes`).toBe(true);
      }
    });

    it(`${protocol}: random corruption of headers and data never throws`, () => {
      const next = random(protocol.length);
      for (let round = 0; round < CORRUPTION_ROUNDS; round++) {
        const copy = image.slice();
        const flips = 1 + Math.floor(next() * 8);
        for (let flip = 0; flip < flips; flip++) {
          // Mostly the ELF header and program headers, where offsets and sizes live.
          const position = next() < 0.7 ? Math.floor(next() * 300) : Math.floor(next() * copy.length);
          copy[position] = Math.floor(next() * 256);
        }
        const findings = checkKernelImage(copy, round % 3 === 0 ? undefined : protocol);
        expect(findings.length, `round ${round}`).toBeGreaterThan(0);
        for (const finding of findings) expect(['ok', 'warning', 'error']).toContain(finding.level);
      }
    });
  }

  it('parseElf on truncated and corrupted section and symbol tables: an ElfParseError or a result, nothing else', () => {
    const layout = withSymbols(images.multiboot2, [
      { name: '__bss_start', value: 0x102000n },
      { name: '__bss_end', value: 0x103000n },
    ]);
    const image = layout.bytes;
    const next = random(7);
    const outcomes = new Set<string>();
    for (let round = 0; round < CORRUPTION_ROUNDS; round++) {
      const copy = round % 4 === 0 ? image.slice(0, Math.floor(next() * image.length)) : image.slice();
      for (let flip = 0; flip < 1 + Math.floor(next() * 4); flip++) {
        // Mostly the section header fields of the ELF header and the tables at the end.
        const position = next() < 0.3 ? 40 + Math.floor(next() * 24) : layout.strtabOffset + Math.floor(next() * (image.length - layout.strtabOffset));
        if (position < copy.length) copy[position] = Math.floor(next() * 256);
      }
      try {
        parseElf(copy);
        outcomes.add('parsed');
      } catch (error) {
        expect(error, `round ${round}`).toBeInstanceOf(ElfParseError);
        outcomes.add('refused');
      }
    }
    expect([...outcomes].sort()).toEqual(['parsed', 'refused']);
  });
});

/**
 * Crafted files whose tables say far more than the file holds: each is read in time linear in the
 * file's size. Before, the first two exhausted the heap (every name decoded again up to the end of a
 * string table without a NUL) and the third ran for minutes (each of 20000 segments over the same
 * bytes scanned, and every match kept, once per segment).
 */
describe('bounded time on crafted tables', () => {
  /** Well under a second on an idle machine; these take about a tenth of it. */
  const BOUND_MS = 1000;
  const timed = cpuTimed;
  /** A string table of `size` bytes without a NUL after its first byte. */
  const longStrings = (size: number) => new Uint8Array(size).fill(0x41).fill(0, 0, 1);

  it('20000 section names, each pointing into a 256 KiB name table without a NUL', () => {
    const base = withSymbols(PLAIN_ELF, []);
    const names = longStrings(1 << 18);
    const count = 20_000;
    const tableOffset = base.bytes.length + names.length;
    const bytes = new Uint8Array(tableOffset + count * 64);
    bytes.set(base.bytes);
    bytes.set(names, base.bytes.length);
    for (let index = 1; index < count; index++) {
      const at = tableOffset + index * 64;
      setU32(bytes, at, index * 8); // sh_name: a different suffix of the same long string
      setU32(bytes, at + 4, 3); // SHT_STRTAB
      setU64(bytes, at + 24, BigInt(base.bytes.length));
      setU64(bytes, at + 32, BigInt(names.length));
    }
    setU64(bytes, 40, BigInt(tableOffset));
    setU16(bytes, 60, count);
    setU16(bytes, 62, 1); // e_shstrndx: section 1, the long table
    const { result, ms } = timed(() => readSections(bytes));
    expect(result.problems).toEqual([]);
    expect(result.sections).toHaveLength(count);
    expect(result.sections[2]!.name).toHaveLength(names.length - 16);
    expect(result.sections[count - 1]!.name).toHaveLength(names.length - (count - 1) * 8);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('a symbol table of 20000 symbols, each named into a 256 KiB string table without a NUL', () => {
    const count = 20_000;
    const layout = withSymbols(PLAIN_ELF, Array.from({ length: count }, (_, index) => ({ name: 'x', value: BigInt(index) })));
    const names = longStrings(1 << 18);
    const bytes = concat(layout.bytes, names);
    // .strtab (section 2) moved to the long table; every st_name a different suffix of it.
    setU64(bytes, layout.tableOffset + 2 * 64 + 24, BigInt(layout.bytes.length));
    setU64(bytes, layout.tableOffset + 2 * 64 + 32, BigInt(names.length));
    for (let index = 1; index <= count; index++) setU32(bytes, layout.symtabOffset + index * 24, index * 8);
    const { result, ms } = timed(() => readSymbols(bytes, readSections(bytes).sections));
    expect(result.problems).toEqual([]);
    expect(result.symbols).toHaveLength(count + 1);
    expect(result.symbols[1]!.name).toHaveLength(names.length - 8);
    expect(result.symbols[count]!.name).toHaveLength(names.length - count * 8);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it('20000 PT_LOAD segments over the same 16 KiB, full of one pattern', () => {
    const pattern = [0x0102_0304_0506_0708n];
    const data = new Uint8Array(1 << 14);
    for (let at = 0; at < data.length; at += 8) data.set(wordBytes(...pattern), at);
    const count = 20_000;
    const { bytes: one, dataOffsets } = buildElf({ entry: 0n, segments: [{ flags: PF_R, vaddr: 0x1000n, data }] });
    // The one program header moved behind the data and repeated, each copy at its own address.
    const tableOffset = one.length;
    const bytes = new Uint8Array(tableOffset + count * 56);
    bytes.set(one);
    for (let index = 0; index < count; index++) {
      const at = tableOffset + index * 56;
      bytes.copyWithin(at, programHeaderOffset(one, 0), programHeaderOffset(one, 0) + 56);
      setU64(bytes, at + 16, BigInt(index) << 20n);
    }
    setU64(bytes, 32, BigInt(tableOffset));
    setU16(bytes, 56, count);
    const { result, ms } = timed(() => {
      const { elf } = readElf(bytes);
      const chunks = fileBackedChunks(bytes, elf!);
      return { chunks: chunks.length, found: findInLoadedData(bytes, chunks, pattern), start: dataOffsets[0]! };
    });
    expect(result.chunks).toBe(count);
    expect(result.found).toHaveLength(OCCURRENCE_LIMIT);
    expect(ms).toBeLessThan(BOUND_MS);
  });
});

/**
 * One finding per offending PT_LOAD segment for the first LISTED_PER_KIND (8), then one that counts
 * the rest: a crafted file has up to 65535 segments, and a finding for each cost seconds (and, with
 * two findings per segment, overflowed the call stack that spread them).
 */
describe('findings about many segments name the first few and count the rest', () => {
  const twenty = <T>(make: (index: number) => T): T[] => Array.from({ length: 20 }, (_, index) => make(index));
  const names = (findings: readonly { message: string }[]) => findings.map((finding) => /^PT_LOAD #(\d+)/.exec(finding.message)?.[1]).filter(Boolean);

  it('multiboot2: 20 segments reaching 4 GiB, after one below the link address', () => {
    const segments = [
      { flags: PF_R | PF_X, vaddr: 0x100000n, paddr: 0x80000n, data: concat(wordBytes(0n), new Uint8Array(8)) },
      ...twenty((index) => ({ flags: PF_R, vaddr: 0x200000n + BigInt(index) * 0x1000n, paddr: 0xffff_f000n, memsz: 0x2000n })),
    ];
    const findings = checkKernelImage(buildElf({ entry: 0x100000n, segments }).bytes, 'multiboot2');
    const about = findings.filter((finding) => finding.message.includes(' at physical ['));
    expect(about.map((finding) => finding.level)).toEqual(['warning', ...Array(7).fill('error')]);
    expect(names(about)).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(findings).toContainEqual({ level: 'error', message: '13 more PT_LOAD segments reaching 4 GiB or starting below the link address with the same problem, not listed' });
  });

  it('limine: 20 segments below the higher half', () => {
    const segments = twenty((index) => ({ flags: PF_R, vaddr: 0x200000n + BigInt(index) * 0x1000n, memsz: 0x10n }));
    const findings = checkKernelImage(buildElf({ entry: 0x200000n, segments }).bytes, 'limine');
    expect(names(findings.filter((finding) => finding.message.includes(' starts below 0xffffffff80000000')))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7']);
    expect(findings).toContainEqual({ level: 'error', message: '12 more PT_LOAD segments outside the range with the same problem, not listed' });
  });

  it('any protocol: 20 segments whose data lies past the end of the file, each also larger in the file than in memory', () => {
    const segments = twenty((index) => ({ flags: PF_R, vaddr: 0x100000n + BigInt(index) * 0x1000n, data: new Uint8Array(16), memsz: 8n }));
    const bytes = buildElf({ entry: 0x100000n, segments }).bytes;
    const { findings } = readElf(bytes.slice(0, 0x1000));
    // Two findings for each of the first 8 segments, then one count.
    expect(findings).toHaveLength(17);
    expect(names(findings)).toEqual(['0', '0', '1', '1', '2', '2', '3', '3', '4', '4', '5', '5', '6', '6', '7', '7']);
    expect(findings.at(-1)).toEqual({ level: 'error', message: '12 more PT_LOAD segments whose file data does not fit with the same problem, not listed' });
  });
});
