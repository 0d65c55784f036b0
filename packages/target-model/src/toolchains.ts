import { DEBIAN_PACKAGES } from './host-packages.js';
import { TARGET } from './target.js';

export type ToolchainName = 'rustup-stable' | 'rustup-nightly' | 'system';

/** Contents of `rust-toolchain.toml`, for the profiles that rustup manages. */
export interface RustToolchainFile {
  readonly channel: string;
  readonly components: readonly string[];
  readonly targets: readonly string[];
  readonly profile: 'minimal' | 'default';
}

export interface ToolchainProfile {
  readonly name: ToolchainName;
  readonly summary: string;
  /** Whether `core`/`alloc`/`compiler_builtins` are compiled from source (`-Zbuild-std`). */
  readonly buildStd: boolean;
  /** Whether cargo and rustc need `RUSTC_BOOTSTRAP=1` to accept `-Z` options on a stable release. */
  readonly bootstrap: boolean;
  /** Whether build-std's dependencies come from the sysroot's vendored sources (no network). */
  readonly vendoredStdSources: boolean;
  /**
   * Whether the standard library comes from a sysroot shared by every kernel on the machine with
   * the same compiler and codegen flags (see {@link SHARED_SYSROOT}) instead of build-std in each
   * project. Only for profiles that build it from source: a prebuilt target needs none.
   */
  readonly sharedSysroot: boolean;
  readonly rustToolchainFile: RustToolchainFile | undefined;
  /** What a user runs to make this profile work, from nothing but a Rust install of that kind. */
  readonly setup: readonly string[];
}

/** Rust 1.85 brought edition 2024, which generated kernels use (`unsafe extern`, `#[unsafe(...)]`). */
export const MINIMUM_RUST_VERSION = '1.85.0';

/** The crates build-std compiles; `compiler-builtins-mem` provides `memcpy` and friends. */
export const BUILD_STD_CRATES: readonly string[] = ['core', 'alloc', 'compiler_builtins'];
export const BUILD_STD_FEATURES: readonly string[] = ['compiler-builtins-mem'];

/** Where a sysroot keeps the standard library's source, and its vendored dependencies beneath. */
export const RUST_SRC_SUBDIR = 'lib/rustlib/src/rust/library';
export const VENDOR_SUBDIR = `${RUST_SRC_SUBDIR}/vendor`;
/** Debian's rust-web-src: the vendored directory generated kernels use with the system profile. */
export const DEBIAN_VENDOR_DIRECTORY = `/usr/${VENDOR_SUBDIR}`;

/**
 * The shared sysroot (issue 16): `core`, `alloc` and `compiler_builtins` compiled once per compiler
 * and codegen flags into the user's cache, and used by every kernel that matches through
 * `--sysroot`, as a prebuilt target is. The generated `.cargo/sysroot-rustc` (cargo's rustc
 * wrapper) makes and finds them.
 */
export const SHARED_SYSROOT = {
  /** Where the project's rustc wrapper lives (a path with a slash: cargo resolves it against the project). */
  wrapperPath: '.cargo/sysroot-rustc',
  /** The project's rustdoc (`build.rustdoc`), which runs rustdoc through the wrapper. */
  rustdocPath: '.cargo/sysroot-rustdoc',
  /** Below the platform's cache directory (`$XDG_CACHE_HOME` or `~/.cache`, `~/Library/Caches` on macOS). */
  cacheSubdirectory: 'baremetal-kernel/sysroots',
  /** The environment variable that puts the sysroots elsewhere. */
  directoryVariable: 'BAREMETAL_KERNEL_SYSROOT_DIR',
  /** Bumped whenever a sysroot's layout or the way it is built changes: old ones are then not used. */
  format: 2,
  /**
   * The `-C` options cargo sets per unit from the profile and its paths, which a prebuilt `core`
   * does not share either (it is built in release): left out of the sysroot's key and build.
   * Every other `-C` option (target-cpu, target-feature, code-model, relocation-model,
   * force-frame-pointers, ...) is part of the key and reaches `core`, as with build-std.
   */
  profileOptions: [
    'opt-level',
    'debuginfo',
    'debug-assertions',
    'overflow-checks',
    'lto',
    // What cargo gives the libraries of an LTO build that only need bitcode (release kernels).
    'linker-plugin-lto',
    'codegen-units',
    'embed-bitcode',
    'incremental',
    'metadata',
    'extra-filename',
    'strip',
    'split-debuginfo',
    'linker',
    'link-arg',
    'link-args',
    'prefer-dynamic',
    'rpath',
    'panic',
  ],
} as const;

/** What {@link sharedSysrootRoot} reads of the machine. */
export interface SysrootLocationInputs {
  /** The environment: the override variable, and XDG_CACHE_HOME. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `process.platform`: 'darwin' has its own cache directory. */
  readonly platform: string;
  /** The user's home directory. */
  readonly home: string;
}

/**
 * The directory holding the shared sysroots, as `cache_directory` in the generated
 * .cargo/sysroot-rustc finds it: the override variable, else the platform's cache directory
 * (`~/Library/Caches` on macOS, `$XDG_CACHE_HOME` or `~/.cache` elsewhere, per the XDG Base
 * Directory specification) + {@link SHARED_SYSROOT}.cacheSubdirectory.
 */
export function sharedSysrootRoot({ env, platform, home }: SysrootLocationInputs): string {
  const override = env[SHARED_SYSROOT.directoryVariable];
  if (override) return override;
  const cache = platform === 'darwin' ? `${home}/Library/Caches` : env.XDG_CACHE_HOME || `${home}/.cache`;
  return `${cache}/${SHARED_SYSROOT.cacheSubdirectory}`;
}

export const TOOLCHAINS: readonly ToolchainProfile[] = [
  {
    name: 'rustup-stable',
    summary: `stable Rust from rustup with the prebuilt ${TARGET.triple} target (no core build: fastest)`,
    buildStd: false,
    bootstrap: false,
    vendoredStdSources: false,
    sharedSysroot: false,
    rustToolchainFile: {
      channel: 'stable',
      components: ['rustfmt', 'clippy'],
      targets: [TARGET.triple],
      profile: 'minimal',
    },
    setup: [`rustup target add ${TARGET.triple}`],
  },
  {
    name: 'rustup-nightly',
    summary: 'nightly Rust from rustup with rust-src; core and alloc are built from source (-Zbuild-std)',
    buildStd: true,
    bootstrap: false,
    vendoredStdSources: false,
    sharedSysroot: true,
    rustToolchainFile: {
      channel: 'nightly',
      components: ['rust-src', 'rustfmt', 'clippy'],
      targets: [],
      profile: 'minimal',
    },
    setup: ['rustup toolchain install nightly --profile minimal --component rust-src,rustfmt,clippy'],
  },
  {
    name: 'system',
    summary: "a distribution's rustc with its vendored rust-src (e.g. Debian's rustc-web + rust-web-src), offline build-std",
    buildStd: true,
    bootstrap: true,
    vendoredStdSources: true,
    sharedSysroot: true,
    rustToolchainFile: undefined,
    setup: [
      `sudo apt-get install --no-install-recommends ${DEBIAN_PACKAGES.systemRust.join(' ')}`,
      'export PATH=/usr/bin:$PATH',
    ],
  },
];

export const TOOLCHAIN_PREFERENCE: readonly ToolchainName[] = ['rustup-stable', 'rustup-nightly', 'system'];

/** The toolchain choice that stands for "what this machine has": see {@link resolveAutoToolchain}. */
export const AUTO_TOOLCHAIN = 'auto';
/** What `auto` means, in one line, for help texts and catalogues. */
export const AUTO_TOOLCHAIN_SUMMARY = 'the first profile that works on this machine, else rustup-stable (its set-up is shown)';

/**
 * The one meaning of `--toolchain auto`: the first usable profile in {@link TOOLCHAIN_PREFERENCE};
 * on a machine with none, the first of them (the most common set-up), whose set-up commands the
 * next steps then show. A kernel is always written: the toolchain can come afterwards.
 */
export function resolveAutoToolchain(report: Pick<ToolchainReport, 'recommended'>): ToolchainName {
  return report.recommended ?? TOOLCHAIN_PREFERENCE[0]!;
}

export function findToolchain(name: string): ToolchainProfile | undefined {
  return TOOLCHAINS.find((toolchain) => toolchain.name === name);
}

// ---------------------------------------------------------------------------------------------
// Detection: pure logic over a probe, so that tests can fake any machine. `@baremetal-kernel/
// generators/node` implements the probe with child processes and the file system.

export interface CommandResult {
  readonly ok: boolean;
  readonly stdout: string;
}

/** What detection asks of the machine. `run` returns undefined when the command does not exist. */
export interface MachineProbe {
  run(command: string, args: readonly string[]): CommandResult | undefined;
  isDirectory(path: string): boolean;
}

export interface RustcInfo {
  readonly command: string;
  readonly version: string;
  readonly host: string;
  readonly sysroot: string;
  readonly managedByRustup: boolean;
}

export interface ToolchainStatus {
  readonly name: ToolchainName;
  readonly usable: boolean;
  /** One line: what was found, or what is missing. */
  readonly detail: string;
  /** Commands that make the profile usable (empty when it is). */
  readonly fix: readonly string[];
}

export interface ToolchainReport {
  /** The rustc first in PATH, if any. */
  readonly rustc: RustcInfo | undefined;
  readonly statuses: readonly ToolchainStatus[];
  /** The first usable profile in {@link TOOLCHAIN_PREFERENCE}, what `--toolchain auto` picks. */
  readonly recommended: ToolchainName | undefined;
  /** The vendored std sources the system profile would use, when found. */
  readonly systemVendorDirectory: string | undefined;
  /** Where a distribution's rustc was found outside PATH (`/usr/bin/rustc` with /usr/bin off PATH). */
  readonly systemRustcOffPath?: string | undefined;
}

/** Candidate system compilers, besides whatever `rustc` is first in PATH. */
export const SYSTEM_RUSTC_CANDIDATES: readonly string[] = ['/usr/bin/rustc', '/usr/local/bin/rustc'];

/** Compares dotted versions numerically (`1.96.0` > `1.85.0`); pre-release suffixes are ignored. */
export function compareVersions(a: string, b: string): number {
  // Stryker disable next-line MethodExpression: equivalent, the loop below reads three parts anyway.
  const parse = (version: string) => version.split(/[.-]/).slice(0, 3).map((part) => Number.parseInt(part, 10) || 0);
  const [left, right] = [parse(a), parse(b)];
  // Stryker disable next-line EqualityOperator: equivalent, a fourth part is `undefined ?? 0` on both sides.
  for (let index = 0; index < 3; index++) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** Reads `rustc -vV` and `rustc --print sysroot` for one rustc command. */
export function inspectRustc(probe: MachineProbe, command: string): RustcInfo | undefined {
  const verbose = probe.run(command, ['-vV']);
  if (!verbose?.ok) return undefined;
  const field = (name: string) => new RegExp(`^${name}: (.+)$`, 'm').exec(verbose.stdout)?.[1]?.trim();
  const version = field('release');
  const host = field('host');
  const sysroot = probe.run(command, ['--print', 'sysroot']);
  if (!version || !host || !sysroot?.ok) return undefined;
  const sysrootPath = sysroot.stdout.trim();
  return {
    command,
    version,
    host,
    sysroot: sysrootPath,
    managedByRustup: /[\\/]\.?rustup[\\/]toolchains[\\/]/.test(sysrootPath),
  };
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

function detectRustupStable(probe: MachineProbe, rustupToolchains: string[] | undefined): ToolchainStatus {
  const profile = findToolchain('rustup-stable')!;
  if (!rustupToolchains) {
    return { name: profile.name, usable: false, detail: 'rustup is not installed', fix: [RUSTUP_INSTALL, ...profile.setup] };
  }
  if (!rustupToolchains.some((toolchain) => toolchain.startsWith('stable'))) {
    return {
      name: profile.name,
      usable: false,
      detail: 'rustup has no stable toolchain',
      fix: ['rustup toolchain install stable --profile minimal', ...profile.setup],
    };
  }
  const targets = probe.run('rustup', ['target', 'list', '--installed', '--toolchain', 'stable']);
  if (!targets?.ok || !lines(targets.stdout).includes(TARGET.triple)) {
    return {
      name: profile.name,
      usable: false,
      detail: `the stable toolchain lacks the ${TARGET.triple} target`,
      fix: profile.setup,
    };
  }
  return { name: profile.name, usable: true, detail: `stable toolchain with the ${TARGET.triple} target`, fix: [] };
}

function detectRustupNightly(probe: MachineProbe, rustupToolchains: string[] | undefined): ToolchainStatus {
  const profile = findToolchain('rustup-nightly')!;
  if (!rustupToolchains) {
    return { name: profile.name, usable: false, detail: 'rustup is not installed', fix: [RUSTUP_INSTALL, ...profile.setup] };
  }
  if (!rustupToolchains.some((toolchain) => toolchain.startsWith('nightly'))) {
    return { name: profile.name, usable: false, detail: 'rustup has no nightly toolchain', fix: profile.setup };
  }
  const components = probe.run('rustup', ['component', 'list', '--installed', '--toolchain', 'nightly']);
  if (!components?.ok || !lines(components.stdout).some((component) => component.startsWith('rust-src'))) {
    return {
      name: profile.name,
      usable: false,
      detail: 'the nightly toolchain lacks the rust-src component',
      fix: ['rustup component add rust-src --toolchain nightly'],
    };
  }
  return { name: profile.name, usable: true, detail: 'nightly toolchain with rust-src', fix: [] };
}

function detectSystem(probe: MachineProbe, pathRustc: RustcInfo | undefined) {
  const profile = findToolchain('system')!;
  const candidates = [
    ...(pathRustc && !pathRustc.managedByRustup ? [pathRustc] : []),
    ...SYSTEM_RUSTC_CANDIDATES.map((command) => inspectRustc(probe, command)).filter(
      (info): info is RustcInfo => info !== undefined && !info.managedByRustup,
    ),
  ];
  if (candidates.length === 0) {
    return {
      status: { name: profile.name, usable: false, detail: 'no system rustc found', fix: profile.setup },
      vendorDirectory: undefined,
    };
  }
  const suitable = candidates.find((info) => compareVersions(info.version, MINIMUM_RUST_VERSION) >= 0);
  if (!suitable) {
    // Every candidate is older than the minimum: name the first.
    return {
      status: {
        name: profile.name,
        usable: false,
        detail: `system rustc ${candidates[0]!.version} is older than ${MINIMUM_RUST_VERSION}`,
        fix: profile.setup,
      },
      vendorDirectory: undefined,
    };
  }
  // The PATH rustc by where it lives: rustc derives its sysroot from its own location (<sysroot>/bin).
  const location = suitable.command.includes('/') ? suitable.command : `${suitable.sysroot}/bin/rustc`;
  const vendorDirectory = `${suitable.sysroot}/${VENDOR_SUBDIR}`;
  if (!probe.isDirectory(vendorDirectory)) {
    return {
      status: {
        name: profile.name,
        usable: false,
        detail: `system rustc ${suitable.version} at ${location} has no vendored rust-src (${vendorDirectory})`,
        fix: [profile.setup[0]!],
      },
      vendorDirectory: undefined,
    };
  }
  const directory = location.slice(0, location.lastIndexOf('/'));
  if (pathRustc === undefined) {
    // Cargo runs the rustc it finds in PATH: a compiler elsewhere is of no use to a build.
    return {
      status: {
        name: profile.name,
        usable: false,
        detail: `rustc ${suitable.version} at ${location} with vendored rust-src, but ${directory} is not in PATH (cargo runs the rustc in PATH)`,
        fix: [`export PATH=${directory}:$PATH`],
      },
      vendorDirectory: undefined,
      offPath: location,
    };
  }
  const shadowed = pathRustc.managedByRustup;
  return {
    status: {
      name: profile.name,
      usable: true,
      detail:
        `rustc ${suitable.version} at ${location} with vendored rust-src` +
        (shadowed ? `; rustup comes first in PATH: put ${directory} first` : ''),
      fix: shadowed ? [`export PATH=${directory}:$PATH`] : [],
    },
    vendorDirectory,
  };
}

export const RUSTUP_INSTALL = "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh";

/** Inspects the machine through `probe` and says which toolchain profiles work. */
export function detectToolchains(probe: MachineProbe): ToolchainReport {
  const rustc = inspectRustc(probe, 'rustc');
  const toolchainList = probe.run('rustup', ['toolchain', 'list']);
  const rustupToolchains = toolchainList?.ok ? lines(toolchainList.stdout) : undefined;
  const system = detectSystem(probe, rustc);
  const statuses = [
    detectRustupStable(probe, rustupToolchains),
    detectRustupNightly(probe, rustupToolchains),
    system.status,
  ];
  const recommended = TOOLCHAIN_PREFERENCE.find((name) => statuses.find((status) => status.name === name)?.usable);
  return {
    rustc,
    statuses,
    recommended,
    systemVendorDirectory: system.vendorDirectory,
    ...('offPath' in system ? { systemRustcOffPath: system.offPath } : {}),
  };
}
