/**
 * Debian package names for what building and booting kernels needs on the host. The toolchain
 * script of this repository installs the same set; generated CI workflows and `doctor` use these.
 */
export const DEBIAN_PACKAGES = {
  /** Debian's Rust with vendored std sources, clippy, rustfmt and rust-lld (the "system" profile). */
  systemRust: ['rustc-web', 'cargo-web', 'rust-web-src', 'rust-web-clippy', 'rustfmt-web', 'lld-22'],
  qemu: ['qemu-system-x86'],
  /** UEFI firmware for QEMU. */
  ovmf: ['ovmf'],
  /** grub-mkrescue and what it needs for a hybrid BIOS/UEFI ISO (without recommends: no shim). */
  grubIso: ['grub-pc-bin', 'grub-efi-amd64-bin', 'grub-common', 'xorriso', 'mtools'],
} as const;

/** Everything `cargo run` and `cargo test` of a multiboot2 kernel need besides Rust. */
export const MULTIBOOT2_BOOT_PACKAGES: readonly string[] = [
  ...DEBIAN_PACKAGES.qemu,
  ...DEBIAN_PACKAGES.grubIso,
  ...DEBIAN_PACKAGES.ovmf,
];
