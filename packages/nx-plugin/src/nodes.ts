/**
 * Inferred tasks: every directory whose Cargo.toml carries `[package.metadata.baremetal-kernel]`
 * is an Nx project named after its crate, with the targets a generated kernel's own files define
 * (`cargo` through `.cargo/config.toml`, whose runner boots QEMU) plus our ELF checker.
 *
 * Outputs are the kernel image and the ISO, never Cargo's whole `target/` (dependencies, build-std's
 * `core`, incremental state: hundreds of MiB a cache would copy around). They lie under
 * `{projectRoot}/target`, where Cargo puts them unless `CARGO_TARGET_DIR` moves them: it is an
 * input, so a moved target directory never restores into the old place, but with it set
 * elsewhere Nx finds nothing to cache (documented in the README).
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createNodesFromFiles, type CreateNodes, type CreateNodesResult, type TargetConfiguration } from '@nx/devkit';
import { GENERATOR_NAME, kernelMetadataOf } from '@baremetal-kernel/generators';
import { TARGET } from '@baremetal-kernel/target';

/** The plugin's options in nx.json: each target's name, as @nx/vite and @nx/jest name theirs. */
export interface KernelPluginOptions {
  readonly buildTargetName?: string;
  readonly runTargetName?: string;
  readonly testTargetName?: string;
  readonly clippyTargetName?: string;
  readonly checkTargetName?: string;
  readonly isoTargetName?: string;
}

export const DEFAULT_TARGET_NAMES: Required<KernelPluginOptions> = {
  buildTargetName: 'build',
  runTargetName: 'run',
  testTargetName: 'test',
  clippyTargetName: 'clippy',
  checkTargetName: 'check',
  isoTargetName: 'iso',
};

/** The files a kernel's build reads (templates/kernel and the modules' folders), as Nx inputs. */
export const KERNEL_SOURCE_INPUTS: readonly string[] = [
  '{projectRoot}/Cargo.toml',
  '{projectRoot}/Cargo.lock',
  // rustflags, build-std, the runner's path, RUSTC_BOOTSTRAP; and the shared sysroot's rustc
  // and rustdoc wrappers (.cargo/sysroot-rustc, .cargo/sysroot-rustdoc).
  '{projectRoot}/.cargo/**/*',
  // Which toolchain rustup picks for the project.
  '{projectRoot}/rust-toolchain.toml',
  '{projectRoot}/build.rs',
  // Build-script helpers and C sources modules add (c-interop's build/ and csrc/).
  '{projectRoot}/build/**/*',
  '{projectRoot}/csrc/**/*',
  '{projectRoot}/*.ld',
  '{projectRoot}/src/**/*',
  '{projectRoot}/tests/**/*',
];

/**
 * Environment variables that change what Cargo builds or where it puts it: RUSTFLAGS and its
 * variants replace the rustflags of .cargo/config.toml; CARGO_TARGET_DIR moves the outputs.
 */
export const CARGO_ENV_INPUTS: readonly string[] = [
  'RUSTFLAGS',
  'CARGO_ENCODED_RUSTFLAGS',
  'CARGO_BUILD_RUSTFLAGS',
  `CARGO_TARGET_${TARGET.triple.toUpperCase().replace(/-/g, '_')}_RUSTFLAGS`,
  'CARGO_TARGET_DIR',
  // Replaces the project's own wrapper (build.rustc-wrapper), which gives the shared sysroot.
  'RUSTC_WRAPPER',
  'CARGO_BUILD_TARGET_DIR',
  'CARGO_PROFILE_DEV_OPT_LEVEL',
  'CARGO_PROFILE_DEV_DEBUG',
];

/**
 * The variables the runner reads (templates/kernel/runner.hbs and the protocols' fragments) that
 * change whether a test kernel passes or what the ISO holds: inputs of `test` and `iso`.
 */
export const RUNNER_ENV_INPUTS: readonly string[] = [
  'BOOT',
  'ISO_ONLY',
  'QEMU_CPU',
  'QEMU_MEMORY',
  'QEMU_SMP',
  'QEMU_EXTRA_ARGS',
  'TIMEOUT',
  'OVMF_CODE',
  'OVMF_VARS',
  'LIMINE_DIR',
  'LIMINE_URL',
  'LIMINE_SHA256',
];

/** The runner's other variables, and why they are not inputs (a test keeps both lists whole). */
export const RUNNER_ENV_IGNORED: Readonly<Record<string, string>> = {
  ADDR2LINE: 'names backtrace addresses in the output; the result is the same',
  QEMU_DISPLAY: 'where the screen shows; tasks run without --interactive',
  DISPLAY: 'whether a QEMU window can open (interactive runs only)',
  WAYLAND_DISPLAY: 'whether a QEMU window can open (interactive runs only)',
  TMPDIR: "where the runner's scratch files go",
};

/** Where Cargo writes the debug build's files (`cargo build`, `cargo run`): relative to the project. */
const DEBUG_DIRECTORY = `target/${TARGET.triple}/debug`;

/** A cheap look before parsing: a Cargo.toml that never names the generator cannot carry its table. */
const mightBeKernel = (cargoToml: string) => cargoToml.includes(GENERATOR_NAME);

/** The toolchain as the project sees it: rustup picks it per directory (rust-toolchain.toml). */
function toolchainInput(projectRoot: string): { runtime: string } {
  const root = projectRoot === '.' ? '.' : `'${projectRoot.replace(/'/g, `'\\''`)}'`;
  return { runtime: `cd ${root} && rustc -vV && cargo -V` };
}

/** The targets of the kernel `name` at `projectRoot` (a workspace path), under the given names. */
export function kernelTargets(projectRoot: string, name: string, options: KernelPluginOptions = {}): Record<string, TargetConfiguration> {
  const names = { ...DEFAULT_TARGET_NAMES, ...options };
  const buildInputs = [...KERNEL_SOURCE_INPUTS, toolchainInput(projectRoot), ...CARGO_ENV_INPUTS.map((env) => ({ env }))];
  // What boots: the build's inputs, the runner and what it reads.
  const inputs = [...buildInputs, '{projectRoot}/runner', ...RUNNER_ENV_INPUTS.map((env) => ({ env }))];
  const cargo = (args: string, extra: Partial<TargetConfiguration> = {}): TargetConfiguration => ({
    command: `cargo ${args}`,
    options: { cwd: '{projectRoot}' },
    ...extra,
  });
  return {
    [names.buildTargetName]: cargo('build', {
      cache: true,
      inputs: buildInputs,
      outputs: [`{projectRoot}/${DEBUG_DIRECTORY}/${name}`],
      metadata: { description: 'Builds the kernel image (debug profile)', technologies: ['cargo'] },
    }),
    // Boots QEMU for the user: nothing to cache, and it may be interactive.
    [names.runTargetName]: cargo('run', {
      cache: false,
      metadata: { description: 'Builds the kernel and boots it in QEMU (options after --, see ./runner --help)', technologies: ['cargo'] },
    }),
    [names.testTargetName]: cargo('test', {
      cache: true,
      inputs,
      outputs: [],
      metadata: { description: 'Builds the test kernels and boots each in QEMU', technologies: ['cargo'] },
    }),
    // As the kernel's own CI runs it (templates/kernel/_github/workflows/ci.yml.hbs).
    [names.clippyTargetName]: cargo('clippy --all-targets -- -D warnings', {
      cache: true,
      inputs: buildInputs,
      outputs: [],
      metadata: { description: 'Lints every target of the kernel, warnings as errors', technologies: ['cargo'] },
    }),
    [names.checkTargetName]: {
      executor: '@baremetal-kernel/nx:check',
      dependsOn: [names.buildTargetName],
      cache: true,
      inputs: [`{projectRoot}/Cargo.toml`, { dependentTasksOutputFiles: '**/*', transitive: false }, { env: 'CARGO_TARGET_DIR' }],
      outputs: [],
      metadata: { description: "Checks the built image against what its boot protocol's loader accepts" },
    },
    [names.isoTargetName]: cargo('run -- --iso-only', {
      cache: true,
      inputs,
      outputs: [`{projectRoot}/${DEBUG_DIRECTORY}/iso/${name}.iso`],
      metadata: { description: 'Builds the bootable ISO (BIOS and UEFI), without booting it', technologies: ['cargo'] },
    }),
  };
}

/** The project one Cargo.toml makes: none for a crate that is not a generated kernel. */
export function kernelProject(cargoTomlPath: string, cargoToml: string, options: KernelPluginOptions = {}): CreateNodesResult {
  if (!mightBeKernel(cargoToml)) return {};
  const metadata = kernelMetadataOf(cargoToml, cargoTomlPath);
  if (metadata === undefined) return {};
  const root = dirname(cargoTomlPath);
  return {
    projects: {
      [root]: {
        name: metadata.name,
        projectType: 'application',
        tags: [`boot:${metadata.boot}`, `preset:${metadata.preset}`],
        targets: kernelTargets(root, metadata.name, options),
      },
    },
  };
}

/** Nx's `createNodes`: one project per generated kernel's Cargo.toml; a broken one is reported with its path. */
export const createNodes: CreateNodes<KernelPluginOptions> = [
  '**/Cargo.toml',
  (files, options, context) =>
    createNodesFromFiles(
      (file, opts) => (basename(file) === 'Cargo.toml' ? kernelProject(file, readFileSync(join(context.workspaceRoot, file), 'utf8'), opts ?? {}) : {}),
      files,
      options ?? {},
      context,
    ),
];
