/**
 * ELF notes (System V gABI, "Note Section"): in each PT_NOTE segment, entries of u32 namesz,
 * u32 descsz, u32 type, then the name and the descriptor, each padded to the note alignment.
 */
import { alignUp, hex, inBounds, readCString, readU32 } from './bytes.js';
import { PT_NOTE, type ElfImage, type ProgramHeader } from './elf.js';
import { error, type Finding } from './findings.js';

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

function readNotesOf(bytes: Uint8Array, segment: ProgramHeader): NoteReading {
  const where = `PT_NOTE #${segment.index}`;
  if (!inBounds(bytes, segment.offset, segment.filesz)) {
    return { notes: [], problems: [error(`${where} at file offset ${hex(segment.offset)} runs past the end of the file`)] };
  }
  // gABI: notes in a 4-aligned segment are padded to 4 bytes, in an 8-aligned one to 8 (ELF64 GNU notes).
  const alignment = segment.align === 8n ? 8 : 4;
  const notes: ElfNote[] = [];
  const end = Number(segment.offset + segment.filesz);
  let position = Number(segment.offset);
  while (position + NOTE_HEADER_SIZE <= end) {
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
  return { notes, problems: [] };
}

/** Every note of every PT_NOTE segment, with the problems that stopped the walk of a segment. */
export function readNotes(bytes: Uint8Array, elf: ElfImage): NoteReading {
  const readings = elf.programHeaders.filter((header) => header.type === PT_NOTE).map((segment) => readNotesOf(bytes, segment));
  return {
    notes: readings.flatMap((reading) => reading.notes),
    problems: readings.flatMap((reading) => reading.problems),
  };
}
