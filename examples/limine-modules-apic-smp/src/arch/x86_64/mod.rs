//! x86_64 primitives: port I/O, CPU control, and the descriptor tables with
//! the exception handlers.

pub mod cpu;
pub mod exceptions;
pub mod gdt;
pub mod idt;
pub mod port;
pub mod tsc;

/// Loads the kernel's GDT and TSS, then the IDT with a handler for each CPU
/// exception. The boot code calls it first thing in `rust_entry`: from then
/// on every fault is reported instead of resetting the machine.
pub fn init() {
    gdt::init();
    idt::init();
}
