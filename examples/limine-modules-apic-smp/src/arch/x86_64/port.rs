//! Port-mapped I/O: the `in`/`out` instructions.
//!
//! x86 has a separate 64 KiB I/O address space used by legacy devices (the
//! 16550 UART at 0x3F8, QEMU's isa-debug-exit at 0xF4, ...). It is reached only
//! through these instructions, so every driver below goes through this module.

use core::arch::asm;

/// Reads a byte from an I/O port.
///
/// # Safety
/// Reading a port can have side effects on the device (e.g. it pops a byte out
/// of a UART FIFO); the caller must know what the device at `port` does.
#[inline]
pub unsafe fn inb(port: u16) -> u8 {
    let value: u8;
    // SAFETY: the caller guarantees the read is valid for the device; `in`
    // touches no memory and no flags.
    unsafe {
        asm!("in al, dx", out("al") value, in("dx") port, options(nomem, nostack, preserves_flags));
    }
    value
}

/// Writes a byte to an I/O port.
///
/// # Safety
/// Writing a port can reconfigure hardware arbitrarily; the caller must know
/// what the device at `port` does with `value`.
#[inline]
pub unsafe fn outb(port: u16, value: u8) {
    // SAFETY: the caller guarantees the write is valid for the device; `out`
    // touches no memory and no flags.
    unsafe {
        asm!("out dx, al", in("dx") port, in("al") value, options(nomem, nostack, preserves_flags));
    }
}

/// Writes a 32-bit value to an I/O port.
///
/// # Safety
/// Same as [`outb`].
#[inline]
pub unsafe fn outl(port: u16, value: u32) {
    // SAFETY: the caller guarantees the write is valid for the device; `out`
    // touches no memory and no flags.
    unsafe {
        asm!("out dx, eax", in("dx") port, in("eax") value, options(nomem, nostack, preserves_flags));
    }
}
