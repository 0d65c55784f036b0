// Checking a kernel image against its boot protocol.
export { checkKernelImage, detectBootProtocol, MULTIBOOT2_ADDRESS_LIMIT, type DetectedProtocol } from './kernel-image.js';
export { formatFinding, hasErrors, type Finding, type FindingLevel } from './findings.js';
export { parseKernelManifest, kernelElfPath, MANIFEST_FILE, type KernelManifest } from './project.js';
// The bytes checked: in memory, or a file read by position (never whole).
export { type ByteSource, type Bytes } from './bytes.js';
export { fileSource } from './file-source.js';
// Reading an ELF: for tests and tools that look inside a kernel.
export { parseElf, symbolValue, ElfParseError, type ParsedElf } from './parse.js';
export {
  EM_386,
  EM_X86_64,
  ELF32_LAYOUT,
  ELF64_LAYOUT,
  ET_DYN,
  ET_EXEC,
  permissions,
  PF_R,
  PF_W,
  PF_X,
  PT_DYNAMIC,
  PT_LOAD,
  PT_NOTE,
  readElf,
  type ElfClassLayout,
  type ElfImage,
  type ElfReading,
  type ProgramHeader,
} from './elf.js';
export { readNotes, type ElfNote, type NoteReading } from './notes.js';
export {
  readSections,
  readSymbols,
  relocationSections,
  SHN_UNDEF,
  SHT_NOBITS,
  SHT_REL,
  SHT_RELA,
  SHT_STRTAB,
  SHT_SYMTAB,
  type ElfSymbol,
  type SectionHeader,
  type SectionReading,
  type SymbolReading,
} from './sections.js';
