//! The kernel binary: the order of initialisation and the boot summary.
//!
//! Everything before `kernel_main` (the entry, CPU features, reading the boot
//! information) happens in the library, see `src/boot/`.

#![no_std]
#![no_main]

extern crate alloc;

// The library under one short name, whatever the package is called; as an
// `extern crate` the name holds in every module of this crate.
extern crate multiboot2_modules_pic_timer_keyboard as kernel;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use kernel::arch::x86_64::cpu;
use kernel::boot::{BootInfo, cpu_features};
use kernel::{allocator, framebuffer, print, println, serial};

kernel::entry_point!(kernel_main);

/// Command line option: exit QEMU (successfully) once the boot sequence is
/// done, instead of halting. The runner passes it unless `--interactive`.
const EXIT_AFTER_BOOT: &str = "exit-after-boot";

const MIB: u64 = 1024 * 1024;

fn kernel_main(boot_info: &'static BootInfo) -> ! {
    // 1. Serial first: everything after it can report, including panics.
    // If no UART answers there is nobody to talk to, but the kernel can still
    // do its work, so the error is deliberately ignored.
    let _ = serial::init();
    println!();
    println!(
        "[kernel] {} {}",
        env!("CARGO_PKG_NAME"),
        env!("CARGO_PKG_VERSION")
    );

    // 2. What the loader told us.
    println!("[boot] loader: {}", boot_info.bootloader_name);
    match boot_info.efi_system_table {
        Some(table) => println!(
            "[boot] firmware: {}, EFI system table at {table:#x}",
            boot_info.firmware.name()
        ),
        None => println!("[boot] firmware: {}", boot_info.firmware.name()),
    }
    println!("[boot] command line: {}", boot_info.command_line);
    println!(
        "[boot] kernel at physical {:#x}, virtual {:#x}; physical memory at virtual + {:#x}",
        boot_info.kernel_physical_base,
        boot_info.kernel_virtual_base,
        boot_info.physical_memory_offset
    );
    if let Some(rsdp) = boot_info.rsdp {
        println!("[boot] ACPI RSDP at {rsdp:#x}");
    }
    if let Some(stack_size) = boot_info.stack_size {
        println!("[boot] stack: {} KiB", stack_size / 1024);
    }
    println!(
        "[cpu] preset: {} (CR0 = {:#x}, CR4 = {:#x})",
        cpu_features::PRESET,
        cpu::read_cr0(),
        cpu::read_cr4()
    );
    print_memory_map(boot_info);
    print_modules(boot_info);
    match boot_info.framebuffer {
        Some(fb) => {
            print!(
                "[framebuffer] {}x{}, {} bpp, pitch {} at {:#x}",
                fb.width, fb.height, fb.bits_per_pixel, fb.pitch, fb.address
            );
            // Whether the console draws on it (the boot code attached it).
            match framebuffer::check(&fb) {
                Ok(_) => println!(),
                Err(reason) => println!(" (no text console on it, serial only: {reason})"),
            }
        }
        None => println!("[framebuffer] none"),
    }

    // 3. The heap, then prove that allocation works.
    match allocator::init(boot_info) {
        Ok(heap) => println!("[heap] {} KiB at {:#x}", heap.size / 1024, heap.start),
        Err(error) => panic!("heap initialisation failed: {error:?}"),
    }
    let boxed = Box::new(42u64);
    let squares: Vec<u64> = (1..=5).map(|n| n * n).collect();
    let mut greeting = String::from("hello from the");
    greeting.push_str(" heap");
    println!("[heap] allocation works: Box = {boxed}, Vec = {squares:?}, String = \"{greeting}\"");

    kernel::log::init(boot_info);
    match kernel::memory::frame_allocator::init(boot_info) {
        Ok(frames) => kernel::println!(
            "[memory] frame allocator: {} of {} frames (4 KiB) free, bitmap at {:#x}",
            frames.free,
            frames.total,
            frames.bitmap.0
        ),
        Err(error) => panic!("frame allocator initialisation failed: {error:?}"),
    }
    match kernel::heap::init() {
        Ok(window) => kernel::println!(
            "[heap] kernel heap in {window:#x?}: size classes up to 2 KiB, pages above, grows on demand"
        ),
        Err(error) => panic!("kernel heap initialisation failed: {error:?}"),
    }
    kernel::pic_timer::init();
    kernel::println!(
        "[pic-timer] 8259 PICs at vectors {}-{} (masks {:#06x}), PIT at {} Hz, interrupts enabled",
        kernel::pic_timer::IRQ_VECTORS.start,
        kernel::pic_timer::IRQ_VECTORS.end - 1,
        kernel::pic_timer::pic::masks(),
        kernel::pic_timer::TICK_HZ
    );
    match kernel::keyboard::init() {
        Ok(()) => kernel::println!(
            "[keyboard] PS/2 keyboard on IRQ {}, scan code set 1, US layout",
            kernel::keyboard::KEYBOARD_IRQ
        ),
        Err(error) => kernel::println!("[keyboard] no keyboard: {error}"),
    }
    // Prints its own `[vga-text]` line, also when there is no text mode.
    let _ = kernel::vga_text::init(boot_info);
    match kernel::acpi::init(boot_info) {
        Ok(()) => kernel::println!("[acpi] {}", kernel::acpi::summary()),
        Err(error) => kernel::println!("[acpi] no ACPI tables: {error}"),
    }
    kernel::println!(
        "[c-interop] C compiled by {} ({}): -6 * 7 + 100 = {}, stats of [3, -1, 4] = {:?}",
        kernel::c_interop::COMPILER,
        kernel::c_interop::COMPILER_VERSION,
        kernel::c_interop::mul_add(-6, 7, 100),
        kernel::c_interop::stats_of(&[3, -1, 4])
    );
    // [baremetal-kernel anchor: main-init] `baremetal-kernel add` initialises modules above this line.

    // 4. Done.
    println!("[kernel] boot complete");

    if boot_info.has_option(EXIT_AFTER_BOOT) {
        kernel::exit_success();
    }
    kernel::halt()
}

/// The files the loader loaded beside the kernel (GRUB's `module2`, QEMU's
/// `-initrd`, Limine's `module_path`): on Multiboot2 and PVH their memory is
/// listed as "boot module" in the map above; Limine's map has its own kind for
/// it ("executable and modules", shown as reserved).
fn print_modules(boot_info: &BootInfo) {
    if boot_info.modules().is_empty() {
        println!("[modules] none");
    }
    for module in boot_info.modules() {
        println!(
            "[modules] {:#014x} - {:#014x} {} bytes, command line {:?}",
            module.start,
            module.end(),
            module.len,
            module.command_line
        );
    }
    if boot_info.modules_dropped > 0 {
        println!(
            "[modules] {} more modules did not fit",
            boot_info.modules_dropped
        );
    }
}

fn print_memory_map(boot_info: &BootInfo) {
    let regions = boot_info.memory_regions();
    println!(
        "[memory] {} regions, {} MiB usable",
        regions.len(),
        boot_info.usable_memory() / MIB
    );
    for region in regions {
        println!(
            "[memory]   {:#014x} - {:#014x} {}",
            region.start,
            region.end(),
            region.kind.name()
        );
    }
    if boot_info.memory_regions_dropped > 0 {
        println!(
            "[memory] {} more regions did not fit",
            boot_info.memory_regions_dropped
        );
    }
}
