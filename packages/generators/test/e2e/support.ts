/**
 * Running generated kernels for real: Debian's toolchain, QEMU, and a cargo target directory
 * per configuration shared between tests (and runs), so `core` is compiled once per configuration.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEBIAN_VENDOR_DIRECTORY, SHARED_SYSROOT, TARGET, type KernelRequest } from '@baremetal-kernel/target';
import { applyChangesPending, compileTemplates, kernelFileReader, generateKernel, loadTemplates, planAddModules, resolveConfig, type AddPlan } from '../../src/index.js';
import { TEST_CACHE_ROOT } from '../../../../tools/vitest/test-cache.js';

/**
 * Where the kernels of every slow test keep their shared sysroots (the generated
 * `.cargo/sysroot-rustc`): one directory per test cache, so `core` is compiled once per compiler
 * and codegen flags for the whole suite, and the user's own cache is left alone.
 */
export const TEST_SYSROOT_DIRECTORY = join(TEST_CACHE_ROOT, 'sysroots');

/** Debian's toolchain first in PATH (a rustup proxy would shadow it); no stray flags or wrappers. */
export function rustEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `/usr/bin:${process.env.PATH ?? ''}`,
    CARGO_TERM_COLOR: 'never',
    [SHARED_SYSROOT.directoryVariable]: TEST_SYSROOT_DIRECTORY,
  };
  delete env.RUSTFLAGS;
  delete env.RUSTC_BOOTSTRAP;
  delete env.CARGO_TARGET_DIR;
  // Either would replace the kernel's own rustc wrapper (build.rustc-wrapper), and its sysroot.
  delete env.RUSTC_WRAPPER;
  delete env.RUSTC_WORKSPACE_WRAPPER;
  return { ...env, ...extra };
}

/** A cargo target directory kept between runs, one per configuration (under TEST_CACHE_ROOT). */
export function cacheDirectory(key: string): string {
  const directory = join(TEST_CACHE_ROOT, key);
  mkdirSync(directory, { recursive: true });
  return directory;
}

/** Generates a kernel into a fresh temporary directory. */
export function generate(request: Partial<KernelRequest> & { name: string }) {
  const config = resolveConfig({ toolchain: 'system', ...request });
  const directory = join(mkdtempSync(join(tmpdir(), 'e2e-')), config.name);
  generateKernel(config, { directory, templates: compileTemplates(loadTemplates()) });
  return { config, directory };
}

/** Adds `modules` to the kernel in `directory` as `baremetal-kernel add` does (same planning, same writing). */
export function addModules(directory: string, modules: readonly string[]): AddPlan {
  const plan = planAddModules(modules, kernelFileReader(directory), compileTemplates(loadTemplates()));
  applyChangesPending(plan.changes, directory).finish();
  return plan;
}

/** Removes terminal control sequences (OVMF and GRUB paint the serial line) and carriage returns. */
export function plainText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][0-9A-B]|\x1b[=>]|\r/g, '');
}

export interface CommandOutcome {
  readonly status: number | null;
  /** stdout and stderr, in that order, as plain text. */
  readonly output: string;
}

export interface CargoOptions {
  readonly targetDirectory: string;
  readonly env?: Record<string, string>;
  /** Extra `--config` values, passed before the subcommand's own arguments. */
  readonly config?: readonly string[];
  readonly timeoutMs?: number;
}

export function cargo(directory: string, args: readonly string[], options: CargoOptions): CommandOutcome {
  const [subcommand, ...rest] = args;
  const configArgs = (options.config ?? []).flatMap((value) => ['--config', value]);
  const result = spawnSync('cargo', [subcommand!, ...configArgs, ...rest], {
    cwd: directory,
    env: rustEnvironment({ CARGO_TARGET_DIR: options.targetDirectory, ...options.env }),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: options.timeoutMs ?? 600_000,
  });
  if (result.error) throw result.error;
  return { status: result.status, output: plainText(`${result.stdout}${result.stderr}`) };
}

export function run(command: string, args: readonly string[]): CommandOutcome {
  const result = spawnSync(command, args, { encoding: 'utf8', env: rustEnvironment(), maxBuffer: 256 * 1024 * 1024 });
  if (result.error) throw result.error;
  return { status: result.status, output: plainText(`${result.stdout}${result.stderr}`) };
}

/** The kernel ELF cargo built for a package. */
export function kernelElf(targetDirectory: string, name: string, profile: 'debug' | 'release' = 'debug'): string {
  return join(targetDirectory, TARGET.triple, profile, name);
}

/** Appends Rust source to a file of a generated project. */
export function appendSource(directory: string, file: string, source: string): void {
  writeFileSync(join(directory, file), readFileSync(join(directory, file), 'utf8') + source);
}

export function replaceInSource(directory: string, file: string, search: string, replacement: string): void {
  const path = join(directory, file);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(search)) throw new Error(`${file} does not contain ${JSON.stringify(search)}`);
  writeFileSync(path, text.replace(search, replacement));
}

/**
 * A sysroot that looks like rustup's for the prebuilt target: `core`, `alloc` and
 * `compiler_builtins` compiled once with build-std (release, the target's own codegen defaults),
 * placed where `--sysroot` finds them, beside a link to the host's libraries and tools.
 */
export function emulatedRustupSysroot(): string {
  const sysroot = cacheDirectory('rustup-stable-sysroot');
  const libraries = join(sysroot, 'lib', 'rustlib', TARGET.triple, 'lib');
  if (existsSync(libraries) && readdirSync(libraries).some((file) => file.startsWith('libcore-'))) return sysroot;

  const builder = mkdtempSync(join(tmpdir(), 'sysroot-builder-'));
  mkdirSync(join(builder, 'src'));
  mkdirSync(join(builder, '.cargo'));
  writeFileSync(join(builder, 'Cargo.toml'), '[package]\nname = "sysroot-builder"\nversion = "0.0.0"\nedition = "2024"\n');
  writeFileSync(join(builder, 'src', 'lib.rs'), '#![no_std]\n');
  writeFileSync(
    join(builder, '.cargo', 'config.toml'),
    [
      '[unstable]',
      'build-std = ["core", "alloc", "compiler_builtins"]',
      'build-std-features = ["compiler-builtins-mem"]',
      '[source.crates-io]',
      'replace-with = "rustlib"',
      '[source.rustlib]',
      `directory = "${DEBIAN_VENDOR_DIRECTORY}"`,
      '',
    ].join('\n'),
  );
  const targetDirectory = cacheDirectory('rustup-stable-sysroot-build');
  const build = cargo(builder, ['build', '--release', '--target', TARGET.triple], {
    targetDirectory,
    env: { RUSTC_BOOTSTRAP: '1' },
  });
  if (build.status !== 0) throw new Error(`building the emulated sysroot failed:\n${build.output}`);
  const deps = join(targetDirectory, TARGET.triple, 'release', 'deps');
  mkdirSync(libraries, { recursive: true });
  for (const file of readdirSync(deps)) {
    if (file.endsWith('.rlib') && !file.startsWith('libsysroot_builder')) copyFileSync(join(deps, file), join(libraries, file));
  }
  const host = join(sysroot, 'lib', 'rustlib', 'x86_64-unknown-linux-gnu');
  if (!existsSync(host)) symlinkSync('/usr/lib/rustlib/x86_64-unknown-linux-gnu', host);
  rmSync(builder, { recursive: true, force: true });
  return sysroot;
}
