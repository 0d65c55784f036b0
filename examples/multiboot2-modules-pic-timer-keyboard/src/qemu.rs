//! Leaving QEMU with an exit status, through the `isa-debug-exit` device.
//!
//! The runner starts QEMU with `-device isa-debug-exit,iobase=0xf4,iosize=0x04`.
//! Writing a value `v` to port 0xf4 makes QEMU exit with status `(v << 1) | 1`
//! (QEMU hw/misc/debugexit.c), so status 0 cannot be produced on purpose; the
//! runner maps our two values back to 0 / 1.

use crate::arch::x86_64::{cpu, port};

/// I/O port of the isa-debug-exit device (must match `iobase` in the runner).
/// The boot code's error paths write to it too, before Rust runs.
pub(crate) const ISA_DEBUG_EXIT_PORT: u16 = 0xf4;

/// Values written to the debug-exit port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum ExitCode {
    /// QEMU exits with (0x10 << 1) | 1 = 33; the runner turns that into 0.
    Success = 0x10,
    /// QEMU exits with (0x11 << 1) | 1 = 35; the runner reports a failure.
    Failed = 0x11,
}

/// Exits QEMU with `code`. Without the device (real hardware, or QEMU started
/// without it) the write does nothing and the CPU halts instead.
pub fn exit(code: ExitCode) -> ! {
    // SAFETY: port 0xf4 is unused on PCs; the only device there is QEMU's
    // isa-debug-exit, whose whole purpose is this write.
    unsafe { port::outl(ISA_DEBUG_EXIT_PORT, code as u32) };
    cpu::halt_loop()
}
