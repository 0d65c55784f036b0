/**
 * Limine checks on synthetic ELF64 images: the higher half, the shared-page rule, the base revision
 * tag, the request markers and the requests. (A generated Limine kernel must pass them all:
 * packages/generators/test/e2e/limine.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { LIMINE, type LimineRequestId } from '@baremetal-kernel/target';
import { checkKernelImage, detectBootProtocol } from '../../src/kernel-image.js';
import { formatFinding } from '../../src/findings.js';
import {
  buildElf,
  concat,
  ET_DYN,
  PF_R,
  PF_W,
  PF_X,
  PT_DYNAMIC,
  wordBytes,
  type SegmentSpec,
} from '../elf-builder.js';

const BASE = 0xffff_ffff_8000_0000n;
const DATA = BASE + 0x1000n;
const hex = (value: number | bigint): string => `0x${value.toString(16)}`;

const START = wordBytes(...LIMINE.requestsStartMarker);
const END = wordBytes(...LIMINE.requestsEndMarker);
const baseRevision = (revision: number) => wordBytes(...LIMINE.baseRevisionMagic, BigInt(revision));
/** A request with no extra members: its ID, revision 0, response NULL (§Limine Requests Section). */
const request = (id: readonly (string | bigint)[]) => wordBytes(...id, 0n, 0n);
const UNKNOWN_ID: LimineRequestId = [...LIMINE.commonMagic, '0x1111111111111111', '0x2222222222222222'];
const CODE = new Uint8Array(16).fill(0xc3);

/**
 * What follows the requests in the data segment, as .data does in a real kernel: Limine's scan reads
 * 32 bytes at each step and ends with the loaded image (limine.c), so it does not see a tag or an
 * end marker in the image's last 31 bytes.
 */
const TAIL = new Uint8Array(32);

/** A kernel with a code segment at BASE and a data segment at BASE + 4 KiB holding `data`, then TAIL. */
function limineImage(data: Uint8Array, options: { entry?: bigint; segments?: SegmentSpec[]; type?: number } = {}) {
  return buildElf({
    type: options.type ?? 2,
    entry: options.entry ?? BASE,
    segments: options.segments ?? [
      { flags: PF_R | PF_X, vaddr: BASE, data: CODE },
      { flags: PF_R | PF_W, vaddr: DATA, data: concat(data, TAIL) },
    ],
  });
}

function lines(bytes: Uint8Array): string[] {
  return checkKernelImage(bytes, 'limine').map(formatFinding);
}

/** The requests section a Limine kernel declares: markers around the tag and two requests. */
const GOOD_DATA = concat(START, baseRevision(6), request(LIMINE.requests.memoryMap), request(LIMINE.requests.hhdm), END);
/** Virtual address and file offset of a byte of the data segment, as the findings print them. */
const at = (image: { dataOffsets: readonly number[] }, offset: number) =>
  `${hex(DATA + BigInt(offset))} (file offset ${hex(image.dataOffsets[1]! + offset)})`;

const ELF_OK = 'ok: ELF64, little-endian, x86-64, ET_EXEC, 2 program headers (2 PT_LOAD)';
const spanOk = (end: bigint) => `ok: PT_LOAD segments span [${hex(BASE)}, ${hex(end)}): in the higher half, at or above 0xffffffff80000000`;
const LAYOUT_OK = 'ok: PT_LOAD segments are in ascending order and no 4 KiB page is shared by different permissions';
const ENTRY_OK = `ok: entry point ${hex(BASE)} lies in the executable segment PT_LOAD #0 [${hex(BASE)}, ${hex(BASE + 16n)}) r-x`;
/** The ELF and segment lines of a two-segment image whose data segment is `size` bytes. */
const segmentLines = (size: number) => [ELF_OK, spanOk(DATA + BigInt(size + TAIL.length)), LAYOUT_OK, ENTRY_OK];
const markersOk = (start: number, end: number) =>
  `ok: Limine requests markers: start at ${hex(DATA + BigInt(start))}, end at ${hex(DATA + BigInt(end))} (file-backed, 8-byte aligned)`;

describe('check on a well-formed Limine kernel', () => {
  const image = limineImage(GOOD_DATA);

  it('passes with every request named', () => {
    expect(lines(image.bytes)).toEqual([
      ...segmentLines(GOOD_DATA.length),
      `ok: Limine base revision tag at ${at(image, 32)} asks for revision 6`,
      markersOk(0, 152),
      `ok: Limine memory map request at ${at(image, 56)}`,
      `ok: Limine HHDM request at ${at(image, 104)}`,
    ]);
  });

  it('is detected as Limine, and checked as Limine without being told', () => {
    expect(detectBootProtocol(image.bytes)).toEqual({ name: 'limine', evidence: 'a Limine base revision tag or requests marker' });
    expect(checkKernelImage(image.bytes).map(formatFinding)).toEqual(lines(image.bytes));
  });

  it('names the requests the target model does not list yet, and warns about unknown IDs', () => {
    const data = concat(START, baseRevision(6), request(LIMINE.requests.mp), request(UNKNOWN_ID), END);
    const image = limineImage(data);
    expect(lines(image.bytes).slice(6)).toEqual([
      `ok: Limine MP request at ${at(image, 56)}`,
      `warning: Limine request with unknown ID 0x1111111111111111, 0x2222222222222222 at ${at(image, 104)}: no Limine feature has this ID, so no loader answers it`,
    ]);
  });
});

describe('the base revision tag', () => {
  it('warns of a revision newer than the protocol defines, which Limine boots with revision 6', () => {
    const image = limineImage(concat(START, baseRevision(7), END));
    expect(lines(image.bytes).slice(4)).toEqual([
      `warning: Limine base revision tag at ${at(image, 32)} asks for revision 7, but the newest base revision is 6: ` +
        "Limine boots it with revision 6 and leaves the tag's third word unchanged, so a kernel that checks the tag (§Base Revisions) stops",
      markersOk(0, 56),
    ]);
  });

  it('warns about a deprecated revision', () => {
    const image = limineImage(concat(START, baseRevision(3), END));
    expect(lines(image.bytes)[4]).toBe(
      `warning: Limine base revision tag at ${at(image, 32)} asks for revision 3, which is deprecated: the newest is 6`,
    );
  });

  it('rejects a tag that is not 8-byte aligned', () => {
    const image = limineImage(concat(START, new Uint8Array(4), baseRevision(6), new Uint8Array(4), END));
    expect(lines(image.bytes).slice(4)).toEqual([
      `error: Limine base revision tag at ${at(image, 36)} is not 8-byte aligned: Limine scans in 8-byte steps`,
      markersOk(0, 64),
    ]);
  });

  it('rejects a missing tag: one in .bss is invisible', () => {
    const data = concat(START, END);
    const image = limineImage(data, {
      segments: [
        { flags: PF_R | PF_X, vaddr: BASE, data: CODE },
        { flags: PF_R | PF_W, vaddr: DATA, data: concat(data, TAIL), memsz: 0x100n },
      ],
    });
    expect(lines(image.bytes).slice(4)).toEqual([
      'error: no Limine base revision tag in the file-backed data of the PT_LOAD segments (one in .bss is invisible to Limine)',
      markersOk(0, 32),
    ]);
  });

  it('rejects a tag that lies in the file but in no PT_LOAD segment', () => {
    const data = concat(START, END);
    const image = limineImage(data);
    const withStray = concat(image.bytes, baseRevision(6));
    expect(lines(withStray)[4]).toBe(
      `error: Limine base revision tag found only at file offset ${hex(image.bytes.length)}, outside the file-backed data of every PT_LOAD segment: Limine does not see it`,
    );
  });

  it('rejects a duplicated tag', () => {
    const image = limineImage(concat(START, baseRevision(6), baseRevision(6), END));
    expect(lines(image.bytes)[4]).toBe(
      `error: Limine base revision tag appears 2 times (${at(image, 32)}, ${at(image, 56)}): Limine refuses a duplicated tag`,
    );
  });

  it('rejects a tag outside the markers', () => {
    const image = limineImage(concat(baseRevision(6), START, END));
    expect(lines(image.bytes).slice(4)).toEqual([
      `ok: Limine base revision tag at ${at(image, 0)} asks for revision 6`,
      `error: Limine base revision tag at ${at(image, 0)} lies outside the requests markers: Limine ignores it`,
      markersOk(24, 56),
    ]);
  });
});

describe('the request markers and requests', () => {
  it('warns of missing markers, which Limine does without (§Requests Delimiters), and judges the requests', () => {
    const image = limineImage(concat(baseRevision(6), request(LIMINE.requests.hhdm)));
    expect(lines(image.bytes).slice(4)).toEqual([
      `ok: Limine base revision tag at ${at(image, 0)} asks for revision 6`,
      'warning: no Limine requests start marker in the file-backed data of the PT_LOAD segments (one in .bss is invisible to Limine); ' +
        'Limine then takes requests from the start of the loaded image (§Requests Delimiters: the markers are optional)',
      'warning: no Limine requests end marker in the file-backed data of the PT_LOAD segments (one in .bss is invisible to Limine); ' +
        'Limine then takes requests up to the end of the loaded image (§Requests Delimiters: the markers are optional)',
      `ok: Limine HHDM request at ${at(image, 24)}`,
    ]);
  });

  it('rejects an end marker before the start marker', () => {
    const image = limineImage(concat(END, baseRevision(6), START));
    expect(lines(image.bytes).slice(4)).toEqual([
      `ok: Limine base revision tag at ${at(image, 16)} asks for revision 6`,
      `error: the Limine requests end marker at ${at(image, 0)} comes before the end of the last start marker at ${at(image, 40)}: no request lies between them`,
    ]);
  });

  it('warns of a misaligned marker, which Limine does not see', () => {
    const image = limineImage(concat(new Uint8Array(4), START, new Uint8Array(4), baseRevision(6), END));
    expect(lines(image.bytes).slice(4)).toEqual([
      `ok: Limine base revision tag at ${at(image, 40)} asks for revision 6`,
      `warning: Limine requests start marker at ${at(image, 4)} is not 8-byte aligned: Limine scans in 8-byte steps; ` +
        'Limine then takes requests from the start of the loaded image (§Requests Delimiters: the markers are optional)',
    ]);
  });

  it('warns about a request outside the markers and rejects a repeated request', () => {
    const data = concat(
      request(LIMINE.requests.framebuffer),
      START,
      baseRevision(6),
      request(LIMINE.requests.rsdp),
      request(LIMINE.requests.rsdp),
      END,
    );
    const image = limineImage(data);
    expect(lines(image.bytes).slice(4)).toEqual([
      `ok: Limine base revision tag at ${at(image, 80)} asks for revision 6`,
      markersOk(48, 200),
      `warning: Limine framebuffer request at ${at(image, 0)} lies outside the requests markers: Limine ignores it`,
      `ok: Limine RSDP request at ${at(image, 104)}`,
      `error: Limine RSDP request at ${at(image, 152)} repeats the one at ${hex(DATA + 104n)}: Limine refuses two requests with one ID`,
    ]);
  });
});

describe('segments and entry point', () => {
  it('rejects segments with different permissions in one 4 KiB page', () => {
    const image = limineImage(GOOD_DATA, {
      segments: [
        { flags: PF_R | PF_X, vaddr: BASE, data: CODE },
        { flags: PF_R | PF_W, vaddr: BASE + 0x800n, data: GOOD_DATA },
      ],
    });
    const code = `PT_LOAD #0 [${hex(BASE)}, ${hex(BASE + 16n)}) r-x`;
    const data = `PT_LOAD #1 [${hex(BASE + 0x800n)}, ${hex(BASE + 0x800n + BigInt(GOOD_DATA.length))}) rw-`;
    expect(lines(image.bytes).slice(1, 3)).toEqual([
      `ok: PT_LOAD segments span [${hex(BASE)}, ${hex(BASE + 0x800n + BigInt(GOOD_DATA.length))}): in the higher half, at or above 0xffffffff80000000`,
      `error: ${code} and ${data} share the 4 KiB page at ${hex(BASE)} with different permissions: Limine refuses them (start each segment on a 4 KiB boundary)`,
    ]);
  });

  it('accepts segments sharing a page with the same permissions', () => {
    const image = limineImage(GOOD_DATA, {
      segments: [
        { flags: PF_R | PF_W | PF_X, vaddr: BASE, data: CODE },
        { flags: PF_R | PF_W | PF_X, vaddr: BASE + 0x800n, data: GOOD_DATA },
      ],
    });
    expect(lines(image.bytes)[2]).toBe(LAYOUT_OK);
  });

  it('rejects overlapping or descending segments', () => {
    const image = limineImage(GOOD_DATA, {
      segments: [
        { flags: PF_R | PF_W, vaddr: DATA, data: GOOD_DATA },
        { flags: PF_R | PF_X, vaddr: BASE, data: CODE },
      ],
    });
    expect(lines(image.bytes)[2]).toBe(
      `error: PT_LOAD #1 [${hex(BASE)}, ${hex(BASE + 16n)}) r-x starts before the end of PT_LOAD #0 [${hex(DATA)}, ${hex(DATA + BigInt(GOOD_DATA.length))}) rw-: ` +
        'Limine needs PT_LOAD segments in ascending, non-overlapping order',
    );
  });

  it('rejects lower-half segments in a kernel that is not relocatable', () => {
    const image = limineImage(GOOD_DATA, {
      entry: 0x200000n,
      segments: [
        { flags: PF_R | PF_X, vaddr: 0x200000n, data: CODE },
        { flags: PF_R | PF_W, vaddr: DATA, data: GOOD_DATA },
      ],
    });
    expect(lines(image.bytes).slice(1, 2)).toEqual([
      'error: PT_LOAD #0 [0x200000, 0x200010) r-x starts below 0xffffffff80000000: Limine refuses lower-half segments in a kernel that is not relocatable ("Lower half PHDRs are not allowed")',
    ]);
  });

  it('lets a position-independent kernel live in the lower half, but not mix halves or lack PT_DYNAMIC', () => {
    const dynamic: SegmentSpec = { type: PT_DYNAMIC, flags: PF_R | PF_W, vaddr: 0x1100n, data: new Uint8Array(16) };
    const lower = buildElf({
      type: ET_DYN,
      entry: 0n,
      segments: [
        { flags: PF_R | PF_X, vaddr: 0n, data: CODE },
        { flags: PF_R | PF_W, vaddr: 0x1000n, data: GOOD_DATA },
        dynamic,
      ],
    });
    expect(lines(lower.bytes).slice(0, 3)).toEqual([
      'ok: ELF64, little-endian, x86-64, ET_DYN, 3 program headers (2 PT_LOAD)',
      'warning: the position-independent kernel is linked in the lower half: Limine slides it into the higher half at boot',
      LAYOUT_OK,
    ]);
    const mixed = buildElf({
      type: ET_DYN,
      entry: BASE,
      segments: [
        { flags: PF_R | PF_X, vaddr: BASE, data: CODE },
        { flags: PF_R | PF_W, vaddr: 0x1000n, data: GOOD_DATA },
      ],
    });
    expect(lines(mixed.bytes).slice(1, 3)).toEqual([
      `error: PT_LOAD #1 [0x1000, ${hex(0x1000 + GOOD_DATA.length)}) rw- is in the lower half while other segments are in the higher half: Limine refuses a relocatable kernel mixing both`,
      'error: the ET_DYN kernel has no PT_DYNAMIC segment: Limine refuses a relocatable kernel without one',
    ]);
  });

  it('rejects an entry point in a data segment', () => {
    const image = limineImage(GOOD_DATA, { entry: DATA });
    expect(lines(image.bytes)[3]).toBe(
      `error: entry point ${hex(DATA)} lies in PT_LOAD #1 [${hex(DATA)}, ${hex(DATA + BigInt(GOOD_DATA.length + TAIL.length))}) rw-, which is not executable (no PF_X)`,
    );
  });

  it('rejects an ELF type other than ET_EXEC and ET_DYN', () => {
    const image = limineImage(GOOD_DATA, { type: 1 });
    expect(lines(image.bytes).slice(0, 2)).toEqual([
      'ok: ELF64, little-endian, x86-64, type 1, 2 program headers (2 PT_LOAD)',
      'error: ELF type is type 1, a limine kernel must be ET_EXEC, or ET_DYN for a position-independent kernel',
    ]);
  });
});
