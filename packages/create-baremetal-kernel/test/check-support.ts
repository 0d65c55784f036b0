/**
 * Helpers for the `check` tests: an in-memory Io, a tiny ELF64 builder for synthetic kernels,
 * byte patching, and real kernels generated and built like the end-to-end tests build them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TARGET, type BootProtocolName } from '@baremetal-kernel/target';
import { compileTemplates, generateKernel, loadTemplates, resolveConfig } from '@baremetal-kernel/generators';
import type { Io } from '../src/io.js';
import { runCheck } from '../src/commands/check.js';
import { TEST_CACHE_ROOT } from '../../../tools/vitest/test-cache.js';

// ---------------------------------------------------------------------------------------------
// Running the command in memory
// ---------------------------------------------------------------------------------------------

export interface CheckRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout split into lines, without the trailing empty one. */
  readonly lines: readonly string[];
}

export function memoryIo(cwd: string, env: NodeJS.ProcessEnv = {}): Io & { readonly out: string[]; readonly err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { stdout: (text) => out.push(text), stderr: (text) => err.push(text), cwd, env, interactive: false, out, err };
}

export function check(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CheckRun {
  const io = memoryIo(options.cwd ?? tmpdir(), options.env ?? {});
  const status = runCheck(args, io);
  const stdout = io.out.join('');
  return { status, stdout, stderr: io.err.join(''), lines: stdout.split('\n').filter((line) => line !== '') };
}

/** A fresh temporary directory. */
export function temporaryDirectory(prefix = 'check-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes bytes to a file in a fresh temporary directory and returns its path. */
export function writeTemporary(name: string, bytes: Uint8Array): string {
  const path = join(temporaryDirectory(), name);
  writeFileSync(path, bytes);
  return path;
}

// ---------------------------------------------------------------------------------------------
// Byte patching
// ---------------------------------------------------------------------------------------------

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const getU16 = (bytes: Uint8Array, offset: number): number => view(bytes).getUint16(offset, true);
export const getU32 = (bytes: Uint8Array, offset: number): number => view(bytes).getUint32(offset, true);
export const getU64 = (bytes: Uint8Array, offset: number): bigint => view(bytes).getBigUint64(offset, true);
export const setU16 = (bytes: Uint8Array, offset: number, value: number): void => view(bytes).setUint16(offset, value, true);
export const setU32 = (bytes: Uint8Array, offset: number, value: number): void => view(bytes).setUint32(offset, value >>> 0, true);
export const setU64 = (bytes: Uint8Array, offset: number, value: bigint): void => view(bytes).setBigUint64(offset, value, true);

/** Little-endian bytes of 64-bit words (the layout of Limine IDs, tags and markers in memory). */
export function wordBytes(...words: readonly (bigint | string)[]): Uint8Array {
  const bytes = new Uint8Array(words.length * 8);
  words.forEach((word, index) => setU64(bytes, index * 8, BigInt(word)));
  return bytes;
}

export function concat(...parts: readonly Uint8Array[]): Uint8Array {
  const bytes = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

// ---------------------------------------------------------------------------------------------
// A minimal ELF64 builder (ELF-64 Object File Format 1.5, §3 and §7)
// ---------------------------------------------------------------------------------------------

import { ET_EXEC, PT_LOAD } from '../src/check/elf.js';
export { ET_DYN, ET_EXEC, PF_R, PF_W, PF_X, PT_DYNAMIC, PT_LOAD, PT_NOTE } from '../src/check/elf.js';

export interface SegmentSpec {
  readonly type?: number;
  readonly flags: number;
  readonly vaddr: bigint;
  /** File-backed contents (p_filesz = its length). */
  readonly data?: Uint8Array;
  /** p_memsz; defaults to the data's length. */
  readonly memsz?: bigint;
  readonly align?: bigint;
}

export interface ElfSpec {
  readonly type?: number;
  readonly machine?: number;
  readonly entry: bigint;
  readonly segments: readonly SegmentSpec[];
}

export interface BuiltElf {
  readonly bytes: Uint8Array;
  /** The file offset of each segment's data, in the order given. */
  readonly dataOffsets: readonly number[];
}

const HEADER_SIZE = 64;
const PROGRAM_HEADER_SIZE = 56;
const PAGE = 0x1000;

/** An ELF64 executable: header, program headers, then each segment's data at a page-congruent offset. */
export function buildElf(spec: ElfSpec): BuiltElf {
  const tableEnd = HEADER_SIZE + spec.segments.length * PROGRAM_HEADER_SIZE;
  const dataOffsets: number[] = [];
  let cursor = tableEnd;
  for (const segment of spec.segments) {
    const congruent = Number(segment.vaddr % BigInt(PAGE));
    let offset = Math.floor(cursor / PAGE) * PAGE + congruent;
    if (offset < cursor) offset += PAGE;
    dataOffsets.push(offset);
    cursor = offset + (segment.data?.length ?? 0);
  }
  const bytes = new Uint8Array(cursor);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0); // magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT
  setU16(bytes, 16, spec.type ?? ET_EXEC);
  setU16(bytes, 18, spec.machine ?? 62);
  setU32(bytes, 20, 1);
  setU64(bytes, 24, spec.entry);
  setU64(bytes, 32, BigInt(HEADER_SIZE)); // e_phoff
  setU16(bytes, 52, HEADER_SIZE); // e_ehsize
  setU16(bytes, 54, PROGRAM_HEADER_SIZE);
  setU16(bytes, 56, spec.segments.length);
  spec.segments.forEach((segment, index) => {
    const at = HEADER_SIZE + index * PROGRAM_HEADER_SIZE;
    const size = BigInt(segment.data?.length ?? 0);
    setU32(bytes, at, segment.type ?? PT_LOAD);
    setU32(bytes, at + 4, segment.flags);
    setU64(bytes, at + 8, BigInt(dataOffsets[index]!));
    setU64(bytes, at + 16, segment.vaddr);
    setU64(bytes, at + 24, segment.vaddr);
    setU64(bytes, at + 32, size);
    setU64(bytes, at + 40, segment.memsz ?? size);
    setU64(bytes, at + 48, segment.align ?? BigInt(PAGE));
    if (segment.data) bytes.set(segment.data, dataOffsets[index]!);
  });
  return { bytes, dataOffsets };
}

/** The file offset of program header `index` (in a builder- or linker-made ELF: e_phoff = 64). */
export function programHeaderOffset(bytes: Uint8Array, index: number): number {
  return Number(getU64(bytes, 32)) + index * getU16(bytes, 54);
}

// ---------------------------------------------------------------------------------------------
// Multiboot2 headers (Multiboot2 specification 2.0, §3.1.1-§3.1.3) and ELF notes (gABI)
// ---------------------------------------------------------------------------------------------

/** §3.1.2: the header magic, written out here rather than taken from the model under test. */
export const MULTIBOOT2_MAGIC = 0xe85250d6;

/** §3.1.3: u16 type, u16 flags, u32 size (default 8 + the payload), the payload, zero-padded to 8 bytes. */
export function multiboot2Tag(type: number, flags = 0, payload: Uint8Array = new Uint8Array(0), size = 8 + payload.length): Uint8Array {
  const tag = new Uint8Array(Math.ceil((8 + payload.length) / 8) * 8);
  setU16(tag, 0, type);
  setU16(tag, 2, flags);
  setU32(tag, 4, size);
  tag.set(payload, 8);
  return tag;
}

/** §3.1.3: the end tag (type 0, flags 0, size 8). */
export const MULTIBOOT2_END_TAG = multiboot2Tag(0);

/** §3.1.2: the checksum that makes magic + architecture + header_length + checksum 0 mod 2^32. */
export function multiboot2Checksum(architecture: number, headerLength: number): number {
  return (2 ** 32 - ((MULTIBOOT2_MAGIC + architecture + headerLength) % 2 ** 32)) % 2 ** 32;
}

export interface Multiboot2HeaderSpec {
  /** Default 0 (i386). */
  readonly architecture?: number;
  /** Default: the 16 fixed bytes plus the tags. */
  readonly headerLength?: number;
  /** Default: the correct one for the fields. */
  readonly checksum?: number;
  /** Default: only the end tag. */
  readonly tags?: Uint8Array;
}

/** §3.1.1-§3.1.3: magic, architecture, header_length, checksum, then the tags. */
export function multiboot2Header(spec: Multiboot2HeaderSpec = {}): Uint8Array {
  const tags = spec.tags ?? MULTIBOOT2_END_TAG;
  const architecture = spec.architecture ?? 0;
  const headerLength = spec.headerLength ?? 16 + tags.length;
  const header = new Uint8Array(16 + tags.length);
  setU32(header, 0, MULTIBOOT2_MAGIC);
  setU32(header, 4, architecture);
  setU32(header, 8, headerLength);
  setU32(header, 12, spec.checksum ?? multiboot2Checksum(architecture, headerLength));
  header.set(tags, 16);
  return header;
}

/** `size` zero bytes with `part` at `offset` (cut off where the file ends). */
export function placeAt(part: Uint8Array, offset: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  bytes.set(part.subarray(0, Math.max(0, size - offset)), offset);
  return bytes;
}

/** gABI: u32 namesz (with the NUL), u32 descsz, u32 type, the name and the descriptor, each padded to `alignment`. */
export function elfNote(name: string, type: number, descriptor: Uint8Array, alignment = 4): Uint8Array {
  const pad = (length: number): number => Math.ceil(length / alignment) * alignment;
  const nameBytes = new TextEncoder().encode(`${name}\0`);
  const note = new Uint8Array(pad(12 + nameBytes.length) + pad(descriptor.length));
  setU32(note, 0, nameBytes.length);
  setU32(note, 4, descriptor.length);
  setU32(note, 8, type);
  note.set(nameBytes, 12);
  note.set(descriptor, pad(12 + nameBytes.length));
  return note;
}

// ---------------------------------------------------------------------------------------------
// Real kernels: generated and built exactly as packages/generators/test/e2e/support.ts does
// ---------------------------------------------------------------------------------------------

/** A cached cargo target directory, created if missing; one per configuration (`key`). */
export function testCacheDirectory(key: string): string {
  const directory = join(TEST_CACHE_ROOT, key);
  mkdirSync(directory, { recursive: true });
  return directory;
}

/**
 * The cargo target directory of the multiboot2 end-to-end tests (same configuration), shared so
 * that a whole run compiles `core` once. Nothing relies on it being warm: {@link buildRealKernel}
 * builds whatever is missing, within {@link COLD_BUILD_TIMEOUT}.
 */
export const REAL_KERNEL_TARGET_DIR = join(TEST_CACHE_ROOT, 'e2e-multiboot2-system-baseline');

/**
 * A budget for building a kernel from a cold cache, `core`, `alloc` and `compiler_builtins`
 * included, in debug and release: 60 s and 70 s of CPU time (rustc 1.96, measured), so one or
 * two minutes of wall time on two idle cores, with room for a busy machine.
 */
export const COLD_BUILD_TIMEOUT = 600_000;

/** Debian's toolchain first in PATH; no stray flags. */
function rustEnvironment(targetDirectory: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}`, CARGO_TERM_COLOR: 'never' };
  delete env.RUSTFLAGS;
  delete env.RUSTC_BOOTSTRAP;
  return { ...env, CARGO_TARGET_DIR: targetDirectory };
}

export interface RealKernel {
  readonly directory: string;
  readonly name: string;
  readonly targetDirectory: string;
  readonly elf: (profile: 'debug' | 'release') => string;
}

export interface RealKernelOptions {
  /** multiboot2 unless given. */
  readonly boot?: BootProtocolName;
  /** Both unless given. */
  readonly profiles?: readonly ('debug' | 'release')[];
  /** {@link REAL_KERNEL_TARGET_DIR} unless given. */
  readonly targetDirectory?: string;
}

/**
 * Generates a kernel (system toolchain, baseline preset) and builds its ELFs, compiling whatever
 * the target directory lacks (from a cold cache, the standard library too).
 */
export function buildRealKernel(name: string, options: RealKernelOptions = {}): RealKernel {
  const config = resolveConfig({ name, toolchain: 'system', boot: options.boot ?? 'multiboot2' });
  const directory = join(temporaryDirectory('check-kernel-'), config.name);
  generateKernel(config, { directory, templates: compileTemplates(loadTemplates()) });
  const targetDirectory = options.targetDirectory ?? REAL_KERNEL_TARGET_DIR;
  mkdirSync(targetDirectory, { recursive: true });
  for (const profile of options.profiles ?? ['debug', 'release']) {
    const args = profile === 'debug' ? ['build'] : ['build', '--release'];
    const result = spawnSync('cargo', args, {
      cwd: directory,
      env: rustEnvironment(targetDirectory),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: COLD_BUILD_TIMEOUT,
    });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`cargo ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
  }
  return { directory, name, targetDirectory, elf: (profile) => join(targetDirectory, TARGET.triple, profile, name) };
}

/** What readelf (binutils) says about an ELF, to compare our reading with an independent one. */
export interface ReadelfProgramHeader {
  readonly index: number;
  readonly type: string;
  readonly offset: bigint;
  readonly vaddr: bigint;
  readonly filesz: bigint;
  readonly memsz: bigint;
  /** `r-x` style. */
  readonly permissions: string;
}

export interface ReadelfFacts {
  readonly entry: bigint;
  readonly programHeaders: readonly ReadelfProgramHeader[];
  /** The PVH note's descriptor, as readelf dumps it. */
  readonly pvhEntry: bigint | undefined;
}

export function readelfFacts(path: string): ReadelfFacts {
  const result = spawnSync('readelf', ['--file-header', '--program-headers', '--notes', '--wide', path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`readelf failed: ${result.stderr}`);
  const output = result.stdout;
  const entry = BigInt(/Entry point address:\s+(0x[0-9a-f]+)/.exec(output)![1]!);
  const table = output.slice(output.indexOf('Program Headers:'), output.indexOf('Section to Segment mapping'));
  const programHeaders = [
    ...table.matchAll(/^\s+([A-Z_]+)\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+0x[0-9a-f]+\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)\s+([RWE ]+?)\s+(?:0x[0-9a-f]+|0)$/gm),
  ].map((match, index) => {
    const flags = match[6]!;
    return {
      index,
      type: match[1]!,
      offset: BigInt(match[2]!),
      vaddr: BigInt(match[3]!),
      filesz: BigInt(match[4]!),
      memsz: BigInt(match[5]!),
      permissions: `${flags.includes('R') ? 'r' : '-'}${flags.includes('W') ? 'w' : '-'}${flags.includes('E') ? 'x' : '-'}`,
    };
  });
  const description = /Xen\s+0x0*8\s[\s\S]*?description data: ((?:[0-9a-f]{2} ?){8})/.exec(output);
  const pvhEntry =
    description === null
      ? undefined
      : BigInt(`0x${description[1]!.trim().split(' ').reverse().join('')}`);
  return { entry, programHeaders, pvhEntry };
}
