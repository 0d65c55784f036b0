/**
 * Where the loader puts the kernel and where it jumps: checks of the PT_LOAD segments (ELF-64 §7)
 * against the address range a boot protocol links and maps the kernel at.
 */
import { hex } from './bytes.js';
import { describeSegment, loadSegments, PF_X, segmentContaining, type ElfImage } from './elf.js';
import { error, ok, type Finding } from './findings.js';

/** The virtual addresses every PT_LOAD segment must lie in: `[start, end)`. */
export interface LoadRange {
  readonly start: bigint;
  readonly end: bigint;
  /** How the ok line describes the range, e.g. `at or above the link address 0x100000, below 4 GiB`. */
  readonly description: string;
  /** Why a segment below `start` does not work. */
  readonly belowStart: string;
  /** Why a segment reaching past `end` does not work. */
  readonly pastEnd: string;
}

export function checkSegmentsInRange(elf: ElfImage, range: LoadRange): Finding[] {
  const problems: Finding[] = [];
  for (const segment of loadSegments(elf)) {
    const end = segment.vaddr + segment.memsz;
    if (segment.vaddr < range.start) {
      problems.push(error(`${describeSegment(segment)} starts below ${hex(range.start)}: ${range.belowStart}`));
    } else if (end > range.end) {
      problems.push(error(`${describeSegment(segment)} ends past ${hex(range.end)}: ${range.pastEnd}`));
    }
  }
  if (problems.length > 0) return problems;
  const segments = loadSegments(elf);
  if (segments.length === 0) return [];
  const lowest = segments.reduce((low, segment) => (segment.vaddr < low ? segment.vaddr : low), range.end);
  const highest = segments.reduce((high, segment) => {
    const end = segment.vaddr + segment.memsz;
    return end > high ? end : high;
  }, range.start);
  return [ok(`PT_LOAD segments span [${hex(lowest)}, ${hex(highest)}): ${range.description}`)];
}

/**
 * What an address (the ELF entry, a PVH entry) must point at: code the loader maps executable.
 * A physical address (PVH) is looked up by p_paddr, a virtual one (e_entry) by p_vaddr.
 */
export function checkExecutableAddress(
  elf: ElfImage,
  address: bigint,
  what: string,
  space: 'virtual' | 'physical' = 'virtual',
): Finding {
  const segment =
    space === 'virtual'
      ? segmentContaining(elf, address)
      : loadSegments(elf).find((candidate) => address >= candidate.paddr && address < candidate.paddr + candidate.memsz);
  if (segment === undefined) {
    return error(`${what} ${hex(address)} lies in no PT_LOAD segment${space === 'physical' ? ' (by physical address)' : ''}`);
  }
  if ((segment.flags & PF_X) === 0) {
    return error(`${what} ${hex(address)} lies in ${describeSegment(segment)}, which is not executable (no PF_X)`);
  }
  return ok(`${what} ${hex(address)} lies in the executable segment ${describeSegment(segment)}`);
}

/** ELF-64 §3 e_entry: where the loader jumps. */
export function checkEntryPoint(elf: ElfImage): Finding {
  return checkExecutableAddress(elf, elf.entry, 'entry point');
}
