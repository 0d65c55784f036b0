/**
 * The Multiboot2 header (Multiboot2 specification 2.0, §3.1): found by the loader in the file,
 * before anything of the ELF is read.
 */
import { MULTIBOOT2 } from '@baremetal-kernel/target';
import { alignUp, hex, hex32, readU16, readU32 } from './bytes.js';
import { error, ok, warning, type Finding } from './findings.js';

/** §3.1.2: magic, architecture, header_length, checksum: four u32 before the tags. */
const FIXED_FIELDS_SIZE = 16;
/** §3.1.3: every tag starts with u16 type, u16 flags, u32 size. */
const TAG_HEADER_SIZE = 8;
/** §3.1.3: flags bit 0, "optional": a loader that does not know the tag may ignore it. */
const TAG_FLAG_OPTIONAL = 1;

/** Header tag names (§3.1.3-§3.1.13), from the target model. */
export const MULTIBOOT2_HEADER_TAG_NAMES = MULTIBOOT2.headerTags;

/** File offsets in `[start, end)`, stepping by `step`, where the 32-bit header magic lies. */
function magicOffsets(bytes: Uint8Array, start: number, end: number, step: number): number[] {
  const offsets: number[] = [];
  for (let offset = start; offset + 4 <= Math.min(end, bytes.byteLength); offset += step) {
    if (readU32(bytes, offset) === MULTIBOOT2.headerMagic) offsets.push(offset);
  }
  return offsets;
}

/** §3.1.1: the first 8-byte-aligned offset in the first 32 KiB holding the header magic. */
export function findMultiboot2Header(bytes: Uint8Array): number | undefined {
  return magicOffsets(bytes, 0, MULTIBOOT2.headerSearchLimit, MULTIBOOT2.headerAlignment)[0];
}

/** Why no header was found where loaders look, with what was found elsewhere. */
function missingHeader(bytes: Uint8Array): Finding {
  const limit = MULTIBOOT2.headerSearchLimit;
  const magic = hex32(MULTIBOOT2.headerMagic);
  const unaligned = magicOffsets(bytes, 0, limit, 1)[0];
  if (unaligned !== undefined) {
    return error(
      `multiboot2 header magic ${magic} found at file offset ${hex(unaligned)}, ` +
        `which is not ${MULTIBOOT2.headerAlignment}-byte aligned: loaders only look at aligned offsets (§3.1.1)`,
    );
  }
  const beyond = magicOffsets(bytes, limit, bytes.byteLength, MULTIBOOT2.headerAlignment)[0];
  if (beyond !== undefined) {
    return error(
      `multiboot2 header magic ${magic} found only at file offset ${hex(beyond)}, ` +
        `beyond the first 32 KiB (${limit} bytes) that loaders search (§3.1.1)`,
    );
  }
  return error(`no multiboot2 header: the magic ${magic} is at no 8-byte-aligned offset in the first 32 KiB of the file (§3.1.1)`);
}

/** §3.1.3: walks the tags from after the fixed fields to the end tag, which must close the header. */
function checkTags(bytes: Uint8Array, headerOffset: number, headerLength: number): Finding[] {
  const end = headerOffset + headerLength;
  const findings: Finding[] = [];
  const names: string[] = [];
  let position = headerOffset + FIXED_FIELDS_SIZE;
  for (;;) {
    if (position + TAG_HEADER_SIZE > end) {
      findings.push(
        error(`multiboot2 header has no end tag: its tags reach header_length (${headerLength} bytes) without one (§3.1.3)`),
      );
      return findings;
    }
    const type = readU16(bytes, position)!;
    const flags = readU16(bytes, position + 2)!;
    const size = readU32(bytes, position + 4)!;
    const where = `multiboot2 header tag at file offset ${hex(position)} (type ${type})`;
    if (size < TAG_HEADER_SIZE) {
      findings.push(error(`${where} has size ${size}, less than the ${TAG_HEADER_SIZE}-byte tag header (§3.1.3)`));
      return findings;
    }
    if (position + size > end) {
      findings.push(
        error(`${where} has size ${size} and runs past the end of the header (header_length ${headerLength}, §3.1.3)`),
      );
      return findings;
    }
    if (type === MULTIBOOT2.tags.end) {
      if (flags !== 0 || size !== TAG_HEADER_SIZE) {
        findings.push(error(`multiboot2 end tag at file offset ${hex(position)} has flags ${flags} and size ${size}, must be 0 and 8 (§3.1.3)`));
      } else if (position + size !== end) {
        findings.push(
          error(
            `multiboot2 end tag ends at file offset ${hex(position + size)} but header_length ends the header at ${hex(end)} (§3.1.3)`,
          ),
        );
      } else {
        names.push('end (type 0)');
      }
      break;
    }
    const name = MULTIBOOT2_HEADER_TAG_NAMES[type];
    const optional = (flags & TAG_FLAG_OPTIONAL) !== 0;
    if (name === undefined) {
      findings.push(
        warning(
          `${where} is not a tag type of the specification (§3.1.3): ` +
            (optional ? 'it is marked optional, so loaders skip it' : 'it is not marked optional, so GRUB refuses the kernel'),
        ),
      );
    } else {
      names.push(`${name} (type ${type}${optional ? ', optional' : ''})`);
    }
    // §3.1.3: tags are padded so that each starts 8-byte aligned.
    position += alignUp(size, MULTIBOOT2.headerAlignment);
  }
  if (!findings.some((finding) => finding.level === 'error')) findings.unshift(ok(`multiboot2 header tags: ${names.join(', ')}`));
  return findings;
}

/** §3.1.1 to §3.1.3: location, fixed fields, checksum and tags of the header. */
export function checkMultiboot2Header(bytes: Uint8Array): Finding[] {
  const offset = findMultiboot2Header(bytes);
  if (offset === undefined) return [missingHeader(bytes)];
  const architecture = readU32(bytes, offset + 4);
  const headerLength = readU32(bytes, offset + 8);
  const checksum = readU32(bytes, offset + 12);
  if (architecture === undefined || headerLength === undefined || checksum === undefined) {
    return [error(`multiboot2 header at file offset ${hex(offset)} is cut off by the end of the file`)];
  }

  const findings: Finding[] = [];
  const limit = MULTIBOOT2.headerSearchLimit;
  const headerEnd = offset + Math.max(headerLength, FIXED_FIELDS_SIZE);
  if (headerEnd > limit) {
    findings.push(
      error(`multiboot2 header at file offset ${hex(offset)} ends at ${hex(headerEnd)}, past the first 32 KiB (${limit} bytes, §3.1.1)`),
    );
  } else {
    findings.push(ok(`multiboot2 header at file offset ${hex(offset)} (within the first 32 KiB, 8-byte aligned)`));
  }

  const fieldProblems: Finding[] = [];
  if (architecture !== MULTIBOOT2.architectureI386) {
    fieldProblems.push(
      error(`multiboot2 header architecture is ${architecture}, must be ${MULTIBOOT2.architectureI386} (32-bit protected-mode i386, §3.1.2)`),
    );
  }
  const lengthUsable = headerLength >= FIXED_FIELDS_SIZE && offset + headerLength <= bytes.byteLength;
  if (headerLength < FIXED_FIELDS_SIZE) {
    fieldProblems.push(error(`multiboot2 header_length is ${headerLength}, less than the ${FIXED_FIELDS_SIZE} bytes of its fixed fields (§3.1.2)`));
  } else if (!lengthUsable) {
    fieldProblems.push(error(`multiboot2 header_length ${headerLength} runs past the end of the file (§3.1.2)`));
  }
  // §3.1.2: "checksum is a 32-bit unsigned value which, when added to the other magic fields
  // (i.e. magic, architecture and header_length), must have a 32-bit unsigned sum of zero."
  const sum = (MULTIBOOT2.headerMagic + architecture + headerLength + checksum) >>> 0;
  if (sum !== 0) {
    const expected = (0x1_0000_0000 - ((MULTIBOOT2.headerMagic + architecture + headerLength) % 0x1_0000_0000)) >>> 0;
    fieldProblems.push(
      error(
        `multiboot2 header checksum is ${hex32(checksum)} but must make the sum of magic, architecture, header_length ` +
          `and checksum 0 mod 2^32 (it is ${hex32(sum)}; the checksum should be ${hex32(expected)}, §3.1.2)`,
      ),
    );
  }
  if (fieldProblems.length === 0) {
    findings.push(
      ok(`multiboot2 header fields: architecture ${architecture} (i386), header_length ${headerLength}, checksum ${hex32(checksum)} (sums to 0)`),
    );
  }
  findings.push(...fieldProblems);
  if (lengthUsable) findings.push(...checkTags(bytes, offset, headerLength));
  return findings;
}
