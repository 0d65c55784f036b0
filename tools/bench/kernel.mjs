#!/usr/bin/env node
// Benchmark of a freshly generated kernel: build times, release image size and boot-to-exit
// time on each boot path, measured side by side in one run and printed as one table of
// medians and ratios.
//
// Usage: node tools/bench/kernel.mjs [--samples N] [--clean-samples N]
//                                    [--preset baseline|x86-64-v2|x86-64-v3] [--keep]
// Needs `npm run build` to have been run once (the kernel comes from the built
// create-baremetal-kernel CLI), Debian's Rust toolchain in /usr/bin, QEMU, GRUB and OVMF.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PRESETS = ['baseline', 'x86-64-v2', 'x86-64-v3'];
const BOOT_MODES = [
  { mode: 'direct', label: 'direct (PVH, qemu -kernel)' },
  { mode: 'bios', label: 'GRUB ISO on BIOS' },
  { mode: 'uefi', label: 'GRUB ISO on UEFI (OVMF)' },
];


// --- options -----------------------------------------------------------------------------
function parseOptions() {
  const { values } = parseArgs({
    options: {
      samples: { type: 'string', default: '5' },
      'clean-samples': { type: 'string', default: '1' },
      preset: { type: 'string', default: 'baseline' },
      keep: { type: 'boolean', default: false },
    },
  });
  const count = (name) => {
    const n = Number(values[name]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not '${values[name]}'`);
    return n;
  };
  if (!PRESETS.includes(values.preset)) {
    throw new Error(`--preset must be one of ${PRESETS.join(', ')}, not '${values.preset}'`);
  }
  return { samples: count('samples'), cleanSamples: count('clean-samples'), preset: values.preset, keep: values.keep };
}

// --- commands ----------------------------------------------------------------------------
// Debian's toolchain first: a rustup in ~/.cargo/bin would shadow it and fail to find `core`.
// RUSTFLAGS and friends would replace the kernel's own rustflags in .cargo/config.toml.
const baseEnv = { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}` };
for (const name of ['RUSTFLAGS', 'CARGO_ENCODED_RUSTFLAGS', 'CARGO_BUILD_RUSTFLAGS', 'CARGO_BUILD_TARGET']) {
  delete baseEnv[name];
}

/** Runs a command to completion; returns its combined output, throws an Error (command + output tail) if it fails. */
function run(command, args, { cwd = repoRoot, env = {} } = {}) {
  const result = spawnSync(command, args, {
    cwd,
    env: { ...baseEnv, ...env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error || result.status !== 0) {
    const envText = Object.entries(env).map(([k, v]) => `${k}=${v} `).join('');
    const why = result.error?.message ?? (result.signal ? `killed by ${result.signal}` : `exit status ${result.status}`);
    const tail = output.trimEnd().split('\n').slice(-15).join('\n');
    throw new Error(`command failed (${why}): ${envText}${command} ${args.join(' ')}${tail ? `\n${tail}` : ''}`);
  }
  return output;
}

/** Runs a command like `run` and returns its wall time in seconds. */
function timeCommand(command, args, options) {
  const start = process.hrtime.bigint();
  run(command, args, options);
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Whether `command --version` can be run at all (tool present on PATH). */
function have(command) {
  return !spawnSync(command, ['--version'], { env: baseEnv, stdio: 'ignore' }).error;
}

function progress(message) {
  process.stderr.write(`bench: ${message}\n`);
}

// --- statistics and formatting -------------------------------------------------------------
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const seconds = (s) => (s < 1 ? `${(s * 1000).toFixed(0)} ms` : `${s.toFixed(2)} s`);
const bytes = (n) => (n < 1024 ? `${n} B` : `${n} B (${(n / 1024).toFixed(1)} KiB)`);
const ratio = (value, base, name) => {
  const r = value / base;
  return `${r >= 10 ? r.toFixed(1) : r.toPrecision(3)}x ${name}`; // 43.5x, 7.27x, 0.0120x
};

// --- ELF ---------------------------------------------------------------------------------
/** Sizes from an ELF64 little-endian file: PT_LOAD segments (file and memory) and `.text`. */
function readElfSizes(path) {
  const elf = readFileSync(path);
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) {
    throw new Error(`${path} is not a little-endian ELF64 file`);
  }
  const u64 = (offset) => Number(elf.readBigUInt64LE(offset));
  const [phoff, shoff] = [u64(0x20), u64(0x28)];
  const [phentsize, phnum, shentsize, shnum, shstrndx] = [0x36, 0x38, 0x3a, 0x3c, 0x3e].map((o) => elf.readUInt16LE(o));

  let loadFile = 0;
  let loadMemory = 0;
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + i * phentsize;
    if (elf.readUInt32LE(ph) !== 1 /* PT_LOAD */) continue;
    loadFile += u64(ph + 0x20); // p_filesz
    loadMemory += u64(ph + 0x28); // p_memsz (includes .bss)
  }

  // Section names are offsets into the section-name string table (.shstrtab).
  const names = u64(shoff + shstrndx * shentsize + 0x18);
  let text = 0;
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * shentsize;
    const start = names + elf.readUInt32LE(sh);
    const name = elf.toString('latin1', start, elf.indexOf(0, start));
    if (name === '.text') text = u64(sh + 0x20); // sh_size
  }
  return { file: elf.length, loadFile, loadMemory, text };
}

/** Size of a copy stripped with llvm-objcopy or objcopy, or null if neither is installed. */
function strippedSize(elf, scratch) {
  const tool = ['llvm-objcopy', 'objcopy'].find(have);
  if (!tool) return null;
  const copy = join(scratch, 'stripped.elf');
  copyFileSync(elf, copy);
  run(tool, ['--strip-all', copy]);
  return { tool, size: statSync(copy).size };
}

// --- the benchmark -----------------------------------------------------------------------
function machineContext() {
  const firstLine = (command, args) => run(command, args).split('\n')[0].trim();
  return [
    `node ${process.version}`,
    firstLine('/usr/bin/rustc', ['-V']),
    firstLine('qemu-system-x86_64', ['--version']),
    `nproc ${availableParallelism()} (${cpus()[0]?.model ?? 'unknown CPU'})`,
  ];
}

function bench({ samples, cleanSamples, preset }, root) {
  const name = 'benchkernel';
  const kernel = join(root, name);
  const targetDir = join(root, 'target');
  // The shared sysroot (core, alloc, compiler_builtins; .cargo/sysroot-rustc) of this run only.
  const sysrootDir = join(root, 'sysroots');
  // Its own target directory and sysroots, so the clean build really starts from nothing.
  const cargoOptions = { cwd: kernel, env: { CARGO_TARGET_DIR: targetDir, BAREMETAL_KERNEL_SYSROOT_DIR: sysrootDir } };
  const timeCargo = (...args) => timeCommand('cargo', args, cargoOptions);
  const rows = [];

  progress(`generating a ${preset} kernel in ${kernel}`);
  run('node', [join(repoRoot, 'packages', 'create-baremetal-kernel', 'bin', 'create-baremetal-kernel.js'), kernel, '--yes', '--preset', preset, '--toolchain', 'system']);

  // 1. Clean debug build: an empty target directory and no sysroot, so core and alloc are built
  // from source (once, in release, into the shared sysroot that later builds use).
  const clean = [];
  for (let i = 1; i <= cleanSamples; i++) {
    progress(`clean debug build ${i}/${cleanSamples}`);
    rmSync(targetDir, { recursive: true, force: true });
    rmSync(sysrootDir, { recursive: true, force: true });
    clean.push(timeCargo('build'));
  }
  const cleanMedian = median(clean);
  rows.push(['clean debug build', clean, seconds, '1.00x clean']);

  // 2. Incremental debug build: a different trailing comment in src/main.rs for each sample
  // (new content and mtime), then the original file back and one untimed build so the debug
  // ELF booted below matches the generated source.
  const mainRs = join(kernel, 'src', 'main.rs');
  const original = readFileSync(mainRs, 'utf8');
  const incremental = [];
  try {
    for (let i = 1; i <= samples; i++) {
      progress(`incremental debug build ${i}/${samples}`);
      writeFileSync(mainRs, `${original}\n// bench: incremental sample ${i}\n`);
      incremental.push(timeCargo('build'));
    }
  } finally {
    writeFileSync(mainRs, original);
  }
  timeCargo('build');
  rows.push(['incremental debug build (src/main.rs)', incremental, seconds, ratio(median(incremental), cleanMedian, 'clean')]);

  // 3. Release build (first one, with LTO; core comes from the same shared sysroot) and size.
  progress('release build');
  const release = timeCargo('build', '--release');
  rows.push(['first release build (LTO)', [release], seconds, ratio(release, cleanMedian, 'clean')]);
  const releaseElf = join(targetDir, 'x86_64-unknown-none', 'release', name);
  const sizes = readElfSizes(releaseElf);
  const size = (label, n) => rows.push([label, [n], bytes, ratio(n, sizes.file, 'ELF')]);
  size('release ELF file', sizes.file);
  size('  PT_LOAD segments, in file', sizes.loadFile);
  size('  PT_LOAD segments, in memory (+ .bss)', sizes.loadMemory);
  size('  .text section', sizes.text);
  const stripped = strippedSize(releaseElf, root);
  if (stripped) size(`  stripped copy (${stripped.tool} --strip-all)`, stripped.size);
  else rows.push(['  stripped copy', [], null, 'n/a: no llvm-objcopy or objcopy']);

  // 4. Boot to exit, running the runner on the debug ELF. One untimed warm-up per path builds
  // the GRUB ISO and warms the page cache; the samples then take turns path by path, so a
  // drift in machine load affects every path alike.
  const debugElf = join(targetDir, 'x86_64-unknown-none', 'debug', name);
  const boot = (mode) => timeCommand('./runner', [debugElf], { cwd: kernel, env: { BOOT: mode } });
  const boots = Object.fromEntries(BOOT_MODES.map(({ mode }) => [mode, []]));
  for (const { mode } of BOOT_MODES) {
    progress(`boot warm-up: ${mode}`);
    boot(mode);
  }
  for (let i = 1; i <= samples; i++) {
    progress(`boot samples ${i}/${samples}`);
    for (const { mode } of BOOT_MODES) boots[mode].push(boot(mode));
  }
  const directMedian = median(boots.direct);
  for (const { mode, label } of BOOT_MODES) {
    rows.push([`boot to exit: ${label}`, boots[mode], seconds, ratio(median(boots[mode]), directMedian, 'direct')]);
  }
  return rows;
}

function printTable(context, options, rows) {
  console.log(`kernel benchmark, preset ${options.preset}`);
  for (const line of context) console.log(`  ${line}`);
  console.log();
  const header = ['measurement', 'n', 'median', 'min', 'max', 'ratio'];
  const cells = rows.map(([label, values, format, ratioText]) => {
    if (!values.length) return [label, '0', '-', '-', '-', ratioText];
    const many = values.length > 1;
    return [
      label,
      String(values.length),
      format(median(values)),
      many ? format(Math.min(...values)) : '',
      many ? format(Math.max(...values)) : '',
      ratioText,
    ];
  });
  const widths = header.map((_, c) => Math.max(...[header, ...cells].map((row) => row[c].length)));
  // Left-align the text columns (first and last), right-align the numbers.
  const line = (row) =>
    row.map((cell, c) => (c === 0 || c === row.length - 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of cells) console.log(line(row));
}

// --- main --------------------------------------------------------------------------------
let root;
let keep = false;
try {
  const options = parseOptions();
  keep = options.keep;
  const context = machineContext();
  root = mkdtempSync(join(tmpdir(), 'bench-kernel-'));
  const rows = bench(options, root);
  printTable(context, options, rows);
} catch (error) {
  console.error(`bench: error: ${error?.message ?? error}`);
  process.exitCode = 1;
} finally {
  if (root && keep) console.error(`bench: kept ${root}`);
  else if (root) rmSync(root, { recursive: true, force: true });
}
