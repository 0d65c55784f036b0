/**
 * ELF notes (System V gABI, "Note Section"): in each PT_NOTE segment, entries of u32 namesz,
 * u32 descsz, u32 type, then the name and the descriptor, each padded to the note alignment.
 */
import { alignUp, hex, inBounds, readCString, readU32, type Bytes } from './bytes.js';
import { PT_NOTE, type ElfImage, type ProgramHeader } from './elf.js';
import { error, warning, type Finding } from './findings.js';

export interface ElfNote {
  readonly segment: ProgramHeader;
  /** File offset of the note's header. */
  readonly offset: number;
  /** The name up to its terminating NUL. */
  readonly name: string;
  readonly type: number;
  readonly descriptorOffset: number;
  readonly descriptorSize: number;
}

export interface NoteReading {
  readonly notes: readonly ElfNote[];
  readonly problems: readonly Finding[];
}

const NOTE_HEADER_SIZE = 12;

/**
 * The most notes read from one file. A linker makes a handful (GNU build ID, Xen's PVH entry); a
 * crafted PT_NOTE of gigabytes of zeros holds hundreds of millions of empty 12-byte notes, which
 * would take minutes and more memory than there is. Reading stops here, with a warning.
 */
export const NOTE_READ_LIMIT = 4096;

/** The notes of one segment, at most `budget` of them; `more` when it holds further ones. */
function readNotesOf(bytes: Bytes, segment: ProgramHeader, budget: number): NoteReading & { readonly more?: boolean } {
  const where = `PT_NOTE #${segment.index}`;
  if (!inBounds(bytes, segment.offset, segment.filesz)) {
    return { notes: [], problems: [error(`${where} at file offset ${hex(segment.offset)} runs past the end of the file`)] };
  }
  // gABI: notes in a 4-aligned segment are padded to 4 bytes, in an 8-aligned one to 8 (ELF64 GNU notes).
  const alignment = segment.align === 8n ? 8 : 4;
  const notes: ElfNote[] = [];
  const end = Number(segment.offset + segment.filesz);
  let position = Number(segment.offset);
  while (position + NOTE_HEADER_SIZE <= end && notes.length < budget) {
    const nameSize = readU32(bytes, position)!;
    const descriptorSize = readU32(bytes, position + 4)!;
    const type = readU32(bytes, position + 8)!;
    const descriptorOffset = alignUp(position + NOTE_HEADER_SIZE + nameSize, alignment);
    const next = alignUp(descriptorOffset + descriptorSize, alignment);
    if (descriptorOffset + descriptorSize > end) {
      return {
        notes,
        problems: [
          error(
            `${where}: the note at file offset ${hex(position)} (name size ${nameSize}, descriptor size ${descriptorSize}) ` +
              `runs past the end of its segment`,
          ),
        ],
      };
    }
    // gABI: "a null-terminated character representation of the entry's owner" in namesz bytes.
    const nameStart = position + NOTE_HEADER_SIZE;
    const name = readCString(bytes, nameStart, nameStart + nameSize) ?? '';
    notes.push({ segment, offset: position, name, type, descriptorOffset, descriptorSize });
    position = next;
  }
  return { notes, problems: [], more: position + NOTE_HEADER_SIZE <= end };
}

/** How many overlapping PT_NOTE segments a warning names by index before it only counts them. */
const NAMED_OVERLAPS = 5;

/**
 * Every note of every PT_NOTE segment, with the problems that stopped the walk of a segment. Each
 * byte of the file is walked at most once: a PT_NOTE whose file range overlaps one already read is
 * not read again (a linker never makes them; thousands over the same bytes would otherwise cost
 * time and memory in proportion to their product), with a warning naming it.
 */
export function readNotes(bytes: Bytes, elf: ElfImage): NoteReading {
  const segments = elf.programHeaders.filter((header) => header.type === PT_NOTE && header.filesz > 0n);
  // By file offset, so that "overlaps one already read" is a comparison with the furthest end so far.
  const byOffset = [...segments].sort((a, b) => (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : a.index - b.index));
  const read = new Set<ProgramHeader>();
  const overlapping: ProgramHeader[] = [];
  let furthest = 0n;
  for (const segment of byOffset) {
    // One past the end of the file is reported as such, and walks nothing.
    if (!inBounds(bytes, segment.offset, segment.filesz)) {
      read.add(segment);
      continue;
    }
    if (segment.offset < furthest) {
      overlapping.push(segment);
      continue;
    }
    read.add(segment);
    furthest = segment.offset + segment.filesz;
  }
  // In program header order, as loaders walk them.
  const readings: NoteReading[] = [];
  let budget = NOTE_READ_LIMIT;
  let more = false;
  for (const segment of segments.filter((candidate) => read.has(candidate))) {
    if (budget === 0) {
      more = true;
      break;
    }
    const reading = readNotesOf(bytes, segment, budget);
    readings.push(reading);
    budget -= reading.notes.length;
    more = reading.more === true;
  }
  const problems = readings.flatMap((reading) => reading.problems);
  if (more) problems.push(warning(`the PT_NOTE segments hold more than ${NOTE_READ_LIMIT} notes: only the first ${NOTE_READ_LIMIT} were read`));
  if (overlapping.length > 0) {
    const indexes = overlapping
      .map((segment) => segment.index)
      .sort((a, b) => a - b)
      .slice(0, NAMED_OVERLAPS)
      .map((index) => `#${index}`);
    const more = overlapping.length > NAMED_OVERLAPS ? ` and ${overlapping.length - NAMED_OVERLAPS} more` : '';
    const one = overlapping.length === 1;
    problems.push(
      warning(
        `${overlapping.length} PT_NOTE segment${one ? '' : 's'} (${indexes.join(', ')}${more}) overlap${one ? 's' : ''} the file bytes of ` +
          `another PT_NOTE, and ${one ? 'its' : 'their'} notes were not read again`,
      ),
    );
  }
  return { notes: readings.flatMap((reading) => reading.notes), problems };
}
