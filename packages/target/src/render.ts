import type { KernelConfig } from './config.js';
import { qemuCommonArgs } from './qemu.js';
import { TARGET } from './target.js';
import { BUILD_STD_CRATES, BUILD_STD_FEATURES } from './toolchains.js';
import { tomlArray, tomlString } from './toml.js';

/** Flags every crate of the kernel build needs, `core` included. */
function linkageOptions(config: KernelConfig): string[] {
  const options = [`relocation-model=${config.relocationModel}`];
  if (config.codeModel !== TARGET.codeModel) options.push(`code-model=${config.codeModel}`);
  return options;
}

/** The feature preset's flags, which only the kernel's own crates take (see the preset caveats). */
function presetOptions(config: KernelConfig): string[] {
  const options: string[] = [];
  if (config.preset.targetCpu) options.push(`target-cpu=${config.preset.targetCpu}`);
  if (config.preset.targetFeatures.length > 0) options.push(`target-feature=${config.preset.targetFeatures.join(',')}`);
  return options;
}

const asFlags = (options: readonly string[]) => options.flatMap((option) => ['-C', option]);

/** Every codegen flag the kernel crate is compiled with, as rustc takes them (`-C key=value`). */
export function rustflags(config: KernelConfig): string[] {
  return asFlags([...linkageOptions(config), ...presetOptions(config)]);
}

/** `"-C", "key=value"` pairs in TOML syntax, one per line in the generated file. */
function tomlFlagPairs(options: readonly string[]): string[] {
  return options.map((option) => `${tomlString('-C')}, ${tomlString(option)}`);
}

/** What `.cargo/config.toml` needs for a configuration, each value already in TOML syntax. */
export interface CargoConfigData {
  readonly target: string;
  /** `[target.<triple>] rustflags`: one `"-C", "key=value"` pair per entry, one per line. */
  readonly rustflagPairs: readonly string[];
  /**
   * Flags for the kernel package only, through `[profile.*.package.<name>] rustflags` (which needs
   * `-Z profile-rustflags`): with build-std, `core` must not get the preset's SSE flags. Empty on
   * rustup stable, whose prebuilt `core` lets the preset go into `rustflags` directly.
   */
  readonly kernelRustflagPairs: readonly string[];
  readonly buildStd: { readonly crates: string; readonly features: string } | undefined;
  /** The vendored std sources' directory as a TOML string, when build-std must stay offline. */
  readonly vendorDirectory: string | undefined;
  /** Whether `[env] RUSTC_BOOTSTRAP = "1"` is needed. */
  readonly bootstrap: boolean;
}

export function cargoConfig(config: KernelConfig): CargoConfigData {
  const { toolchain } = config;
  const linkage = linkageOptions(config);
  const preset = presetOptions(config);
  return {
    target: tomlString(TARGET.triple),
    rustflagPairs: tomlFlagPairs(toolchain.buildStd ? linkage : [...linkage, ...preset]),
    kernelRustflagPairs: tomlFlagPairs(toolchain.buildStd ? preset : []),
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
