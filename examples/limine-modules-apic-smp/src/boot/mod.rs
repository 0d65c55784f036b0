//! Booting: from "Limine jumped to us" to "kernel_main runs with a BootInfo".
//!
//! 1. [`entry`]: `_start`, where Limine enters in 64-bit long mode on its own
//!    stack with our page tables (the PT_LOAD segments, higher half) and its
//!    direct map (HHDM). It zeroes `.bss`, enables the CPU features of the
//!    preset ([`cpu_features`]) and calls `rust_entry`.
//! 2. `rust_entry` checks that Limine supported our base revision, then
//!    translates Limine's responses ([`limine`]) into the protocol-agnostic
//!    [`BootInfo`] and starts the framebuffer console.
//! 3. It then calls the `kernel_main` registered with
//!    [`entry_point!`](crate::entry_point).
//!
//! [`BootInfo`] (`src/boot_info.rs`) is the same for every boot protocol.
//! Every address in it is physical; the kernel reaches physical memory at
//! `physical + physical_memory_offset` (Limine's higher-half direct map).

pub mod cpu_features;
pub mod early_serial;
pub mod entry;
pub mod limine;

use core::fmt;

pub use crate::boot_info::{
    BootInfo, Firmware, FixedString, Framebuffer, Loader, MAX_MEMORY_REGIONS, MemoryKind,
    MemoryRegion, PixelFormat,
};
use crate::sync::Once;

/// The parsed boot information, filled in once by [`rust_entry`].
static BOOT_INFO: Once<BootInfo> = Once::new();

unsafe extern "Rust" {
    /// The kernel's main function, defined by the binary through
    /// [`entry_point!`](crate::entry_point). Resolved at link time: the library
    /// calls into whichever binary (kernel or test) it is linked into.
    fn __kernel_main(boot_info: &'static BootInfo) -> !;
}

/// First Rust code to run, called by `_start` ([`entry`]) once the CPU
/// features of the preset are enabled.
extern "C" fn rust_entry() -> ! {
    // First: our GDT (replacing Limine's, which is in bootloader-reclaimable
    // memory) and the exception handlers, so that any fault from here on is
    // reported.
    crate::arch::x86_64::init();
    // §Base Revisions: a loader that supports revision 6 cleared the tag's
    // third word. Otherwise the responses may follow an older protocol (or
    // not exist): say so and stop, rather than misread them.
    if !limine::BASE_REVISION_TAG.is_supported() {
        boot_error(format_args!(
            "Limine did not accept base revision {} (the tag's third word is not 0); \
             boot this kernel with Limine {} or later (it was built for {})",
            limine::BASE_REVISION,
            LIMINE_MINIMUM_VERSION,
            LIMINE_PINNED_HINT
        ));
    }
    let mut boot_info = match limine::parse() {
        Ok(info) => info,
        Err(missing) => boot_error(format_args!(
            "Limine gave no {missing} response, which this kernel needs"
        )),
    };
    // Whatever the HHDM lacks, page 0 and the stack guard pages.
    crate::memory::init(&mut boot_info);
    // _start switched from Limine's stack to the boot stack.
    boot_info.stack_size = Some(crate::memory::stacks::BOOT_STACK_SIZE as u64);
    let boot_info = match BOOT_INFO.set(boot_info) {
        Ok(stored) => stored,
        Err(_) => unreachable!("rust_entry runs once"),
    };
    // Text on the screen too, from the first line kernel_main prints.
    // SAFETY: the HHDM maps the framebuffer (§Memory Layout at Entry), at
    // `physical_to_virtual`, and nothing else draws on it.
    unsafe { crate::console::attach_loader_framebuffer(boot_info) };
    // SAFETY: `__kernel_main` is defined by `entry_point!` with exactly this
    // signature; the linker fails if it is missing.
    unsafe { __kernel_main(boot_info) }
}

/// The Limine release the runner boots with, for error messages.
const LIMINE_PINNED_HINT: &str = "Limine 12.9.1, base revision 6";

/// The first Limine release implementing [`limine::BASE_REVISION`] (Limine's
/// ChangeLog, "Implement support for base revision 6"): older releases
/// leave the tag's third word as it is.
const LIMINE_MINIMUM_VERSION: &str = "11.0.0";

/// Prints `boot error: <message>` on COM1, then leaves QEMU with failure
/// (on real hardware, where there is no exit device, it halts).
fn boot_error(message: fmt::Arguments) -> ! {
    let _ = crate::serial::init();
    crate::println!("boot error: {message}");
    crate::exit_failure()
}
