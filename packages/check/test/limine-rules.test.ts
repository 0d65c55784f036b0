/**
 * The Limine rules of the checker, rule by rule on synthetic images, at their boundaries: where
 * PT_LOAD segments may lie and how they may share pages (Limine's common/lib/elf.c), and how the
 * loader finds the base revision tag, the request markers and the requests in the loaded data
 * (PROTOCOL.md: §Base Revisions, §Requests Delimiters, §Features). The whole-kernel walk-through is
 * in e2e/limine.test.ts; these pin each comparison.
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
const LAYOUT_OK = ok('PT_LOAD segments are in ascending order and no 4 KiB page is shared by different permissions');

function elfOf(bytes: Uint8Array): ElfImage {
  const { elf } = readElf(bytes);
  if (elf === undefined) throw new Error('test image does not read');
  return elf;
}

/** A kernel with code at HIGHER_HALF and `data` in a data segment at DATA. */
function kernel(data: Uint8Array, segments?: SegmentSpec[]) {
  return buildElf({
    entry: HIGHER_HALF,
    segments: segments ?? [
      { flags: PF_R | PF_X, vaddr: HIGHER_HALF, data: new Uint8Array(16) },
      { flags: PF_R | PF_W, vaddr: DATA, data },
    ],
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

  it('compares every pair, not only neighbours', () => {
    const findings = segmentsOf({
      segments: [load(HIGHER_HALF, 0x10n), load(HIGHER_HALF + 0x100n, 0x10n), load(HIGHER_HALF + 0x200n, 0x10n, PF_R | PF_W)],
    });
    expect(findings.slice(1).map((finding) => /^(PT_LOAD #\d) .* and (PT_LOAD #\d) /.exec(finding.message)?.slice(1))).toEqual([
      ['PT_LOAD #0', 'PT_LOAD #2'],
      ['PT_LOAD #1', 'PT_LOAD #2'],
    ]);
  });

  it('compares only the R, W and X bits', () => {
    // PF_MASKOS bits (0x0ff00000) do not change how Limine maps a page.
    expect(segmentsOf({ segments: [load(HIGHER_HALF, 0x10n, PF_R), load(HIGHER_HALF + 0x100n, 0x10n, PF_R | 0x0010_0000)] }).slice(1)).toEqual([LAYOUT_OK]);
  });

  it('says nothing of the layout of a single segment', () => {
    expect(segmentsOf({ segments: [load(HIGHER_HALF, 0x10n)] })).toHaveLength(1);
  });
});

describe('the Limine base revision tag', () => {
  it('accepts the newest revision, warns of an older one, refuses a newer one', () => {
    const newest = kernel(concat(START, tag(LIMINE.baseRevision), END));
    expect(requests(newest)).toEqual([
      ok(`Limine base revision tag at ${at(newest, 32)} asks for revision 6`),
      ok(`Limine requests markers: start at ${hex(DATA)}, end at ${hex(DATA + 56n)} (file-backed, 8-byte aligned)`),
    ]);
    const older = kernel(concat(START, tag(5), END));
    expect(requests(older)[0]).toEqual(warning(`Limine base revision tag at ${at(older, 32)} asks for revision 5, which is deprecated: the newest is 6`));
    const newer = kernel(concat(START, tag(7), END));
    expect(requests(newer)[0]).toEqual(error(`Limine base revision tag at ${at(newer, 32)} asks for revision 7, but the newest base revision is 6`));
  });

  it('reads the revision as a 64-bit word', () => {
    const huge = kernel(concat(START, tag(0x1_0000_0006n), END));
    expect(requests(huge)[0]).toEqual(error(`Limine base revision tag at ${at(huge, 32)} asks for revision 4294967302, but the newest base revision is 6`));
  });

  it('refuses a tag whose revision word is cut off by the end of the segment data, and accepts it ending there', () => {
    const cut = kernel(concat(START, END, tag(6).subarray(0, 16)));
    expect(requests(cut)[0]).toEqual(error(`Limine base revision tag at ${at(cut, 48)} is cut off before its revision word`));
    const exact = kernel(concat(START, END, tag(6)));
    expect(requests(exact)[0]).toEqual(ok(`Limine base revision tag at ${at(exact, 48)} asks for revision 6`));
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

  it('judges the tag alone when there are no markers', () => {
    const image = kernel(tag(6));
    expect(requests(image)).toEqual([
      ok(`Limine base revision tag at ${at(image, 0)} asks for revision 6`),
      error('no Limine requests start marker in the file-backed data of the PT_LOAD segments (one in .bss is invisible to Limine)'),
      error('no Limine requests end marker in the file-backed data of the PT_LOAD segments (one in .bss is invisible to Limine)'),
    ]);
  });

  it('refuses a duplicated tag, naming every copy', () => {
    const image = kernel(concat(START, tag(6), tag(6), END));
    expect(requests(image)[0]).toEqual(
      error(`Limine base revision tag appears 2 times (${at(image, 32)}, ${at(image, 56)}): Limine refuses a duplicated tag`),
    );
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
      error(`Limine requests start marker at ${hex(DATA + 4n)} (file offset ${hex(image.dataOffsets[1]!)}) is not 8-byte aligned: Limine scans in 8-byte steps`),
      error(`Limine requests end marker at ${hex(DATA + 60n)} (file offset ${hex(image.dataOffsets[1]! + 56)}) is not 8-byte aligned: Limine scans in 8-byte steps`),
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

  it('reports a missing start marker alone, and a missing end marker alone', () => {
    expect(requests(kernel(concat(tag(6), END))).slice(1)).toEqual([
      error('no Limine requests start marker in the file-backed data of the PT_LOAD segments (one in .bss is invisible to Limine)'),
    ]);
    expect(requests(kernel(concat(START, tag(6)))).slice(1)).toEqual([
      error('no Limine requests end marker in the file-backed data of the PT_LOAD segments (one in .bss is invisible to Limine)'),
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

describe('detecting a Limine kernel', () => {
  it('finds the base revision tag or the start marker at any byte offset, not the end marker alone', () => {
    expect(hasLimineMarkers(placeAt(tag(6), 3, 64))).toBe(true);
    expect(hasLimineMarkers(placeAt(START, 5, 64))).toBe(true);
    expect(hasLimineMarkers(placeAt(END, 0, 64))).toBe(false);
    expect(hasLimineMarkers(placeAt(tag(6).subarray(0, 15), 0, 64))).toBe(false);
    expect(detectBootProtocol(placeAt(tag(6), 3, 64))).toEqual({ name: 'limine', evidence: 'a Limine base revision tag or requests marker' });
    expect(detectBootProtocol(new Uint8Array(64))).toBeUndefined();
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
