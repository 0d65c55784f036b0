/**
 * The Limine rules of the checker, rule by rule on synthetic images, at their boundaries: where
 * PT_LOAD segments may lie and how they may share memory at their p_align (Limine's
 * common/lib/elf.c, elf64_load), and how the loader finds the base revision tag, the request
 * markers and the requests in the loaded image (PROTOCOL.md: §Base Revisions, §Requests
 * Delimiters, §Features; common/protos/limine.c's scan: 8-byte steps reading 32 bytes, starting
 * over at each start marker, stopping at the first end marker, at most 128 requests). Where Limine
 * takes what our rule does not, the finding is a warning that says so. The whole-kernel
 * walk-through is in e2e/limine.test.ts; these pin each comparison.
 */
import { describe, expect, it } from 'vitest';
import { LIMINE, type LimineRequestId } from '@baremetal-kernel/target';
import { readElf, type ElfImage } from '../src/elf.js';
import { checkKernelImage, detectBootProtocol } from '../src/kernel-image.js';
import { checkLimineRequests, checkLimineSegments, hasLimineMarkers } from '../src/limine.js';
import { limineRequestName } from '../src/limine-requests.js';
import { words } from '../src/bytes.js';
import {
  buildElf,
  concat,
  ET_DYN,
  multiboot2Header,
  PF_R,
  PF_W,
  PF_X,
  placeAt,
  programHeaderOffset,
  PT_DYNAMIC,
  setU64,
  wordBytes,
  type SegmentSpec,
} from './elf-builder.js';
import { cpuTimed } from './timing.js';

/** PROTOCOL.md §Entry Memory Layout: kernels load at or above this address. */
const HIGHER_HALF = 0xffff_ffff_8000_0000n;
const DATA = HIGHER_HALF + 0x1000n;
const PAGE = 0x1000n;
const hex = (value: number | bigint): string => `0x${value.toString(16)}`;
const ok = (message: string) => ({ level: 'ok', message });
const warning = (message: string) => ({ level: 'warning', message });
const error = (message: string) => ({ level: 'error', message });

const START = wordBytes(...LIMINE.requestsStartMarker);
const END = wordBytes(...LIMINE.requestsEndMarker);
const tag = (revision: bigint | number) => wordBytes(...LIMINE.baseRevisionMagic, BigInt(revision));
/** A request with no members of its own: ID, revision 0, response NULL. */
const request = (id: readonly (string | bigint)[]) => wordBytes(...id, 0n, 0n);
const UNKNOWN: LimineRequestId = [...LIMINE.commonMagic, '0x1111111111111111', '0x2222222222222222'];
/** limine.c: a revision above SUPPORTED_BASE_REVISION (6) boots with 6, the tag's third word left as it was. */
const BOOTS_WITH_6 =
  ": Limine boots it with revision 6 and leaves the tag's third word unchanged, so a kernel that checks the tag (§Base Revisions) stops";
const NO_START = 'no Limine requests start marker in the file-backed data of the PT_LOAD segments (one in .bss is invisible to Limine)';
const NO_END = 'no Limine requests end marker in the file-backed data of the PT_LOAD segments (one in .bss is invisible to Limine)';
const LAYOUT_OK = ok('PT_LOAD segments are in ascending order and no 4 KiB page is shared by different permissions');

function elfOf(bytes: Uint8Array): ElfImage {
  const { elf } = readElf(bytes);
  if (elf === undefined) throw new Error('test image does not read');
  return elf;
}

const CODE_SEGMENT: SegmentSpec = { flags: PF_R | PF_X, vaddr: HIGHER_HALF, data: new Uint8Array(16) };
/**
 * Limine's scan reads 32 bytes at each step and ends where the loaded image does (limine.c), so it
 * never sees what starts in the image's last 31 bytes. A real kernel has .data after its requests;
 * here a last segment of 32 bytes plays that part.
 */
const TAIL_SEGMENT: SegmentSpec = { flags: PF_R | PF_W, vaddr: DATA + 0x10000n, data: new Uint8Array(32) };

/** A kernel with code at HIGHER_HALF, `data` in a data segment at DATA, and a segment after it. */
function kernel(data: Uint8Array, segments?: SegmentSpec[]) {
  return buildElf({
    entry: HIGHER_HALF,
    segments: segments ?? [CODE_SEGMENT, { flags: PF_R | PF_W, vaddr: DATA, data }, TAIL_SEGMENT],
  });
}
/** `0x… (file offset 0x…)` of a byte of the data segment. */
const at = (image: { dataOffsets: readonly number[] }, offset: number) => `${hex(DATA + BigInt(offset))} (file offset ${hex(image.dataOffsets[1]! + offset)})`;
const requests = (image: { bytes: Uint8Array }) => checkLimineRequests(image.bytes, elfOf(image.bytes));
const segmentsOf = (spec: { type?: number; segments: SegmentSpec[] }) => checkLimineSegments(elfOf(buildElf({ entry: 0n, ...spec }).bytes));
const load = (vaddr: bigint, memsz: bigint, flags = PF_R): SegmentSpec => ({ flags, vaddr, memsz });
const segmentName = (index: number, vaddr: bigint, memsz: bigint, permissions: string) => `PT_LOAD #${index} [${hex(vaddr)}, ${hex(vaddr + memsz)}) ${permissions}`;

describe('Limine segment placement (elf.c)', () => {
  it('accepts a segment starting exactly at 0xffffffff80000000, and refuses one a byte lower', () => {
    expect(segmentsOf({ segments: [load(HIGHER_HALF, 0x10n)] })).toEqual([
      ok('PT_LOAD segments span [0xffffffff80000000, 0xffffffff80000010): in the higher half, at or above 0xffffffff80000000'),
    ]);
    expect(segmentsOf({ segments: [load(HIGHER_HALF - 1n, 0x10n)] })).toEqual([
      error(
        `${segmentName(0, HIGHER_HALF - 1n, 0x10n, 'r--')} starts below 0xffffffff80000000: ` +
          'Limine refuses lower-half segments in a kernel that is not relocatable ("Lower half PHDRs are not allowed")',
      ),
    ]);
  });

  it('accepts a segment ending exactly at 2^64, and refuses one wrapping around it', () => {
    const top = 0xffff_ffff_ffff_f000n;
    expect(segmentsOf({ segments: [load(top, PAGE)] })).toEqual([
      ok('PT_LOAD segments span [0xfffffffffffff000, 0x10000000000000000): in the higher half, at or above 0xffffffff80000000'),
    ]);
    expect(segmentsOf({ segments: [load(top, PAGE + 1n)] })).toEqual([
      error(`${segmentName(0, top, PAGE + 1n, 'r--')} ends past 0x10000000000000000: the segment wraps around the end of the address space`),
    ]);
  });

  it('lets a relocatable kernel lie wholly in the lower half, with a warning', () => {
    const dynamic: SegmentSpec = { type: PT_DYNAMIC, flags: PF_R, vaddr: 0x3000n, data: new Uint8Array(16) };
    expect(segmentsOf({ type: ET_DYN, segments: [load(0n, 0x10n, PF_R | PF_X), load(HIGHER_HALF - PAGE, 0x10n), dynamic] })).toEqual([
      warning('the position-independent kernel is linked in the lower half: Limine slides it into the higher half at boot'),
      LAYOUT_OK,
    ]);
  });

  it('checks a relocatable kernel wholly in the higher half like any other', () => {
    const dynamic: SegmentSpec = { type: PT_DYNAMIC, flags: PF_R, vaddr: 0x3000n, data: new Uint8Array(16) };
    expect(segmentsOf({ type: ET_DYN, segments: [load(HIGHER_HALF, 0x10n), dynamic] })).toEqual([
      ok('PT_LOAD segments span [0xffffffff80000000, 0xffffffff80000010): in the higher half, at or above 0xffffffff80000000'),
    ]);
  });

  it('refuses each lower-half segment of a relocatable kernel that also has higher-half ones', () => {
    const dynamic: SegmentSpec = { type: PT_DYNAMIC, flags: PF_R, vaddr: 0x3000n, data: new Uint8Array(16) };
    const mixed = segmentsOf({ type: ET_DYN, segments: [load(0x1000n, 0x10n), load(HIGHER_HALF - 1n, 1n), load(HIGHER_HALF, 0x10n), dynamic] });
    const why = 'is in the lower half while other segments are in the higher half: Limine refuses a relocatable kernel mixing both';
    expect(mixed).toEqual([
      error(`${segmentName(0, 0x1000n, 0x10n, 'r--')} ${why}`),
      error(`${segmentName(1, HIGHER_HALF - 1n, 1n, 'r--')} ${why}`),
      LAYOUT_OK,
    ]);
  });

  it('needs a non-empty PT_DYNAMIC in a relocatable kernel only', () => {
    const missing = error('the ET_DYN kernel has no PT_DYNAMIC segment: Limine refuses a relocatable kernel without one');
    // A PT_LOAD with file data is no PT_DYNAMIC.
    expect(segmentsOf({ type: ET_DYN, segments: [{ flags: PF_R, vaddr: HIGHER_HALF, data: new Uint8Array(16) }] })).toContainEqual(missing);
    expect(segmentsOf({ type: ET_DYN, segments: [load(HIGHER_HALF, 0x10n), { type: PT_DYNAMIC, flags: PF_R, vaddr: 0x3000n, memsz: 0x10n }] })).toContainEqual(
      missing,
    );
    expect(segmentsOf({ segments: [load(HIGHER_HALF, 0x10n)] })).not.toContainEqual(missing);
  });
});

describe('Limine segment layout (elf.c)', () => {
  it('accepts a segment starting exactly where the previous one ends, and refuses one a byte earlier', () => {
    expect(segmentsOf({ segments: [load(HIGHER_HALF, PAGE), load(HIGHER_HALF + PAGE, PAGE)] }).slice(1)).toEqual([LAYOUT_OK]);
    expect(segmentsOf({ segments: [load(HIGHER_HALF, PAGE + 1n), load(HIGHER_HALF + PAGE, PAGE)] }).slice(1)).toEqual([
      error(
        `${segmentName(1, HIGHER_HALF + PAGE, PAGE, 'r--')} starts before the end of ${segmentName(0, HIGHER_HALF, PAGE + 1n, 'r--')}: ` +
          'Limine needs PT_LOAD segments in ascending, non-overlapping order',
      ),
    ]);
  });

  it('checks each segment against the one before it', () => {
    const three = segmentsOf({ segments: [load(HIGHER_HALF, 0x10n), load(HIGHER_HALF + 0x100n, 0x10n), load(HIGHER_HALF + 0x80n, 0x10n)] });
    expect(three.slice(1)).toEqual([
      error(
        `${segmentName(2, HIGHER_HALF + 0x80n, 0x10n, 'r--')} starts before the end of ${segmentName(1, HIGHER_HALF + 0x100n, 0x10n, 'r--')}: ` +
          'Limine needs PT_LOAD segments in ascending, non-overlapping order',
      ),
    ]);
  });

  it('lets different permissions meet at a page boundary, and refuses them one byte into the next page', () => {
    const code = load(HIGHER_HALF, PAGE, PF_R | PF_X);
    expect(segmentsOf({ segments: [code, load(HIGHER_HALF + PAGE, 0x10n, PF_R | PF_W)] }).slice(1)).toEqual([LAYOUT_OK]);
    // Code ending one byte into the second page, data starting in the middle of it: they share page 1.
    const longer = load(HIGHER_HALF, PAGE + 1n, PF_R | PF_X);
    const data = load(HIGHER_HALF + 0x1800n, 0x10n, PF_R | PF_W);
    expect(segmentsOf({ segments: [longer, data] }).slice(1)).toEqual([
      error(
        `${segmentName(0, HIGHER_HALF, PAGE + 1n, 'r-x')} and ${segmentName(1, HIGHER_HALF + 0x1800n, 0x10n, 'rw-')} share the 4 KiB page at ${hex(HIGHER_HALF + PAGE)} ` +
          'with different permissions: Limine refuses them (start each segment on a 4 KiB boundary)',
      ),
    ]);
  });

  it('names the first shared page of segments sharing several', () => {
    // Code over pages 0-2, data from the middle of page 1 (out of order, so both rules speak).
    const findings = segmentsOf({ segments: [load(HIGHER_HALF, 0x2010n, PF_R | PF_X), load(HIGHER_HALF + 0x1800n, 0x10n, PF_R | PF_W)] });
    expect(findings.at(-1)?.message).toContain(`share the 4 KiB page at ${hex(HIGHER_HALF + PAGE)} with different permissions`);
    const reversed = segmentsOf({ segments: [load(HIGHER_HALF + 0x1800n, 0x10n, PF_R | PF_W), load(HIGHER_HALF + 0x1000n, 0x2000n, PF_R | PF_X)] });
    expect(reversed.at(-1)?.message).toContain(`share the 4 KiB page at ${hex(HIGHER_HALF + PAGE)} with different permissions`);
  });

  it('finds no shared page between segments out of order on pages apart', () => {
    // Data on page 2 before code on page 0: out of order, but no page holds both.
    const findings = segmentsOf({ segments: [load(HIGHER_HALF + 0x2000n, 0x10n, PF_R | PF_W), load(HIGHER_HALF, 0x10n, PF_R | PF_X)] });
    expect(findings.slice(1)).toEqual([
      error(
        `${segmentName(1, HIGHER_HALF, 0x10n, 'r-x')} starts before the end of ${segmentName(0, HIGHER_HALF + 0x2000n, 0x10n, 'rw-')}: ` +
          'Limine needs PT_LOAD segments in ascending, non-overlapping order',
      ),
    ]);
  });

  it('names the shared page of an earlier segment on a later page', () => {
    // Data from the middle of page 1 listed before code over pages 0-1: they share page 1.
    const findings = segmentsOf({ segments: [load(HIGHER_HALF + 0x1800n, 0x10n, PF_R | PF_W), load(HIGHER_HALF, 0x1900n, PF_R | PF_X)] });
    expect(findings.at(-1)?.message).toContain(`share the 4 KiB page at ${hex(HIGHER_HALF + PAGE)} with different permissions`);
  });

  it('finds a page shared with a segment before the previous one, naming one partner per permission', () => {
    const findings = segmentsOf({
      segments: [load(HIGHER_HALF, 0x10n), load(HIGHER_HALF + 0x100n, 0x10n), load(HIGHER_HALF + 0x200n, 0x10n, PF_R | PF_W)],
    });
    expect(findings.slice(1).map((finding) => /^(PT_LOAD #\d) .* and (PT_LOAD #\d) /.exec(finding.message)?.slice(1))).toEqual([
      ['PT_LOAD #0', 'PT_LOAD #2'],
    ]);
    // A long r-- segment reaching past its short r-- neighbour to the rw- one (out of order, so
    // the order rule speaks too): the partner is the one that reaches the page.
    const reaching = segmentsOf({
      segments: [load(HIGHER_HALF, 0x2010n), load(HIGHER_HALF + 0x1000n, 0x10n), load(HIGHER_HALF + 0x2000n, 0x10n, PF_R | PF_W)],
    });
    expect(reaching.filter((finding) => finding.message.includes(' share ')).map((finding) => /^(PT_LOAD #\d) .* and (PT_LOAD #\d) .* page at (0x[0-9a-f]+)/.exec(finding.message)?.slice(1))).toEqual([
      ['PT_LOAD #0', 'PT_LOAD #2', hex(HIGHER_HALF + 0x2000n)],
    ]);
  });

  it('answers in linear time: 8000 segments alternating permissions, two to a page, in well under a second', () => {
    const segments = Array.from({ length: 8000 }, (_, index) => load(HIGHER_HALF + BigInt(index) * 0x800n, 0x10n, index % 2 === 0 ? PF_R | PF_X : PF_R | PF_W));
    const image = buildElf({ entry: HIGHER_HALF, segments }).bytes;
    const { result: findings, ms } = cpuTimed(() => checkLimineSegments(elfOf(image)));
    // Measured on this 2-core machine under a load of 7: comparing every pair took 13 s for these
    // 8000 segments (66 s for 16000), the sweep 0.3 s.
    expect(ms).toBeLessThan(1000);
    // 4000 pairs share a page: the first LISTED_PER_KIND (8) are named, the rest counted.
    const errors = findings.filter((finding) => finding.level === 'error');
    expect(errors).toHaveLength(9);
    expect(errors.at(-1)!.message).toBe('3992 more pairs of PT_LOAD segments sharing a 4 KiB page with different permissions with the same problem, not listed');
  });

  it('answers 65535 PT_LOAD segments over the same 4 MiB in well under a second, naming the first few offenders and counting the rest', () => {
    // Before, one finding per segment: 1 to 1.7 s with one permission, mostly collecting their
    // garbage, and with alternating permissions (twice as many findings) a RangeError (call stack).
    for (const alternate of [false, true]) {
      const segments = Array.from({ length: 65_535 }, (_, index) =>
        load(HIGHER_HALF, 0x40_0000n, alternate && index % 2 === 1 ? PF_R | PF_W : PF_R | PF_X),
      );
      const image = buildElf({ entry: HIGHER_HALF, segments }).bytes;
      const { result: findings, ms } = cpuTimed(() => checkKernelImage(image, 'limine'));
      expect(ms).toBeLessThan(1000);
      const overlaps = findings.filter((finding) => finding.message.includes('starts before the end of'));
      expect(overlaps).toHaveLength(8);
      expect(overlaps[0]!.message).toMatch(/^PT_LOAD #1 .* starts before the end of PT_LOAD #0 /);
      expect(findings).toContainEqual(error('65526 more PT_LOAD segments out of order with the same problem, not listed'));
      expect(findings.length).toBeLessThan(40);
    }
    // The bound is the CPU time above; this only stops a hang. Building the two 65535-segment
    // images takes seconds of wall time on two cores shared with kernel builds.
  }, 60_000);

  it('compares only the R, W and X bits', () => {
    // PF_MASKOS bits (0x0ff00000) do not change how Limine maps a page.
    expect(segmentsOf({ segments: [load(HIGHER_HALF, 0x10n, PF_R), load(HIGHER_HALF + 0x100n, 0x10n, PF_R | 0x0010_0000)] }).slice(1)).toEqual([LAYOUT_OK]);
  });

  it('says nothing of the layout of a single segment', () => {
    expect(segmentsOf({ segments: [load(HIGHER_HALF, 0x10n)] })).toHaveLength(1);
  });
});

/**
 * elf.c (elf64_load) rounds each PT_LOAD segment out to its own p_align before comparing
 * permissions, so the verdict depends on p_align, not on 4 KiB pages alone. Limine's verdict for
 * each image is in the test name; ours must match it.
 */
describe('Limine segment layout at the granularity of p_align (elf.c)', () => {
  const aligned = (vaddr: bigint, memsz: bigint, flags: number, align: bigint): SegmentSpec => ({ flags, vaddr, memsz, align });
  const TWO_MIB = 0x20_0000n;

  it('Limine refuses code and data on pages of their own but within one 2 MiB p_align', () => {
    const code = aligned(HIGHER_HALF, PAGE, PF_R | PF_X, TWO_MIB);
    const data = aligned(HIGHER_HALF + PAGE, 0x10n, PF_R | PF_W, TWO_MIB);
    expect(segmentsOf({ segments: [code, data] }).slice(1)).toEqual([
      error(
        `${segmentName(0, HIGHER_HALF, PAGE, 'r-x')} and ${segmentName(1, HIGHER_HALF + PAGE, 0x10n, 'rw-')} have different permissions, and ` +
          `${segmentName(1, HIGHER_HALF + PAGE, 0x10n, 'rw-')} rounded down to its p_align 0x200000 starts at ${hex(HIGHER_HALF)}, inside the other rounded up to its p_align 0x200000: ` +
          'Limine refuses them ("PHDRs with different permissions sharing the same memory page"; give each segment a p_align of 4 KiB, or start it on a p_align boundary)',
      ),
    ]);
  });

  it('Limine takes the same segments with a 4 KiB p_align, or starting on a 2 MiB boundary, or with one permission', () => {
    const code = aligned(HIGHER_HALF, PAGE, PF_R | PF_X, PAGE);
    expect(segmentsOf({ segments: [code, aligned(HIGHER_HALF + PAGE, 0x10n, PF_R | PF_W, PAGE)] }).slice(1)).toEqual([LAYOUT_OK]);
    const far = aligned(HIGHER_HALF + TWO_MIB, 0x10n, PF_R | PF_W, TWO_MIB);
    expect(segmentsOf({ segments: [aligned(HIGHER_HALF, PAGE, PF_R | PF_X, TWO_MIB), far] }).slice(1)).toEqual([LAYOUT_OK]);
    const same = aligned(HIGHER_HALF + PAGE, 0x10n, PF_R | PF_X, TWO_MIB);
    expect(segmentsOf({ segments: [aligned(HIGHER_HALF, PAGE, PF_R | PF_X, TWO_MIB), same] }).slice(1)).toEqual([LAYOUT_OK]);
  });

  it('Limine takes different permissions on one 4 KiB page when p_align is below 4 KiB: a warning of ours', () => {
    for (const align of [0n, 1n, 0x800n]) {
      const findings = segmentsOf({ segments: [aligned(HIGHER_HALF, 0x800n, PF_R | PF_X, align), aligned(HIGHER_HALF + 0x800n, 0x10n, PF_R | PF_W, align)] });
      expect(findings.slice(1), `p_align ${align}`).toEqual([
        warning(
          `${segmentName(0, HIGHER_HALF, 0x800n, 'r-x')} and ${segmentName(1, HIGHER_HALF + 0x800n, 0x10n, 'rw-')} share the 4 KiB page at ${hex(HIGHER_HALF)} with different permissions: ` +
            "Limine takes them, as their p_align is below 4 KiB, but maps whole pages, so one gets the other's permissions " +
            '(our rule, stricter than Limine: start each segment on a 4 KiB boundary)',
        ),
      ]);
    }
  });

  it('Limine refuses a segment whose p_align-rounded base falls below the previous one', () => {
    const first = aligned(HIGHER_HALF + PAGE, 0x10n, PF_R, PAGE);
    const second = aligned(HIGHER_HALF + 2n * PAGE, 0x10n, PF_R, TWO_MIB);
    expect(segmentsOf({ segments: [first, second] }).slice(1)).toEqual([
      error(
        `${segmentName(1, HIGHER_HALF + 2n * PAGE, 0x10n, 'r--')} rounded down to its p_align 0x200000 starts at ${hex(HIGHER_HALF)}, below ` +
          `${segmentName(0, HIGHER_HALF + PAGE, 0x10n, 'r--')} rounded down to its own: ` +
          'Limine refuses PT_LOAD segments out of order by their aligned base ("PHDRs are not ordered by their aligned base")',
      ),
    ]);
    // The same two the other way round: ascending by aligned base too.
    const low = aligned(HIGHER_HALF + PAGE, 0x10n, PF_R, TWO_MIB);
    expect(segmentsOf({ segments: [low, aligned(HIGHER_HALF + 2n * PAGE, 0x10n, PF_R, PAGE)] }).slice(1)).toEqual([LAYOUT_OK]);
  });

  it('Limine compares with the segment whose rounded range reaches highest so far, not only the previous one', () => {
    // #0's 2 MiB p_align covers #1 (same permissions, fine) and #2 (different: refused), pages apart.
    const code = aligned(HIGHER_HALF, 0x10n, PF_R | PF_X, TWO_MIB);
    const moreCode = aligned(HIGHER_HALF + PAGE, 0x10n, PF_R | PF_X, PAGE);
    const data = aligned(HIGHER_HALF + 3n * PAGE, 0x10n, PF_R | PF_W, PAGE);
    const findings = segmentsOf({ segments: [code, moreCode, data] }).slice(1);
    expect(findings.map((finding) => [finding.level, /^(PT_LOAD #\d) .* and (PT_LOAD #\d) /.exec(finding.message)?.slice(1)])).toEqual([
      ['error', ['PT_LOAD #0', 'PT_LOAD #2']],
    ]);
  });

  it('Limine refuses a p_align that is not a power of 2, and takes 0 and 1', () => {
    expect(segmentsOf({ segments: [aligned(HIGHER_HALF, 0x10n, PF_R, 0x3000n)] }).slice(1)).toEqual([
      error(`${segmentName(0, HIGHER_HALF, 0x10n, 'r--')} has p_align 0x3000, not a power of 2: Limine refuses it ("p_align is not a power of 2")`),
    ]);
    for (const align of [0n, 1n, 2n, TWO_MIB]) expect(segmentsOf({ segments: [aligned(HIGHER_HALF, 0x10n, PF_R, align)] }), `p_align ${align}`).toHaveLength(1);
  });
});

describe('the Limine base revision tag', () => {
  it('accepts the newest revision, warns of an older one, and of a newer one, which Limine boots with revision 6', () => {
    const newest = kernel(concat(START, tag(LIMINE.baseRevision), END));
    expect(requests(newest)).toEqual([
      ok(`Limine base revision tag at ${at(newest, 32)} asks for revision 6`),
      ok(`Limine requests markers: start at ${hex(DATA)}, end at ${hex(DATA + 56n)} (file-backed, 8-byte aligned)`),
    ]);
    const older = kernel(concat(START, tag(5), END));
    expect(requests(older)[0]).toEqual(warning(`Limine base revision tag at ${at(older, 32)} asks for revision 5, which is deprecated: the newest is 6`));
    const newer = kernel(concat(START, tag(7), END));
    expect(requests(newer)[0]).toEqual(warning(`Limine base revision tag at ${at(newer, 32)} asks for revision 7, but the newest base revision is 6${BOOTS_WITH_6}`));
  });

  it('reads the revision as a 64-bit word', () => {
    const huge = kernel(concat(START, tag(0x1_0000_0006n), END));
    expect(requests(huge)[0]).toEqual(
      warning(`Limine base revision tag at ${at(huge, 32)} asks for revision 4294967302, but the newest base revision is 6${BOOTS_WITH_6}`),
    );
  });

  it('refuses a tag whose revision word is cut off by the end of the segment data, and accepts it ending there', () => {
    const cut = kernel(concat(START, END, tag(6).subarray(0, 16)));
    expect(requests(cut)[0]).toEqual(error(`Limine base revision tag at ${at(cut, 48)} is cut off before its revision word`));
    const exact = kernel(concat(START, END, tag(6)));
    expect(requests(exact)[0]).toEqual(ok(`Limine base revision tag at ${at(exact, 48)} asks for revision 6`));
  });

  it('Limine does not see a tag or an end marker starting in the last 32 bytes of the loaded image', () => {
    // The data segment is the last one here: Limine's scan ends with its file-backed data.
    const last = (data: Uint8Array, memsz?: bigint) => kernel(data, [CODE_SEGMENT, { flags: PF_R | PF_W, vaddr: DATA, data, ...(memsz ? { memsz } : {}) }]);
    const unseen = (what: string, image: { dataOffsets: readonly number[] }, offset: number, end: bigint) =>
      `${what} at ${at(image, offset)} starts in the last 32 bytes of the image Limine scans (which ends at ${hex(end)}, before the .bss of the last segment): ` +
      'Limine reads 32 bytes at each 8-byte step, so it does not see it';
    const tagLast = last(concat(START, END, new Uint8Array(8), tag(6)));
    expect(requests(tagLast)[0]).toEqual(error(unseen('Limine base revision tag', tagLast, 56, DATA + 80n)));
    // Its .bss does not count: the scan stops at the end of the file-backed data.
    const withBss = last(concat(START, END, new Uint8Array(8), tag(6)), 0x1000n);
    expect(requests(withBss)[0]).toEqual(error(unseen('Limine base revision tag', withBss, 56, DATA + 80n)));
    // Starting exactly 32 bytes before the end: seen.
    const seen = last(concat(START, tag(6), new Uint8Array(8)));
    expect(requests(seen)[0]).toEqual(ok(`Limine base revision tag at ${at(seen, 32)} asks for revision 6`));
    const endLast = last(concat(START, tag(6), new Uint8Array(8), END));
    expect(requests(endLast).slice(1)).toEqual([
      warning(`${unseen('Limine requests end marker', endLast, 64, DATA + 80n)}; Limine then takes requests up to the end of the loaded image (§Requests Delimiters: the markers are optional)`),
    ]);
    const endEarlier = last(concat(START, tag(6), END, new Uint8Array(16)));
    expect(requests(endEarlier).slice(1)).toEqual([ok(`Limine requests markers: start at ${hex(DATA)}, end at ${hex(DATA + 56n)} (file-backed, 8-byte aligned)`)]);
  });

  it('accepts a tag right after the start marker and right before the end marker', () => {
    const image = kernel(concat(START, tag(6), END));
    expect(requests(image).map((finding) => finding.level)).toEqual(['ok', 'ok']);
    const beforeEnd = kernel(concat(START, new Uint8Array(8), tag(6), END));
    expect(requests(beforeEnd).map((finding) => finding.level)).toEqual(['ok', 'ok']);
  });

  it('refuses a tag after the end marker', () => {
    const image = kernel(concat(START, END, tag(6)));
    expect(requests(image)).toEqual([
      ok(`Limine base revision tag at ${at(image, 48)} asks for revision 6`),
      error(`Limine base revision tag at ${at(image, 48)} lies outside the requests markers: Limine ignores it`),
      ok(`Limine requests markers: start at ${hex(DATA)}, end at ${hex(DATA + 32n)} (file-backed, 8-byte aligned)`),
    ]);
  });

  it('judges the tag alone when there are no markers, which Limine does without (warnings of ours)', () => {
    const image = kernel(tag(6));
    expect(requests(image)).toEqual([
      ok(`Limine base revision tag at ${at(image, 0)} asks for revision 6`),
      warning(`${NO_START}; Limine then takes requests from the start of the loaded image (§Requests Delimiters: the markers are optional)`),
      warning(`${NO_END}; Limine then takes requests up to the end of the loaded image (§Requests Delimiters: the markers are optional)`),
    ]);
  });

  it('refuses a duplicated tag, naming every copy', () => {
    const image = kernel(concat(START, tag(6), tag(6), END));
    expect(requests(image)[0]).toEqual(
      error(`Limine base revision tag appears 2 times (${at(image, 32)}, ${at(image, 56)}): Limine refuses a duplicated tag`),
    );
  });

  it('Limine starts over at the start marker: a copy before it is no duplicate, only ignored', () => {
    const image = kernel(concat(tag(6), START, tag(6), END));
    expect(requests(image)).toEqual([
      ok(`Limine base revision tag at ${at(image, 56)} asks for revision 6`),
      warning(`another Limine base revision tag at ${at(image, 0)} lies outside the requests markers: Limine ignores it`),
      ok(`Limine requests markers: start at ${hex(DATA + 24n)}, end at ${hex(DATA + 80n)} (file-backed, 8-byte aligned)`),
    ]);
    const after = kernel(concat(START, tag(6), END, tag(6)));
    expect(requests(after).slice(0, 2)).toEqual([
      ok(`Limine base revision tag at ${at(after, 32)} asks for revision 6`),
      warning(`another Limine base revision tag at ${at(after, 72)} lies outside the requests markers: Limine ignores it`),
    ]);
  });

  it('counts only 8-byte aligned tags: an unaligned copy beside an aligned one is not a duplicate', () => {
    const image = kernel(concat(START, tag(6), new Uint8Array(4), tag(6), new Uint8Array(4), END));
    expect(requests(image)[0]).toEqual(ok(`Limine base revision tag at ${at(image, 32)} asks for revision 6`));
  });

  it('aligns by virtual address, not file offset', () => {
    const image = kernel(concat(START, tag(6), END));
    // Move the data segment's virtual address by 4: the file offsets stay aligned, the addresses do not.
    setU64(image.bytes, programHeaderOffset(image.bytes, 1) + 16, DATA + 4n);
    expect(requests(image)).toEqual([
      error(`Limine base revision tag at ${hex(DATA + 36n)} (file offset ${hex(image.dataOffsets[1]! + 32)}) is not 8-byte aligned: Limine scans in 8-byte steps`),
      warning(
        `Limine requests start marker at ${hex(DATA + 4n)} (file offset ${hex(image.dataOffsets[1]!)}) is not 8-byte aligned: Limine scans in 8-byte steps; ` +
          'Limine then takes requests from the start of the loaded image (§Requests Delimiters: the markers are optional)',
      ),
      warning(
        `Limine requests end marker at ${hex(DATA + 60n)} (file offset ${hex(image.dataOffsets[1]! + 56)}) is not 8-byte aligned: Limine scans in 8-byte steps; ` +
          'Limine then takes requests up to the end of the loaded image (§Requests Delimiters: the markers are optional)',
      ),
    ]);
  });

  it('names the first unaligned copy, and where a tag outside the loaded data lies', () => {
    const image = kernel(concat(START, new Uint8Array(4), tag(6), new Uint8Array(4), tag(6), END));
    expect(requests(image)[0]).toEqual(ok(`Limine base revision tag at ${at(image, 64)} asks for revision 6`));
    const unaligned = kernel(concat(START, new Uint8Array(4), tag(6), new Uint8Array(12), tag(6), END));
    expect(requests(unaligned)[0]?.message).toBe(`Limine base revision tag at ${at(unaligned, 72)} asks for revision 6`);
    const outside = kernel(concat(START, END));
    const withStray = concat(outside.bytes, new Uint8Array(3), tag(6), tag(6));
    expect(requests({ bytes: withStray })[0]).toEqual(
      error(
        `Limine base revision tag found only at file offset ${hex(outside.bytes.length + 3)}, outside the file-backed data of every PT_LOAD segment: Limine does not see it`,
      ),
    );
  });
});

describe('the Limine request markers', () => {
  it('takes the last start marker and the first end marker', () => {
    const image = kernel(concat(START, START, tag(6), END, END));
    expect(requests(image)).toEqual([
      ok(`Limine base revision tag at ${at(image, 64)} asks for revision 6`),
      ok(`Limine requests markers: start at ${hex(DATA + 32n)}, end at ${hex(DATA + 88n)} (file-backed, 8-byte aligned)`),
    ]);
  });

  it('accepts an end marker right after the start marker', () => {
    const image = kernel(concat(tag(6), START, END));
    expect(requests(image).slice(1)).toEqual([
      error(`Limine base revision tag at ${at(image, 0)} lies outside the requests markers: Limine ignores it`),
      ok(`Limine requests markers: start at ${hex(DATA + 24n)}, end at ${hex(DATA + 56n)} (file-backed, 8-byte aligned)`),
    ]);
  });

  it('refuses an end marker before the start marker', () => {
    const image = kernel(concat(END, START, tag(6)));
    expect(requests(image)).toEqual([
      ok(`Limine base revision tag at ${at(image, 48)} asks for revision 6`),
      error(`the Limine requests end marker at ${at(image, 0)} comes before the end of the last start marker at ${at(image, 16)}: no request lies between them`),
    ]);
  });

  it('reports a missing start marker alone, and a missing end marker alone: Limine scans from the image start, or to its end', () => {
    expect(requests(kernel(concat(tag(6), END))).slice(1)).toEqual([
      warning(`${NO_START}; Limine then takes requests from the start of the loaded image (§Requests Delimiters: the markers are optional)`),
    ]);
    expect(requests(kernel(concat(START, tag(6)))).slice(1)).toEqual([
      warning(`${NO_END}; Limine then takes requests up to the end of the loaded image (§Requests Delimiters: the markers are optional)`),
    ]);
  });

  it('Limine takes the requests before the only end marker, and ignores those after it', () => {
    const image = kernel(concat(tag(6), request(LIMINE.requests.hhdm), END, request(LIMINE.requests.rsdp)));
    expect(requests(image)).toEqual([
      ok(`Limine base revision tag at ${at(image, 0)} asks for revision 6`),
      warning(`${NO_START}; Limine then takes requests from the start of the loaded image (§Requests Delimiters: the markers are optional)`),
      ok(`Limine HHDM request at ${at(image, 24)}`),
      warning(`Limine RSDP request at ${at(image, 88)} lies outside the requests markers: Limine ignores it`),
    ]);
  });

  it('Limine never reaches a start marker after the first end marker: the one before it counts', () => {
    const image = kernel(concat(START, tag(6), END, START, request(LIMINE.requests.hhdm)));
    expect(requests(image)).toEqual([
      ok(`Limine base revision tag at ${at(image, 32)} asks for revision 6`),
      ok(`Limine requests markers: start at ${hex(DATA)}, end at ${hex(DATA + 56n)} (file-backed, 8-byte aligned)`),
      warning(`Limine HHDM request at ${at(image, 104)} lies outside the requests markers: Limine ignores it`),
    ]);
  });
});

describe('Limine requests', () => {
  it('names known requests and warns of unknown IDs between the markers', () => {
    const image = kernel(concat(START, tag(6), request(LIMINE.requests.hhdm), request(UNKNOWN), END));
    expect(requests(image).slice(2)).toEqual([
      ok(`Limine HHDM request at ${at(image, 56)}`),
      warning(`Limine request with unknown ID 0x1111111111111111, 0x2222222222222222 at ${at(image, 104)}: no Limine feature has this ID, so no loader answers it`),
    ]);
  });

  it('takes a request right after the start marker and one right before the end marker as inside', () => {
    const image = kernel(concat(START, request(LIMINE.requests.hhdm), request(LIMINE.requests.rsdp), END, tag(6)));
    expect(requests(image).slice(3)).toEqual([ok(`Limine HHDM request at ${at(image, 32)}`), ok(`Limine RSDP request at ${at(image, 80)}`)]);
  });

  it('warns of a request outside the markers, whether before or after them', () => {
    const image = kernel(concat(request(LIMINE.requests.hhdm), START, tag(6), END, request(LIMINE.requests.rsdp)));
    expect(requests(image).slice(2)).toEqual([
      warning(`Limine HHDM request at ${at(image, 0)} lies outside the requests markers: Limine ignores it`),
      warning(`Limine RSDP request at ${at(image, 120)} lies outside the requests markers: Limine ignores it`),
    ]);
  });

  it('judges every request when the markers are broken', () => {
    const image = kernel(concat(tag(6), request(LIMINE.requests.hhdm), request(LIMINE.requests.hhdm)));
    expect(requests(image).slice(3)).toEqual([
      ok(`Limine HHDM request at ${at(image, 24)}`),
      error(`Limine HHDM request at ${at(image, 72)} repeats the one at ${hex(DATA + 24n)}: Limine refuses two requests with one ID`),
    ]);
  });

  it('tells requests apart by their whole ID', () => {
    const other: LimineRequestId = [...LIMINE.commonMagic, '0x1111111111111111', '0x3333333333333333'];
    const image = kernel(concat(START, tag(6), request(UNKNOWN), request(other), END));
    expect(requests(image).slice(2).map((finding) => finding.level)).toEqual(['warning', 'warning']);
  });

  it('ignores the common magic when it is unaligned, or when the 32-byte ID is cut off by the end of the data', () => {
    const unaligned = kernel(concat(START, tag(6), new Uint8Array(4), request(LIMINE.requests.hhdm), new Uint8Array(4), END));
    expect(requests(unaligned).slice(2)).toEqual([]);
    const cut = kernel(concat(START, tag(6), END, request(LIMINE.requests.hhdm).subarray(0, 31)));
    expect(requests(cut).slice(2)).toEqual([]);
    const exact = kernel(concat(START, tag(6), END, request(LIMINE.requests.hhdm).subarray(0, 32)));
    expect(requests(exact).slice(2)).toEqual([warning(`Limine HHDM request at ${at(exact, 72)} lies outside the requests markers: Limine ignores it`)]);
  });

  it('Limine takes 128 requests and refuses a 129th ("Maximum requests exceeded", MAX_REQUESTS in limine.c)', () => {
    // Distinct IDs, none of them a feature: only the count speaks.
    const distinct = (count: number) =>
      Array.from({ length: count }, (_, index) => request([...LIMINE.commonMagic, BigInt(0x5100 + index), 0x7777n]));
    const full = kernel(concat(START, tag(6), ...distinct(128), END));
    expect(requests(full).filter((finding) => finding.level === 'error')).toEqual([]);
    const over = kernel(concat(START, tag(6), ...distinct(129), END));
    expect(requests(over).filter((finding) => finding.level === 'error')).toEqual([
      error(`Limine request with unknown ID 0x5180, 0x7777 at ${at(over, 56 + 128 * 48)} is request number 129: Limine takes at most 128 ("Maximum requests exceeded")`),
    ]);
    // Requests outside the markers are never counted.
    const outside = kernel(concat(...distinct(1), START, tag(6), ...distinct(128).slice(1), request(LIMINE.requests.hhdm), END));
    expect(requests(outside).filter((finding) => finding.level === 'error')).toEqual([]);
  });

  it('names every request of the model distinctly, as PROTOCOL.md names the features', () => {
    const names = Object.values(LIMINE.requests).map((id) => limineRequestName(words(id)));
    expect(names.every((name) => typeof name === 'string' && name.length > 0)).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    // §Feature List headings: "Bootloader Info Feature", "HHDM (Higher Half Direct Map) Feature", ...
    expect(
      (['bootloaderInfo', 'firmwareType', 'stackSize', 'hhdm', 'framebuffer', 'memoryMap', 'entryPoint', 'module', 'rsdp', 'smbios', 'efiSystemTable', 'efiMemoryMap', 'deviceTreeBlob'] as const).map(
        (key) => limineRequestName(words(LIMINE.requests[key])),
      ),
    ).toEqual([
      'bootloader info',
      'firmware type',
      'stack size',
      'HHDM',
      'framebuffer',
      'memory map',
      'entry point',
      'module',
      'RSDP',
      'SMBIOS',
      'EFI system table',
      'EFI memory map',
      'device tree blob',
    ]);
    expect(limineRequestName(words(UNKNOWN))).toBeUndefined();
  });
});

/**
 * An i386 ELF32 executable (gABI Elf32_Ehdr, 52 bytes; one Elf32_Phdr, 32 bytes) with `data` in one
 * R+W+X segment at `vaddr`, written out here from the gABI.
 */
function elf32Kernel(vaddr: number, data: Uint8Array): Uint8Array {
  const DATA_OFFSET = 0x1000;
  const bytes = new Uint8Array(DATA_OFFSET + data.length);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1], 0); // magic, ELFCLASS32, ELFDATA2LSB, EV_CURRENT
  view.setUint16(16, 2, true); // ET_EXEC
  view.setUint16(18, 3, true); // EM_386
  view.setUint32(20, 1, true); // EV_CURRENT
  view.setUint32(24, vaddr, true); // e_entry
  view.setUint32(28, 52, true); // e_phoff
  view.setUint16(40, 52, true); // e_ehsize
  view.setUint16(42, 32, true); // e_phentsize
  view.setUint16(44, 1, true); // e_phnum
  const phdr = [1, DATA_OFFSET, vaddr, vaddr, data.length, data.length, PF_R | PF_W | PF_X, 0x1000];
  phdr.forEach((value, index) => view.setUint32(52 + index * 4, value, true));
  bytes.set(data, DATA_OFFSET);
  return bytes;
}

describe('the ELF class Limine loads', () => {
  it('Limine refuses an i386 ELF32 kernel, which multiboot2 allows ("elf: Not an x86-64 ELF file.")', () => {
    const bytes = elf32Kernel(0x10_0000, concat(START, tag(6), END));
    const refusal = error('the kernel is ELF32 (EM_386): Limine loads only ELF64 x86-64 kernels ("elf: Not an x86-64 ELF file.")');
    expect(checkLimineSegments(elfOf(bytes))).toEqual([refusal]);
    expect(checkKernelImage(bytes)).toContainEqual(refusal);
    expect(checkKernelImage(bytes, 'limine')).toContainEqual(refusal);
  });

  it('takes the same kernel as ELF64', () => {
    expect(checkLimineSegments(elfOf(kernel(concat(START, tag(6), END)).bytes)).map((finding) => finding.level)).toEqual(['ok', 'ok']);
  });
});

describe('detecting a Limine kernel', () => {
  it('finds the base revision tag or the start marker at any byte offset, not the end marker alone', () => {
    expect(hasLimineMarkers(placeAt(tag(6), 3, 64))).toBe(true);
    expect(hasLimineMarkers(placeAt(START, 5, 64))).toBe(true);
    expect(hasLimineMarkers(placeAt(END, 0, 64))).toBe(false);
    expect(hasLimineMarkers(placeAt(tag(6).subarray(0, 15), 0, 64))).toBe(false);
    expect(detectBootProtocol(placeAt(tag(6), 3, 64))).toEqual({ name: 'limine', evidence: 'a Limine base revision tag or requests marker' });
    expect(detectBootProtocol(new Uint8Array(64))).toBeUndefined();
  });

  it('in an ELF, takes only markers in the file-backed data of the PT_LOAD segments as evidence, as only those Limine sees', () => {
    const inside = kernel(concat(START, tag(6), END)).bytes;
    expect(detectBootProtocol(inside)?.name).toBe('limine');
    // The same tag after the last segment's data: in the file, but loaded by nothing.
    const outside = concat(kernel(new Uint8Array(64)).bytes, new Uint8Array(8), tag(6));
    expect(detectBootProtocol(outside)).toBeUndefined();
    expect(checkKernelImage(outside).at(-1)).toEqual(
      error('cannot tell the boot protocol: no multiboot2 header in the first 32 KiB and no Limine base revision tag or requests marker in the file-backed data of the PT_LOAD segments; pass --boot'),
    );
  });

  it('searches the file data of 65535 PT_LOAD segments over the same 1 MiB once, in well under a second', () => {
    // Each segment's data searched on its own took 65535 times as long (minutes).
    // No marker: every byte is searched (a marker would end the search early).
    const data = new Uint8Array(1 << 20).fill(0xc8); // the tag's first byte, so the search stops at each byte
    const one = buildElf({ entry: HIGHER_HALF, segments: [{ flags: PF_R, vaddr: HIGHER_HALF, data }] });
    const count = 65_535;
    const tableOffset = one.bytes.length;
    const bytes = new Uint8Array(tableOffset + count * 56);
    bytes.set(one.bytes);
    for (let index = 0; index < count; index++) bytes.copyWithin(tableOffset + index * 56, programHeaderOffset(one.bytes, 0), programHeaderOffset(one.bytes, 0) + 56);
    setU64(bytes, 32, BigInt(tableOffset));
    new DataView(bytes.buffer).setUint16(56, count, true);
    const { result: detected, ms } = cpuTimed(() => detectBootProtocol(bytes));
    expect(detected).toBeUndefined();
    expect(ms).toBeLessThan(1000);
  });

  it('prefers a multiboot2 header', () => {
    const both = placeAt(multiboot2Header(), 0, 128);
    both.set(tag(6), 64);
    expect(detectBootProtocol(both)?.name).toBe('multiboot2');
  });

  it('checks a detected Limine kernel as one', () => {
    const image = kernel(concat(START, tag(6), END));
    expect(checkKernelImage(image.bytes)).toEqual(checkKernelImage(image.bytes, 'limine'));
    expect(checkKernelImage(image.bytes)).toContainEqual(LAYOUT_OK);
  });

  it('lets a Limine kernel be ET_DYN, and checks nothing past an ELF it cannot read', () => {
    const image = kernel(concat(START, tag(6), END));
    const dyn = image.bytes.slice();
    dyn[16] = ET_DYN;
    expect(checkKernelImage(dyn, 'limine').filter((finding) => finding.message.startsWith('ELF type'))).toEqual([]);
    const rel = image.bytes.slice();
    rel[16] = 1;
    expect(checkKernelImage(rel, 'limine')[1]).toEqual(error('ELF type is type 1, a limine kernel must be ET_EXEC, or ET_DYN for a position-independent kernel'));
    const wrongMachine = image.bytes.slice();
    wrongMachine[18] = 3;
    expect(checkKernelImage(wrongMachine, 'limine')).toEqual([error('ELF machine is 3, an x86_64 kernel must be EM_X86_64 (62)')]);
  });
});
