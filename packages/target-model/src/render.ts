import type { KernelConfig } from './config.js';
import { qemuCommonArgs } from './qemu.js';
import { TARGET } from './target.js';
import { BUILD_STD_CRATES, BUILD_STD_FEATURES } from './toolchains.js';
import { tomlArray, tomlString } from './toml.js';

/** Codegen flags for every crate of the kernel, `core` included, as rustc takes them. */
export function rustflags(config: KernelConfig): string[] {
  // Frame pointers in every function (the target's default omits them): the panic handler and the
  // exception handlers walk the RBP chain to print a backtrace, which the runner symbolises.
  const options = [`relocation-model=${config.relocationModel}`, 'force-frame-pointers=yes'];
  if (config.codeModel !== TARGET.codeModel) options.push(`code-model=${config.codeModel}`);
  if (config.preset.targetCpu) options.push(`target-cpu=${config.preset.targetCpu}`);
  return options.flatMap((option) => ['-C', option]);
}

/** What `.cargo/config.toml` needs for a configuration, each value already in TOML syntax. */
export interface CargoConfigData {
  readonly target: string;
  /** `[target.<triple>] rustflags`: one `"-C", "key=value"` pair per entry, one per line. */
  readonly rustflagPairs: readonly string[];
  readonly buildStd: { readonly crates: string; readonly features: string } | undefined;
  /** The vendored std sources' directory as a TOML string, when build-std must stay offline. */
  readonly vendorDirectory: string | undefined;
  /** Whether `[env] RUSTC_BOOTSTRAP = "1"` is needed. */
  readonly bootstrap: boolean;
}

export function cargoConfig(config: KernelConfig): CargoConfigData {
  const { toolchain } = config;
  const flags = rustflags(config);
  const rustflagPairs: string[] = [];
  for (let index = 0; index < flags.length; index += 2) {
    rustflagPairs.push(`${tomlString(flags[index]!)}, ${tomlString(flags[index + 1]!)}`);
  }
  return {
    target: tomlString(TARGET.triple),
    rustflagPairs,
    buildStd: toolchain.buildStd
      ? { crates: tomlArray(BUILD_STD_CRATES), features: tomlArray(BUILD_STD_FEATURES) }
      : undefined,
    vendorDirectory:
      toolchain.vendoredStdSources && config.vendorDirectory ? tomlString(config.vendorDirectory) : undefined,
    bootstrap: toolchain.bootstrap,
  };
}

/** `rust-toolchain.toml` values in TOML syntax, or undefined when the profile needs no such file. */
export interface RustToolchainData {
  readonly channel: string;
  readonly components: string;
  readonly targets: string;
  readonly profile: string;
}

export function rustToolchain(config: KernelConfig): RustToolchainData | undefined {
  const file = config.toolchain.rustToolchainFile;
  if (!file) return undefined;
  return {
    channel: tomlString(file.channel),
    components: tomlArray(file.components),
    targets: tomlArray(file.targets),
    profile: tomlString(file.profile),
  };
}

/** The QEMU arguments every boot path of this configuration shares. */
export function qemuArgs(config: KernelConfig): string[] {
  return qemuCommonArgs(config.preset);
}
