import type { BootProtocol } from './boot-protocols.js';

/**
 * What building and booting kernels needs on the host, and which package holds it on each package
 * manager `doctor` knows. A boot protocol's row names the requirements its runner has
 * (`hostRequirements` in boot-protocols.ts); everything else (`doctor`'s checks, the Debian
 * packages of the generated README and CI workflow, `create`'s "missing to boot it") derives from
 * the row and these tables.
 */

/** The package managers the tables below name packages for. */
export type PackageManager = 'apt' | 'dnf' | 'pacman' | 'brew';
export const PACKAGE_MANAGERS: readonly PackageManager[] = ['apt', 'dnf', 'pacman', 'brew'];

/** How a one-line install hint introduces each package manager's packages. */
export const INSTALL_HINT_PREFIXES: Readonly<Record<PackageManager, string>> = {
  apt: 'Debian/Ubuntu:',
  dnf: 'Fedora:',
  pacman: 'Arch:',
  brew: 'macOS: brew install',
};

/** Something the host needs besides Rust's compiler: a program, a directory of GRUB's, a firmware image. */
export type HostRequirementKey =
  | 'qemu'
  | 'grubMkrescue'
  | 'grubBios'
  | 'grubUefi'
  | 'xorriso'
  | 'mtools'
  | 'timeout'
  | 'ovmf'
  | 'curl'
  | 'make'
  | 'cCompiler'
  | 'gdb'
  | 'rustLld'
  | 'cargo';

export interface HostRequirement {
  readonly key: HostRequirementKey;
  /** As `create` names it in "Missing to boot it: ...": `GRUB`, `a C compiler`. */
  readonly name: string;
  /** As a person installs it where no package is known: "install <description> with ...". */
  readonly description: string;
  /**
   * The programs that satisfy it, any one will do, in the order the runner tries them; empty when
   * it is not a program (GRUB's platform directories, OVMF's firmware image).
   */
  readonly programs: readonly string[];
}

/** Every requirement, in the order `doctor` reports them. */
export const HOST_REQUIREMENTS: readonly HostRequirement[] = [
  { key: 'qemu', name: 'QEMU', description: 'QEMU (qemu-system-x86_64)', programs: ['qemu-system-x86_64'] },
  // `build_iso` in templates/boot/multiboot2/fragments/runner_image.hbs: Debian's name, then Fedora's and openSUSE's.
  { key: 'grubMkrescue', name: 'GRUB', description: "GRUB's grub-mkrescue", programs: ['grub-mkrescue', 'grub2-mkrescue'] },
  { key: 'grubBios', name: 'GRUB for BIOS', description: 'GRUB for BIOS (i386-pc)', programs: [] },
  { key: 'grubUefi', name: 'GRUB for UEFI', description: 'GRUB for UEFI (x86_64-efi)', programs: [] },
  { key: 'xorriso', name: 'xorriso', description: 'xorriso', programs: ['xorriso'] },
  { key: 'mtools', name: 'mtools', description: 'mtools (mformat)', programs: ['mformat'] },
  { key: 'timeout', name: 'timeout', description: 'timeout (GNU coreutils)', programs: ['timeout'] },
  { key: 'ovmf', name: 'OVMF', description: 'OVMF (UEFI firmware for QEMU)', programs: [] },
  { key: 'curl', name: 'curl', description: 'curl', programs: ['curl'] },
  { key: 'make', name: 'make', description: 'make', programs: ['make'] },
  { key: 'cCompiler', name: 'a C compiler', description: 'a C compiler (cc)', programs: ['cc', 'gcc', 'clang'] },
  // Homebrew's GDB for x86_64 ELF targets goes by its prefixed name.
  { key: 'gdb', name: 'GDB', description: 'GDB', programs: ['gdb', 'x86_64-elf-gdb'] },
  { key: 'rustLld', name: 'rust-lld', description: 'rust-lld', programs: ['rust-lld'] },
  { key: 'cargo', name: 'cargo', description: 'cargo', programs: ['cargo'] },
];

export function hostRequirement(key: HostRequirementKey): HostRequirement {
  return HOST_REQUIREMENTS.find((requirement) => requirement.key === key)!;
}

/**
 * Debian's Rust with vendored std sources, clippy, rustfmt and rust-lld (rust-web-llvm owns
 * /usr/bin/rust-lld): what the system toolchain profile installs, and tools/install-toolchain.sh.
 */
export const DEBIAN_PACKAGES = {
  systemRust: ['rustc-web', 'cargo-web', 'rust-web-src', 'rust-web-llvm', 'rust-web-clippy', 'rustfmt-web', 'lld-22'],
} as const;

/** Checks at compile time that a name is one of the system profile's Debian packages. */
function systemRustPackage<Name extends (typeof DEBIAN_PACKAGES.systemRust)[number]>(name: Name): Name {
  return name;
}

/**
 * The packages that provide each requirement, per package manager. A requirement absent from a
 * manager's row has no package there (see {@link NO_PACKAGE} for what to say instead).
 */
export const HOST_PACKAGES: Readonly<Record<PackageManager, Partial<Record<HostRequirementKey, readonly string[]>>>> = {
  // Debian and Ubuntu, which tools/install-toolchain.sh installs; which package holds which file
  // checked with `dpkg -S` on Debian 12 (grub-mkrescue: grub-common; /usr/lib/grub/i386-pc:
  // grub-pc-bin; x86_64-efi: grub-efi-amd64-bin; timeout: coreutils; /usr/bin/rust-lld:
  // rust-web-llvm, a link to lld-22's binary).
  apt: {
    qemu: ['qemu-system-x86'],
    grubMkrescue: ['grub-common'],
    grubBios: ['grub-pc-bin'],
    grubUefi: ['grub-efi-amd64-bin'],
    xorriso: ['xorriso'],
    mtools: ['mtools'],
    timeout: ['coreutils'],
    ovmf: ['ovmf'],
    // The Limine runner fetches the release over HTTPS (curl and the CA certificates) and builds
    // its host tool (make, gcc and the C library's headers).
    curl: ['curl', 'ca-certificates'],
    make: ['make'],
    cCompiler: ['gcc', 'libc6-dev'],
    gdb: ['gdb'],
    rustLld: [systemRustPackage('rust-web-llvm'), systemRustPackage('lld-22')],
    // Cargo for Debian's rustc-web (the system profile's set-up installs it with the compiler).
    cargo: [systemRustPackage('cargo-web')],
  },
  // Fedora (packages.fedoraproject.org): qemu-system-x86-core holds qemu-system-x86_64 (without the
  // rest of the qemu-system-x86 set); grub2-tools-extra holds grub2-mkrescue; grub2-pc-modules and
  // grub2-efi-x64-modules the i386-pc and x86_64-efi directories under /usr/lib/grub; edk2-ovmf
  // /usr/share/edk2/ovmf. RHEL and its rebuilds use the same names where they ship the package.
  dnf: {
    qemu: ['qemu-system-x86-core'],
    grubMkrescue: ['grub2-tools-extra'],
    grubBios: ['grub2-pc-modules'],
    grubUefi: ['grub2-efi-x64-modules'],
    xorriso: ['xorriso'],
    mtools: ['mtools'],
    ovmf: ['edk2-ovmf'],
    timeout: ['coreutils'],
    cargo: ['cargo'],
    curl: ['curl'],
    make: ['make'],
    cCompiler: ['gcc'],
    gdb: ['gdb'],
  },
  // Arch (archlinux.org/packages): qemu-system-x86 is the split package with qemu-system-x86_64;
  // grub builds both the i386-pc and x86_64-efi platforms; xorriso is part of libisoburn (there is
  // no xorriso package); edk2-ovmf holds /usr/share/edk2/x64/OVMF_CODE.4m.fd.
  pacman: {
    qemu: ['qemu-system-x86'],
    grubMkrescue: ['grub'],
    grubBios: ['grub'],
    grubUefi: ['grub'],
    xorriso: ['libisoburn'],
    mtools: ['mtools'],
    ovmf: ['edk2-ovmf'],
    timeout: ['coreutils'],
    curl: ['curl'],
    make: ['make'],
    cCompiler: ['gcc'],
    gdb: ['gdb'],
  },
  // Homebrew (formulae.brew.sh): qemu bundles share/qemu/edk2-x86_64-code.fd, so it is the UEFI
  // firmware too; x86_64-elf-grub is configured --with-platform=pc --program-prefix=x86_64-elf-
  // (homebrew-core's formula): BIOS only, and its tools are called x86_64-elf-grub-*. Homebrew has
  // no GRUB for UEFI. coreutils installs GNU timeout as gtimeout. x86_64-elf-gdb is GDB for x86_64
  // ELF targets (Homebrew's gdb formula does not build on Apple silicon).
  brew: {
    qemu: ['qemu'],
    grubMkrescue: ['x86_64-elf-grub'],
    grubBios: ['x86_64-elf-grub'],
    xorriso: ['xorriso'],
    mtools: ['mtools'],
    ovmf: ['qemu'],
    timeout: ['coreutils'],
    curl: ['curl'],
    make: ['make'],
    gdb: ['x86_64-elf-gdb'],
  },
};

/** What to say where a package manager is known to have no package for a requirement. */
export const NO_PACKAGE: Readonly<Partial<Record<PackageManager, Partial<Record<HostRequirementKey, string>>>>> = {
  brew: {
    grubUefi: 'Homebrew has no GRUB for UEFI: build GRUB from source with --target=x86_64 --with-platform=efi',
    rustLld: 'rust-lld comes with rustup toolchains: use a rustup profile',
    cCompiler: "macOS's C compiler comes with the command line tools: xcode-select --install",
  },
};

/**
 * Packages every installation has, left out of install lists: Debian's `Essential: yes` packages
 * (Debian Policy §3.8) cannot be removed without force, and coreutils is one of them.
 */
export const PREINSTALLED_PACKAGES: Readonly<Partial<Record<PackageManager, readonly string[]>>> = {
  apt: ['coreutils'],
};

/** The command that installs `packages` with `manager`. */
export function installCommand(manager: PackageManager, packages: readonly string[]): string {
  const list = packages.join(' ');
  switch (manager) {
    // Without recommends: grub-efi-amd64-bin would otherwise pull in shim and efibootmgr.
    case 'apt':
      return `sudo apt-get install --no-install-recommends ${list}`;
    case 'dnf':
      return `sudo dnf install ${list}`;
    case 'pacman':
      return `sudo pacman -S --needed ${list}`;
    case 'brew':
      return `brew install ${list}`;
  }
}

/**
 * Where `requirements` come from on each system with a package for them, in one line for an error
 * message: `Debian/Ubuntu: qemu-system-x86; Fedora: qemu-system-x86-core; ...`.
 */
export function installHint(requirements: readonly HostRequirementKey[]): string {
  return PACKAGE_MANAGERS.flatMap((manager) => {
    const packages = [...new Set(requirements.flatMap((key) => HOST_PACKAGES[manager][key] ?? []))];
    return packages.length > 0 ? [`${INSTALL_HINT_PREFIXES[manager]} ${packages.join(' ')}`] : [];
  }).join('; ');
}

/**
 * The packages of `manager` that booting a `protocol` kernel needs: those of the requirements its
 * row names for booting and for UEFI (not the debugger), each package once, in the row's order,
 * without the ones every installation has.
 */
export function bootPackages(protocol: BootProtocol, manager: PackageManager): string[] {
  const preinstalled = PREINSTALLED_PACKAGES[manager] ?? [];
  const packages = protocol.hostRequirements
    .filter((need) => need.use !== 'debug')
    .flatMap((need) => HOST_PACKAGES[manager][need.requirement] ?? [])
    .filter((name) => !preinstalled.includes(name));
  return [...new Set(packages)];
}

/** A UEFI firmware image for QEMU and the variable store that matches it. */
export interface OvmfFirmwareLocation {
  readonly code: string;
  /** Undefined when the image holds its own variables or the distribution ships no matching store. */
  readonly vars: string | undefined;
}

/**
 * Where distributions put OVMF (UEFI firmware for QEMU), in the order the runner tries them
 * (`find_ovmf` in templates/kernel/runner.hbs): Debian/Ubuntu's `ovmf` (4 MiB build, then
 * the 2 MiB one older releases ship), Fedora's `edk2-ovmf`, Arch's `edk2-ovmf` (current layout, then
 * the older one), the edk2 build QEMU bundles (distribution QEMU, Homebrew on Apple silicon, Homebrew
 * on Intel), and last the combined code+variables images.
 */
export const OVMF_FIRMWARE_LOCATIONS: readonly OvmfFirmwareLocation[] = [
  { code: '/usr/share/OVMF/OVMF_CODE_4M.fd', vars: '/usr/share/OVMF/OVMF_VARS_4M.fd' },
  { code: '/usr/share/OVMF/OVMF_CODE.fd', vars: '/usr/share/OVMF/OVMF_VARS.fd' },
  { code: '/usr/share/edk2/ovmf/OVMF_CODE.fd', vars: '/usr/share/edk2/ovmf/OVMF_VARS.fd' },
  { code: '/usr/share/edk2/x64/OVMF_CODE.4m.fd', vars: '/usr/share/edk2/x64/OVMF_VARS.4m.fd' },
  { code: '/usr/share/edk2-ovmf/x64/OVMF_CODE.fd', vars: '/usr/share/edk2-ovmf/x64/OVMF_VARS.fd' },
  { code: '/usr/share/qemu/edk2-x86_64-code.fd', vars: undefined },
  { code: '/opt/homebrew/share/qemu/edk2-x86_64-code.fd', vars: undefined },
  { code: '/usr/local/share/qemu/edk2-x86_64-code.fd', vars: undefined },
  { code: '/usr/share/ovmf/OVMF.fd', vars: undefined },
  { code: '/usr/share/qemu/OVMF.fd', vars: undefined },
];
