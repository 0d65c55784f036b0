/**
 * Debian package names for what building and booting kernels needs on the host. The toolchain
 * script of this repository installs the same set; generated CI workflows and `doctor` use these.
 */
export const DEBIAN_PACKAGES = {
  /** Debian's Rust with vendored std sources, clippy, rustfmt and rust-lld (rust-web-llvm owns /usr/bin/rust-lld). */
  systemRust: ['rustc-web', 'cargo-web', 'rust-web-src', 'rust-web-llvm', 'rust-web-clippy', 'rustfmt-web', 'lld-22'],
  qemu: ['qemu-system-x86'],
  /** UEFI firmware for QEMU. */
  ovmf: ['ovmf'],
  /** grub-mkrescue and what it needs for a hybrid BIOS/UEFI ISO (without recommends: no shim). */
  grubIso: ['grub-pc-bin', 'grub-efi-amd64-bin', 'grub-common', 'xorriso', 'mtools'],
  /** Optional: GDB for `cargo run -- --gdb` and the generated kernel.gdb (QEMU's GDB stub). */
  debugger: ['gdb'],
} as const;

/**
 * What `cargo run` and `cargo test` of a Limine kernel need besides Rust: QEMU, xorriso and OVMF,
 * and what the runner uses to fetch Limine's release and build its host tool.
 */
export const LIMINE_BOOT_PACKAGES: readonly string[] = [
  ...DEBIAN_PACKAGES.qemu,
  'xorriso',
  ...DEBIAN_PACKAGES.ovmf,
  'curl',
  'ca-certificates',
  'make',
  'gcc',
  'libc6-dev',
];

/** Everything `cargo run` and `cargo test` of a multiboot2 kernel need besides Rust. */
export const MULTIBOOT2_BOOT_PACKAGES: readonly string[] = [
  ...DEBIAN_PACKAGES.qemu,
  ...DEBIAN_PACKAGES.grubIso,
  ...DEBIAN_PACKAGES.ovmf,
];

/** A UEFI firmware image for QEMU and the variable store that matches it. */
export interface OvmfFirmwareLocation {
  readonly code: string;
  /** Undefined when the image holds its own variables or the distribution ships no matching store. */
  readonly vars: string | undefined;
}

/**
 * Where distributions put OVMF (UEFI firmware for QEMU), in the order the runner tries them
 * (`find_ovmf` in templates/boot/multiboot2/runner.hbs): Debian/Ubuntu's `ovmf` (4 MiB build, then
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
