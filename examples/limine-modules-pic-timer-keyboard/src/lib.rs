//! limine-modules-pic-timer-keyboard: a small x86_64 kernel, booted by Limine (BIOS or UEFI).
//!
//! The library holds the whole kernel; `src/main.rs` and each file in `tests/`
//! are thin binaries that pick a main function with [`entry_point!`].
//!
//! Boot flow: `boot::entry` (`_start`, 64-bit assembly) -> `boot::rust_entry`
//! (reads Limine's responses into [`boot::BootInfo`]) -> the binary's main.

#![no_std]
// Built as a test (`cargo test NAME` builds the library's unit tests even though
// Cargo.toml says `test = false`), the library is a test kernel of its own:
// see the `entry_point!` at the end.
#![cfg_attr(test, no_main)]

extern crate alloc;

pub mod allocator;
pub mod arch;
pub mod backtrace;
pub mod boot;
pub mod boot_info;
pub mod console;
pub mod font;
pub mod framebuffer;
pub mod memory;
pub mod panic;
pub mod qemu;
pub mod serial;
pub mod sync;
pub mod testing;

pub mod acpi;
pub mod c_interop;
pub mod heap;
pub mod keyboard;
pub mod log;
pub mod pic_timer;
// [baremetal-kernel anchor: lib-modules] `baremetal-kernel add` declares modules above this line.

pub use boot::BootInfo;

/// Declares the kernel's main function: `fn(&'static BootInfo) -> !`.
///
/// The boot code in this library calls it once the CPU is in 64-bit mode and
/// the boot information is parsed. It works through a symbol with a fixed
/// name, resolved at link time, so there must be exactly one `entry_point!`
/// per binary.
///
/// ```ignore
/// extern crate limine_modules_pic_timer_keyboard as kernel;
///
/// kernel::entry_point!(kernel_main);
///
/// fn kernel_main(boot_info: &'static kernel::BootInfo) -> ! {
///     kernel::halt()
/// }
/// ```
#[macro_export]
macro_rules! entry_point {
    ($main:path) => {
        #[unsafe(no_mangle)]
        pub extern "Rust" fn __kernel_main(boot_info: &'static $crate::boot::BootInfo) -> ! {
            // Type-check the user's function against the expected signature.
            let main: fn(&'static $crate::boot::BootInfo) -> ! = $main;
            main(boot_info)
        }
    };
}

/// Exits QEMU reporting success (see [`qemu::exit`]); halts without QEMU.
pub fn exit_success() -> ! {
    qemu::exit(qemu::ExitCode::Success)
}

/// Exits QEMU reporting failure (see [`qemu::exit`]); halts without QEMU.
pub fn exit_failure() -> ! {
    qemu::exit(qemu::ExitCode::Failed)
}

/// Halts the CPU forever, as a kernel with nothing left to do does on real
/// hardware.
pub fn halt() -> ! {
    arch::x86_64::cpu::halt_loop()
}

// The library's own test kernel: runs the `kernel_test!`s in `src/` (there are
// none by default). Cargo builds and runs it only for `cargo test NAME` and
// `cargo test --lib` (Cargo.toml: `test = false`, `harness = false`).
#[cfg(test)]
entry_point!(testing::test_kernel_main);
