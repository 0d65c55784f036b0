import { DEBIAN_PACKAGES } from '@baremetal-kernel/target';
import type { PackageManager } from './platform.js';

/** What the host needs besides Rust, each named the way `doctor` reports it. */
export type HostRequirement =
  | 'qemu'
  | 'grubMkrescue'
  | 'grubBios'
  | 'grubUefi'
  | 'xorriso'
  | 'mtools'
  | 'ovmf'
  | 'timeout'
  | 'rustLld'
  | 'cargo'
  | 'curl'
  | 'make'
  | 'cCompiler'
  | 'gdb';

/** How to name a requirement when `doctor` knows no package for it. */
export const REQUIREMENT_NAMES: Readonly<Record<HostRequirement, string>> = {
  qemu: 'QEMU (qemu-system-x86_64)',
  grubMkrescue: "GRUB's grub-mkrescue",
  grubBios: 'GRUB for BIOS (i386-pc)',
  grubUefi: 'GRUB for UEFI (x86_64-efi)',
  xorriso: 'xorriso',
  mtools: 'mtools (mformat)',
  ovmf: 'OVMF (UEFI firmware for QEMU)',
  timeout: 'timeout (GNU coreutils)',
  rustLld: 'rust-lld',
  cargo: 'cargo',
  curl: 'curl',
  make: 'make',
  cCompiler: 'a C compiler (cc)',
  gdb: 'GDB',
};

/** Checks at compile time that a name is one of host-packages.ts's GRUB ISO packages. */
function debianGrubIsoPackage<Name extends (typeof DEBIAN_PACKAGES.grubIso)[number]>(name: Name): Name {
  return name;
}

/**
 * The packages that provide each requirement, per package manager: the one table of package names.
 * A requirement absent from a manager's row has no package there.
 */
export const HOST_PACKAGES: Readonly<Record<PackageManager, Partial<Record<HostRequirement, readonly string[]>>>> = {
  // Debian and Ubuntu: the names of @baremetal-kernel/target's host-packages.ts, which
  // tools/install-toolchain.sh installs; which package holds which file checked with `dpkg -S` on
  // Debian 12 (grub-mkrescue: grub-common; /usr/lib/grub/i386-pc: grub-pc-bin; x86_64-efi:
  // grub-efi-amd64-bin; timeout: coreutils; /usr/bin/rust-lld: rust-web-llvm, a link to lld-22's
  // binary).
  apt: {
    qemu: DEBIAN_PACKAGES.qemu,
    grubMkrescue: [debianGrubIsoPackage('grub-common')],
    grubBios: [debianGrubIsoPackage('grub-pc-bin')],
    grubUefi: [debianGrubIsoPackage('grub-efi-amd64-bin')],
    xorriso: [debianGrubIsoPackage('xorriso')],
    mtools: [debianGrubIsoPackage('mtools')],
    ovmf: DEBIAN_PACKAGES.ovmf,
    timeout: ['coreutils'],
    rustLld: ['rust-web-llvm', 'lld-22'],
    // Cargo for Debian's rustc-web (the system profile's set-up installs it with the compiler).
    cargo: ['cargo-web'],
    // What the Limine runner uses to fetch the release (over HTTPS) and build its host tool;
    // the same set as LIMINE_BOOT_PACKAGES in host-packages.ts.
    curl: ['curl', 'ca-certificates'],
    make: ['make'],
    cCompiler: ['gcc', 'libc6-dev'],
    gdb: DEBIAN_PACKAGES.debugger,
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

/** What to say where a package manager is known to have no package for a requirement. */
const NO_PACKAGE: Readonly<Partial<Record<PackageManager, Partial<Record<HostRequirement, string>>>>> = {
  brew: {
    grubUefi: 'Homebrew has no GRUB for UEFI: build GRUB from source with --target=x86_64 --with-platform=efi',
    rustLld: 'rust-lld comes with rustup toolchains: use a rustup profile',
    cCompiler: "macOS's C compiler comes with the command line tools: xcode-select --install",
  },
};

/** The command that installs `requirement`, or a sentence naming it when no package is known. */
export function installFix(manager: PackageManager | undefined, requirement: HostRequirement): string {
  const packages = manager === undefined ? undefined : HOST_PACKAGES[manager][requirement];
  const noPackage = manager === undefined ? undefined : NO_PACKAGE[manager]?.[requirement];
  if (noPackage !== undefined) return noPackage;
  if (manager === undefined || packages === undefined) {
    return `install ${REQUIREMENT_NAMES[requirement]} with the system's package manager`;
  }
  return installCommand(manager, packages);
}
