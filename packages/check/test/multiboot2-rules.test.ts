/**
 * The multiboot2 rules of the checker, rule by rule, on synthetic bytes: where the header may lie
 * (Multiboot2 specification 2.0, §3.1.1: "The Multiboot2 header must be contained completely within
 * the first 32768 bytes of the OS image, and must be 64-bit aligned"), its magic fields (§3.1.2), its
 * tags (§3.1.3), the PVH note QEMU boots from (Xen elfnote.h), and how a multiboot2 image is checked
 * as a whole. Expected messages are written out in full: they are what a user reads.
 */
import { describe, expect, it } from 'vitest';
import { checkKernelImage, detectBootProtocol } from '../src/kernel-image.js';
import { checkMultiboot2Header, findMultiboot2Header } from '../src/multiboot2.js';
import { checkPvhNote } from '../src/pvh.js';
import { readElf, type ElfImage } from '../src/elf.js';
import {
  buildElf,
  elfNote,
  ET_DYN,
  MULTIBOOT2_END_TAG,
  MULTIBOOT2_MAGIC,
  multiboot2Header,
  multiboot2Tag,
  concat,
  PF_R,
  PF_W,
  PF_X,
  placeAt,
  programHeaderOffset,
  PT_NOTE,
  setU32,
  setU64,
  wordBytes,
} from './elf-builder.js';

/** §3.1.1: the first 32768 bytes. */
const SEARCH_LIMIT = 32768;
/** §3.1.1: 64-bit alignment. */
const ALIGNMENT = 8;
/** The smallest complete header: 16 bytes of magic fields and the 8-byte end tag. */
const MINIMAL = multiboot2Header();
const ok = (message: string) => ({ level: 'ok', message });
const warning = (message: string) => ({ level: 'warning', message });
const error = (message: string) => ({ level: 'error', message });
const levels = (findings: readonly { level: string }[]) => findings.map((finding) => finding.level);

describe('multiboot2 header location (§3.1.1)', () => {
  it('accepts a header that ends exactly at byte 32768', () => {
    const offset = SEARCH_LIMIT - MINIMAL.length; // 32744, 8-byte aligned
    const findings = checkMultiboot2Header(placeAt(MINIMAL, offset, SEARCH_LIMIT));
    expect(findings).toEqual([
      ok('multiboot2 header at file offset 0x7fe8 (within the first 32 KiB, 8-byte aligned)'),
      ok('multiboot2 header fields: architecture 0 (i386), header_length 24, checksum 0x17adaf12 (sums to 0)'),
      ok('multiboot2 header tags: end (type 0)'),
    ]);
  });

  it('refuses the same header one alignment step later, when its last 8 bytes pass 32768', () => {
    const offset = SEARCH_LIMIT - MINIMAL.length + ALIGNMENT; // 32752: starts inside, ends at 32776
    const findings = checkMultiboot2Header(placeAt(MINIMAL, offset, SEARCH_LIMIT + ALIGNMENT));
    expect(findings[0]).toEqual(error('multiboot2 header at file offset 0x7ff0 ends at 0x8008, past the first 32 KiB (32768 bytes, §3.1.1)'));
    // The header itself is sound: only where it lies is wrong.
    expect(levels(findings)).toEqual(['error', 'ok', 'ok']);
  });

  it('measures the whole header by header_length, not only its fixed fields', () => {
    // An information request tag (§3.1.4, type 1) of 12 bytes, padded to 16: header_length 40.
    const header = multiboot2Header({ tags: concat(multiboot2Tag(1, 0, new Uint8Array(4)), MULTIBOOT2_END_TAG) });
    expect(header.length).toBe(40);
    expect(checkMultiboot2Header(placeAt(header, SEARCH_LIMIT - 40, SEARCH_LIMIT))[0]).toEqual(
      ok('multiboot2 header at file offset 0x7fd8 (within the first 32 KiB, 8-byte aligned)'),
    );
    expect(checkMultiboot2Header(placeAt(header, SEARCH_LIMIT - 32, SEARCH_LIMIT + 8))[0]).toEqual(
      error('multiboot2 header at file offset 0x7fe0 ends at 0x8008, past the first 32 KiB (32768 bytes, §3.1.1)'),
    );
  });

  it('counts at least the 16 bytes of magic fields when header_length is smaller', () => {
    // header_length 8 at 32760: the magic fields alone reach 32776.
    const short = multiboot2Header({ headerLength: 8 });
    const findings = checkMultiboot2Header(placeAt(short, SEARCH_LIMIT - 8, SEARCH_LIMIT + 16));
    expect(findings[0]).toEqual(error('multiboot2 header at file offset 0x7ff8 ends at 0x8008, past the first 32 KiB (32768 bytes, §3.1.1)'));
    // At 32752 the 16 bytes end exactly at 32768.
    expect(checkMultiboot2Header(placeAt(short, SEARCH_LIMIT - 16, SEARCH_LIMIT))[0]).toEqual(
      ok('multiboot2 header at file offset 0x7ff0 (within the first 32 KiB, 8-byte aligned)'),
    );
  });

  it('finds the magic at the last aligned offset of the first 32 KiB, and not at 32768', () => {
    expect(findMultiboot2Header(placeAt(MINIMAL, SEARCH_LIMIT - ALIGNMENT, SEARCH_LIMIT + 64))).toBe(SEARCH_LIMIT - ALIGNMENT);
    expect(findMultiboot2Header(placeAt(MINIMAL, SEARCH_LIMIT, SEARCH_LIMIT + 64))).toBeUndefined();
    expect(checkMultiboot2Header(placeAt(MINIMAL, SEARCH_LIMIT, SEARCH_LIMIT + 64))).toEqual([
      error(
        'multiboot2 header magic 0xe85250d6 found only at file offset 0x8000, beyond the first 32 KiB (32768 bytes) that loaders search (§3.1.1)',
      ),
    ]);
  });

  it('takes the first aligned magic, and reports one beyond 32 KiB only when it is aligned', () => {
    const two = placeAt(MINIMAL, 64, 256);
    two.set(MINIMAL, 128);
    expect(findMultiboot2Header(two)).toBe(64);
    expect(checkMultiboot2Header(placeAt(MINIMAL, SEARCH_LIMIT + 4, SEARCH_LIMIT + 64))).toEqual([
      error('no multiboot2 header: the magic 0xe85250d6 is at no 8-byte-aligned offset in the first 32 KiB of the file (§3.1.1)'),
    ]);
  });

  it('names an unaligned magic, up to the last 4 bytes of the first 32 KiB', () => {
    for (const offset of [4, SEARCH_LIMIT - 4]) {
      const bytes = placeAt(MINIMAL, offset, SEARCH_LIMIT + 64);
      expect(findMultiboot2Header(bytes)).toBeUndefined();
      expect(checkMultiboot2Header(bytes)).toEqual([
        error(
          `multiboot2 header magic 0xe85250d6 found at file offset 0x${offset.toString(16)}, which is not 8-byte aligned: loaders only look at aligned offsets (§3.1.1)`,
        ),
      ]);
    }
    // Straddling byte 32768, the magic is in neither the first 32 KiB nor at an aligned offset beyond.
    expect(checkMultiboot2Header(placeAt(MINIMAL, SEARCH_LIMIT - 2, SEARCH_LIMIT + 64))[0]?.message).toMatch(/^no multiboot2 header: /);
  });

  it('finds a magic in the last 4 bytes of a short file, and reports the header cut off', () => {
    expect(findMultiboot2Header(placeAt(MINIMAL, 8, 12))).toBe(8);
    expect(findMultiboot2Header(placeAt(MINIMAL, 8, 11))).toBeUndefined();
    expect(checkMultiboot2Header(placeAt(MINIMAL, 8, 12))).toEqual([error('multiboot2 header at file offset 0x8 is cut off by the end of the file')]);
  });

  it('needs all four magic fields in the file', () => {
    // Architecture, header_length or checksum past the end: each one alone cuts the header off.
    for (const size of [8 + 4, 8 + 8, 8 + 12, 8 + 15]) {
      expect(checkMultiboot2Header(placeAt(MINIMAL, 8, size)), `file of ${size} bytes`).toEqual([
        error('multiboot2 header at file offset 0x8 is cut off by the end of the file'),
      ]);
    }
    // With all 16 bytes, the fields are read, and the missing tags reported.
    const sixteen = checkMultiboot2Header(placeAt(MINIMAL, 8, 8 + 16));
    expect(sixteen).toContainEqual(error('multiboot2 header_length 24 runs past the end of the file (§3.1.2)'));
  });

  it('is what detects a multiboot2 kernel, within the first 32 KiB only', () => {
    expect(detectBootProtocol(placeAt(MINIMAL, SEARCH_LIMIT - ALIGNMENT, SEARCH_LIMIT + 64))).toEqual({
      name: 'multiboot2',
      evidence: 'a multiboot2 header in the first 32 KiB',
    });
    expect(detectBootProtocol(placeAt(MINIMAL, SEARCH_LIMIT, SEARCH_LIMIT + 64))).toBeUndefined();
  });
});

describe('multiboot2 magic fields (§3.1.2)', () => {
  const at = (header: Uint8Array, size = 256) => checkMultiboot2Header(placeAt(header, 0, size));

  it('refuses an architecture other than i386 (0)', () => {
    // MIPS is 4 (§3.1.2); the checksum is right for it.
    expect(at(multiboot2Header({ architecture: 4 }))).toEqual([
      ok('multiboot2 header at file offset 0x0 (within the first 32 KiB, 8-byte aligned)'),
      error('multiboot2 header architecture is 4, must be 0 (32-bit protected-mode i386, §3.1.2)'),
      ok('multiboot2 header tags: end (type 0)'),
    ]);
  });

  it('refuses a header_length shorter than the magic fields, and walks no tags', () => {
    expect(at(multiboot2Header({ headerLength: 15 }))).toEqual([
      ok('multiboot2 header at file offset 0x0 (within the first 32 KiB, 8-byte aligned)'),
      error('multiboot2 header_length is 15, less than the 16 bytes of its fixed fields (§3.1.2)'),
    ]);
  });

  it('accepts header_length 16 as a length, then finds no end tag', () => {
    expect(at(multiboot2Header({ headerLength: 16 }))).toEqual([
      ok('multiboot2 header at file offset 0x0 (within the first 32 KiB, 8-byte aligned)'),
      ok('multiboot2 header fields: architecture 0 (i386), header_length 16, checksum 0x17adaf1a (sums to 0)'),
      error('multiboot2 header has no end tag: its tags reach header_length (16 bytes) without one (§3.1.3)'),
    ]);
  });

  it('refuses a header_length past the end of the file, and accepts one ending exactly there', () => {
    expect(at(MINIMAL, 23)).toEqual([
      ok('multiboot2 header at file offset 0x0 (within the first 32 KiB, 8-byte aligned)'),
      error('multiboot2 header_length 24 runs past the end of the file (§3.1.2)'),
    ]);
    expect(levels(at(MINIMAL, 24))).toEqual(['ok', 'ok', 'ok']);
  });

  it('refuses a wrong checksum, giving the sum and the right checksum', () => {
    // 0xe85250d6 + 0 + 24 = 0xe85250ee; the checksum must be 2^32 - that = 0x17adaf12.
    expect(at(multiboot2Header({ checksum: 0x17adaf13 }))).toEqual([
      ok('multiboot2 header at file offset 0x0 (within the first 32 KiB, 8-byte aligned)'),
      error(
        'multiboot2 header checksum is 0x17adaf13 but must make the sum of magic, architecture, header_length and checksum 0 mod 2^32 ' +
          '(it is 0x00000001; the checksum should be 0x17adaf12, §3.1.2)',
      ),
      ok('multiboot2 header tags: end (type 0)'),
    ]);
    expect(at(multiboot2Header({ checksum: 0 }))[1]?.message).toContain('(it is 0xe85250ee; the checksum should be 0x17adaf12, §3.1.2)');
    // With architecture 4: 0xe85250d6 + 4 + 24 = 0xe85250f2, so the checksum should be 0x17adaf0e.
    expect(at(multiboot2Header({ architecture: 4, checksum: 0 }))[2]?.message).toContain('(it is 0xe85250f2; the checksum should be 0x17adaf0e, §3.1.2)');
  });

  it('sums the fields mod 2^32: a checksum that only works without wrap-around is refused', () => {
    // architecture 0x17adaf12 - 24 would make magic + architecture + header_length exactly 2^32, so checksum 0.
    const architecture = 0x1_0000_0000 - MULTIBOOT2_MAGIC - 24;
    const findings = at(multiboot2Header({ architecture, checksum: 0 }));
    expect(findings).toContainEqual(error(`multiboot2 header architecture is ${architecture}, must be 0 (32-bit protected-mode i386, §3.1.2)`));
    expect(findings.some((finding) => finding.message.startsWith('multiboot2 header checksum'))).toBe(false);
  });
});

describe('multiboot2 header tags (§3.1.3)', () => {
  const tagsOf = (tags: Uint8Array, headerLength?: number) =>
    checkMultiboot2Header(placeAt(multiboot2Header({ tags, ...(headerLength === undefined ? {} : { headerLength }) }), 0, 512)).slice(2);

  it('names each tag of the specification, optional or not, up to the end tag', () => {
    // §3.1.4 information request (type 1), §3.1.10 framebuffer (type 5, 20 bytes: padded to 24), optional.
    const tags = concat(multiboot2Tag(1, 0, new Uint8Array(4)), multiboot2Tag(5, 1, new Uint8Array(12)), MULTIBOOT2_END_TAG);
    expect(tagsOf(tags)).toEqual([ok('multiboot2 header tags: information request (type 1), framebuffer (type 5, optional), end (type 0)')]);
  });

  it('knows the tag names of §3.1.4-§3.1.13', () => {
    const names = [
      'information request',
      'address',
      'entry address',
      'console flags',
      'framebuffer',
      'module alignment',
      'EFI boot services',
      'EFI i386 entry address',
      'EFI amd64 entry address',
      'relocatable header',
    ];
    const tags = concat(...names.map((_, index) => multiboot2Tag(index + 1)), MULTIBOOT2_END_TAG);
    expect(tagsOf(tags)).toEqual([ok(`multiboot2 header tags: ${names.map((name, index) => `${name} (type ${index + 1})`).join(', ')}, end (type 0)`)]);
  });

  it('warns of an unknown tag type, which GRUB refuses unless it is optional', () => {
    const tags = concat(multiboot2Tag(11), multiboot2Tag(42, 1), MULTIBOOT2_END_TAG);
    expect(tagsOf(tags)).toEqual([
      ok('multiboot2 header tags: end (type 0)'),
      warning(
        'multiboot2 header tag at file offset 0x10 (type 11) is not a tag type of the specification (§3.1.3): it is not marked optional, so GRUB refuses the kernel',
      ),
      warning('multiboot2 header tag at file offset 0x18 (type 42) is not a tag type of the specification (§3.1.3): it is marked optional, so loaders skip it'),
    ]);
  });

  it('reads only flags bit 0 as optional', () => {
    expect(tagsOf(concat(multiboot2Tag(5, 2), MULTIBOOT2_END_TAG))).toEqual([ok('multiboot2 header tags: framebuffer (type 5), end (type 0)')]);
    expect(tagsOf(concat(multiboot2Tag(5, 3), MULTIBOOT2_END_TAG))).toEqual([
      ok('multiboot2 header tags: framebuffer (type 5, optional), end (type 0)'),
    ]);
  });

  it('steps over each tag padded to 8 bytes', () => {
    // A 9-byte tag is followed by 7 bytes of padding: the end tag is at +16, not +9.
    const tags = concat(multiboot2Tag(6, 0, new Uint8Array([0xff])), MULTIBOOT2_END_TAG);
    expect(tags.length).toBe(24);
    expect(tagsOf(tags)).toEqual([ok('multiboot2 header tags: module alignment (type 6), end (type 0)')]);
  });

  it('refuses a tag smaller than its 8-byte header, and accepts exactly 8', () => {
    expect(tagsOf(concat(multiboot2Tag(1, 0, new Uint8Array(0), 7), MULTIBOOT2_END_TAG))).toEqual([
      error('multiboot2 header tag at file offset 0x10 (type 1) has size 7, less than the 8-byte tag header (§3.1.3)'),
    ]);
    expect(levels(tagsOf(concat(multiboot2Tag(1, 0, new Uint8Array(0), 8), MULTIBOOT2_END_TAG)))).toEqual(['ok']);
  });

  it('refuses a tag running past header_length, and accepts one ending exactly there', () => {
    const tags = concat(multiboot2Tag(1, 0, new Uint8Array(8)), MULTIBOOT2_END_TAG);
    expect(tagsOf(tags, 16 + 15)).toEqual([
      error('multiboot2 header tag at file offset 0x10 (type 1) has size 16 and runs past the end of the header (header_length 31, §3.1.3)'),
    ]);
    // header_length 32 ends the header after that tag, before any end tag.
    expect(tagsOf(tags, 16 + 16)).toEqual([error('multiboot2 header has no end tag: its tags reach header_length (32 bytes) without one (§3.1.3)')]);
  });

  it('needs 8 bytes for the next tag before header_length', () => {
    // The end tag's 8 bytes fit exactly; 7 do not.
    expect(tagsOf(MULTIBOOT2_END_TAG, 24)).toEqual([ok('multiboot2 header tags: end (type 0)')]);
    expect(tagsOf(MULTIBOOT2_END_TAG, 23)).toEqual([error('multiboot2 header has no end tag: its tags reach header_length (23 bytes) without one (§3.1.3)')]);
  });

  it('needs the end tag to have flags 0 and size 8', () => {
    expect(tagsOf(multiboot2Tag(0, 1))).toEqual([
      error('multiboot2 end tag at file offset 0x10 has flags 1 and size 8, must be 0 and 8 (§3.1.3)'),
    ]);
    expect(tagsOf(multiboot2Tag(0, 0, new Uint8Array(8)))).toEqual([
      error('multiboot2 end tag at file offset 0x10 has flags 0 and size 16, must be 0 and 8 (§3.1.3)'),
    ]);
  });

  it('needs the end tag to end the header exactly at header_length', () => {
    expect(tagsOf(concat(MULTIBOOT2_END_TAG, new Uint8Array(8)), 32)).toEqual([
      error('multiboot2 end tag ends at file offset 0x18 but header_length ends the header at 0x20 (§3.1.3)'),
    ]);
  });

  it('stops at the end tag, whatever follows it', () => {
    expect(tagsOf(concat(MULTIBOOT2_END_TAG, multiboot2Tag(1, 0, new Uint8Array(0), 3)), 24)).toEqual([ok('multiboot2 header tags: end (type 0)')]);
  });

  it('reports the tags at the header offset in the file', () => {
    const tags = concat(multiboot2Tag(0, 0, new Uint8Array(0), 4));
    const findings = checkMultiboot2Header(placeAt(multiboot2Header({ tags }), 4096, 8192));
    expect(findings.at(-1)).toEqual(error('multiboot2 header tag at file offset 0x1010 (type 0) has size 4, less than the 8-byte tag header (§3.1.3)'));
  });
});

/** XEN_ELFNOTE_PHYS32_ENTRY (xen/include/public/elfnote.h). */
const XEN_ELFNOTE_PHYS32_ENTRY = 18;
const LINK = 0x100000n;

/** A multiboot2-style kernel: a header segment, a PT_NOTE with `note`, code at 0x101000, data at 0x102000. */
function kernelWithNote(note: Uint8Array, noteAlign = 4n, entry = 0x101000n) {
  return buildElf({
    entry,
    segments: [
      { flags: PF_R, vaddr: LINK, data: MINIMAL },
      { type: PT_NOTE, flags: PF_R, vaddr: LINK + 0x20n, data: note, align: noteAlign },
      { flags: PF_R | PF_X, vaddr: 0x101000n, data: new Uint8Array(32) },
      { flags: PF_R | PF_W, vaddr: 0x102000n, data: new Uint8Array(8), memsz: 0x1000n },
    ],
  });
}
const pvhNote = (address: bigint) => elfNote('Xen', XEN_ELFNOTE_PHYS32_ENTRY, wordBytes(address));

function elfOf(bytes: Uint8Array): ElfImage {
  const { elf } = readElf(bytes);
  if (elf === undefined) throw new Error('test image does not read');
  return elf;
}

describe('the PVH note (Xen elfnote.h, XEN_ELFNOTE_PHYS32_ENTRY)', () => {
  const NOTE = 'PVH note (Xen, XEN_ELFNOTE_PHYS32_ENTRY)';
  const pvh = (bytes: Uint8Array) => checkPvhNote(bytes, elfOf(bytes));

  it('accepts an 8-byte entry address in executable code', () => {
    expect(pvh(kernelWithNote(pvhNote(0x101010n)).bytes)).toEqual([
      ok(`${NOTE} entry point 0x101010 lies in the executable segment PT_LOAD #2 [0x101000, 0x101020) r-x`),
    ]);
  });

  it('accepts a 4-byte entry address', () => {
    const note = elfNote('Xen', XEN_ELFNOTE_PHYS32_ENTRY, wordBytes(0xdead_beef_0010_1004n).subarray(0, 4));
    expect(pvh(kernelWithNote(note).bytes)).toEqual([
      ok(`${NOTE} entry point 0x101004 lies in the executable segment PT_LOAD #2 [0x101000, 0x101020) r-x`),
    ]);
  });

  it('refuses a descriptor that is neither 4 nor 8 bytes', () => {
    const { bytes, dataOffsets } = kernelWithNote(elfNote('Xen', XEN_ELFNOTE_PHYS32_ENTRY, new Uint8Array(6)));
    expect(pvh(bytes)).toEqual([
      error(`${NOTE} at file offset 0x${dataOffsets[1]!.toString(16)} has a 6-byte descriptor, must be 4 or 8 (the entry address)`),
    ]);
  });

  it('refuses an address of 4 GiB or more, and checks 0xffffffff against the segments', () => {
    expect(pvh(kernelWithNote(pvhNote(0x1_0000_0000n)).bytes)).toEqual([error(`${NOTE} gives 0x100000000, which is not a 32-bit physical address`)]);
    expect(pvh(kernelWithNote(pvhNote(0xffff_ffffn)).bytes)).toEqual([
      error(`${NOTE} entry point 0xffffffff lies in no PT_LOAD segment (by physical address)`),
    ]);
  });

  it('looks the address up by physical address, not virtual', () => {
    const { bytes } = kernelWithNote(pvhNote(0x101010n));
    // Move the code segment's virtual address away; its physical address stays 0x101000.
    setU64(bytes, programHeaderOffset(bytes, 2) + 16, 0xffff_8000_0010_1000n);
    expect(pvh(bytes)).toEqual([
      ok(`${NOTE} entry point 0x101010 lies in the executable segment PT_LOAD #2 [0xffff800000101000, 0xffff800000101020) r-x`),
    ]);
    // And the other way round: at the right virtual but another physical address, it is found nowhere.
    const moved = kernelWithNote(pvhNote(0x101010n)).bytes;
    setU64(moved, programHeaderOffset(moved, 2) + 24, 0x200000n);
    expect(pvh(moved)).toEqual([error(`${NOTE} entry point 0x101010 lies in no PT_LOAD segment (by physical address)`)]);
  });

  it('refuses an entry in data', () => {
    expect(pvh(kernelWithNote(pvhNote(0x102000n)).bytes)).toEqual([
      error(`${NOTE} entry point 0x102000 lies in PT_LOAD #3 [0x102000, 0x103000) rw-, which is not executable (no PF_X)`),
    ]);
  });

  it('warns when the note is in an 8-aligned segment, which QEMU 7.2 misreads', () => {
    const findings = pvh(kernelWithNote(elfNote('Xen', XEN_ELFNOTE_PHYS32_ENTRY, wordBytes(0x101010n), 8), 8n).bytes);
    expect(findings).toEqual([
      ok(`${NOTE} entry point 0x101010 lies in the executable segment PT_LOAD #2 [0x101000, 0x101020) r-x`),
      warning(`the ${NOTE} is in PT_NOTE #1 with alignment 8: QEMU 7.2 then does not find the entry; align the note section to 4`),
    ]);
  });

  it('warns when there is no note of name Xen and type 18', () => {
    const missing = warning(`no ${NOTE}: QEMU direct boot (-kernel) will not work; GRUB boots the kernel through its multiboot2 header`);
    expect(pvh(kernelWithNote(elfNote('Xen', 17, wordBytes(0x101010n))).bytes)).toEqual([missing]);
    expect(pvh(kernelWithNote(elfNote('Xem', XEN_ELFNOTE_PHYS32_ENTRY, wordBytes(0x101010n))).bytes)).toEqual([missing]);
    expect(pvh(kernelWithNote(elfNote('GNU', 3, new Uint8Array(8))).bytes)).toEqual([missing]);
  });

  it('finds the note after others, and keeps the problems of a broken PT_NOTE', () => {
    const notes = concat(elfNote('GNU', 3, new Uint8Array(20)), pvhNote(0x101010n));
    expect(pvh(kernelWithNote(notes).bytes)).toEqual([
      ok(`${NOTE} entry point 0x101010 lies in the executable segment PT_LOAD #2 [0x101000, 0x101020) r-x`),
    ]);
    // A second PT_NOTE running past the end of the file: its problem comes with the note's finding.
    const broken = kernelWithNote(pvhNote(0x101010n)).bytes;
    const at = programHeaderOffset(broken, 3);
    setU32(broken, at, PT_NOTE);
    setU64(broken, at + 8, BigInt(broken.length - 4));
    const findings = pvh(broken);
    expect(findings).toEqual([
      error(`PT_NOTE #3 at file offset 0x${(broken.length - 4).toString(16)} runs past the end of the file`),
      ok(`${NOTE} entry point 0x101010 lies in the executable segment PT_LOAD #2 [0x101000, 0x101020) r-x`),
    ]);
    // Without the PVH note, the problem comes with the warning; with a bad descriptor, with the error.
    const noPvh = kernelWithNote(elfNote('GNU', 3, new Uint8Array(8))).bytes;
    setU32(noPvh, at, PT_NOTE);
    setU64(noPvh, at + 8, BigInt(noPvh.length - 4));
    expect(levels(pvh(noPvh))).toEqual(['error', 'warning']);
    const badDescriptor = kernelWithNote(elfNote('Xen', XEN_ELFNOTE_PHYS32_ENTRY, new Uint8Array(2))).bytes;
    setU32(badDescriptor, at, PT_NOTE);
    setU64(badDescriptor, at + 8, BigInt(badDescriptor.length - 4));
    expect(levels(pvh(badDescriptor))).toEqual(['error', 'error']);
  });
});

describe('a multiboot2 image as a whole', () => {
  it('gives every finding of an intact kernel, in order', () => {
    const { bytes } = kernelWithNote(pvhNote(0x101000n));
    expect(checkKernelImage(bytes, 'multiboot2')).toEqual([
      ok('ELF64, little-endian, x86-64, ET_EXEC, 4 program headers (3 PT_LOAD)'),
      ok('PT_LOAD segments span [0x100000, 0x103000): at or above the link address 0x100000 and below 4 GiB'),
      ok('entry point 0x101000 lies in the executable segment PT_LOAD #2 [0x101000, 0x101020) r-x'),
      ok('multiboot2 header at file offset 0x1000 (within the first 32 KiB, 8-byte aligned)'),
      ok('multiboot2 header fields: architecture 0 (i386), header_length 24, checksum 0x17adaf12 (sums to 0)'),
      ok('multiboot2 header tags: end (type 0)'),
      ok('PVH note (Xen, XEN_ELFNOTE_PHYS32_ENTRY) entry point 0x101000 lies in the executable segment PT_LOAD #2 [0x101000, 0x101020) r-x'),
    ]);
    // Detected from the header when no protocol is given.
    expect(checkKernelImage(bytes)).toEqual(checkKernelImage(bytes, 'multiboot2'));
  });

  it('refuses segments below the link address and past 4 GiB', () => {
    const below = buildElf({ entry: 0x101000n, segments: [{ flags: PF_R | PF_X, vaddr: 0xff000n, data: concat(new Uint8Array(0x2000)) }] });
    below.bytes.set(MINIMAL, below.dataOffsets[0]!);
    expect(checkKernelImage(below.bytes, 'multiboot2')[1]).toEqual(
      error('PT_LOAD #0 [0xff000, 0x101000) r-x starts below 0x100000: the link address; memory below it belongs to the firmware'),
    );
    const past = buildElf({ entry: 0x101000n, segments: [{ flags: PF_R | PF_X, vaddr: 0xffff_f000n, data: MINIMAL, memsz: 0x1001n }] });
    expect(checkKernelImage(past.bytes, 'multiboot2')[1]).toEqual(
      error('PT_LOAD #0 [0xfffff000, 0x100000001) r-x ends past 0x100000000: past 4 GiB, beyond the 32-bit entry and its identity map'),
    );
    const upTo = buildElf({ entry: 0xffff_f000n, segments: [{ flags: PF_R | PF_X, vaddr: 0xffff_f000n, data: MINIMAL, memsz: 0x1000n }] });
    expect(checkKernelImage(upTo.bytes, 'multiboot2')[1]).toEqual(
      ok('PT_LOAD segments span [0xfffff000, 0x100000000): at or above the link address 0x100000 and below 4 GiB'),
    );
  });

  it('refuses a position-independent (ET_DYN) multiboot2 kernel, and names other types', () => {
    const { bytes } = kernelWithNote(pvhNote(0x101000n));
    const dyn = bytes.slice();
    dyn[16] = ET_DYN;
    expect(checkKernelImage(dyn, 'multiboot2')[1]).toEqual(error('ELF type is ET_DYN, a multiboot2 kernel must be ET_EXEC (relocation-model=static)'));
    const relocatable = bytes.slice();
    relocatable[16] = 1; // ET_REL
    expect(checkKernelImage(relocatable, 'multiboot2')[1]).toEqual(error('ELF type is type 1, a multiboot2 kernel must be ET_EXEC (relocation-model=static)'));
  });

  it('still checks the header of an ELF it cannot read, but not its segments or note', () => {
    const { bytes } = kernelWithNote(pvhNote(0x101000n));
    bytes[18] = 3; // EM_386
    expect(checkKernelImage(bytes, 'multiboot2')).toEqual([
      error('ELF machine is 3, an x86_64 kernel must be EM_X86_64 (62)'),
      ok('multiboot2 header at file offset 0x1000 (within the first 32 KiB, 8-byte aligned)'),
      ok('multiboot2 header fields: architecture 0 (i386), header_length 24, checksum 0x17adaf12 (sums to 0)'),
      ok('multiboot2 header tags: end (type 0)'),
    ]);
  });
});
