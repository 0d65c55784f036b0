//! The 64-bit entry point `_start`, where Limine jumps.
//!
//! Limine's x86_64 entry state (PROTOCOL.md §Machine State at Entry, base
//! revision 5 and later): 64-bit long mode; CS = 0x28, the data segments
//! 0x30 (Limine's GDT, in bootloader-reclaimable memory); paging on with our
//! PT_LOAD segments mapped at their link addresses and the HHDM; interrupts
//! off (RFLAGS = 0x2), IDTR limit 0; a stack of at least the stack size
//! request's size with a return address of 0 pushed (so RSP = 8 mod 16); all
//! other general registers 0. CR0 has only PE, ET, WP, PG and CR4 only PAE
//! (and LA57): **SSE is off**, so [`super::cpu_features`] enables what the
//! preset needs before any Rust code runs.
//!
//! Unlike the Multiboot2 entry there is nothing to build: no page tables, no
//! GDT, no mode switch. This code, in order:
//!
//! 1. zeroes `.bss` (the protocol does not promise that memory beyond a
//!    segment's file size is zeroed),
//! 2. switches from Limine's stack to the kernel's, [`BOOT_STACK`] (in
//!    `.bss`, with a guard page below it that [`crate::memory::init`]
//!    unmaps),
//! 3. checks and enables the CPU features of the preset
//!    ([`super::cpu_features`], the same 64-bit code for every boot
//!    protocol; a CPU without one gets its message through
//!    [`super::early_serial`]),
//! 4. calls `super::rust_entry`.
//!
//! The IDT stays empty: an exception before the kernel loads one is a triple
//! fault (QEMU exits with status 0, which the runner reports).
//!
//! Intel syntax; numeric local labels start at 2 because `0b`/`1b` would read
//! as binary numbers.

use core::arch::global_asm;

use crate::memory::stacks::{BOOT_STACK, BOOT_STACK_SIZE, KernelStack};

/// The boot stack's end, from its start: the guard page plus the usable
/// stack. RSP starts there.
const BOOT_STACK_END: usize = core::mem::size_of::<KernelStack<BOOT_STACK_SIZE>>();

global_asm!(
    r#"
    .section .text._start, "ax"
    .code64
    .global _start
_start:
    cli
    cld
    // --- 1. Zero .bss (rep stosb: rdi = start, rcx = count, al = 0) ------------
    lea rdi, [rip + __bss_start]
    lea rcx, [rip + __bss_end]
    sub rcx, rdi
    xor eax, eax
    rep stosb

    // --- 2. Stack: the kernel's boot stack, now that .bss is zero --------------------
    // Its end is page aligned, so RSP = 0 mod 16 before each call as the
    // System V ABI wants. rbp = 0 ends frame-pointer chains (backtraces).
    lea rsp, [rip + {boot_stack} + {boot_stack_end}]
    xor ebp, ebp

    // --- 3. CPU features of the compile-time preset (src/boot/cpu_features.rs)
    call boot_enable_cpu_features

    // --- 4. Rust ---------------------------------------------------------------------
    call {rust_entry}
2:  cli                             // rust_entry never returns
    hlt
    jmp 2b
"#,
    boot_stack = sym BOOT_STACK,
    boot_stack_end = const BOOT_STACK_END,
    rust_entry = sym super::rust_entry,
);
