/**
 * The multiboot2 rules of the checker, rule by rule, on synthetic bytes: where the header may lie
 * (Multiboot2 specification 2.0, §3.1.1: "The Multiboot2 header must be contained completely within
 * the first 32768 bytes of the OS image, and must be 64-bit aligned"), its magic fields (§3.1.2), its
 * tags (§3.1.3), the PVH note QEMU boots from (Xen elfnote.h), and how a multiboot2 image is checked
 * as a whole. Expected messages are written out in full: they are what a user reads.
 */
import { describe, expect, it } from 'vitest';
import { checkKernelImage, detectBootProtocol } from '../src/kernel-image.js';
import { hasErrors } from '../src/findings.js';
import { checkMultiboot2Header, findGrubMultiboot2Header, findMultiboot2Header } from '../src/multiboot2.js';
import { checkPvhNote } from '../src/pvh.js';
import { readNotes } from '../src/notes.js';
import { readElf, type ElfImage } from '../src/elf.js';
import {
  buildElf,
  elfNote,
  ET_DYN,
  getU64,
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
  withSymbols,
  wordBytes,
} from './elf-builder.js';
import { cpuTimed } from './timing.js';

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

/** GRUB's words when it takes no header: appended to why it steps over a magic. */
const GRUB_SKIPS = '; GRUB steps over this magic and finds no multiboot header';
const PAST_32_KIB = (offset: string) =>
  `multiboot2 header at file offset ${offset} runs past the first 32 KiB (32768 bytes, §3.1.1): its tags reach them without an end tag, and GRUB reads no further`;
const FIELDS_24 = ok('multiboot2 header fields: architecture 0 (i386), header_length 24, checksum 0x17adaf12 (sums to 0)');
/** §3.1.2 header_length, which GRUB uses only in the checksum (multiboot_mbi2.c walks the tags to type 0). */
const lengthWarning = (headerLength: number, actual: number) =>
  warning(
    `multiboot2 header_length is ${headerLength} but the header ends with its end tag after ${actual} bytes: ` +
      '§3.1.2 makes header_length the length of the header, tags included; GRUB uses it only in the checksum',
  );

describe('multiboot2 header location (§3.1.1)', () => {
  it('accepts a header that ends exactly at byte 32768', () => {
    const offset = SEARCH_LIMIT - MINIMAL.length; // 32744, 8-byte aligned
    const findings = checkMultiboot2Header(placeAt(MINIMAL, offset, SEARCH_LIMIT));
    expect(findings).toEqual([
      ok('multiboot2 header at file offset 0x7fe8 (within the first 32 KiB, 8-byte aligned)'),
      FIELDS_24,
      ok('multiboot2 header tags: end (type 0)'),
    ]);
  });

  it('refuses the same header one alignment step later, when its end tag passes 32768', () => {
    const offset = SEARCH_LIMIT - MINIMAL.length + ALIGNMENT; // 32752: the fields end at 32768, the end tag at 32776
    const findings = checkMultiboot2Header(placeAt(MINIMAL, offset, SEARCH_LIMIT + ALIGNMENT));
    expect(findings).toEqual([error(PAST_32_KIB('0x7ff0')), FIELDS_24]);
  });

  it('measures the header to its end tag, as GRUB walks it, whatever header_length says', () => {
    // An information request tag (§3.1.4, type 1) of 12 bytes, padded to 16: the end tag ends the header at 40.
    const tags = concat(multiboot2Tag(1, 0, new Uint8Array(4)), MULTIBOOT2_END_TAG);
    const header = multiboot2Header({ tags });
    expect(header.length).toBe(40);
    expect(checkMultiboot2Header(placeAt(header, SEARCH_LIMIT - 40, SEARCH_LIMIT))[0]).toEqual(
      ok('multiboot2 header at file offset 0x7fd8 (within the first 32 KiB, 8-byte aligned)'),
    );
    expect(checkMultiboot2Header(placeAt(header, SEARCH_LIMIT - 32, SEARCH_LIMIT + 8))[0]).toEqual(error(PAST_32_KIB('0x7fe0')));
    // A header_length of 16 does not make it fit.
    const short = multiboot2Header({ tags, headerLength: 16 });
    expect(checkMultiboot2Header(placeAt(short, SEARCH_LIMIT - 32, SEARCH_LIMIT + 8))[0]).toEqual(error(PAST_32_KIB('0x7fe0')));
  });

  it('needs the 16 bytes of fixed fields in the first 32 KiB', () => {
    // header_length 8 at 32760: the fields alone reach 32776.
    const short = multiboot2Header({ headerLength: 8 });
    expect(checkMultiboot2Header(placeAt(short, SEARCH_LIMIT - 8, SEARCH_LIMIT + 16))).toEqual([
      error('multiboot2 header at file offset 0x7ff8 ends at 0x8008, past the first 32 KiB (32768 bytes, §3.1.1)'),
    ]);
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
    expect(findGrubMultiboot2Header(two)).toBe(64);
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

  it('needs all four magic fields in the file, and 32 bytes of file for GRUB', () => {
    // Architecture, header_length or checksum past the end: each one alone cuts the header off.
    for (const size of [8 + 4, 8 + 8, 8 + 12, 8 + 15]) {
      expect(checkMultiboot2Header(placeAt(MINIMAL, 8, size)), `file of ${size} bytes`).toEqual([
        error('multiboot2 header at file offset 0x8 is cut off by the end of the file'),
      ]);
    }
    // multiboot_mbi2.c: "if (len < 32) ... premature end of file", before any header is looked for.
    expect(checkMultiboot2Header(placeAt(MINIMAL, 8, 31))).toEqual([
      error('the file has 31 bytes, fewer than the 32 GRUB reads at least: GRUB refuses the kernel ("premature end of file")'),
    ]);
    expect(checkMultiboot2Header(placeAt(MINIMAL, 8, 32))).toEqual([
      ok('multiboot2 header at file offset 0x8 (within the first 32 KiB, 8-byte aligned)'),
      FIELDS_24,
      ok('multiboot2 header tags: end (type 0)'),
    ]);
  });

  it('is what detects a multiboot2 kernel, within the first 32 KiB only', () => {
    expect(detectBootProtocol(placeAt(MINIMAL, SEARCH_LIMIT - ALIGNMENT, SEARCH_LIMIT + 64))).toEqual({
      name: 'multiboot2',
      evidence: 'a multiboot2 header in the first 32 KiB',
    });
    expect(detectBootProtocol(placeAt(MINIMAL, SEARCH_LIMIT, SEARCH_LIMIT + 64))).toBeUndefined();
  });
});

describe('GRUB steps over magic values that are not its header (multiboot_mbi2.c find_header)', () => {
  it('skips a stray magic, whose checksum does not sum to 0, to the header after it', () => {
    const bytes = placeAt(MINIMAL, 128, 256);
    setU32(bytes, 64, MULTIBOOT2_MAGIC); // architecture, header_length and checksum 0
    expect(checkMultiboot2Header(bytes)).toEqual([
      ok(
        'multiboot2 header at file offset 0x80 (within the first 32 KiB, 8-byte aligned), after 1 earlier magic value that GRUB steps over (wrong checksum or architecture)',
      ),
      FIELDS_24,
      ok('multiboot2 header tags: end (type 0)'),
    ]);
    expect(findGrubMultiboot2Header(bytes)).toBe(128);
    // Detection still sees the first magic.
    expect(findMultiboot2Header(bytes)).toBe(64);
  });

  it('skips a header for another architecture (MIPS, 4, with its checksum right) to the i386 header', () => {
    const bytes = placeAt(multiboot2Header({ architecture: 4 }), 0, 256);
    setU32(bytes, 32, MULTIBOOT2_MAGIC);
    bytes.set(MINIMAL, 64);
    expect(checkMultiboot2Header(bytes)[0]).toEqual(
      ok(
        'multiboot2 header at file offset 0x40 (within the first 32 KiB, 8-byte aligned), after 2 earlier magic values that GRUB steps over (wrong checksum or architecture)',
      ),
    );
    expect(findGrubMultiboot2Header(bytes)).toBe(64);
  });

  it('only looks at 8-byte-aligned offsets whose fields lie in the first 32 KiB', () => {
    const bytes = placeAt(MINIMAL, SEARCH_LIMIT - 16, SEARCH_LIMIT + 64);
    expect(findGrubMultiboot2Header(bytes)).toBe(SEARCH_LIMIT - 16);
    expect(findGrubMultiboot2Header(placeAt(MINIMAL, SEARCH_LIMIT - 8, SEARCH_LIMIT + 64))).toBeUndefined();
    expect(findGrubMultiboot2Header(placeAt(MINIMAL, 68, 256))).toBeUndefined();
    // Nor in a file of fewer than 32 bytes.
    expect(findGrubMultiboot2Header(placeAt(MINIMAL, 0, 31))).toBeUndefined();
    expect(findGrubMultiboot2Header(placeAt(MINIMAL, 0, 32))).toBe(0);
  });
});

describe('multiboot2 magic fields (§3.1.2)', () => {
  const at = (header: Uint8Array, size = 256) => checkMultiboot2Header(placeAt(header, 0, size));

  it('refuses an architecture other than i386 (0): GRUB takes no such header', () => {
    // MIPS is 4 (§3.1.2); the checksum is right for it.
    expect(at(multiboot2Header({ architecture: 4 }))).toEqual([
      ok('multiboot2 header at file offset 0x0 (within the first 32 KiB, 8-byte aligned)'),
      error(`multiboot2 header architecture is 4, must be 0 (32-bit protected-mode i386, §3.1.2)${GRUB_SKIPS}`),
      ok('multiboot2 header tags: end (type 0)'),
    ]);
  });

  it('warns of a header_length shorter than the fixed fields, and walks the tags as GRUB does', () => {
    // 0xe85250d6 + 0 + 15 = 0xe85250e5: the checksum is 2^32 - that = 0x17adaf1b.
    expect(at(multiboot2Header({ headerLength: 15 }))).toEqual([
      ok('multiboot2 header at file offset 0x0 (within the first 32 KiB, 8-byte aligned)'),
      ok('multiboot2 header fields: architecture 0 (i386), header_length 15, checksum 0x17adaf1b (sums to 0)'),
      lengthWarning(15, 24),
      ok('multiboot2 header tags: end (type 0)'),
    ]);
  });

  it('warns of a header_length past the end of the file, and is silent when it is right', () => {
    // 0xe85250d6 + 4096 = 0xe85260d6: the checksum is 0x17ad9f2a.
    expect(at(multiboot2Header({ headerLength: 4096 }))).toEqual([
      ok('multiboot2 header at file offset 0x0 (within the first 32 KiB, 8-byte aligned)'),
      ok('multiboot2 header fields: architecture 0 (i386), header_length 4096, checksum 0x17ad9f2a (sums to 0)'),
      lengthWarning(4096, 24),
      ok('multiboot2 header tags: end (type 0)'),
    ]);
    expect(levels(at(MINIMAL, 32))).toEqual(['ok', 'ok', 'ok']);
  });

  it('refuses a wrong checksum, giving the sum and the right checksum', () => {
    // 0xe85250d6 + 0 + 24 = 0xe85250ee; the checksum must be 2^32 - that = 0x17adaf12.
    expect(at(multiboot2Header({ checksum: 0x17adaf13 }))).toEqual([
      ok('multiboot2 header at file offset 0x0 (within the first 32 KiB, 8-byte aligned)'),
      error(
        'multiboot2 header checksum is 0x17adaf13 but must make the sum of magic, architecture, header_length and checksum 0 mod 2^32 ' +
          `(it is 0x00000001; the checksum should be 0x17adaf12, §3.1.2)${GRUB_SKIPS}`,
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
    expect(findings).toContainEqual(error(`multiboot2 header architecture is ${architecture}, must be 0 (32-bit protected-mode i386, §3.1.2)${GRUB_SKIPS}`));
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
    // Optional, so that GRUB takes even the one it does not support (type 8).
    const tags = concat(...names.map((_, index) => multiboot2Tag(index + 1, 1, new Uint8Array(16))), MULTIBOOT2_END_TAG);
    expect(tagsOf(tags)).toEqual([
      ok(`multiboot2 header tags: ${names.map((name, index) => `${name} (type ${index + 1}, optional)`).join(', ')}, end (type 0)`),
    ]);
  });

  it('accepts every tag GRUB supports, not marked optional', () => {
    const types = [1, 2, 3, 4, 5, 6, 7, 9, 10];
    const tags = concat(...types.map((type) => multiboot2Tag(type, 0, new Uint8Array(16))), MULTIBOOT2_END_TAG);
    expect(levels(tagsOf(tags))).toEqual(['ok']);
  });

  it('refuses a required tag GRUB does not support, the EFI i386 entry address (type 8), and takes it optional', () => {
    expect(tagsOf(concat(multiboot2Tag(8, 0, new Uint8Array(4)), MULTIBOOT2_END_TAG))).toEqual([
      error(
        'multiboot2 header tag at file offset 0x10 (type 8), EFI i386 entry address, is a tag GRUB 2.06 does not support and is not marked optional: ' +
          'GRUB refuses the kernel ("unsupported tag: 0x8")',
      ),
    ]);
    expect(tagsOf(concat(multiboot2Tag(8, 1, new Uint8Array(4)), MULTIBOOT2_END_TAG))).toEqual([
      ok('multiboot2 header tags: EFI i386 entry address (type 8, optional), end (type 0)'),
    ]);
  });

  it('refuses an unknown tag type that is not optional, and warns of an optional one', () => {
    const tags = concat(multiboot2Tag(11), multiboot2Tag(42, 1), MULTIBOOT2_END_TAG);
    expect(tagsOf(tags)).toEqual([
      error(
        'multiboot2 header tag at file offset 0x10 (type 11) is not a tag type of the specification (§3.1.3) and is not marked optional: ' +
          'GRUB refuses the kernel ("unsupported tag: 0xb")',
      ),
      warning('multiboot2 header tag at file offset 0x18 (type 42) is not a tag type of the specification (§3.1.3): it is marked optional, so loaders skip it'),
    ]);
  });

  it('reads only flags bit 0 as optional', () => {
    expect(tagsOf(concat(multiboot2Tag(5, 2), MULTIBOOT2_END_TAG))).toEqual([ok('multiboot2 header tags: framebuffer (type 5), end (type 0)')]);
    expect(tagsOf(concat(multiboot2Tag(5, 3), MULTIBOOT2_END_TAG))).toEqual([
      ok('multiboot2 header tags: framebuffer (type 5, optional), end (type 0)'),
    ]);
    expect(levels(tagsOf(concat(multiboot2Tag(8, 2), MULTIBOOT2_END_TAG)))).toEqual(['error']);
  });

  it('steps over each tag padded to 8 bytes', () => {
    // A 9-byte tag is followed by 7 bytes of padding: the end tag is at +16, not +9.
    const tags = concat(multiboot2Tag(6, 0, new Uint8Array([0xff])), MULTIBOOT2_END_TAG);
    expect(tags.length).toBe(24);
    expect(tagsOf(tags)).toEqual([ok('multiboot2 header tags: module alignment (type 6), end (type 0)')]);
  });

  it('warns of a tag smaller than its 8-byte header, which GRUB steps over as 8 bytes, and accepts exactly 8', () => {
    expect(tagsOf(concat(multiboot2Tag(6, 0, new Uint8Array(0), 4), MULTIBOOT2_END_TAG))).toEqual([
      ok('multiboot2 header tags: module alignment (type 6), end (type 0)'),
      warning('multiboot2 header tag at file offset 0x10 (type 6) has size 4, less than the 8-byte tag header (§3.1.3); GRUB steps over it as 8 bytes'),
    ]);
    expect(levels(tagsOf(concat(multiboot2Tag(1, 0, new Uint8Array(0), 8), MULTIBOOT2_END_TAG)))).toEqual(['ok']);
  });

  it('refuses a tag of size 0, on which GRUB never moves on, and a short information request', () => {
    expect(tagsOf(concat(multiboot2Tag(6, 0, new Uint8Array(0), 0), MULTIBOOT2_END_TAG))).toEqual([
      error('multiboot2 header tag at file offset 0x10 (type 6) has size 0, less than the 8-byte tag header (§3.1.3): GRUB steps 0 bytes and never leaves it'),
    ]);
    // grub_multiboot2_load counts (size - 8) / 4 requests in unsigned arithmetic.
    expect(tagsOf(concat(multiboot2Tag(1, 0, new Uint8Array(0), 7), MULTIBOOT2_END_TAG))).toEqual([
      error('multiboot2 information request tag at file offset 0x10 has size 7, less than its 8-byte tag header (§3.1.3): GRUB then reads requests far past the tag'),
    ]);
  });

  it('walks to the end tag whatever header_length says, and warns when they differ', () => {
    const tags = concat(multiboot2Tag(1, 0, new Uint8Array(8)), MULTIBOOT2_END_TAG);
    const named = ok('multiboot2 header tags: information request (type 1), end (type 0)');
    expect(tagsOf(tags, 16 + 15)).toEqual([lengthWarning(31, 40), named]);
    expect(tagsOf(tags, 16 + 16)).toEqual([lengthWarning(32, 40), named]);
    expect(tagsOf(tags)).toEqual([named]);
  });

  it('refuses tags that reach the end of the file without an end tag', () => {
    // Fields at 8, a module alignment tag at 24, and the file ends at 36, 4 bytes into the next tag.
    const header = multiboot2Header({ tags: multiboot2Tag(6) });
    expect(checkMultiboot2Header(placeAt(header, 8, 36))).toEqual([
      ok('multiboot2 header at file offset 0x8 (within the first 32 KiB, 8-byte aligned)'),
      FIELDS_24,
      error('multiboot2 header has no end tag: its tags reach the end of the file at file offset 0x20 without one (§3.1.3)'),
    ]);
  });

  it('warns when the end tag has flags or a size other than 0 and 8: GRUB only reads its type', () => {
    expect(tagsOf(multiboot2Tag(0, 1))).toEqual([
      ok('multiboot2 header tags: end (type 0)'),
      warning('multiboot2 end tag at file offset 0x10 has flags 1 and size 8, the specification says 0 and 8 (§3.1.3); GRUB ends the tags at its type 0'),
    ]);
    expect(tagsOf(multiboot2Tag(0, 0, new Uint8Array(8)))).toEqual([
      ok('multiboot2 header tags: end (type 0)'),
      warning('multiboot2 end tag at file offset 0x10 has flags 0 and size 16, the specification says 0 and 8 (§3.1.3); GRUB ends the tags at its type 0'),
    ]);
  });

  it('warns when the end tag does not end the header at header_length', () => {
    expect(tagsOf(concat(MULTIBOOT2_END_TAG, new Uint8Array(8)), 32)).toEqual([lengthWarning(32, 24), ok('multiboot2 header tags: end (type 0)')]);
  });

  it('stops at the end tag, whatever follows it', () => {
    expect(tagsOf(concat(MULTIBOOT2_END_TAG, multiboot2Tag(1, 0, new Uint8Array(0), 3)), 24)).toEqual([ok('multiboot2 header tags: end (type 0)')]);
  });

  it('reports the tags at the header offset in the file', () => {
    const tags = concat(multiboot2Tag(0, 0, new Uint8Array(0), 4));
    const findings = checkMultiboot2Header(placeAt(multiboot2Header({ tags }), 4096, 8192));
    expect(findings.at(-1)).toEqual(
      warning('multiboot2 end tag at file offset 0x1010 has flags 0 and size 4, the specification says 0 and 8 (§3.1.3); GRUB ends the tags at its type 0'),
    );
  });
});

describe('what GRUB refuses in the tags (multiboot_mbi2.c grub_multiboot2_load)', () => {
  const tagsOf = (...tags: Uint8Array[]) => checkMultiboot2Header(placeAt(multiboot2Header({ tags: concat(...tags, MULTIBOOT2_END_TAG) }), 0, 512)).slice(2);
  const u32s = (...values: number[]) => {
    const bytes = new Uint8Array(values.length * 4);
    values.forEach((value, index) => setU32(bytes, index * 4, value));
    return bytes;
  };
  /** §3.1.4: the information request, a u32 per boot information tag type. */
  const request = (flags: number, ...types: number[]) => multiboot2Tag(1, flags, u32s(...types));
  const refused = (type: number) =>
    error(
      `multiboot2 information request tag at file offset 0x10 asks for boot information tag type ${type}, which GRUB 2.06 does not provide, ` +
        `and is not marked optional (§3.1.4): GRUB refuses the kernel ("unsupported information tag: 0x${type.toString(16)}")`,
    );

  it('refuses an information request for a type GRUB does not provide (13, SMBIOS tables), unless optional', () => {
    expect(tagsOf(request(0, 6, 13))).toEqual([refused(13)]);
    expect(tagsOf(request(1, 6, 13))).toEqual([ok('multiboot2 header tags: information request (type 1, optional), end (type 0)')]);
  });

  it('accepts every type of include/multiboot2.h but 13, refuses past 21, and names the first refused', () => {
    const provided = [...Array.from({ length: 13 }, (_, type) => type), 14, 15, 16, 17, 18, 19, 20, 21];
    expect(tagsOf(request(0, ...provided))).toEqual([ok('multiboot2 header tags: information request (type 1), end (type 0)')]);
    expect(tagsOf(request(0, 22))).toEqual([refused(22)]);
    expect(tagsOf(request(0, 6, 22, 13))).toEqual([refused(22)]);
  });

  const address = (flags = 0) => multiboot2Tag(2, flags, new Uint8Array(16));
  const noEntry = 'multiboot2 header has an address tag (type 2) but no entry address tag (type 3)';

  it('refuses an address tag without an entry address tag, optional or not', () => {
    const refusal = error(`${noEntry}: GRUB refuses the kernel ("load address tag without entry address tag")`);
    expect(tagsOf(address())).toEqual([refusal]);
    expect(tagsOf(address(1))).toEqual([refusal]);
    expect(tagsOf(address(), multiboot2Tag(3, 0, u32s(0x100000)))).toEqual([
      ok('multiboot2 header tags: address (type 2), entry address (type 3), end (type 0)'),
    ]);
  });

  it('warns of an address tag with only the EFI amd64 entry and EFI boot services, which only GRUB on UEFI takes', () => {
    expect(tagsOf(address(), multiboot2Tag(7), multiboot2Tag(9, 0, u32s(0x100000)))).toEqual([
      ok('multiboot2 header tags: address (type 2), EFI boot services (type 7), EFI amd64 entry address (type 9), end (type 0)'),
      warning(
        `${noEntry}: GRUB on UEFI takes the EFI amd64 entry address instead, GRUB on BIOS refuses the kernel ("load address tag without entry address tag")`,
      ),
    ]);
    // Without EFI boot services GRUB does not use the EFI entry.
    expect(levels(tagsOf(address(), multiboot2Tag(9, 0, u32s(0x100000))))).toEqual(['error']);
  });

  const console = (flags: number) => multiboot2Tag(4, 0, u32s(flags));
  const requires = 'multiboot2 console flags tag at file offset 0x10 requires a console (flags bit 0) and there is no framebuffer tag';

  it('refuses a required console without EGA text support or a framebuffer tag', () => {
    expect(tagsOf(console(1))).toEqual([
      error(`${requires} nor EGA text support: GRUB refuses the kernel ("OS requires a console but none is available")`),
    ]);
    expect(tagsOf(console(3))).toEqual([
      ok('multiboot2 header tags: console flags (type 4), end (type 0)'),
      warning(`${requires}: GRUB on BIOS gives it EGA text, GRUB on UEFI has none and refuses the kernel ("OS requires a console but none is available")`),
    ]);
    expect(tagsOf(console(1), multiboot2Tag(5, 0, new Uint8Array(12)))).toEqual([
      ok('multiboot2 header tags: console flags (type 4), framebuffer (type 5), end (type 0)'),
    ]);
    expect(levels(tagsOf(console(2)))).toEqual(['ok']);
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

describe('the PT_NOTE segments, each file byte read once', () => {
  /**
   * 32 KiB of empty notes (12 bytes each: namesz, descsz, type 0) with the PVH note first, in
   * PT_NOTE #1: 2731 notes, within the NOTE_READ_LIMIT (4096) read from one file.
   */
  const NOTES = concat(pvhNote(0x101000n), new Uint8Array(0x8000));
  /** `kernelWithNote(NOTES)` with `extra` more PT_NOTE headers, each placed by `place(i)` in the file. */
  function manyNotes(extra: number, place: (index: number, notes: { offset: number; size: number }) => { offset: number; size: number }) {
    const built = buildElf({
      entry: 0x101000n,
      segments: [
        { flags: PF_R, vaddr: LINK, data: MINIMAL },
        { type: PT_NOTE, flags: PF_R, vaddr: LINK + 0x20n, data: NOTES, align: 4n },
        { flags: PF_R | PF_X, vaddr: 0x101000n, data: new Uint8Array(32) },
        ...Array.from({ length: extra }, () => ({ type: PT_NOTE, flags: PF_R, vaddr: LINK + 0x20n })),
      ],
    });
    const notes = { offset: built.dataOffsets[1]!, size: NOTES.length };
    for (let index = 0; index < extra; index++) {
      const at = programHeaderOffset(built.bytes, 3 + index);
      const { offset, size } = place(index, notes);
      setU64(built.bytes, at + 8, BigInt(offset));
      setU64(built.bytes, at + 32, BigInt(size));
    }
    return built.bytes;
  }
  const NOTE = 'PVH note (Xen, XEN_ELFNOTE_PHYS32_ENTRY)';
  const found = ok(`${NOTE} entry point 0x101000 lies in the executable segment PT_LOAD #2 [0x101000, 0x101020) r-x`);

  it('answers in well under a second for 2000 PT_NOTE headers over the same 32 KiB of notes', () => {
    // Read once per header, that is 2000 x 2731 notes: seconds and gigabytes (and, with the
    // NOTE_READ_LIMIT, only the first of them read: the PVH note would still be found).
    const bytes = manyNotes(2000, (_, notes) => notes);
    const { result: findings, ms } = cpuTimed(() => checkPvhNote(bytes, elfOf(bytes)));
    expect(ms).toBeLessThan(500);
    expect(findings).toEqual([
      warning('2000 PT_NOTE segments (#3, #4, #5, #6, #7 and 1995 more) overlap the file bytes of another PT_NOTE, and their notes were not read again'),
      found,
    ]);
  });

  it('reads PT_NOTE segments side by side, and names one overlapping another partly', () => {
    const side = manyNotes(1, (_, notes) => ({ offset: notes.offset + notes.size, size: 0 }));
    expect(checkPvhNote(side, elfOf(side))).toEqual([found]);
    const partly = manyNotes(1, (_, notes) => ({ offset: notes.offset + notes.size - 12, size: 24 }));
    expect(readNotes(partly, elfOf(partly)).problems).toEqual([
      warning('1 PT_NOTE segment (#3) overlaps the file bytes of another PT_NOTE, and its notes were not read again'),
    ]);
    // The first by file offset is the one read, whatever the program header order.
    const before = manyNotes(1, (_, notes) => ({ offset: notes.offset - 12, size: 24 }));
    const reading = readNotes(before, elfOf(before));
    // #3 holds 12 bytes before the notes, then the PVH note's header, whose name runs past #3: none of #1's notes.
    expect(reading.notes.length).toBeGreaterThan(0);
    expect(reading.notes.every((note) => note.segment.index === 3)).toBe(true);
    expect(reading.problems.at(-1)).toEqual(
      warning('1 PT_NOTE segment (#1) overlaps the file bytes of another PT_NOTE, and its notes were not read again'),
    );
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

  it('warns of segments below the link address, which GRUB loads, and refuses any reaching 4 GiB, as GRUB does', () => {
    const below = buildElf({ entry: 0x100000n, segments: [{ flags: PF_R | PF_X, vaddr: 0xff000n, data: concat(new Uint8Array(0x2000)) }] });
    below.bytes.set(MINIMAL, below.dataOffsets[0]!);
    expect(checkKernelImage(below.bytes, 'multiboot2').slice(1, 3)).toEqual([
      ok('PT_LOAD segments span [0xff000, 0x101000): below 4 GiB'),
      warning(
        'PT_LOAD #0 at physical [0xff000, 0x101000) starts below 0x100000: GRUB 2.06 loads it there, but below 1 MiB lie the ' +
          "firmware's data, the video memory and ROMs (0xa0000-0xfffff); link the kernel at 0x100000 or above",
      ),
    ]);
    // multiboot_elfxx.c: "if (highest_load >= 0x100000000)": a segment ending exactly at 4 GiB is refused too.
    const crossing = (memsz: bigint) => buildElf({ entry: 0xffff_f000n, segments: [{ flags: PF_R | PF_X, vaddr: 0xffff_f000n, data: MINIMAL, memsz }] });
    for (const [memsz, end] of [[0x1001n, '0x100000001'], [0x1000n, '0x100000000']] as const) {
      expect(checkKernelImage(crossing(memsz).bytes, 'multiboot2')[1]).toEqual(
        error(`PT_LOAD #0 at physical [0xfffff000, ${end}) reaches 4 GiB: GRUB refuses the kernel ("segment crosses 4 GiB border")`),
      );
    }
    expect(checkKernelImage(crossing(0xfffn).bytes, 'multiboot2')[1]).toEqual(
      ok('PT_LOAD segments span [0xfffff000, 0xffffffff): at or above the link address 0x100000 and below 4 GiB'),
    );
    // GRUB counts an empty PT_LOAD in its highest load address too.
    const empty = buildElf({
      entry: 0x101000n,
      segments: [
        { flags: PF_R | PF_X, vaddr: 0x101000n, data: MINIMAL },
        { flags: PF_R, vaddr: 0x1_0000_0000n, memsz: 0n },
      ],
    });
    expect(checkKernelImage(empty.bytes, 'multiboot2')[1]).toEqual(
      error('PT_LOAD #1 at physical [0x100000000, 0x100000000) reaches 4 GiB: GRUB refuses the kernel ("segment crosses 4 GiB border")'),
    );
  });

  /** `bytes` with every program header's p_vaddr and e_entry moved up by `shift`; p_paddr stays. */
  function higherHalf(bytes: Uint8Array, shift: bigint): Uint8Array {
    const moved = bytes.slice();
    for (let index = 0; index < 4; index++) {
      const at = programHeaderOffset(moved, index) + 16;
      setU64(moved, at, getU64(moved, at) + shift);
    }
    setU64(moved, 24, getU64(moved, 24) + shift);
    return moved;
  }
  const HIGHER_HALF = 0xffff_ffff_8000_0000n;

  it('accepts a higher-half ELF whose physical addresses are right: GRUB loads by p_paddr', () => {
    const bytes = higherHalf(kernelWithNote(pvhNote(0x101000n)).bytes, HIGHER_HALF);
    expect(checkKernelImage(bytes, 'multiboot2')).toEqual([
      ok('ELF64, little-endian, x86-64, ET_EXEC, 4 program headers (3 PT_LOAD)'),
      ok(
        "PT_LOAD segments span physical [0x100000, 0x103000) (GRUB loads by p_paddr; the virtual addresses are the kernel's own): " +
          'at or above the link address 0x100000 and below 4 GiB',
      ),
      ok('entry point 0xffffffff80101000 (physical 0x101000, where GRUB jumps) lies in the executable segment PT_LOAD #2 [0xffffffff80101000, 0xffffffff80101020) r-x'),
      ok('multiboot2 header at file offset 0x1000 (within the first 32 KiB, 8-byte aligned)'),
      ok('multiboot2 header fields: architecture 0 (i386), header_length 24, checksum 0x17adaf12 (sums to 0)'),
      ok('multiboot2 header tags: end (type 0)'),
      ok('PVH note (Xen, XEN_ELFNOTE_PHYS32_ENTRY) entry point 0x101000 lies in the executable segment PT_LOAD #2 [0xffffffff80101000, 0xffffffff80101020) r-x'),
    ]);
  });

  it('refuses a kernel whose virtual addresses are right but a physical one reaches 4 GiB', () => {
    const { bytes } = kernelWithNote(pvhNote(0x101000n));
    setU64(bytes, programHeaderOffset(bytes, 3) + 24, 0xffff_f800n); // .data: 0x1000 bytes from 0xfffff800
    expect(checkKernelImage(bytes, 'multiboot2')[1]).toEqual(
      error('PT_LOAD #3 at physical [0xfffff800, 0x100000800) reaches 4 GiB: GRUB refuses the kernel ("segment crosses 4 GiB border")'),
    );
  });

  it('enters at the physical address of the first program header holding e_entry, as GRUB does', () => {
    const entryOf = (bytes: Uint8Array) => checkKernelImage(bytes, 'multiboot2')[2];
    expect(entryOf(kernelWithNote(pvhNote(0x101000n), 4n, 0x200000n).bytes)).toEqual(
      error(`entry point 0x200000 lies in no program header's virtual range: GRUB refuses the kernel ("entry point isn't in a segment")`),
    );
    const far = kernelWithNote(pvhNote(0x101000n)).bytes;
    setU64(far, programHeaderOffset(far, 2) + 24, 0x1_0000_0000n);
    expect(entryOf(far)).toEqual(
      error('entry point 0x101000 (physical 0x100000000, where GRUB jumps) is not a 32-bit physical address: GRUB refuses the kernel ("invalid entry point for ELF64")'),
    );
    // The entry's physical address must be loaded: here the code is at 0x200000, the virtual entry's segment maps nothing there.
    const unloaded = kernelWithNote(pvhNote(0x101000n)).bytes;
    setU32(unloaded, programHeaderOffset(unloaded, 2), PT_NOTE);
    setU64(unloaded, programHeaderOffset(unloaded, 2) + 24, 0x200000n);
    expect(entryOf(unloaded)).toEqual(
      error('entry point 0x101000 (physical 0x200000, where GRUB jumps) lies in no PT_LOAD segment by physical address: GRUB would jump where it loaded nothing'),
    );
  });

  it('warns of an entry outside PF_X: GRUB enters without paging', () => {
    expect(checkKernelImage(kernelWithNote(pvhNote(0x101000n), 4n, 0x102000n).bytes, 'multiboot2')[2]).toEqual(
      warning(
        "entry point 0x102000 lies in PT_LOAD #3 [0x102000, 0x103000) rw-, which is not executable (no PF_X): GRUB enters it without paging, where PF_X does not apply, but the kernel's own page tables may",
      ),
    );
  });

  it('checks an ELF32 (EM_386) kernel, which GRUB loads too, by the same rules', () => {
    const elf32 = (entry: bigint) =>
      buildElf({
        elfClass: 32,
        entry,
        segments: [
          { flags: PF_R, vaddr: LINK, data: MINIMAL },
          { flags: PF_R | PF_X, vaddr: 0x101000n, data: new Uint8Array(16) },
        ],
      }).bytes;
    const findings = checkKernelImage(elf32(0x101000n));
    expect(findings.filter((finding) => finding.level === 'error')).toEqual([]);
    expect(findings).toContainEqual(ok('PT_LOAD segments span [0x100000, 0x101010): at or above the link address 0x100000 and below 4 GiB'));
    expect(findings).toContainEqual(ok('entry point 0x101000 lies in the executable segment PT_LOAD #1 [0x101000, 0x101010) r-x'));
    expect(findings).toContainEqual(ok('multiboot2 header tags: end (type 0)'));
    expect(checkKernelImage(elf32(0x200000n))).toContainEqual(
      error(`entry point 0x200000 lies in no program header's virtual range: GRUB refuses the kernel ("entry point isn't in a segment")`),
    );
  });

  it('refuses a kernel with a relocation section, loaded or not, as GRUB does', () => {
    const { bytes, tableOffset } = withSymbols(kernelWithNote(pvhNote(0x101000n)).bytes, []);
    const errorsOf = (image: Uint8Array) => checkKernelImage(image, 'multiboot2').filter((finding) => finding.level === 'error');
    expect(errorsOf(bytes)).toEqual([]);
    // Section [2] (.strtab) turned into SHT_RELA (4), then SHT_REL (9): GRUB looks at the type only.
    for (const [type, name] of [[4, 'SHT_RELA'], [9, 'SHT_REL']] as const) {
      const relocated = bytes.slice();
      setU32(relocated, tableOffset + 2 * 64 + 4, type);
      expect(errorsOf(relocated)).toEqual([
        error(`section [2] .strtab is a relocation section (${name}): GRUB refuses the kernel ("ELF files with relocs are not supported yet")`),
      ]);
    }
  });

  it('warns of an ET_DYN kernel, which GRUB loads unrelocated, and refuses other types as GRUB does', () => {
    const { bytes } = kernelWithNote(pvhNote(0x101000n));
    const dyn = bytes.slice();
    dyn[16] = ET_DYN;
    expect(checkKernelImage(dyn, 'multiboot2')[1]).toEqual(
      warning(
        'ELF type is ET_DYN: GRUB loads it at its p_paddr without relocating it, so it must need no relocations; ' +
          'a multiboot2 kernel is normally ET_EXEC (relocation-model=static)',
      ),
    );
    expect(hasErrors(checkKernelImage(dyn, 'multiboot2'))).toBe(false);
    const relocatable = bytes.slice();
    relocatable[16] = 1; // ET_REL
    expect(checkKernelImage(relocatable, 'multiboot2')[1]).toEqual(
      error('ELF type is type 1, a multiboot2 kernel must be ET_EXEC: GRUB refuses the kernel ("this ELF file is not of the right type")'),
    );
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
