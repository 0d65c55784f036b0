/**
 * The Limine boot protocol (PROTOCOL.md of the limine-protocol repository, base revision 6; the
 * loader's own common/lib/elf.c and common/protos/limine.c for what it refuses).
 */
import { findBootProtocol, LIMINE } from '@baremetal-kernel/target';
import { findWords, hex, readU64, words } from './bytes.js';
import {
  describeSegment,
  ET_DYN,
  loadSegments,
  PF_R,
  PF_W,
  PF_X,
  PT_DYNAMIC,
  type ElfImage,
  type ProgramHeader,
} from './elf.js';
import { error, ok, warning, type Finding } from './findings.js';
import { limineRequestName } from './limine-requests.js';
import { fileBackedChunks, findInLoadedData, fitsInChunk, type FileBackedChunk, type Occurrence } from './loaded-data.js';
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
  return lower.map((segment) =>
    error(`${describeSegment(segment)} is in the lower half while other segments are in the higher half: Limine refuses a relocatable kernel mixing both`),
  );
}

/** elf.c: ET_DYN needs a non-empty PT_DYNAMIC (the loader applies its relocations). */
function checkDynamic(elf: ElfImage): Finding[] {
  if (elf.type !== ET_DYN) return [];
  const dynamic = elf.programHeaders.find((header) => header.type === PT_DYNAMIC && header.filesz > 0n);
  return dynamic === undefined ? [error('the ET_DYN kernel has no PT_DYNAMIC segment: Limine refuses a relocatable kernel without one')] : [];
}

/** elf.c: PT_LOAD segments in ascending, non-overlapping order; no page shared by different permissions. */
function checkSegmentLayout(elf: ElfImage): Finding[] {
  const segments = loadSegments(elf);
  const problems: Finding[] = [];
  segments.slice(1).forEach((segment, index) => {
    const previous = segments[index]!;
    if (segment.vaddr < previous.vaddr + previous.memsz) {
      problems.push(
        error(`${describeSegment(segment)} starts before the end of ${describeSegment(previous)}: Limine needs PT_LOAD segments in ascending, non-overlapping order`),
      );
    }
  });
  const permissionMask = PF_R | PF_W | PF_X;
  segments.forEach((first, index) => {
    for (const second of segments.slice(index + 1)) {
      const [firstLow, firstHigh] = pages(first);
      const [secondLow, secondHigh] = pages(second);
      const sharedLow = firstLow > secondLow ? firstLow : secondLow;
      const sharedHigh = firstHigh < secondHigh ? firstHigh : secondHigh;
      if (sharedLow <= sharedHigh && (first.flags & permissionMask) !== (second.flags & permissionMask)) {
        problems.push(
          error(
            `${describeSegment(first)} and ${describeSegment(second)} share the 4 KiB page at ${hex(sharedLow * LIMINE_PAGE_SIZE)} ` +
              'with different permissions: Limine refuses them (start each segment on a 4 KiB boundary)',
          ),
        );
      }
    }
  });
  if (problems.length === 0 && segments.length > 1) {
    problems.push(ok('PT_LOAD segments are in ascending order and no 4 KiB page is shared by different permissions'));
  }
  return problems;
}

export function checkLimineSegments(elf: ElfImage): Finding[] {
  return [...checkHigherHalf(elf), ...checkDynamic(elf), ...checkSegmentLayout(elf)];
}

/** Occurrences of a pattern the loader can see: in loaded data and 8-byte aligned, or why there are none. */
function locate(
  bytes: Uint8Array,
  chunks: readonly FileBackedChunk[],
  pattern: readonly bigint[],
  what: string,
): { found: Occurrence[]; problem: Finding | undefined } {
  const all = findInLoadedData(bytes, chunks, pattern);
  const found = all.filter(isAligned);
  if (found.length > 0) return { found, problem: undefined };
  const unaligned = all[0];
  if (unaligned !== undefined) {
    return { found, problem: error(`${what} at ${where(unaligned)} is not 8-byte aligned: Limine scans in 8-byte steps`) };
  }
  const elsewhere = findWords(bytes, pattern, 0, bytes.byteLength, 1)[0];
  if (elsewhere !== undefined) {
    return {
      found,
      problem: error(`${what} found only at file offset ${hex(elsewhere)}, outside the file-backed data of every PT_LOAD segment: Limine does not see it`),
    };
  }
  return {
    found,
    problem: error(`no ${what} in the file-backed data of the PT_LOAD segments (one in .bss is invisible to Limine)`),
  };
}

interface Markers {
  readonly start: Occurrence;
  readonly end: Occurrence;
}

/** §Requests Delimiters: requests count between the last start marker and the first end marker. */
function checkMarkers(bytes: Uint8Array, chunks: readonly FileBackedChunk[]): { markers: Markers | undefined; findings: Finding[] } {
  const starts = locate(bytes, chunks, START_MARKER, 'Limine requests start marker');
  const ends = locate(bytes, chunks, END_MARKER, 'Limine requests end marker');
  const problems = [starts.problem, ends.problem].filter((problem): problem is Finding => problem !== undefined);
  if (problems.length > 0) return { markers: undefined, findings: problems };
  const start = starts.found[starts.found.length - 1]!;
  const end = ends.found[0]!;
  if (end.vaddr < start.vaddr + BigInt(START_MARKER.length * 8)) {
    return {
      markers: undefined,
      findings: [
        error(`the Limine requests end marker at ${where(end)} comes before the end of the last start marker at ${where(start)}: no request lies between them`),
      ],
    };
  }
  return {
    markers: { start, end },
    findings: [ok(`Limine requests markers: start at ${hex(start.vaddr)}, end at ${hex(end.vaddr)} (file-backed, 8-byte aligned)`)],
  };
}

function between(markers: Markers, occurrence: Occurrence): boolean {
  return occurrence.vaddr >= markers.start.vaddr + BigInt(START_MARKER.length * 8) && occurrence.vaddr < markers.end.vaddr;
}

/** §Base Revisions: the tag is `magic, magic, revision`; the loader honours revisions up to its own. */
function checkBaseRevision(bytes: Uint8Array, chunks: readonly FileBackedChunk[], markers: Markers | undefined): Finding[] {
  const { found, problem } = locate(bytes, chunks, BASE_REVISION_MAGIC, 'Limine base revision tag');
  if (problem !== undefined) return [problem];
  if (found.length > 1) {
    return [error(`Limine base revision tag appears ${found.length} times (${found.map(where).join(', ')}): Limine refuses a duplicated tag`)];
  }
  const tag = found[0]!;
  if (!fitsInChunk(chunks, tag, 24)) return [error(`Limine base revision tag at ${where(tag)} is cut off before its revision word`)];
  const revision = readU64(bytes, tag.fileOffset + 16)!;
  const findings: Finding[] = [];
  if (revision > BigInt(LIMINE.baseRevision)) {
    findings.push(
      error(`Limine base revision tag at ${where(tag)} asks for revision ${revision}, but the newest base revision is ${LIMINE.baseRevision}`),
    );
  } else if (revision < BigInt(LIMINE.baseRevision)) {
    findings.push(
      warning(`Limine base revision tag at ${where(tag)} asks for revision ${revision}, which is deprecated: the newest is ${LIMINE.baseRevision}`),
    );
  } else {
    findings.push(ok(`Limine base revision tag at ${where(tag)} asks for revision ${revision}`));
  }
  if (markers !== undefined && !between(markers, tag)) {
    findings.push(error(`Limine base revision tag at ${where(tag)} lies outside the requests markers: Limine ignores it`));
  }
  return findings;
}

/** §Limine Requests Section and §Features: each request starts with its 4-word ID. */
function checkRequests(bytes: Uint8Array, chunks: readonly FileBackedChunk[], markers: Markers | undefined): Finding[] {
  const findings: Finding[] = [];
  const seen = new Map<string, Occurrence>();
  for (const occurrence of findInLoadedData(bytes, chunks, COMMON_MAGIC).filter(isAligned)) {
    if (!fitsInChunk(chunks, occurrence, 32)) continue;
    const id = [0, 1, 2, 3].map((word) => readU64(bytes, occurrence.fileOffset + word * 8)!);
    const name = limineRequestName(id);
    const label = name === undefined ? `Limine request with unknown ID ${id.slice(2).map(hex).join(', ')}` : `Limine ${name} request`;
    if (markers !== undefined && !between(markers, occurrence)) {
      findings.push(warning(`${label} at ${where(occurrence)} lies outside the requests markers: Limine ignores it`));
      continue;
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
export function checkLimineRequests(bytes: Uint8Array, elf: ElfImage): Finding[] {
  const chunks = fileBackedChunks(bytes, elf);
  const { markers, findings: markerFindings } = checkMarkers(bytes, chunks);
  return [...checkBaseRevision(bytes, chunks, markers), ...markerFindings, ...checkRequests(bytes, chunks, markers)];
}

/** Whether the file holds Limine's base revision tag or requests start marker anywhere. */
export function hasLimineMarkers(bytes: Uint8Array): boolean {
  return (
    findWords(bytes, BASE_REVISION_MAGIC, 0, bytes.byteLength, 1).length > 0 ||
    findWords(bytes, START_MARKER, 0, bytes.byteLength, 1).length > 0
  );
}
