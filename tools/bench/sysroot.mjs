#!/usr/bin/env node
// Benchmark of the shared sysroot (issue 16): a first and a second new kernel project on the
// system profile, each with a target directory of its own, built and booted (PVH, the direct
// path) side by side in one run. The first makes the sysroot (core, alloc and compiler_builtins,
// once for this compiler and these flags); the second finds it. For reference, a third project
// with per-project build-std (the opt-out: what every new project cost before).
//
// Usage: node tools/bench/sysroot.mjs [--preset baseline|x86-64-v2|x86-64-v3] [--no-build-std] [--keep]
// Needs `npm run build` to have been run once (the kernels come from the built
// create-baremetal-kernel CLI), Debian's Rust toolchain in /usr/bin and QEMU. The sysroots go to
// an empty directory of this run, never to the user's cache.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PRESETS = ['baseline', 'x86-64-v2', 'x86-64-v3'];
/** The issue's mark for a second new project, build and boot together. */
const SECOND_PROJECT_GOAL_SECONDS = 5;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string', default: 'baseline' },
      'no-build-std': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  });
  if (!PRESETS.includes(values.preset)) {
    throw new Error(`--preset must be one of ${PRESETS.join(', ')}, not '${values.preset}'`);
  }
  return { preset: values.preset, buildStd: !values['no-build-std'], keep: values.keep };
}

// Debian's toolchain first: a rustup in ~/.cargo/bin would shadow it and fail to find `core`.
// RUSTFLAGS and friends would replace the kernel's own rustflags; a RUSTC_WRAPPER its wrapper.
const baseEnv = { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}` };
for (const name of ['RUSTFLAGS', 'CARGO_ENCODED_RUSTFLAGS', 'CARGO_BUILD_RUSTFLAGS', 'CARGO_BUILD_TARGET', 'CARGO_TARGET_DIR', 'RUSTC_WRAPPER', 'RUSTC_WORKSPACE_WRAPPER']) {
  delete baseEnv[name];
}

/** Runs a command to completion; returns its combined output, throws an Error (command + output tail) if it fails. */
function run(command, args, { cwd = repoRoot, env = {} } = {}) {
  const result = spawnSync(command, args, { cwd, env: { ...baseEnv, ...env }, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (result.error || result.status !== 0) {
    const why = result.error?.message ?? (result.signal ? `killed by ${result.signal}` : `exit status ${result.status}`);
    const tail = output.trimEnd().split('\n').slice(-15).join('\n');
    throw new Error(`command failed (${why}): ${command} ${args.join(' ')}${tail ? `\n${tail}` : ''}`);
  }
  return output;
}

function timed(action) {
  const start = process.hrtime.bigint();
  const output = action();
  return { seconds: Number(process.hrtime.bigint() - start) / 1e9, output };
}

const progress = (message) => process.stderr.write(`bench: ${message}\n`);
const seconds = (s) => `${s.toFixed(2)} s`;

/** Generates a project, then times `cargo build` and `cargo run -- --direct` in its own target directory. */
function project(root, name, preset, env, edit = () => {}) {
  const directory = join(root, name);
  run('node', [join(repoRoot, 'packages', 'create-baremetal-kernel', 'bin', 'create-baremetal-kernel.js'), directory, '--yes', '--preset', preset, '--toolchain', 'system']);
  edit(directory);
  const cargoOptions = { cwd: directory, env: { ...env, CARGO_TARGET_DIR: join(root, `target-${name}`) } };
  progress(`${name}: cargo build`);
  const build = timed(() => run('cargo', ['build'], cargoOptions));
  progress(`${name}: cargo run -- --direct`);
  const boot = timed(() => run('cargo', ['run', '--', '--direct'], cargoOptions));
  if (!/^\[kernel\] boot complete$/m.test(boot.output)) throw new Error(`${name} did not boot:\n${boot.output}`);
  return { build: build.seconds, boot: boot.seconds, total: build.seconds + boot.seconds };
}

function bench({ preset, buildStd }, root) {
  const sysroots = join(root, 'sysroots');
  const env = { BAREMETAL_KERNEL_SYSROOT_DIR: sysroots };
  const rows = [];
  const first = project(root, 'first-os', preset, env);
  rows.push(['first new project (makes the sysroot)', first]);
  const second = project(root, 'second-os', preset, env);
  rows.push(['second new project (uses it)', second]);
  const made = readdirSync(sysroots).filter((name) => !name.startsWith('.'));
  if (made.length !== 1) throw new Error(`expected one sysroot in ${sysroots}, found: ${made.join(', ') || 'none'}`);
  if (buildStd) {
    // The opt-out, one line of .cargo/config.toml: build-std in the project, as before.
    const optOut = (directory) => {
      const config = join(directory, '.cargo', 'config.toml');
      writeFileSync(config, readFileSync(config, 'utf8').replace('# build-std = ', 'build-std = '));
    };
    rows.push(['new project with per-project build-std (before)', project(root, 'build-std-os', preset, { BAREMETAL_KERNEL_SYSROOT_DIR: join(root, 'unused') }, optOut)]);
  }
  return { rows, first, second };
}

function printTable(context, { preset }, { rows, first, second }) {
  console.log(`shared sysroot benchmark, preset ${preset}, system profile`);
  for (const line of context) console.log(`  ${line}`);
  console.log();
  const header = ['new project, own target directory', 'cargo build', 'cargo run (boot)', 'total', 'ratio'];
  const cells = rows.map(([label, r]) => [label, seconds(r.build), seconds(r.boot), seconds(r.total), `${(r.total / first.total).toPrecision(3)}x first`]);
  const widths = header.map((_, c) => Math.max(...[header, ...cells].map((row) => row[c].length)));
  const line = (row) => row.map((cell, c) => (c === 0 || c === row.length - 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of cells) console.log(line(row));
  console.log();
  const verdict = second.total < SECOND_PROJECT_GOAL_SECONDS ? 'met' : 'NOT met';
  console.log(`second project: ${seconds(second.total)} to build and boot, goal < ${SECOND_PROJECT_GOAL_SECONDS} s: ${verdict}`);
}

let root;
let keep = false;
try {
  const options = parseOptions();
  keep = options.keep;
  const context = [
    `node ${process.version}`,
    run('/usr/bin/rustc', ['-V']).trim(),
    `nproc ${availableParallelism()} (${cpus()[0]?.model ?? 'unknown CPU'}), load average at start ${loadavg()[0].toFixed(2)}`,
  ];
  root = mkdtempSync(join(tmpdir(), 'bench-sysroot-'));
  printTable(context, options, bench(options, root));
} catch (error) {
  console.error(`bench: error: ${error?.message ?? error}`);
  process.exitCode = 1;
} finally {
  if (root && keep) console.error(`bench: kept ${root}`);
  else if (root) rmSync(root, { recursive: true, force: true });
}
