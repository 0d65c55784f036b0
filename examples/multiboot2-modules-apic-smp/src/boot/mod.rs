//! Booting: from "a loader jumped to us" to "kernel_main runs with a BootInfo".
//!
//! 1. [`entry32`]: the 32-bit entry both loaders jump to. It figures out which
//!    loader it was, builds page tables, enters 64-bit long mode and calls
//!    `rust_entry`.
//! 2. `rust_entry` translates the loader's own data structure
//!    ([`multiboot2`] or [`pvh`]) into the protocol-agnostic [`BootInfo`]
//!    and starts the framebuffer console on GRUB's framebuffer, if any.
//! 3. It then calls the `kernel_main` registered with
//!    [`entry_point!`](crate::entry_point).
//!
//! [`BootInfo`] (`src/boot_info.rs`) is the same for every boot protocol. It
//! copies everything it keeps, so after parsing, the loader's structures are
//! no longer needed and their memory may be reused.

pub mod cpu_features;
pub mod early_serial;
pub mod entry32;
pub mod multiboot2;
pub mod pvh;

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

/// First Rust code to run, called by the 64-bit part of `entry32` with the
/// values it saved: which loader booted us and the physical address of its
/// boot information.
extern "C" fn rust_entry(loader: u32, info_address: u32) -> ! {
    // First: our GDT (replacing entry32's) and the exception handlers, so
    // that any fault from here on is reported.
    crate::arch::x86_64::init();
    let info_address = u64::from(info_address);
    let mut boot_info = if loader == Loader::Multiboot2 as u32 {
        // SAFETY: entry32 saw the Multiboot2 magic in eax, so ebx (passed here)
        // is the address of a Multiboot2 information structure, identity mapped.
        unsafe { multiboot2::parse(info_address) }
    } else {
        // SAFETY: entry32 only passes other values after it found the PVH start
        // info magic at this (identity-mapped) address.
        unsafe { pvh::parse(info_address) }
    };
    // entry32 identity-maps the first 4 GiB and runs the kernel where GRUB or
    // QEMU loaded it.
    boot_info.set_kernel_identity_mapped();
    // The rest of RAM (above 4 GiB too), page 0 and the stack guard pages.
    crate::memory::init(&mut boot_info);
    // entry32 switched to the boot stack at once.
    boot_info.stack_size = Some(crate::memory::stacks::BOOT_STACK_SIZE as u64);
    let boot_info = match BOOT_INFO.set(boot_info) {
        Ok(stored) => stored,
        Err(_) => unreachable!("rust_entry runs once"),
    };
    // Text on GRUB's framebuffer too, from the first line kernel_main prints
    // (PVH direct boot has none).
    // SAFETY: memory::init mapped the framebuffer (identity: the offset is 0),
    // and nothing else draws on it.
    unsafe { crate::console::attach_loader_framebuffer(boot_info) };
    // SAFETY: `__kernel_main` is defined by `entry_point!` with exactly this
    // signature; the linker fails if it is missing.
    unsafe { __kernel_main(boot_info) }
}
