/**
 * Helpers for the `check` tests: an in-memory Io, a tiny ELF64 builder for synthetic kernels,
 * byte patching, and real kernels generated and built like the end-to-end tests build them.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TARGET } from '@baremetal-kernel/target';
import { generateKernel, resolveConfig } from '@baremetal-kernel/generators';
import type { Io } from '../src/io.js';
import { runCheck } from '../src/commands/check.js';

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
// Real kernels: generated and built exactly as packages/generators/test/e2e/support.ts does
// ---------------------------------------------------------------------------------------------

/** The cargo target directory the multiboot2 end-to-end tests use: its `core` is already compiled. */
export const REAL_KERNEL_TARGET_DIR = join(tmpdir(), 'baremetal-kernel-test-cache', 'e2e-multiboot2-system-baseline');

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

/** Generates a multiboot2 kernel (system toolchain) and builds its debug and release ELFs. */
export function buildRealKernel(name: string): RealKernel {
  const config = resolveConfig({ name, toolchain: 'system' });
  const directory = join(temporaryDirectory('check-kernel-'), config.name);
  generateKernel(config, { directory });
  const targetDirectory = REAL_KERNEL_TARGET_DIR;
  mkdirSync(targetDirectory, { recursive: true });
  for (const args of [['build'], ['build', '--release']]) {
    const result = spawnSync('cargo', args, {
      cwd: directory,
      env: rustEnvironment(targetDirectory),
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000,
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
