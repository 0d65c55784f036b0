#!/usr/bin/env bash
# Installs, from Debian's archive, everything needed to build and boot the kernels that
# baremetal-kernel generates: Debian's Rust toolchain (with its vendored std sources, so that
# `-Zbuild-std` works offline), rust-lld, QEMU, GRUB for BIOS and UEFI, xorriso, mtools, OVMF and GDB,
# and GCC and Clang for C code beside the Rust (the c-interop module).
#
# Idempotent: when every package is already installed it only says so and exits (well under a second).
# --no-install-recommends matters: grub-efi-amd64-bin otherwise pulls in shim and efibootmgr.
set -euo pipefail

# rustfmt-web: `cargo fmt` for generated kernels (the rust-web set does not pull it in).
readonly RUST_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-llvm rust-web-clippy rustfmt-web lld-22)
readonly BOOT_PACKAGES=(qemu-system-x86 grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools ovmf)
# The test suite lints the generated runners and our own scripts with ShellCheck, assembles
# small multiboot2 kernels with binutils (as, ld) to compare `check` with GRUB's own verdicts, and
# builds the c-interop module's C code with both GCC and Clang (binutils' ar archives it).
readonly TEST_PACKAGES=(shellcheck binutils gcc clang)
# GDB for `cargo run -- --gdb` and the generated kernel.gdb (the test suite attaches it for real).
readonly DEBUG_PACKAGES=(gdb)
readonly PACKAGES=("${RUST_PACKAGES[@]}" "${BOOT_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${DEBUG_PACKAGES[@]}")

log() { printf 'install-toolchain: %s\n' "$*"; }
fail() { printf 'install-toolchain: error: %s\n' "$*" >&2; exit 1; }

is_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = "installed" ]
}

command -v dpkg-query >/dev/null 2>&1 || fail "this script needs a Debian-based system (dpkg and apt-get); install the equivalents of: ${PACKAGES[*]}"

missing=()
for package in "${PACKAGES[@]}"; do
  is_installed "$package" || missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
  log "all ${#PACKAGES[@]} packages already installed"
else
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || fail "not root and no sudo: run as root to install ${missing[*]}"
    sudo="sudo"
  fi
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq || fail "apt-get update failed; check the network and /etc/apt/sources.list"
  for package in "${missing[@]}"; do
    apt-cache show "$package" >/dev/null 2>&1 \
      || fail "package '$package' is not available from the configured Debian archive"
  done
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || fail "apt-get install failed for: ${missing[*]}"
  log "installed ${#missing[@]} package(s)"
fi

# Debian's toolchain lives in /usr/bin; a rustup toolchain earlier in PATH would shadow it.
for tool in /usr/bin/rustc /usr/bin/cargo /usr/bin/rustfmt /usr/bin/rust-lld /usr/bin/qemu-system-x86_64 /usr/bin/grub-mkrescue /usr/bin/xorriso /usr/bin/shellcheck /usr/bin/as /usr/bin/ld /usr/bin/gdb; do
  [ -x "$tool" ] || fail "$tool is missing after installation"
done
log "rustc: $(/usr/bin/rustc --version)"
log "qemu: $(/usr/bin/qemu-system-x86_64 --version | head -n 1)"
