//! CPU control: halting, interrupts, control registers.

use core::arch::asm;

/// Disables maskable interrupts (`cli`).
#[inline]
pub fn disable_interrupts() {
    // SAFETY: clearing IF only stops the CPU from taking maskable interrupts;
    // it cannot break memory safety.
    unsafe { asm!("cli", options(nomem, nostack)) };
}

/// Halts the CPU forever: interrupts off, then `hlt` in a loop (an NMI or SMI
/// can still wake it up, hence the loop).
pub fn halt_loop() -> ! {
    disable_interrupts();
    loop {
        // SAFETY: `hlt` just waits for the next interrupt.
        unsafe { asm!("hlt", options(nomem, nostack, preserves_flags)) };
    }
}

/// Reads control register CR0 (Intel SDM Vol. 3A §2.5: PE, MP, EM, PG, ...).
#[inline]
pub fn read_cr0() -> u64 {
    let value: u64;
    // SAFETY: reading CR0 has no side effects (we run in ring 0).
    unsafe { asm!("mov {}, cr0", out(reg) value, options(nomem, nostack, preserves_flags)) };
    value
}

/// Reads control register CR3: the physical address of the top-level page
/// table (PML4) plus flags.
#[inline]
pub fn read_cr3() -> u64 {
    let value: u64;
    // SAFETY: reading CR3 has no side effects (we run in ring 0).
    unsafe { asm!("mov {}, cr3", out(reg) value, options(nomem, nostack, preserves_flags)) };
    value
}

/// Reads control register CR4 (Intel SDM Vol. 3A §2.5: PAE, OSFXSR, OSXSAVE, ...).
#[inline]
pub fn read_cr4() -> u64 {
    let value: u64;
    // SAFETY: reading CR4 has no side effects (we run in ring 0).
    unsafe { asm!("mov {}, cr4", out(reg) value, options(nomem, nostack, preserves_flags)) };
    value
}
