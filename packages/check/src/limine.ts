/**
 * The Limine boot protocol (PROTOCOL.md of the limine-protocol repository, base revision 6; the
 * loader's own common/lib/elf.c and common/protos/limine.c for what it refuses).
 */
import { findBootProtocol, LIMINE } from '@baremetal-kernel/target';
import { findWords, hex, readU64, sizeOf, words, type Bytes } from './bytes.js';
import {
  describeSegment,
  ELFCLASS64,
  ET_DYN,
  loadSegments,
  PF_R,
  PF_W,
  PF_X,
  PT_DYNAMIC,
  type ElfImage,
  type ProgramHeader,
} from './elf.js';
import { error, listed, LISTED_PER_KIND, ok, warning, type Finding } from './findings.js';
import { limineRequestName } from './limine-requests.js';
import { coveredRanges, fileBackedChunks, findInLoadedData, fitsInChunk, type FileBackedChunk, type Occurrence } from './loaded-data.js';
import { checkSegmentsInRange } from './segments.js';

/**
 * Limine maps PT_LOAD segments in 4 KiB pages and refuses two segments with different permissions
 * in one page (common/lib/elf.c: "PHDRs with different permissions sharing the same memory page").
 */
export const LIMINE_PAGE_SIZE = BigInt(LIMINE.pageSize);
/** §Base Revisions: the tag and every request are 8-byte aligned; the loader scans in 8-byte steps. */
const LIMINE_ALIGNMENT = 8n;
/** 2^64: the end of the address space; a segment must not wrap around it. */
const ADDRESS_SPACE_END = 1n << 64n;

const HIGHER_HALF_START = BigInt(findBootProtocol('limine')!.linkAddress);
const BASE_REVISION_MAGIC = words(LIMINE.baseRevisionMagic);
const START_MARKER = words(LIMINE.requestsStartMarker);
const END_MARKER = words(LIMINE.requestsEndMarker);
const COMMON_MAGIC = words(LIMINE.commonMagic);

const where = (occurrence: Occurrence): string => `${hex(occurrence.vaddr)} (file offset ${hex(occurrence.fileOffset)})`;
const isAligned = (occurrence: Occurrence): boolean => occurrence.vaddr % LIMINE_ALIGNMENT === 0n;

/** The page numbers a segment touches, first and last. */
function pages(segment: ProgramHeader): readonly [bigint, bigint] {
  return [segment.vaddr / LIMINE_PAGE_SIZE, (segment.vaddr + segment.memsz - 1n) / LIMINE_PAGE_SIZE];
}

/** P6 §Memory Layout at Entry and elf.c: where the PT_LOAD segments may lie, by ELF type. */
function checkHigherHalf(elf: ElfImage): Finding[] {
  const segments = loadSegments(elf);
  const range = {
    start: HIGHER_HALF_START,
    end: ADDRESS_SPACE_END,
    description: `in the higher half, at or above ${hex(HIGHER_HALF_START)}`,
    belowStart: 'Limine refuses lower-half segments in a kernel that is not relocatable ("Lower half PHDRs are not allowed")',
    pastEnd: 'the segment wraps around the end of the address space',
  };
  if (elf.type !== ET_DYN) return checkSegmentsInRange(elf, range);
  // A relocatable (ET_DYN) kernel may be linked in the lower half: Limine slides it up as a whole.
  const lower = segments.filter((segment) => segment.vaddr < HIGHER_HALF_START);
  if (lower.length === 0) return checkSegmentsInRange(elf, range);
  if (lower.length === segments.length) {
    return [warning('the position-independent kernel is linked in the lower half: Limine slides it into the higher half at boot')];
  }
  return listed(
    lower,
    (segment) => error(`${describeSegment(segment)} is in the lower half while other segments are in the higher half: Limine refuses a relocatable kernel mixing both`),
    'lower-half PT_LOAD segments',
  );
}

/** elf.c: ET_DYN needs a non-empty PT_DYNAMIC (the loader applies its relocations). */
function checkDynamic(elf: ElfImage): Finding[] {
  if (elf.type !== ET_DYN) return [];
  const dynamic = elf.programHeaders.find((header) => header.type === PT_DYNAMIC && header.filesz > 0n);
  return dynamic === undefined ? [error('the ET_DYN kernel has no PT_DYNAMIC segment: Limine refuses a relocatable kernel without one')] : [];
}

/** What elf.c's elf64_load finds wrong with one PT_LOAD segment as it walks them in table order. */
interface LimineWalkFault {
  readonly kind: 'order' | 'aligned-order' | 'permissions';
  /** The segment Limine compared it with: the previous one, or the one reaching highest so far. */
  readonly other: ProgramHeader;
  /** The segment's base rounded down to its p_align. */
  readonly roundedBase: bigint;
}

const alignOf = (segment: ProgramHeader): bigint => (segment.align <= 1n ? 1n : segment.align);
const roundDown = (value: bigint, align: bigint): bigint => value - (value % align);
const roundUp = (value: bigint, align: bigint): bigint => roundDown(value + align - 1n, align);
const PERMISSION_MASK = PF_R | PF_W | PF_X;

/**
 * elf.c, elf64_load: the PT_LOAD segments in table order, each checked against the previous one
 * (it must not start below the previous end, nor its p_align-rounded base below the previous one's)
 * and against the segment whose p_align-rounded range reaches highest so far (sharing any of that
 * range with different R/W/X bits is refused: "PHDRs with different permissions sharing the same
 * memory page"). Limine stops at the first; this walk notes every one.
 */
function limineSegmentWalk(segments: readonly ProgramHeader[]): Map<ProgramHeader, LimineWalkFault> {
  const faults = new Map<ProgramHeader, LimineWalkFault>();
  let previous: ProgramHeader | undefined;
  let highest: { segment: ProgramHeader; roundedTop: bigint } | undefined;
  for (const segment of segments) {
    const align = alignOf(segment);
    const roundedBase = roundDown(segment.vaddr, align);
    const roundedTop = roundUp(segment.vaddr + segment.memsz, align);
    if (previous !== undefined && segment.vaddr < previous.vaddr + previous.memsz) {
      faults.set(segment, { kind: 'order', other: previous, roundedBase });
    } else if (previous !== undefined && roundedBase < roundDown(previous.vaddr, alignOf(previous))) {
      faults.set(segment, { kind: 'aligned-order', other: previous, roundedBase });
    } else if (highest !== undefined && roundedBase < highest.roundedTop && (segment.flags & PERMISSION_MASK) !== (highest.segment.flags & PERMISSION_MASK)) {
      faults.set(segment, { kind: 'permissions', other: highest.segment, roundedBase });
    }
    if (highest === undefined || roundedTop > highest.roundedTop) highest = { segment, roundedTop };
    previous = segment;
  }
  return faults;
}

/**
 * Pairs of segments with different R/W/X bits on a common 4 KiB page, each pair in table order with
 * the first page they share. A sweep in address order: for each segment, the earlier-starting
 * segment of each other permission that reaches furthest, if it reaches the segment's first page.
 * So each segment is named with at most one partner per permission: linear in the segments, where
 * comparing every pair would take minutes on a crafted file with thousands of them.
 */
function pagesSharedWithOtherPermissions(segments: readonly ProgramHeader[]): Array<readonly [ProgramHeader, ProgramHeader, bigint]> {
  // Page numbers are below 2^52: exact as JavaScript numbers, which sort and compare without BigInt garbage.
  const byPage = segments
    .map((segment) => {
      const [firstPage, lastPage] = pages(segment);
      return { segment, firstPage: Number(firstPage), lastPage: Number(lastPage), permissions: segment.flags & PERMISSION_MASK };
    })
    .sort((a, b) => a.firstPage - b.firstPage || a.segment.index - b.segment.index);
  // Per R/W/X combination (0-7), the segment so far whose last page is highest.
  const furthest: Array<{ segment: ProgramHeader; lastPage: number } | undefined> = new Array(PERMISSION_MASK + 1).fill(undefined);
  const pairs: Array<readonly [ProgramHeader, ProgramHeader, bigint]> = [];
  for (const { segment, firstPage, lastPage, permissions } of byPage) {
    furthest.forEach((reach, other) => {
      if (reach === undefined || other === permissions || reach.lastPage < firstPage) return;
      const pair = reach.segment.index < segment.index ? ([reach.segment, segment] as const) : ([segment, reach.segment] as const);
      pairs.push([...pair, BigInt(firstPage)]);
    });
    const mine = furthest[permissions];
    if (mine === undefined || lastPage > mine.lastPage) furthest[permissions] = { segment, lastPage };
  }
  return pairs.sort(([a1, a2], [b1, b2]) => a1.index - b1.index || a2.index - b2.index);
}

/**
 * elf.c: PT_LOAD segments in ascending, non-overlapping order; no memory shared by different
 * permissions at the granularity of each segment's p_align; p_align a power of 2. Two segments with
 * different permissions on one 4 KiB page that Limine takes (their p_align below 4 KiB) are a
 * warning: our rule, stricter than Limine's, because pages are mapped whole.
 */
function checkSegmentLayout(elf: ElfImage): Finding[] {
  const segments = loadSegments(elf);
  const problems: Finding[] = [];
  const badAlign = segments.filter((segment) => segment.align > 1n && (segment.align & (segment.align - 1n)) !== 0n);
  problems.push(
    ...listed(
      badAlign,
      (segment) => error(`${describeSegment(segment)} has p_align ${hex(segment.align)}, not a power of 2: Limine refuses it ("p_align is not a power of 2")`),
      'PT_LOAD segments whose p_align is not a power of 2',
    ),
  );
  const faults = limineSegmentWalk(segments);
  const entries = [...faults];
  problems.push(
    ...listed(
      entries.filter(([, fault]) => fault.kind !== 'permissions'),
      ([segment, fault]) =>
        fault.kind === 'order'
          ? error(`${describeSegment(segment)} starts before the end of ${describeSegment(fault.other)}: Limine needs PT_LOAD segments in ascending, non-overlapping order`)
          : error(
              `${describeSegment(segment)} rounded down to its p_align ${hex(alignOf(segment))} starts at ${hex(fault.roundedBase)}, below ${describeSegment(fault.other)} ` +
                `rounded down to its own: Limine refuses PT_LOAD segments out of order by their aligned base ("PHDRs are not ordered by their aligned base")`,
            ),
      'PT_LOAD segments out of order',
    ),
  );
  const pairs = pagesSharedWithOtherPermissions(segments);
  const pageShared = new Set(pairs.map(([, second]) => second));
  const refused = ([, second]: readonly [ProgramHeader, ProgramHeader, bigint]): boolean => faults.has(second);
  problems.push(
    ...listed(
      pairs,
      (pair) => {
        const [first, second, page] = pair;
        const shared = `${describeSegment(first)} and ${describeSegment(second)} share the 4 KiB page at ${hex(page * LIMINE_PAGE_SIZE)} with different permissions`;
        return refused(pair)
          ? error(`${shared}: Limine refuses them (start each segment on a 4 KiB boundary)`)
          : warning(
              `${shared}: Limine takes them, as their p_align is below 4 KiB, but maps whole pages, so one gets the other's permissions ` +
                '(our rule, stricter than Limine: start each segment on a 4 KiB boundary)',
            );
      },
      'pairs of PT_LOAD segments sharing a 4 KiB page with different permissions',
      pairs.slice(LISTED_PER_KIND).some(refused) ? 'error' : 'warning',
    ),
    ...listed(
      entries.filter(([segment, fault]) => fault.kind === 'permissions' && !pageShared.has(segment)),
      ([segment, fault]) =>
        error(
          `${describeSegment(fault.other)} and ${describeSegment(segment)} have different permissions, and ${describeSegment(segment)} rounded down to its ` +
            `p_align ${hex(alignOf(segment))} starts at ${hex(fault.roundedBase)}, inside the other rounded up to its p_align ${hex(alignOf(fault.other))}: ` +
            'Limine refuses them ("PHDRs with different permissions sharing the same memory page"; give each segment a p_align of 4 KiB, or start it on a p_align boundary)',
        ),
      'PT_LOAD segments sharing memory at their p_align with different permissions',
    ),
  );
  if (problems.length === 0 && segments.length > 1) {
    problems.push(ok('PT_LOAD segments are in ascending order and no 4 KiB page is shared by different permissions'));
  }
  return problems;
}

/**
 * The PT_LOAD segments as Limine loads them. Its protocol takes ELF64 x86-64 only: elf.c's
 * elf64_load refuses an i386 ELF32 kernel ("elf: Not an x86-64 ELF file."), which multiboot2 allows.
 */
export function checkLimineSegments(elf: ElfImage): Finding[] {
  if (elf.layout.elfClass !== ELFCLASS64) {
    return [error(`the kernel is ${elf.layout.name} (${elf.layout.machineName}): Limine loads only ELF64 x86-64 kernels ("elf: Not an x86-64 ELF file.")`)];
  }
  return [...checkHigherHalf(elf), ...checkDynamic(elf), ...checkSegmentLayout(elf)];
}

/** limine.c reads 32 bytes (a request ID's size) at each step of its scan: `i + 32 <= image_size_before_bss`. */
const SCAN_READ_BYTES = 32n;

/**
 * Where Limine's scan of the loaded image ends (elf.c, elf64_load: image_size_before_bss): at the
 * highest end of a PT_LOAD segment, less the .bss of the segment that ends there.
 */
function scanEnd(elf: ElfImage): bigint {
  const segments = loadSegments(elf);
  const top = segments.reduce((high, segment) => (segment.vaddr + segment.memsz > high ? segment.vaddr + segment.memsz : high), 0n);
  const last = segments.filter((segment) => segment.vaddr + segment.memsz === top).at(-1);
  return last === undefined || last.filesz >= last.memsz ? top : top - (last.memsz - last.filesz);
}

/** Occurrences of a pattern the loader can see: in loaded data, 8-byte aligned, before the scan's last 32 bytes; or why there are none. */
function locate(
  bytes: Bytes,
  chunks: readonly FileBackedChunk[],
  pattern: readonly bigint[],
  what: string,
  end: bigint,
): { found: Occurrence[]; problem: string | undefined } {
  const all = findInLoadedData(bytes, chunks, pattern);
  const aligned = all.filter(isAligned);
  const found = aligned.filter((occurrence) => occurrence.vaddr + SCAN_READ_BYTES <= end);
  if (found.length > 0) return { found, problem: undefined };
  const late = aligned[0];
  if (late !== undefined) {
    return {
      found,
      problem:
        `${what} at ${where(late)} starts in the last 32 bytes of the image Limine scans (which ends at ${hex(end)}, before the .bss of the last segment): ` +
        'Limine reads 32 bytes at each 8-byte step, so it does not see it',
    };
  }
  const unaligned = all[0];
  if (unaligned !== undefined) return { found, problem: `${what} at ${where(unaligned)} is not 8-byte aligned: Limine scans in 8-byte steps` };
  const elsewhere = findWords(bytes, pattern, 0, sizeOf(bytes), 1, { max: 1 })[0];
  if (elsewhere !== undefined) {
    return { found, problem: `${what} found only at file offset ${hex(elsewhere)}, outside the file-backed data of every PT_LOAD segment: Limine does not see it` };
  }
  return { found, problem: `no ${what} in the file-backed data of the PT_LOAD segments (one in .bss is invisible to Limine)` };
}

/**
 * Where Limine takes requests and the base revision tag from (limine.c scans the loaded image in
 * 8-byte steps, starts over at each start marker and stops at the first end marker): after the
 * last start marker before the first end marker, up to that end marker. Without a start marker it
 * scans from the start of the image, without an end marker to its end.
 */
interface ScanRegion {
  readonly start: Occurrence | undefined;
  readonly end: Occurrence | undefined;
}

const START_MARKER_BYTES = BigInt(START_MARKER.length * 8);

/**
 * §Requests Delimiters: the markers are optional, so a missing one is a warning (our rule, stricter
 * than Limine: it then scans more of the image than the requests section).
 */
function checkMarkers(bytes: Bytes, chunks: readonly FileBackedChunk[], scanned: bigint): { region: ScanRegion | undefined; findings: Finding[] } {
  const starts = locate(bytes, chunks, START_MARKER, 'Limine requests start marker', scanned);
  const ends = locate(bytes, chunks, END_MARKER, 'Limine requests end marker', scanned);
  const end = ends.found[0];
  const usableStarts = end === undefined ? starts.found : starts.found.filter((start) => start.vaddr + START_MARKER_BYTES <= end.vaddr);
  const start = usableStarts[usableStarts.length - 1];
  const lastStart = starts.found[starts.found.length - 1];
  if (end !== undefined && start === undefined && lastStart !== undefined) {
    return {
      region: undefined,
      findings: [
        error(`the Limine requests end marker at ${where(end)} comes before the end of the last start marker at ${where(lastStart)}: no request lies between them`),
      ],
    };
  }
  const findings: Finding[] = [];
  if (starts.problem !== undefined) {
    findings.push(warning(`${starts.problem}; Limine then takes requests from the start of the loaded image (§Requests Delimiters: the markers are optional)`));
  }
  if (ends.problem !== undefined) {
    findings.push(warning(`${ends.problem}; Limine then takes requests up to the end of the loaded image (§Requests Delimiters: the markers are optional)`));
  }
  if (start !== undefined && end !== undefined) {
    findings.push(ok(`Limine requests markers: start at ${hex(start.vaddr)}, end at ${hex(end.vaddr)} (file-backed, 8-byte aligned)`));
  }
  return { region: { start, end }, findings };
}

function within(region: ScanRegion, occurrence: Occurrence): boolean {
  return (
    (region.start === undefined || occurrence.vaddr >= region.start.vaddr + START_MARKER_BYTES) &&
    (region.end === undefined || occurrence.vaddr < region.end.vaddr)
  );
}

/**
 * §Base Revisions: the tag is `magic, magic, revision`; the loader honours revisions up to its own.
 * limine.c refuses a second tag where it scans ("Duplicated base revision tag"); one elsewhere it
 * never reads.
 */
function checkBaseRevision(bytes: Bytes, chunks: readonly FileBackedChunk[], region: ScanRegion | undefined, end: bigint): Finding[] {
  const { found, problem } = locate(bytes, chunks, BASE_REVISION_MAGIC, 'Limine base revision tag', end);
  if (problem !== undefined) return [error(problem)];
  const scanned = region === undefined ? found : found.filter((occurrence) => within(region, occurrence));
  if (scanned.length > 1) {
    return [error(`Limine base revision tag appears ${scanned.length} times (${scanned.map(where).join(', ')}): Limine refuses a duplicated tag`)];
  }
  const tag = scanned[0] ?? found[0]!;
  if (!fitsInChunk(chunks, tag, 24)) return [error(`Limine base revision tag at ${where(tag)} is cut off before its revision word`)];
  const revision = readU64(bytes, tag.fileOffset + 16)!;
  const findings: Finding[] = [];
  if (revision > BigInt(LIMINE.baseRevision)) {
    // limine.c boots it with the newest revision it has (SUPPORTED_BASE_REVISION) and leaves the
    // third word as it is; §Base Revisions leaves it to the kernel to stop.
    findings.push(
      warning(
        `Limine base revision tag at ${where(tag)} asks for revision ${revision}, but the newest base revision is ${LIMINE.baseRevision}: ` +
          `Limine boots it with revision ${LIMINE.baseRevision} and leaves the tag's third word unchanged, so a kernel that checks the tag (§Base Revisions) stops`,
      ),
    );
  } else if (revision < BigInt(LIMINE.baseRevision)) {
    findings.push(
      warning(`Limine base revision tag at ${where(tag)} asks for revision ${revision}, which is deprecated: the newest is ${LIMINE.baseRevision}`),
    );
  } else {
    findings.push(ok(`Limine base revision tag at ${where(tag)} asks for revision ${revision}`));
  }
  for (const occurrence of found) {
    if (region === undefined || within(region, occurrence)) continue;
    findings.push(
      occurrence === tag
        ? error(`Limine base revision tag at ${where(occurrence)} lies outside the requests markers: Limine ignores it`)
        : warning(`another Limine base revision tag at ${where(occurrence)} lies outside the requests markers: Limine ignores it`),
    );
  }
  return findings;
}

/** §Limine Requests Section and §Features: each request starts with its 4-word ID. */
function checkRequests(bytes: Bytes, chunks: readonly FileBackedChunk[], region: ScanRegion | undefined): Finding[] {
  const findings: Finding[] = [];
  const seen = new Map<string, Occurrence>();
  let taken = 0;
  for (const occurrence of findInLoadedData(bytes, chunks, COMMON_MAGIC).filter(isAligned)) {
    if (!fitsInChunk(chunks, occurrence, 32)) continue;
    const id = [0, 1, 2, 3].map((word) => readU64(bytes, occurrence.fileOffset + word * 8)!);
    const name = limineRequestName(id);
    const label = name === undefined ? `Limine request with unknown ID ${id.slice(2).map(hex).join(', ')}` : `Limine ${name} request`;
    if (region !== undefined && !within(region, occurrence)) {
      findings.push(warning(`${label} at ${where(occurrence)} lies outside the requests markers: Limine ignores it`));
      continue;
    }
    taken += 1;
    if (taken === LIMINE.maxRequests + 1) {
      findings.push(
        error(`${label} at ${where(occurrence)} is request number ${taken}: Limine takes at most ${LIMINE.maxRequests} ("Maximum requests exceeded")`),
      );
    }
    // Stryker disable next-line StringLiteral: each hex() word starts with 0x, so any separator keeps IDs apart
    const key = id.map(hex).join(':');
    const first = seen.get(key);
    if (first !== undefined) {
      findings.push(error(`${label} at ${where(occurrence)} repeats the one at ${hex(first.vaddr)}: Limine refuses two requests with one ID`));
      continue;
    }
    seen.set(key, occurrence);
    findings.push(
      name === undefined
        ? warning(`${label} at ${where(occurrence)}: no Limine feature has this ID, so no loader answers it`)
        : ok(`${label} at ${where(occurrence)}`),
    );
  }
  return findings;
}

/** The base revision tag, the markers and the requests, as Limine finds them in the loaded image. */
export function checkLimineRequests(bytes: Bytes, elf: ElfImage): Finding[] {
  const chunks = fileBackedChunks(bytes, elf);
  const end = scanEnd(elf);
  const { region, findings: markerFindings } = checkMarkers(bytes, chunks, end);
  return [...checkBaseRevision(bytes, chunks, region, end), ...markerFindings, ...checkRequests(bytes, chunks, region)];
}

/**
 * Whether Limine's base revision tag or requests start marker lies in the file-backed data of the
 * image's PT_LOAD segments (all Limine sees), or, without a readable ELF, anywhere in the bytes.
 */
export function hasLimineMarkers(bytes: Bytes, elf?: ElfImage): boolean {
  const ranges: ReadonlyArray<readonly [number, number]> =
    elf === undefined ? [[0, sizeOf(bytes)]] : coveredRanges(fileBackedChunks(bytes, elf));
  return [BASE_REVISION_MAGIC, START_MARKER].some((pattern) =>
    ranges.some(([start, end]) => findWords(bytes, pattern, start, end, 1, { max: 1 }).length > 0),
  );
}
