//! Backtraces: the chain of return addresses, from the frame pointers.
//!
//! The kernel is built with `-C force-frame-pointers=yes` (`.cargo/config.toml`),
//! so every function starts with `push rbp; mov rbp, rsp`: RBP points at the
//! caller's saved RBP, with the return address into the caller just above it.
//! Following saved RBPs walks up the call chain. The boot code clears RBP
//! before the first Rust function, which ends the chain.
//!
//! The output is one line per frame, `  #<n> 0x<address>`, with addresses
//! ready to look up in the kernel ELF: the faulting instruction for frame 0 of
//! an exception, and `return address - 1` (inside the call instruction) for
//! the others. The runner turns them into `function at file:line`.
//!
//! The walk trusts nothing it reads: it only follows frame pointers that are
//! 8-byte aligned, inside the stack the walk started on, and moving up that
//! stack, and stops after [`MAX_FRAMES`]. A corrupted stack gives a short
//! backtrace, never a second fault.

use core::arch::asm;
use core::ops::Range;

use crate::memory::stacks;
use crate::println;

/// Frames printed at most: enough for the interesting part of a deep
/// recursion, short enough to keep the report on one screen.
pub const MAX_FRAMES: usize = 32;

/// A saved RBP and the return address above it: two 8-byte slots.
const FRAME_RECORD_SIZE: u64 = 16;

/// Prints the backtrace of an exception: `rip` (the faulting instruction) as
/// frame 0, then the callers found from the interrupted code's `rbp`.
pub fn print_exception(rip: u64, rbp: u64) {
    println!("backtrace:");
    println!("  #0 {rip:#018x}");
    walk(1, rbp);
}

/// Prints the backtrace of the code calling this function (the panic
/// handler): frame 0 is the call to it.
#[inline(never)]
pub fn print_here() {
    let rbp: u64;
    // SAFETY: reads RBP, which with frame pointers forced points at this
    // function's frame record; touches nothing else.
    unsafe { asm!("mov {}, rbp", out(reg) rbp, options(nomem, nostack, preserves_flags)) };
    println!("backtrace:");
    walk(0, rbp);
}

/// Prints frames `first..` from the frame record at `rbp`.
fn walk(first: usize, mut rbp: u64) {
    let Some(stack) = stacks::stack_containing(rbp) else {
        return;
    };
    for index in first..MAX_FRAMES {
        if !is_frame_record(&stack, rbp) {
            return;
        }
        let record = rbp as *const u64;
        // SAFETY: `rbp` is 8-aligned and the 16 bytes from it are inside a
        // kernel stack, which is always mapped; a stale value read from it is
        // only a wrong address, never a fault.
        let (saved_rbp, return_address) =
            unsafe { (record.read_volatile(), record.add(1).read_volatile()) };
        if return_address == 0 {
            return;
        }
        println!("  #{index} {:#018x}", return_address - 1);
        // Callers' frames are higher up the stack: anything else is a loop
        // or garbage. 0 ends the chain (the boot code set it).
        if saved_rbp <= rbp {
            return;
        }
        rbp = saved_rbp;
    }
}

fn is_frame_record(stack: &Range<u64>, rbp: u64) -> bool {
    rbp % 8 == 0 && rbp >= stack.start && rbp.saturating_add(FRAME_RECORD_SIZE) <= stack.end
}
