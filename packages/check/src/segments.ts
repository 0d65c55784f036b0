/**
 * Where the loader puts the kernel and where it jumps: checks of the PT_LOAD segments (ELF-64 §7)
 * against the address range a boot protocol links and maps the kernel at.
 */
import { hex } from './bytes.js';
import { describeSegment, loadSegments, PF_X, PT_LOAD, segmentContaining, type ElfImage, type ProgramHeader } from './elf.js';
import { error, listed, LISTED_PER_KIND, ok, warning, type Finding } from './findings.js';

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
  const outside = loadSegments(elf).filter((segment) => segment.vaddr < range.start || segment.vaddr + segment.memsz > range.end);
  if (outside.length > 0) {
    return listed(
      outside,
      (segment) =>
        segment.vaddr < range.start
          ? error(`${describeSegment(segment)} starts below ${hex(range.start)}: ${range.belowStart}`)
          : error(`${describeSegment(segment)} ends past ${hex(range.end)}: ${range.pastEnd}`),
      'PT_LOAD segments outside the range',
    );
  }
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

/** 2^32: GRUB loads a multiboot2 ELF64 below it and enters it in 32-bit protected mode. */
const FOUR_GIB = 0x1_0000_0000n;

/** `PT_LOAD #1 at physical [0x101000, 0x128d6f)`: where GRUB puts the segment. */
function describePhysical(segment: ProgramHeader): string {
  return `PT_LOAD #${segment.index} at physical [${hex(segment.paddr)}, ${hex(segment.paddr + segment.memsz)})`;
}

/**
 * Where GRUB 2.06 loads a multiboot2 ELF (grub-core/loader/multiboot_elfxx.c): each PT_LOAD at its
 * p_paddr, whatever its p_vaddr, refusing the kernel when the highest p_paddr + p_memsz of an ELF64
 * reaches 4 GiB ("segment crosses 4 GiB border"). It loads below `linkAddress` too (its relocator
 * only asks for the memory), so that is a warning.
 */
export function checkMultiboot2Segments(elf: ElfImage, linkAddress: bigint): Finding[] {
  // GRUB takes every PT_LOAD into its highest_load, a zero-sized one too.
  const loads = elf.programHeaders.filter((header) => header.type === PT_LOAD);
  const crosses = (segment: ProgramHeader): boolean => segment.paddr + segment.memsz >= FOUR_GIB;
  const offending = loads.filter((segment) => crosses(segment) || (segment.memsz > 0n && segment.paddr < linkAddress));
  const problems = listed(
    offending,
    (segment) =>
      crosses(segment)
        ? error(`${describePhysical(segment)} reaches 4 GiB: GRUB refuses the kernel ("segment crosses 4 GiB border")`)
        : warning(
            `${describePhysical(segment)} starts below ${hex(linkAddress)}: GRUB 2.06 loads it there, but below 1 MiB lie the ` +
              `firmware's data, the video memory and ROMs (0xa0000-0xfffff); link the kernel at ${hex(linkAddress)} or above`,
          ),
    'PT_LOAD segments reaching 4 GiB or starting below the link address',
    offending.slice(LISTED_PER_KIND).some(crosses) ? 'error' : 'warning',
  );
  const loaded = loads.filter((segment) => segment.memsz > 0n);
  if (problems.some((problem) => problem.level === 'error') || loaded.length === 0) return problems;
  const lowest = loaded.reduce((low, segment) => (segment.paddr < low ? segment.paddr : low), FOUR_GIB);
  const highest = loaded.reduce((high, segment) => (segment.paddr + segment.memsz > high ? segment.paddr + segment.memsz : high), 0n);
  const identity = loaded.every((segment) => segment.paddr === segment.vaddr);
  const span = identity
    ? `PT_LOAD segments span [${hex(lowest)}, ${hex(highest)})`
    : `PT_LOAD segments span physical [${hex(lowest)}, ${hex(highest)}) (GRUB loads by p_paddr; the virtual addresses are the kernel's own)`;
  const where = lowest >= linkAddress ? `at or above the link address ${hex(linkAddress)} and below 4 GiB` : 'below 4 GiB';
  return [ok(`${span}: ${where}`), ...problems];
}

/**
 * Where GRUB 2.06 enters a multiboot2 ELF (multiboot_elfxx.c): the first program header whose
 * virtual range holds e_entry turns it into a physical address, which must be below 4 GiB for an
 * ELF64 ("invalid entry point for ELF64"); without one, "entry point isn't in a segment". GRUB jumps
 * there in 32-bit protected mode without paging, where PF_X means nothing: a warning.
 */
export function checkMultiboot2Entry(elf: ElfImage): Finding {
  const entry = elf.entry;
  const header = elf.programHeaders.find((candidate) => entry >= candidate.vaddr && entry < candidate.vaddr + candidate.memsz);
  if (header === undefined) {
    return error(`entry point ${hex(entry)} lies in no program header's virtual range: GRUB refuses the kernel ("entry point isn't in a segment")`);
  }
  const physical = entry - header.vaddr + header.paddr;
  const what = physical === entry ? `entry point ${hex(entry)}` : `entry point ${hex(entry)} (physical ${hex(physical)}, where GRUB jumps)`;
  if (physical >= FOUR_GIB) {
    return error(`${what} is not a 32-bit physical address: GRUB refuses the kernel ("invalid entry point for ELF64")`);
  }
  const segment = loadSegments(elf).find((candidate) => physical >= candidate.paddr && physical < candidate.paddr + candidate.memsz);
  if (segment === undefined) return error(`${what} lies in no PT_LOAD segment by physical address: GRUB would jump where it loaded nothing`);
  if ((segment.flags & PF_X) === 0) {
    return warning(
      `${what} lies in ${describeSegment(segment)}, which is not executable (no PF_X): GRUB enters it without paging, where PF_X does not apply, but the kernel's own page tables may`,
    );
  }
  return ok(`${what} lies in the executable segment ${describeSegment(segment)}`);
}
