/**
 * `check` against GRUB 2.06 itself: a set of mutated multiboot2 kernels (copies of a real kernel
 * built here, tiny ELFs from the test builder, and an ELF32 kernel from binutils) judged three ways:
 *
 * - `grub-file --is-x86-multiboot2` (util/grub-file.c, grub-core/commands/file.c): it only looks
 *   for an 8-byte-aligned magic in the first 32 KiB whose four fields sum to 0. It does not run the
 *   loader: it cannot tell a bad tag, a foreign architecture or a bad ELF;
 * - GRUB's loader, in QEMU: one BIOS GRUB ISO whose grub.cfg runs `multiboot2` on every row,
 *   between markers on the serial line, and prints GRUB's own error text for the ones it refuses
 *   (grub-core/loader/multiboot_mbi2.c, multiboot_elfxx.c: the loading a `boot` would start from);
 * - `checkKernelImage`, which must refuse exactly the rows GRUB's loader refuses, quoting GRUB.
 *
 * Each row's expected verdicts are written from GRUB's source, and each is held against the real
 * programs. Two accepted rows are also booted through GRUB to the kernel's own boot summary.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEBUG_EXIT, QEMU, debugExitStatus, findPreset, qemuCommonArgs } from '@baremetal-kernel/target';
import { KERNEL_COMMAND_LINE } from '@baremetal-kernel/generators';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkKernelImage } from '../../src/kernel-image.js';
import { formatFinding, hasErrors } from '../../src/findings.js';
import {
  addressTaggedKernel,
  buildElf,
  concat,
  getU16,
  getU32,
  getU64,
  MULTIBOOT2_END_TAG,
  MULTIBOOT2_MAGIC,
  multiboot2Checksum,
  multiboot2Header,
  multiboot2Tag,
  PF_R,
  PF_X,
  programHeaderOffset,
  setU16,
  setU32,
  setU64,
} from '../elf-builder.js';
import { buildRealKernel, COLD_BUILD_TIMEOUT, readelfSections, temporaryDirectory } from './real-kernel.js';

/** GRUB's BIOS modules: grub-mkrescue -d makes a BIOS-only ISO from them (faster than BIOS + UEFI). */
const GRUB_PC_MODULES = '/usr/lib/grub/i386-pc';
const TOOLS = ['grub-file', 'grub-mkrescue', 'xorriso', QEMU.binary, 'as', 'ld'];
const missing = [
  ...TOOLS.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0),
  ...(existsSync(GRUB_PC_MODULES) ? [] : [GRUB_PC_MODULES]),
];
/** QEMU under TCG: GRUB loads every row in a few seconds; a kernel boots in well under a minute. */
const QEMU_TIMEOUT = 120_000;
// CI must give the loader's verdict: there a missing tool fails the suite instead of skipping.
if (missing.length > 0 && process.env.CI === 'true') {
  throw new Error(`the GRUB differential test cannot run in CI: missing ${missing.join(', ')} (tools/install-toolchain.sh installs them)`);
}

/** The real kernel's header (templates/boot/multiboot2/src/boot/multiboot2.rs): fields, a 24-byte framebuffer tag, the end tag. */
const FIELDS = 16;
const TAG = 8;
/** A higher half: virtual addresses moved up by this, physical addresses unchanged. */
const HIGHER_HALF = 0xffff_ffff_8000_0000n;

interface Row {
  /** The file's name on the ISO: [a-z0-9-]. */
  readonly name: string;
  readonly what: string;
  readonly make: (context: RowContext) => Uint8Array;
  /** What `grub-file --is-x86-multiboot2` answers (commands/file.c). */
  readonly grubFile: boolean;
  /** GRUB's error text when its loader refuses the kernel, without "error: " and the final "."; null when it loads it. */
  readonly grub: string | null;
  /** Whether our error quotes GRUB's text (as `("...")`). */
  readonly quoted?: boolean;
  /** What our error quotes of it instead, where GRUB's text names the file. */
  readonly quote?: string;
}

function u32s(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  values.forEach((value, index) => setU32(bytes, index * 4, value));
  return bytes;
}

/** Mutations of the real kernel, whose header is the first thing in its first PT_LOAD. */
class RealKernelRows {
  readonly header: number;

  constructor(readonly bytes: Uint8Array) {
    this.header = Number(getU64(bytes, programHeaderOffset(bytes, 0) + 8));
    expect(getU32(bytes, this.header)).toBe(MULTIBOOT2_MAGIC);
  }

  copy(): Uint8Array {
    return this.bytes.slice();
  }

  /** The header's tags (from the first, at +16) replaced by `tags`, which must take the same 32 bytes. */
  withTags(tags: Uint8Array): Uint8Array {
    const bytes = this.copy();
    expect(tags.length).toBe(getU32(bytes, this.header + 8) - FIELDS);
    bytes.set(tags, this.header + FIELDS);
    return bytes;
  }

  /** With a new header_length (and the checksum that goes with it). */
  withHeaderLength(length: number): Uint8Array {
    const bytes = this.copy();
    setU32(bytes, this.header + 8, length);
    setU32(bytes, this.header + 12, multiboot2Checksum(0, length));
    return bytes;
  }

  /** Program header fields, by index: p_vaddr at +16, p_paddr at +24. */
  programHeaders(bytes: Uint8Array): { index: number; at: number; type: number }[] {
    return Array.from({ length: getU16(bytes, 56) }, (_, index) => {
      const at = programHeaderOffset(bytes, index);
      return { index, at, type: getU32(bytes, at) };
    });
  }
}

/** A tiny kernel from the builder: the header and a `jmp .` in one r-x segment at `paddr`. */
function tinyKernel(paddr: bigint, header: Uint8Array = multiboot2Header(), memsz?: bigint): Uint8Array {
  const code = concat(header, new Uint8Array([0xeb, 0xfe]));
  return buildElf({
    entry: paddr + BigInt(header.length),
    segments: [{ flags: PF_R | PF_X, vaddr: paddr, data: code, ...(memsz === undefined ? {} : { memsz }) }],
  }).bytes;
}

/** An ELF32 (EM_386) multiboot2 kernel assembled and linked by binutils: header, then `hlt; jmp`. */
function elf32Kernel(directory: string): Uint8Array {
  const source = join(directory, 'kernel32.s');
  const script = join(directory, 'kernel32.ld');
  const object = join(directory, 'kernel32.o');
  const output = join(directory, 'kernel32.elf');
  writeFileSync(
    source,
    [
      '.section .multiboot2, "a"',
      '.balign 8',
      'header_start:',
      '  .long 0xe85250d6',
      '  .long 0',
      '  .long header_end - header_start',
      '  .long -(0xe85250d6 + (header_end - header_start))',
      '  .short 0, 0',
      '  .long 8',
      'header_end:',
      '.text',
      '.globl _start',
      '_start:',
      '  hlt',
      '  jmp _start',
      '',
    ].join('\n'),
  );
  writeFileSync(script, 'ENTRY(_start)\nSECTIONS {\n  . = 0x100000;\n  .boot : { *(.multiboot2) }\n  .text : { *(.text) }\n}\n');
  for (const [tool, args] of [
    ['as', ['--32', '-o', object, source]],
    ['ld', ['-m', 'elf_i386', '-T', script, '-o', output, object]],
  ] as const) {
    const result = spawnSync(tool, args, { encoding: 'utf8' });
    expect(result.status, `${tool}: ${result.stderr}`).toBe(0);
  }
  return new Uint8Array(readFileSync(output));
}

/** What the rows are made from: the real kernel, a scratch directory, two facts readelf gives. */
interface RowContext {
  readonly real: RealKernelRows;
  readonly directory: string;
  /** The index of the real kernel's .comment section. */
  readonly commentIndex: number;
  /** A file length 16 bytes into the file data of its last file-backed PT_LOAD. */
  readonly truncatedAt: number;
}

/** The real kernel's first tag: a framebuffer tag (20 bytes, padded to 24), optional. */
const FRAMEBUFFER_TAG = multiboot2Tag(5, 1, u32s(0, 0, 0));

const ROWS: readonly Row[] = [
  { name: 'intact', what: 'the real kernel as built', make: (c) => c.real.copy(), grubFile: true, grub: null },
  {
    name: 'higher-half',
    what: 'a higher-half copy: every PT_LOAD p_vaddr and e_entry moved up, p_paddr unchanged',
    make: (c) => {
      const bytes = c.real.copy();
      for (const header of c.real.programHeaders(bytes).filter((candidate) => candidate.type === 1)) {
        setU64(bytes, header.at + 16, getU64(bytes, header.at + 16) + HIGHER_HALF);
      }
      setU64(bytes, 24, getU64(bytes, 24) + HIGHER_HALF);
      return bytes;
    },
    grubFile: true,
    grub: null,
  },
  {
    name: 'stray-magic',
    what: 'a stray magic (fields 0, no checksum) 16 bytes before the header',
    make: (c) => {
      const bytes = c.real.copy();
      setU32(bytes, c.real.header - 16, MULTIBOOT2_MAGIC);
      return bytes;
    },
    grubFile: true,
    grub: null,
  },
  {
    name: 'mips-first',
    what: 'a whole MIPS (architecture 4) header before the i386 one',
    make: (c) => {
      const bytes = c.real.copy();
      bytes.set(multiboot2Header({ architecture: 4 }), c.real.header - 32);
      return bytes;
    },
    grubFile: true,
    grub: null,
  },
  {
    name: 'mips-only',
    what: 'the header made MIPS (architecture 4, checksum fixed)',
    make: (c) => {
      const bytes = c.real.copy();
      const length = getU32(bytes, c.real.header + 8);
      setU32(bytes, c.real.header + 4, 4);
      setU32(bytes, c.real.header + 12, multiboot2Checksum(4, length));
      return bytes;
    },
    // grub-file does not look at the architecture; the loader does.
    grubFile: true,
    grub: 'no multiboot header found',
  },
  {
    name: 'bad-checksum',
    what: 'the header checksum off by one',
    make: (c) => {
      const bytes = c.real.copy();
      setU32(bytes, c.real.header + 12, getU32(bytes, c.real.header + 12) + 1);
      return bytes;
    },
    grubFile: false,
    grub: 'no multiboot header found',
  },
  {
    name: 'header-length',
    what: 'header_length 8 bytes longer than the tags (checksum fixed)',
    make: (c) => c.real.withHeaderLength(getU32(c.real.bytes, c.real.header + 8) + 8),
    grubFile: true,
    grub: null,
  },
  {
    name: 'tag8-required',
    what: 'the framebuffer tag made an EFI i386 entry address tag (type 8), not optional',
    make: (c) => c.real.withTags(concat(multiboot2Tag(8, 0, u32s(0x100000, 0, 0, 0)), MULTIBOOT2_END_TAG)),
    grubFile: true,
    grub: 'unsupported tag: 0x8',
    quoted: true,
  },
  {
    name: 'tag8-optional',
    what: 'the same EFI i386 entry address tag, optional',
    make: (c) => c.real.withTags(concat(multiboot2Tag(8, 1, u32s(0x100000, 0, 0, 0)), MULTIBOOT2_END_TAG)),
    grubFile: true,
    grub: null,
  },
  {
    name: 'unknown-tag',
    what: 'the framebuffer tag made type 11, unknown, not optional',
    make: (c) => c.real.withTags(concat(multiboot2Tag(11, 0, u32s(0, 0, 0, 0)), MULTIBOOT2_END_TAG)),
    grubFile: true,
    grub: 'unsupported tag: 0xb',
    quoted: true,
  },
  {
    name: 'request-smbios',
    what: 'an information request for type 13 (SMBIOS), not optional',
    make: (c) => c.real.withTags(concat(multiboot2Tag(1, 0, u32s(6, 13, 0, 0)), MULTIBOOT2_END_TAG)),
    grubFile: true,
    grub: 'unsupported information tag: 0xd',
    quoted: true,
  },
  {
    name: 'request-mmap',
    what: 'an information request for the memory map (6), not optional',
    make: (c) => c.real.withTags(concat(multiboot2Tag(1, 0, u32s(6, 6, 0, 0)), MULTIBOOT2_END_TAG)),
    grubFile: true,
    grub: null,
  },
  {
    name: 'address-no-entry',
    what: 'an address tag and no entry address tag',
    make: (c) => c.real.withTags(concat(multiboot2Tag(2, 0, u32s(0x100000, 0x100000, 0, 0)), MULTIBOOT2_END_TAG)),
    grubFile: true,
    grub: 'load address tag without entry address tag',
    quoted: true,
  },
  {
    name: 'console-required',
    what: 'a console flags tag requiring a console, no EGA text, no framebuffer tag',
    make: (c) => c.real.withTags(concat(multiboot2Tag(4, 0, u32s(1, 0, 0, 0)), MULTIBOOT2_END_TAG)),
    grubFile: true,
    grub: 'OS requires a console but none is available',
    quoted: true,
  },
  {
    name: 'end-tag-flags',
    what: 'the end tag with flags 1 (the specification says 0)',
    make: (c) => c.real.withTags(concat(FRAMEBUFFER_TAG, multiboot2Tag(0, 1))),
    grubFile: true,
    grub: null,
  },
  {
    name: 'entry-outside',
    what: 'e_entry moved past every program header',
    make: (c) => {
      const bytes = c.real.copy();
      setU64(bytes, 24, 0x7000_0000n);
      return bytes;
    },
    grubFile: true,
    grub: "entry point isn't in a segment",
    quoted: true,
  },
  {
    name: 'crosses-4gib',
    what: 'the last PT_LOAD (.bss) moved to p_paddr 0xffff0000, ending past 4 GiB',
    make: (c) => {
      const bytes = c.real.copy();
      const loads = c.real.programHeaders(bytes).filter((header) => header.type === 1);
      setU64(bytes, loads.at(-1)!.at + 24, 0xffff_0000n);
      return bytes;
    },
    grubFile: true,
    grub: 'segment crosses 4 GiB border',
    quoted: true,
  },
  {
    name: 'relocations',
    what: 'the .comment section made SHT_RELA',
    make: (c) => {
      const bytes = c.real.copy();
      const table = Number(getU64(bytes, 40)) + c.commentIndex * getU16(bytes, 58);
      setU32(bytes, table + 4, 4);
      return bytes;
    },
    grubFile: true,
    grub: 'ELF files with relocs are not supported yet',
    quoted: true,
  },
  {
    name: 'truncated',
    what: 'the file cut inside the last file-backed PT_LOAD',
    make: (c) => c.real.bytes.slice(0, c.truncatedAt),
    grubFile: true,
    grub: 'premature end of file /k/truncated',
  },
  {
    name: 'bad-e-version',
    what: 'e_version 0 (EV_NONE)',
    make: (c) => {
      const bytes = c.real.copy();
      setU32(bytes, 20, 0);
      return bytes;
    },
    grubFile: true,
    grub: 'invalid arch-dependent ELF magic',
    quoted: true,
  },
  {
    name: 'elf64-em386',
    what: 'an ELF64 file with e_machine EM_386',
    make: (c) => {
      const bytes = c.real.copy();
      setU16(bytes, 18, 3);
      return bytes;
    },
    grubFile: true,
    grub: 'invalid arch-dependent ELF magic',
  },
  {
    name: 'phdrs-past-32k',
    what: 'the program header table copied to the end of the file, past 32 KiB, and e_phoff pointing there',
    make: (c) => {
      const table = c.real.bytes.slice(64, 64 + getU16(c.real.bytes, 56) * getU16(c.real.bytes, 54));
      const at = Math.ceil(c.real.bytes.length / 8) * 8;
      const bytes = new Uint8Array(at + table.length);
      bytes.set(c.real.bytes);
      bytes.set(table, at);
      setU64(bytes, 32, BigInt(at));
      return bytes;
    },
    grubFile: true,
    grub: 'program header at a too high offset',
    quoted: true,
  },
  {
    name: 'sections-cut',
    what: 'the file cut inside the section header table, every segment whole',
    make: (c) => c.real.bytes.slice(0, Number(getU64(c.real.bytes, 40)) + 10),
    grubFile: true,
    grub: 'premature end of file /k/sections-cut',
    quote: 'premature end of file',
  },
  {
    name: 'et-dyn',
    what: 'e_type ET_DYN, no relocation sections',
    make: (c) => {
      const bytes = c.real.copy();
      setU16(bytes, 16, 3);
      return bytes;
    },
    grubFile: true,
    grub: null,
  },
  {
    name: 'et-rel',
    what: 'e_type ET_REL',
    make: (c) => {
      const bytes = c.real.copy();
      setU16(bytes, 16, 1);
      return bytes;
    },
    grubFile: true,
    grub: 'this ELF file is not of the right type',
    quoted: true,
  },
  {
    name: 'tiny-low',
    what: 'a tiny ELF64 loaded at 0x10000, below 1 MiB',
    make: () => tinyKernel(0x10000n),
    grubFile: true,
    grub: null,
  },
  {
    name: 'tiny-to-4gib',
    what: 'a tiny ELF64 whose segment ends exactly at 4 GiB',
    make: () => tinyKernel(0xffff_f000n, multiboot2Header(), 0x1000n),
    grubFile: true,
    grub: 'segment crosses 4 GiB border',
    quoted: true,
  },
  {
    name: 'tiny-short-tag',
    what: 'a tiny ELF64 with a module alignment tag of size 4',
    make: () => tinyKernel(0x100000n, multiboot2Header({ tags: concat(multiboot2Tag(6, 0, new Uint8Array(0), 4), MULTIBOOT2_END_TAG) })),
    grubFile: true,
    grub: null,
  },
  { name: 'elf32', what: 'an ELF32 (EM_386) kernel from as and ld', make: (c) => elf32Kernel(c.directory), grubFile: true, grub: null },
  {
    name: 'aout-flat',
    what: 'a flat binary (no ELF) loaded by its address tag at 1 MiB',
    make: () => flatKernel(),
    grubFile: true,
    grub: null,
  },
  {
    name: 'aout-elf-past-4gib',
    what: 'an ELF whose segment crosses 4 GiB, loaded by its address tag at 1 MiB',
    make: () =>
      buildElf({
        entry: 0xffff_f000n,
        segments: [{ flags: PF_R | PF_X, vaddr: 0xffff_f000n, memsz: 0x2000n, data: concat(addressTaggedKernel({ address: AT_1MIB, entryAddr: 0x100000 + 64 })) }],
      }).bytes,
    grubFile: true,
    grub: null,
  },
  {
    name: 'aout-seek-outside',
    what: 'an address tag whose load would start 256 bytes before the file',
    make: () => flatKernel({ headerAddr: 0x100100 }),
    grubFile: true,
    grub: 'attempt to seek outside of the file',
    quoted: true,
  },
  {
    name: 'aout-low',
    what: 'a flat binary loaded by its address tag at 0x10000, below 1 MiB',
    make: () => flatKernel({ headerAddr: 0x10000, loadAddr: 0x10000 }, 0x10000 + 64),
    grubFile: true,
    grub: null,
  },
  {
    name: 'aout-past-4gib',
    what: 'a flat binary loaded by its address tag at 0xfffffff0, reaching past 4 GiB',
    make: () => flatKernel({ headerAddr: 0xffff_fff0, loadAddr: 0xffff_fff0 }, 0xffff_fff0),
    grubFile: true,
    grub: 'address is out of range',
    quoted: true,
  },
  {
    name: 'aout-end-below',
    what: 'an address tag whose load_end_addr is below its load_addr',
    make: () => flatKernel({ loadEndAddr: 0xffff0 }),
    grubFile: true,
    grub: 'address is out of range',
    quoted: true,
  },
];

/** §3.1.5: load the file from its start at 1 MiB, no bss. */
const AT_1MIB = { headerAddr: 0x100000, loadAddr: 0x100000, loadEndAddr: 0, bssEndAddr: 0 };

/** A flat kernel (header, address and entry tags, `jmp .`) loaded by its address tag, by default whole at 1 MiB. */
function flatKernel(address: Partial<typeof AT_1MIB> = {}, entryAddr = 0x100000 + 64): Uint8Array {
  return addressTaggedKernel({ address: { ...AT_1MIB, ...address }, entryAddr });
}

/** Serial output without terminal escapes and carriage returns. */
function plain(output: string): string {
  // eslint-disable-next-line no-control-regex
  return output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/** A row's file: its name on the ISO and its bytes. */
interface RowFile {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** A BIOS GRUB ISO with `files` under /k and this grub.cfg; its path. */
function grubIso(directory: string, files: readonly RowFile[], config: readonly string[]): string {
  const root = join(directory, 'iso');
  mkdirSync(join(root, 'boot', 'grub'), { recursive: true });
  mkdirSync(join(root, 'k'), { recursive: true });
  for (const row of files) writeFileSync(join(root, 'k', row.name), row.bytes);
  writeFileSync(join(root, 'boot', 'grub', 'grub.cfg'), [...config, ''].join('\n'));
  const iso = join(directory, 'grub.iso');
  const result = spawnSync('grub-mkrescue', ['-d', GRUB_PC_MODULES, '-o', iso, root], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return iso;
}

const SERIAL_CONSOLE = ['serial --unit=0 --speed=115200', 'terminal_input serial', 'terminal_output serial'];

/** What GRUB printed between each row's markers. */
function loadEveryRow(rows: readonly RowFile[]): Map<string, string[]> {
  const config = [...SERIAL_CONSOLE];
  for (const row of rows) config.push(`echo "ROW ${row.name} BEGIN"`, `multiboot2 /k/${row.name}`, `echo "ROW ${row.name} END"`);
  config.push('echo "ALL ROWS DONE"', 'halt');
  const iso = grubIso(temporaryDirectory('grub-differential-'), rows, config);
  const qemu = spawnSync(QEMU.binary, [...qemuCommonArgs(findPreset('baseline')!), '-cdrom', iso], { encoding: 'utf8', timeout: QEMU_TIMEOUT });
  if (qemu.error) throw qemu.error;
  const output = plain(qemu.stdout);
  expect(output, output).toContain('ALL ROWS DONE');
  const printed = new Map<string, string[]>();
  for (const row of rows) {
    const match = new RegExp(`^ROW ${row.name} BEGIN\\n([\\s\\S]*?)^ROW ${row.name} END$`, 'm').exec(output);
    expect(match, `row ${row.name} in:\n${output}`).not.toBeNull();
    printed.set(row.name, match![1]!.split('\n').filter((line) => line.trim() !== ''));
  }
  return printed;
}

/** Boots one row through GRUB: QEMU's status and the serial output. */
function bootRow(row: RowFile): { status: number | null; output: string } {
  const iso = grubIso(temporaryDirectory('grub-boot-'), [row], [...SERIAL_CONSOLE, `multiboot2 /k/${row.name} ${KERNEL_COMMAND_LINE.exitAfterBoot}`, 'boot']);
  const qemu = spawnSync(QEMU.binary, [...qemuCommonArgs(findPreset('baseline')!), '-cdrom', iso], { encoding: 'utf8', timeout: QEMU_TIMEOUT });
  if (qemu.error) throw qemu.error;
  return { status: qemu.status, output: plain(qemu.stdout) };
}

/** A row's verdicts, for its test's name. */
function verdicts(row: Row): string {
  const grub = row.grub === null ? 'GRUB loads it' : `GRUB refuses it ("${row.grub}")`;
  return `grub-file ${row.grubFile ? 'finds a header' : 'finds no header'}, ${grub}, check ${row.grub === null ? 'passes' : 'fails'} it`;
}

describe.skipIf(missing.length > 0)(
  `check agrees with GRUB 2.06 on mutated multiboot2 kernels (grub-file, GRUB in QEMU)${missing.length > 0 ? `: skipped, missing ${missing.join(', ')}` : ''}`,
  () => {
    const files = new Map<string, Uint8Array>();
    let loaded = new Map<string, string[]>();

    beforeAll(() => {
      const kernel = buildRealKernel('grub-diff-os', { profiles: ['release'] });
      const path = kernel.elf('release');
      const comment = readelfSections(path).find((section) => section.name === '.comment');
      expect(comment, 'the real kernel has a .comment section').toBeDefined();
      // A plain Uint8Array: a Buffer's slice() is a view, not the copy each row needs.
      const real = new RealKernelRows(new Uint8Array(readFileSync(path)));
      const withData = real.programHeaders(real.bytes).filter((header) => header.type === 1 && getU64(real.bytes, header.at + 32) > 16n);
      const context: RowContext = {
        real,
        directory: temporaryDirectory('grub-rows-'),
        commentIndex: comment!.index,
        truncatedAt: Number(getU64(real.bytes, withData.at(-1)!.at + 8)) + 16,
      };
      for (const row of ROWS) files.set(row.name, row.make(context));
      loaded = loadEveryRow(ROWS.map((row) => ({ name: row.name, bytes: files.get(row.name)! })));
    }, COLD_BUILD_TIMEOUT);

    for (const row of ROWS) {
      it(`${row.name}, ${row.what}: ${verdicts(row)}`, () => {
        const bytes = files.get(row.name)!;
        const findings = checkKernelImage(bytes);
        const report = findings.map(formatFinding).join('\n');
        // The loader's verdict, from GRUB's own output.
        expect(loaded.get(row.name), report).toEqual(row.grub === null ? [] : [`error: ${row.grub}.`]);
        // grub-file's, which only finds the header.
        const file = join(temporaryDirectory('grub-file-'), row.name);
        writeFileSync(file, bytes);
        expect(spawnSync('grub-file', ['--is-x86-multiboot2', file]).status === 0, 'grub-file').toBe(row.grubFile);
        // Ours.
        expect(hasErrors(findings), report).toBe(row.grub !== null);
        const quote = row.quote ?? (row.quoted ? row.grub : undefined);
        if (quote !== undefined) expect(findings.some((finding) => finding.level === 'error' && finding.message.includes(`("${quote}")`)), report).toBe(true);
      });
    }

    for (const name of ['intact', 'higher-half', 'et-dyn']) {
      it(`${name}: GRUB boots it to the kernel's boot summary`, () => {
        const { status, output } = bootRow({ name, bytes: files.get(name)! });
        expect(output).toMatch(/^\[kernel\] boot complete$/m);
        expect(status, output).toBe(debugExitStatus(DEBUG_EXIT.successValue));
      }, QEMU_TIMEOUT + 10_000);
    }
  },
);
