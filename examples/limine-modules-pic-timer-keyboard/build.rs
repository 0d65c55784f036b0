//! Build script: checks that the Rust toolchain cargo runs can build this
//! kernel, then hands our linker script to the linker.
//!
//! `cargo:rustc-link-arg` applies to every linked artifact of the package (the
//! kernel binary AND the test binaries), which is exactly what we need: each
//! test binary is a complete kernel and must be laid out the same way.

use std::path::{Path, PathBuf};
use std::process::{Command, exit};

// c-interop's build step: csrc/*.c compiled with the host C compiler.
#[path = "build/c_interop.rs"]
mod c_interop;
// [baremetal-kernel anchor: build-modules] `baremetal-kernel add` puts the modules of its build steps above this line.

/// The target this kernel is built for (`.cargo/config.toml`).
const TARGET: &str = "x86_64-unknown-none";

/// The standard library's vendored dependencies that build-std uses
/// (`.cargo/config.toml`). They come with one compiler: the system one this
/// project was generated for, whose sysroot holds them.
const VENDOR_DIRECTORY: &str = "/usr/lib/rustlib/src/rust/library/vendor";

fn main() {
    check_toolchain();
    warn_if_wrapper_replaced();
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let script = dir.join("linker.ld");
    println!("cargo:rustc-link-arg=-T{}", script.display());
    // Without this, editing the linker script would not trigger a relink.
    println!("cargo:rerun-if-changed={}", script.display());
    println!("cargo:rerun-if-changed=build.rs");
    c_interop::build();
    // [baremetal-kernel anchor: build-steps] `baremetal-kernel add` puts its build steps above this line.
}

/// Stops the build with the exact fix when the compiler cargo runs cannot
/// build for [`TARGET`] with this project's system toolchain profile;
/// rustc would otherwise fail with "E0463: can't find crate for `core`".
fn check_toolchain() {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    // The target's flags from .cargo/config.toml (a `--sysroot` among them
    // changes where `core` is looked up), separated by 0x1f.
    let flags = std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default();
    let flags = flags.split('\x1f').filter(|flag| !flag.is_empty());
    let output = match Command::new(&rustc)
        .args(flags)
        .args(["--print", "sysroot"])
        .output()
    {
        Ok(output) if output.status.success() => output,
        _ => return, // cargo itself reports a rustc that does not run
    };
    let sysroot = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    // build-std compiles `core` from the sources in the compiler's sysroot.
    let sources = sysroot.join("lib/rustlib/src/rust/library/core");
    // Checked first: a compiler other than the system one is the likely cause.
    let vendor_subdirectory = "/lib/rustlib/src/rust/library/vendor";
    let Some(system_sysroot) = VENDOR_DIRECTORY.strip_suffix(vendor_subdirectory) else {
        return; // not a sysroot layout we know: leave it to the compiler
    };
    if !Path::new(VENDOR_DIRECTORY).starts_with(&sysroot) {
        fail(
            &rustc,
            &sysroot,
            &format!(
                "this project builds `core` with the system compiler in {system_sysroot}; \
                 another Rust (rustup's?) comes first in PATH"
            ),
            &format!("export PATH={system_sysroot}/bin:$PATH"),
        );
    }
    if !sources.is_dir() {
        fail(
            &rustc,
            &sysroot,
            &format!("it has no standard library sources (rust-src) to build `core` for {TARGET}"),
            "sudo apt-get install --no-install-recommends rustc-web cargo-web rust-web-src rust-web-llvm rust-web-clippy rustfmt-web lld-22",
        );
    }
}

/// The rustc wrapper that gives every compilation for [`TARGET`] the shared
/// sysroot holding `core` (`build.rustc-wrapper` in .cargo/config.toml).
const SYSROOT_WRAPPER: &str = ".cargo/sysroot-rustc";

/// A RUSTC_WRAPPER in the environment (sccache, say) takes the place of
/// [`SYSROOT_WRAPPER`] (cargo prefers the variable to the config), and rustc
/// then fails with "E0463: can't find crate for `core`". Only a warning: with
/// build-std turned back on, `core` needs no wrapper, and a build script
/// cannot see that.
fn warn_if_wrapper_replaced() {
    // Looked at again when the variable changes: cargo would otherwise replay
    // this script's warning from its last run.
    println!("cargo:rerun-if-env-changed=RUSTC_WRAPPER");
    // Cargo tells build scripts the wrapper it runs rustc through.
    let wrapper = std::env::var("RUSTC_WRAPPER").unwrap_or_default();
    if !wrapper.is_empty() && !wrapper.ends_with(SYSROOT_WRAPPER) {
        println!(
            "cargo:warning=RUSTC_WRAPPER={wrapper} replaces {SYSROOT_WRAPPER}, which gives this \
             kernel its shared sysroot, so rustc will not find `core` (E0463): unset RUSTC_WRAPPER, \
             or turn build-std back on in .cargo/config.toml's [unstable]"
        );
    }
}

fn fail(rustc: &std::ffi::OsStr, sysroot: &Path, problem: &str, fix: &str) -> ! {
    eprintln!(
        "error: cargo runs {} (sysroot {}), which cannot build this kernel: {problem}.",
        rustc.to_string_lossy(),
        sysroot.display()
    );
    eprintln!("Fix, then build again:\n    {fix}");
    exit(1);
}
