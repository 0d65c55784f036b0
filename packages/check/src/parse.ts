/**
 * One call that reads what tests and tools look at in a kernel ELF: the file header, the program
 * headers, the notes, the sections and the symbols. Unlike the checks, it throws when the file
 * cannot be read: a caller asking for a kernel's symbols has nothing to go on without them.
 */
import type { Bytes } from './bytes.js';
import { loadSegments, readElf, type ProgramHeader } from './elf.js';
import { formatFinding, type Finding } from './findings.js';
import { readNotes, type ElfNote } from './notes.js';
import { readSections, readSymbols, type ElfSymbol, type SectionHeader } from './sections.js';

export interface ParsedElf {
  /** §3 e_ident[EI_CLASS]: ELF64 (x86-64) or ELF32 (i386). */
  readonly elfClass: 'ELF32' | 'ELF64';
  /** §3 e_type: ET_EXEC (2) or ET_DYN (3) for a kernel. */
  readonly type: number;
  /** §3 e_entry: where the loader jumps. */
  readonly entry: bigint;
  readonly programHeaders: readonly ProgramHeader[];
  /** The PT_LOAD segments with memory: what a loader maps. */
  readonly loadSegments: readonly ProgramHeader[];
  readonly notes: readonly ElfNote[];
  readonly sections: readonly SectionHeader[];
  readonly symbols: readonly ElfSymbol[];
}

/** Thrown by {@link parseElf}: the error findings that made the file unreadable. */
export class ElfParseError extends Error {
  constructor(readonly problems: readonly Finding[]) {
    super(`cannot read the ELF file:\n${problems.map(formatFinding).join('\n')}`);
    this.name = 'ElfParseError';
  }
}

/** Reads an ELF64 x86-64 or ELF32 i386 file, or throws an {@link ElfParseError} naming everything wrong with it. */
export function parseElf(bytes: Bytes): ParsedElf {
  const reading = readElf(bytes);
  const { elf } = reading;
  if (elf === undefined) throw new ElfParseError(reading.findings);
  const notes = readNotes(bytes, elf);
  const sections = readSections(bytes);
  const symbols = readSymbols(bytes, sections.sections);
  const problems = [...reading.findings, ...notes.problems, ...sections.problems, ...symbols.problems].filter(
    (finding) => finding.level === 'error',
  );
  if (problems.length > 0) throw new ElfParseError(problems);
  return {
    elfClass: elf.layout.name,
    type: elf.type,
    entry: elf.entry,
    programHeaders: elf.programHeaders,
    loadSegments: loadSegments(elf),
    notes: notes.notes,
    sections: sections.sections,
    symbols: symbols.symbols,
  };
}

/** The value of the one symbol called `name`; throws when there is none or several disagree. */
export function symbolValue(elf: ParsedElf, name: string): bigint {
  const values = new Set(elf.symbols.filter((symbol) => symbol.name === name).map((symbol) => symbol.value));
  if (values.size !== 1) {
    throw new Error(values.size === 0 ? `no symbol ${name} in the ELF file` : `symbol ${name} has ${values.size} different values`);
  }
  return [...values][0]!;
}
