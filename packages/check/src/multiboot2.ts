/**
 * The Multiboot2 header (Multiboot2 specification 2.0, §3.1): found by the loader in the file,
 * before anything of the ELF is read. Where GRUB 2.06, the loader the kernels are booted with, is
 * more lenient than the specification, its verdict decides between an error and a warning; the
 * facts about GRUB are from grub-core/loader/multiboot_mbi2.c (grub_multiboot2_load, find_header).
 */
import { MULTIBOOT2 } from '@baremetal-kernel/target';
import { alignUp, findU32, hex, hex32, readU16, readU32, sizeOf, type Bytes } from './bytes.js';
import { error, ok, warning, type Finding } from './findings.js';
import { elfTypeName, ET_DYN, ET_EXEC, type ElfImage } from './elf.js';
import { readSections, relocationSections, SHT_RELA } from './sections.js';

/** §3.1.2: magic, architecture, header_length, checksum: four u32 before the tags. */
export const FIXED_FIELDS_SIZE = 16;
/** §3.1.3: every tag starts with u16 type, u16 flags, u32 size. */
export const TAG_HEADER_SIZE = 8;
/** §3.1.3: flags bit 0, "optional": a loader that does not know the tag may ignore it. */
const TAG_FLAG_OPTIONAL = 1;
/** multiboot_mbi2.c grub_multiboot2_load: a file of fewer bytes is "premature end of file". */
const GRUB_MINIMUM_FILE_SIZE = 32;
/** §3.1.4: u32 requested information tag types follow the 8-byte tag header. */
const REQUEST_SIZE = 4;
/** The console flags tag's console_flags (include/multiboot2.h): bit 0 "console required", bit 1 "EGA text supported". */
const CONSOLE_REQUIRED = 1;
const EGA_TEXT_SUPPORTED = 2;

/** Header tag types (§3.1.3-§3.1.13), from the target model. */
export const MULTIBOOT2_HEADER_TAG_NAMES = MULTIBOOT2.headerTags;
export const HEADER_TAG = { informationRequest: 1, address: 2, entryAddress: 3, consoleFlags: 4, framebuffer: 5, efiBootServices: 7, efiAmd64Entry: 9 };

/**
 * The header tags grub_multiboot2_load handles (its switch): every other tag not marked optional
 * is refused with "unsupported tag". Type 8, the EFI i386 entry address (§3.1.11), is not among them.
 */
const GRUB_HEADER_TAGS: ReadonlySet<number> = new Set([1, 2, 3, 4, 5, 6, 7, 9, 10]);
/**
 * The boot information tags a non-optional information request may ask for (its inner switch:
 * include/multiboot2.h types 0-21 but 13, SMBIOS tables); any other is refused with "unsupported
 * information tag".
 */
const GRUB_INFORMATION_TAGS: ReadonlySet<number> = new Set([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21]);

/** GRUB's refusal message, quoted. */
const grubRefuses = (message: string): string => `GRUB refuses the kernel ("${message}")`;

/** File offsets in `[start, end)`, stepping by `step`, where the 32-bit header magic lies (at most `max`). */
function magicOffsets(bytes: Bytes, start: number, end: number, step: number, max?: number): number[] {
  return findU32(bytes, MULTIBOOT2.headerMagic, start, end, step, max);
}

/** §3.1.1: the first 8-byte-aligned offset in the first 32 KiB holding the header magic (what detects the protocol). */
export function findMultiboot2Header(bytes: Bytes): number | undefined {
  return magicOffsets(bytes, 0, MULTIBOOT2.headerSearchLimit, MULTIBOOT2.headerAlignment, 1)[0];
}

/** §3.1.2: magic + architecture + header_length + checksum is 0 mod 2^32. */
function sumsToZero(bytes: Bytes, offset: number): boolean {
  const fields = [0, 4, 8, 12].map((field) => readU32(bytes, offset + field)!);
  return fields.reduce((sum, value) => (sum + value) >>> 0, 0) === 0;
}

/** Aligned magic offsets whose four fields lie in the first 32 KiB of the file. */
function candidates(bytes: Bytes): number[] {
  const readable = Math.min(sizeOf(bytes), MULTIBOOT2.headerSearchLimit);
  return magicOffsets(bytes, 0, readable, MULTIBOOT2.headerAlignment).filter((offset) => offset + FIXED_FIELDS_SIZE <= readable);
}

/**
 * The header GRUB takes (find_header): the first 8-byte-aligned magic in the first 32 KiB whose
 * checksum sums to 0 and whose architecture is i386; GRUB steps over any other magic to it.
 */
export function findGrubMultiboot2Header(bytes: Bytes): number | undefined {
  if (sizeOf(bytes) < GRUB_MINIMUM_FILE_SIZE) return undefined;
  return candidates(bytes).find(
    (offset) => readU32(bytes, offset + 4) === MULTIBOOT2.architectureI386 && sumsToZero(bytes, offset),
  );
}

/** Why no header was found where loaders look, with what was found elsewhere. */
function missingHeader(bytes: Bytes): Finding {
  const limit = MULTIBOOT2.headerSearchLimit;
  const magic = hex32(MULTIBOOT2.headerMagic);
  const unaligned = magicOffsets(bytes, 0, limit, 1, 1)[0];
  if (unaligned !== undefined) {
    return error(
      `multiboot2 header magic ${magic} found at file offset ${hex(unaligned)}, ` +
        `which is not ${MULTIBOOT2.headerAlignment}-byte aligned: loaders only look at aligned offsets (§3.1.1)`,
    );
  }
  const beyond = magicOffsets(bytes, limit, sizeOf(bytes), MULTIBOOT2.headerAlignment, 1)[0];
  if (beyond !== undefined) {
    return error(
      `multiboot2 header magic ${magic} found only at file offset ${hex(beyond)}, ` +
        `beyond the first 32 KiB (${limit} bytes) that loaders search (§3.1.1)`,
    );
  }
  return error(`no multiboot2 header: the magic ${magic} is at no 8-byte-aligned offset in the first 32 KiB of the file (§3.1.1)`);
}

interface TagWalk {
  readonly findings: Finding[];
  /** Where the end tag ends, when the walk reached one. */
  readonly end: number | undefined;
  /** Whether the tags ran past the first 32 KiB, all that GRUB reads, without an end tag. */
  readonly pastSearchLimit: boolean;
}

/** The u32 at `offset` when it lies in the readable part of the file, else undefined. */
function fieldIn(bytes: Bytes, offset: number, limit: number): number | undefined {
  return offset + 4 <= limit ? readU32(bytes, offset) : undefined;
}

/** §3.1.4 and grub_multiboot2_load: a non-optional information request may only name types GRUB provides. */
function checkInformationRequest(bytes: Bytes, position: number, size: number, limit: number): Finding[] {
  const where = `multiboot2 information request tag at file offset ${hex(position)}`;
  if (size < TAG_HEADER_SIZE) {
    return [error(`${where} has size ${size}, less than its 8-byte tag header (§3.1.3): GRUB then reads requests far past the tag`)];
  }
  const findings: Finding[] = [];
  const count = Math.floor((size - TAG_HEADER_SIZE) / REQUEST_SIZE);
  for (let index = 0; index < count; index++) {
    const request = fieldIn(bytes, position + TAG_HEADER_SIZE + index * REQUEST_SIZE, limit);
    if (request === undefined || GRUB_INFORMATION_TAGS.has(request)) continue;
    findings.push(
      error(
        `${where} asks for boot information tag type ${request}, which GRUB 2.06 does not provide, and is not marked optional (§3.1.4): ` +
          grubRefuses(`unsupported information tag: 0x${request.toString(16)}`),
      ),
    );
    break; // GRUB stops at the first one.
  }
  return findings;
}

/**
 * §3.1.3: the tags from after the fixed fields to the end tag, walked as GRUB walks them: by each
 * tag's size rounded up to 8, up to the first tag of type 0, whatever header_length says. GRUB reads
 * only the first 32 KiB: the walk must end within them and within the file.
 */
function checkTags(bytes: Bytes, headerOffset: number): TagWalk {
  const limit = Math.min(sizeOf(bytes), MULTIBOOT2.headerSearchLimit);
  const findings: Finding[] = [];
  const names: string[] = [];
  const types = new Set<number>();
  let consoleFlags: { readonly position: number; readonly value: number } | undefined;
  let position = headerOffset + FIXED_FIELDS_SIZE;
  for (;;) {
    if (position + TAG_HEADER_SIZE > limit) {
      if (limit < sizeOf(bytes)) return { findings, end: undefined, pastSearchLimit: true };
      findings.push(error(`multiboot2 header has no end tag: its tags reach the end of the file at file offset ${hex(position)} without one (§3.1.3)`));
      return { findings, end: undefined, pastSearchLimit: false };
    }
    const type = readU16(bytes, position)!;
    const flags = readU16(bytes, position + 2)!;
    const size = readU32(bytes, position + 4)!;
    const where = `multiboot2 header tag at file offset ${hex(position)} (type ${type})`;
    if (type === MULTIBOOT2.tags.end) {
      if (flags !== 0 || size !== TAG_HEADER_SIZE) {
        findings.push(
          warning(`multiboot2 end tag at file offset ${hex(position)} has flags ${flags} and size ${size}, the specification says 0 and 8 (§3.1.3); GRUB ends the tags at its type 0`),
        );
      }
      names.push('end (type 0)');
      position += alignUp(Math.max(size, TAG_HEADER_SIZE), MULTIBOOT2.headerAlignment);
      break;
    }
    if (size === 0) {
      findings.push(error(`${where} has size 0, less than the 8-byte tag header (§3.1.3): GRUB steps 0 bytes and never leaves it`));
      return { findings, end: undefined, pastSearchLimit: false };
    }
    const optional = (flags & TAG_FLAG_OPTIONAL) !== 0;
    if (type === HEADER_TAG.informationRequest && !optional) {
      findings.push(...checkInformationRequest(bytes, position, size, limit));
    } else if (size < TAG_HEADER_SIZE) {
      findings.push(warning(`${where} has size ${size}, less than the 8-byte tag header (§3.1.3); GRUB steps over it as 8 bytes`));
    }
    types.add(type);
    if (type === HEADER_TAG.consoleFlags) consoleFlags = { position, value: fieldIn(bytes, position + TAG_HEADER_SIZE, limit) ?? 0 };
    const name = MULTIBOOT2_HEADER_TAG_NAMES[type];
    if (GRUB_HEADER_TAGS.has(type) || optional) {
      if (name === undefined) {
        findings.push(warning(`${where} is not a tag type of the specification (§3.1.3): it is marked optional, so loaders skip it`));
      } else {
        names.push(`${name} (type ${type}${optional ? ', optional' : ''})`);
      }
    } else {
      const what = name === undefined ? 'is not a tag type of the specification (§3.1.3)' : `, ${name}, is a tag GRUB 2.06 does not support`;
      findings.push(error(`${where}${name === undefined ? ' ' : ''}${what} and is not marked optional: ${grubRefuses(`unsupported tag: 0x${type.toString(16)}`)}`));
    }
    // §3.1.3: tags are padded so that each starts 8-byte aligned.
    position += alignUp(size, MULTIBOOT2.headerAlignment);
  }
  findings.push(...checkTagCombinations(types, consoleFlags));
  if (!findings.some((finding) => finding.level === 'error')) findings.unshift(ok(`multiboot2 header tags: ${names.join(', ')}`));
  return { findings, end: position, pastSearchLimit: false };
}

/** What GRUB checks across tags (grub_multiboot2_load after its walk, and grub_multiboot2_set_console). */
function checkTagCombinations(types: ReadonlySet<number>, consoleFlags: { readonly position: number; readonly value: number } | undefined): Finding[] {
  const findings: Finding[] = [];
  if (types.has(HEADER_TAG.address) && !types.has(HEADER_TAG.entryAddress)) {
    const message = 'multiboot2 header has an address tag (type 2) but no entry address tag (type 3)';
    findings.push(
      types.has(HEADER_TAG.efiBootServices) && types.has(HEADER_TAG.efiAmd64Entry)
        ? warning(`${message}: GRUB on UEFI takes the EFI amd64 entry address instead, GRUB on BIOS refuses the kernel ("load address tag without entry address tag")`)
        : error(`${message}: ${grubRefuses('load address tag without entry address tag')}`),
    );
  }
  if (consoleFlags !== undefined && (consoleFlags.value & CONSOLE_REQUIRED) !== 0 && !types.has(HEADER_TAG.framebuffer)) {
    const message = `multiboot2 console flags tag at file offset ${hex(consoleFlags.position)} requires a console (flags bit 0) and there is no framebuffer tag`;
    findings.push(
      (consoleFlags.value & EGA_TEXT_SUPPORTED) === 0
        ? error(`${message} nor EGA text support: ${grubRefuses('OS requires a console but none is available')}`)
        : warning(`${message}: GRUB on BIOS gives it EGA text, GRUB on UEFI has none and refuses the kernel ("OS requires a console but none is available")`),
    );
  }
  return findings;
}

/** §3.1.2: the fixed fields of a header GRUB does not take: why it steps over it. */
function fieldProblems(bytes: Bytes, offset: number): Finding[] {
  const architecture = readU32(bytes, offset + 4)!;
  const headerLength = readU32(bytes, offset + 8)!;
  const checksum = readU32(bytes, offset + 12)!;
  const problems: Finding[] = [];
  if (architecture !== MULTIBOOT2.architectureI386) {
    problems.push(
      error(`multiboot2 header architecture is ${architecture}, must be ${MULTIBOOT2.architectureI386} (32-bit protected-mode i386, §3.1.2)`),
    );
  }
  // §3.1.2: "checksum is a 32-bit unsigned value which, when added to the other magic fields
  // (i.e. magic, architecture and header_length), must have a 32-bit unsigned sum of zero."
  const sum = (MULTIBOOT2.headerMagic + architecture + headerLength + checksum) >>> 0;
  if (sum !== 0) {
    const expected = (0x1_0000_0000 - ((MULTIBOOT2.headerMagic + architecture + headerLength) % 0x1_0000_0000)) >>> 0;
    problems.push(
      error(
        `multiboot2 header checksum is ${hex32(checksum)} but must make the sum of magic, architecture, header_length ` +
          `and checksum 0 mod 2^32 (it is ${hex32(sum)}; the checksum should be ${hex32(expected)}, §3.1.2)`,
      ),
    );
  }
  return problems;
}

/** §3.1.1 to §3.1.3 as GRUB applies them: location, fixed fields, checksum and tags of the header. */
export function checkMultiboot2Header(bytes: Bytes): Finding[] {
  const first = findMultiboot2Header(bytes);
  if (first === undefined) return [missingHeader(bytes)];
  const limit = MULTIBOOT2.headerSearchLimit;
  if (first + FIXED_FIELDS_SIZE > sizeOf(bytes)) {
    return [error(`multiboot2 header at file offset ${hex(first)} is cut off by the end of the file`)];
  }
  if (sizeOf(bytes) < GRUB_MINIMUM_FILE_SIZE) {
    return [error(`the file has ${sizeOf(bytes)} bytes, fewer than the ${GRUB_MINIMUM_FILE_SIZE} GRUB reads at least: ${grubRefuses('premature end of file')}`)];
  }
  const grubHeader = findGrubMultiboot2Header(bytes);
  const offset = grubHeader ?? first;
  const findings: Finding[] = [];
  if (offset + FIXED_FIELDS_SIZE > limit) {
    return [error(`multiboot2 header at file offset ${hex(offset)} ends at ${hex(offset + FIXED_FIELDS_SIZE)}, past the first 32 KiB (${limit} bytes, §3.1.1)`)];
  }
  const skipped = candidates(bytes).filter((candidate) => candidate < offset).length;
  const tags = checkTags(bytes, offset);
  findings.push(
    tags.pastSearchLimit
      ? error(
          `multiboot2 header at file offset ${hex(offset)} runs past the first 32 KiB (${limit} bytes, §3.1.1): ` +
            'its tags reach them without an end tag, and GRUB reads no further',
        )
      : ok(
          `multiboot2 header at file offset ${hex(offset)} (within the first 32 KiB, 8-byte aligned)` +
            (skipped > 0 ? `, after ${skipped} earlier magic value${skipped > 1 ? 's' : ''} that GRUB steps over (wrong checksum or architecture)` : ''),
        ),
  );
  const headerLength = readU32(bytes, offset + 8)!;
  const problems = grubHeader === undefined ? fieldProblems(bytes, offset) : [];
  if (problems.length === 0) {
    findings.push(
      ok(`multiboot2 header fields: architecture 0 (i386), header_length ${headerLength}, checksum ${hex32(readU32(bytes, offset + 12)!)} (sums to 0)`),
    );
  } else {
    findings.push(...problems.map((problem) => error(`${problem.message}; GRUB steps over this magic and finds no multiboot header`)));
  }
  if (tags.end !== undefined && tags.end - offset !== headerLength) {
    findings.push(
      warning(
        `multiboot2 header_length is ${headerLength} but the header ends with its end tag after ${tags.end - offset} bytes: ` +
          `§3.1.2 makes header_length the length of the header, tags included; GRUB uses it only in the checksum`,
      ),
    );
  }
  findings.push(...tags.findings);
  return findings;
}

/**
 * grub-core/loader/multiboot_elfxx.c takes ET_EXEC and ET_DYN ("this ELF file is not of the right
 * type" otherwise), and loads either at its p_paddr as it is: an ET_DYN is never relocated.
 */
export function checkMultiboot2ElfType(elf: ElfImage): Finding[] {
  if (elf.type === ET_EXEC) return [];
  if (elf.type === ET_DYN) {
    return [
      warning(
        'ELF type is ET_DYN: GRUB loads it at its p_paddr without relocating it, so it must need no relocations; ' +
          'a multiboot2 kernel is normally ET_EXEC (relocation-model=static)',
      ),
    ];
  }
  return [error(`ELF type is ${elfTypeName(elf.type)}, a multiboot2 kernel must be ET_EXEC: ${grubRefuses('this ELF file is not of the right type')}`)];
}

/**
 * grub-core/loader/multiboot_elfxx.c: for a multiboot2 kernel GRUB reads every section header and
 * refuses the kernel at the first relocation section, loaded or not.
 */
export function checkMultiboot2Relocations(bytes: Bytes): Finding[] {
  const relocations = relocationSections(readSections(bytes).sections)[0];
  if (relocations === undefined) return [];
  const type = relocations.type === SHT_RELA ? 'SHT_RELA' : 'SHT_REL';
  return [
    error(
      `section [${relocations.index}] ${relocations.name || '(no name)'} is a relocation section (${type}): ` +
        grubRefuses('ELF files with relocs are not supported yet'),
    ),
  ];
}
