/**
 * Real kernels for the checker's end-to-end tests (and the CLI's): generated and built exactly as
 * packages/generators/test/e2e/support.ts does; and what readelf (binutils) says about an ELF, the
 * independent oracle our reading is compared with.
 *
 * Generating needs @baremetal-kernel/generators, which is above this package and depends on it
 * (a devDependency, for its own end-to-end tests): so it is no dependency of this package, only
 * of its slow tests, and package.json's nx test-slow target builds it first by name.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TARGET, type BootProtocolName } from '@baremetal-kernel/target';
import { compileTemplates, generateKernel, loadTemplates, resolveConfig } from '@baremetal-kernel/generators';
import { TEST_CACHE_ROOT } from '../../../../tools/vitest/test-cache.js';
import type { ElfSymbol } from '../../src/sections.js';

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
  /** The section header table: e_shoff, e_shnum, e_shentsize. */
  readonly sectionHeaders: { readonly offset: bigint; readonly count: number; readonly entrySize: number };
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
  const headerField = (label: string): string => new RegExp(`${label}:\\s+(\\d+)`).exec(output)![1]!;
  const sectionHeaders = {
    offset: BigInt(headerField('Start of section headers')),
    count: Number(headerField('Number of section headers')),
    entrySize: Number(headerField('Size of section headers')),
  };
  return { entry, programHeaders, pvhEntry, sectionHeaders };
}

/** §4 sh_type by the names readelf prints. */
const SECTION_TYPES: Readonly<Record<string, number>> = { NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, HASH: 5, DYNAMIC: 6, NOTE: 7, NOBITS: 8, REL: 9, DYNSYM: 11 };
/** §4 sh_flags by readelf's letters (its "Key to Flags"). */
const SECTION_FLAGS: Readonly<Record<string, bigint>> = {
  W: 0x1n,
  A: 0x2n,
  X: 0x4n,
  M: 0x10n,
  S: 0x20n,
  I: 0x40n,
  L: 0x80n,
  O: 0x100n,
  G: 0x200n,
  T: 0x400n,
  C: 0x800n,
  /** SHF_GNU_RETAIN (GNU ABI): `#[used]` sections the linker must keep, such as the multiboot2 header. */
  R: 0x200000n,
  /** SHF_X86_64_LARGE (x86-64 psABI). */
  l: 0x10000000n,
  E: 0x80000000n,
};

export interface ReadelfSection {
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly addr: bigint;
  readonly offset: bigint;
  readonly size: bigint;
  readonly entsize: bigint;
  readonly flags: bigint;
  readonly link: number;
  readonly info: number;
  readonly addralign: bigint;
}

/** `readelf --section-headers --wide`: every section header, as readelf decodes it. */
export function readelfSections(path: string): ReadelfSection[] {
  const result = spawnSync('readelf', ['--section-headers', '--wide', path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`readelf failed: ${result.stderr}`);
  const row = /^\s*\[\s*(\d+)\] (\S*)\s+(\S+)\s+([0-9a-f]{16}) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) ([A-Za-z ]*?)\s+(\d+)\s+(\d+)\s+(\d+)$/gm;
  return [...result.stdout.matchAll(row)].map((match) => {
    const type = SECTION_TYPES[match[3]!];
    if (type === undefined) throw new Error(`readelf section type ${match[3]} is not in SECTION_TYPES`);
    return {
      index: Number(match[1]),
      name: match[2]!,
      type,
      addr: BigInt(`0x${match[4]}`),
      offset: BigInt(`0x${match[5]}`),
      size: BigInt(`0x${match[6]}`),
      entsize: BigInt(`0x${match[7]}`),
      flags: [...match[8]!.replace(/ /g, '')].reduce((flags, letter) => {
        const flag = SECTION_FLAGS[letter];
        if (flag === undefined) throw new Error(`readelf section flag ${letter} is not in SECTION_FLAGS`);
        return flags | flag;
      }, 0n),
      link: Number(match[9]),
      info: Number(match[10]),
      addralign: BigInt(match[11]!),
    };
  });
}

/** §6 st_info's type and binding by the names readelf prints. */
const SYMBOL_TYPES: Readonly<Record<string, number>> = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4, COMMON: 5, TLS: 6 };
const SYMBOL_BINDINGS: Readonly<Record<string, number>> = { LOCAL: 0, GLOBAL: 1, WEAK: 2 };
/** §4 special section indexes readelf prints by name. */
const SPECIAL_INDEXES: Readonly<Record<string, number>> = { UND: 0, ABS: 0xfff1, COM: 0xfff2 };

/** A symbol as readelf prints it, in the shape of our reader's, to compare field by field. */
export type ReadelfSymbol = ElfSymbol;

/** `readelf --syms --wide`: every entry of the symbol tables, in order. */
export function readelfSymbols(path: string): ReadelfSymbol[] {
  const result = spawnSync('readelf', ['--syms', '--wide', path], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`readelf failed: ${result.stderr}`);
  // Num: Value Size Type Bind Vis Ndx Name (Size in decimal, or hex with 0x when large).
  const row = /^\s*\d+: ([0-9a-f]{16})\s+(0x[0-9a-f]+|\d+) (\w+)\s+(\w+)\s+\w+\s+(\w+) ?(.*)$/gm;
  return [...result.stdout.matchAll(row)].map((match) => ({
    name: match[6]!,
    value: BigInt(`0x${match[1]}`),
    size: BigInt(match[2]!),
    type: SYMBOL_TYPES[match[3]!]!,
    binding: SYMBOL_BINDINGS[match[4]!]!,
    sectionIndex: SPECIAL_INDEXES[match[5]!] ?? Number(match[5]),
  }));
}
