/**
 * The TOML values of the generated `.cargo/config.toml` and `rust-toolchain.toml`, from the target
 * model's facts and derivations (`rustflags`, the build-std crates, the toolchain profile).
 */
import { BUILD_STD_CRATES, BUILD_STD_FEATURES, SHARED_SYSROOT, TARGET, rustflags, type KernelConfig } from '@baremetal-kernel/target';
import { tomlArray, tomlString } from './toml.js';

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
  /**
   * `build.rustc-wrapper` and `build.rustdoc` as TOML strings, when the standard library comes from
   * the shared sysroot.
   */
  readonly sharedSysrootWrapper: { readonly rustc: string; readonly rustdoc: string } | undefined;
}

/** What `.cargo/sysroot-rustc` needs (shell words, ready to print), for profiles with a shared sysroot. */
export interface SharedSysrootData {
  readonly crates: string;
  readonly features: string;
  readonly profileOptions: string;
  readonly format: number;
  readonly directoryVariable: string;
  readonly cacheSubdirectory: string;
  /** The project's rustc wrapper, which build.rs looks for in RUSTC_WRAPPER. */
  readonly wrapperPath: string;
}

export function sharedSysroot(config: KernelConfig): SharedSysrootData | undefined {
  if (!config.toolchain.sharedSysroot) return undefined;
  return {
    crates: BUILD_STD_CRATES.join(','),
    features: BUILD_STD_FEATURES.join(','),
    profileOptions: SHARED_SYSROOT.profileOptions.join(' '),
    format: SHARED_SYSROOT.format,
    directoryVariable: SHARED_SYSROOT.directoryVariable,
    cacheSubdirectory: SHARED_SYSROOT.cacheSubdirectory,
    wrapperPath: SHARED_SYSROOT.wrapperPath,
  };
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
    sharedSysrootWrapper: toolchain.sharedSysroot
      ? { rustc: tomlString(`./${SHARED_SYSROOT.wrapperPath}`), rustdoc: tomlString(`./${SHARED_SYSROOT.rustdocPath}`) }
      : undefined,
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
