/**
 * The PVH entry note that lets QEMU (`-kernel`) boot the multiboot2 kernel directly: Xen
 * `docs/misc/pvh.pandoc` and `xen/include/public/elfnote.h` (XEN_ELFNOTE_PHYS32_ENTRY: "physical
 * address of the 32-bit entry point").
 */
import { PVH } from '@baremetal-kernel/target';
import { hex, readU32, readU64, type Bytes } from './bytes.js';
import type { ElfImage } from './elf.js';
import { error, warning, type Finding } from './findings.js';
import { readNotes } from './notes.js';
import { checkExecutableAddress } from './segments.js';

const NOTE = 'PVH note (Xen, XEN_ELFNOTE_PHYS32_ENTRY)';
/** 2^32: the entry is a 32-bit physical address, jumped to in 32-bit protected mode. */
const FOUR_GIB = 0x1_0000_0000n;
/**
 * templates/boot/multiboot2/src/boot/pvh.rs: QEMU 7.2 derives the descriptor's offset from the
 * segment alignment and rejects an 8-aligned PVH note ("Error loading uncompressed kernel without
 * PVH ELF Note"); 4 works everywhere.
 */
const PORTABLE_NOTE_ALIGNMENT = 4n;

export function checkPvhNote(bytes: Bytes, elf: ElfImage): Finding[] {
  const { notes, problems } = readNotes(bytes, elf);
  const note = notes.find((candidate) => candidate.name === PVH.noteName && candidate.type === PVH.noteType);
  if (note === undefined) {
    return [
      ...problems,
      warning(
        `no ${NOTE}: QEMU direct boot (-kernel) will not work; GRUB boots the kernel through its multiboot2 header`,
      ),
    ];
  }
  // elfnote.h: the descriptor is the address; Xen reads 4 or 8 bytes, QEMU reads 8 for ELF64.
  let address: bigint;
  if (note.descriptorSize === 4) {
    address = BigInt(readU32(bytes, note.descriptorOffset)!);
  } else if (note.descriptorSize === 8) {
    address = readU64(bytes, note.descriptorOffset)!;
  } else {
    return [
      ...problems,
      error(`${NOTE} at file offset ${hex(note.offset)} has a ${note.descriptorSize}-byte descriptor, must be 4 or 8 (the entry address)`),
    ];
  }
  const findings: Finding[] = [...problems];
  if (address >= FOUR_GIB) {
    findings.push(error(`${NOTE} gives ${hex(address)}, which is not a 32-bit physical address`));
  } else {
    findings.push(checkExecutableAddress(elf, address, `${NOTE} entry point`, 'physical'));
  }
  if (note.segment.align > PORTABLE_NOTE_ALIGNMENT) {
    findings.push(
      warning(
        `the ${NOTE} is in PT_NOTE #${note.segment.index} with alignment ${note.segment.align}: ` +
          `QEMU 7.2 then does not find the entry; align the note section to 4`,
      ),
    );
  }
  return findings;
}
