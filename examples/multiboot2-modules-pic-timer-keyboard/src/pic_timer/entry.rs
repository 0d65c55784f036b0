//! The entry stubs of IRQ 0-15: assembly that saves the interrupted code's
//! registers, calls [`super::dispatch`] with the IRQ number and returns with
//! `iretq`. Stable Rust: no `x86-interrupt` ABI.
//!
//! On an interrupt the CPU aligns RSP to 16 bytes and pushes SS, RSP, RFLAGS,
//! CS and RIP (no error code for external interrupts; Intel SDM Vol. 3A
//! §6.14.2, "64-Bit Mode Stack Frame"). Each stub pushes its IRQ number and
//! jumps to the common part, which saves the registers the System V ABI lets
//! a called function clobber (RAX, RCX, RDX, RSI, RDI, R8-R11, §3.2.1); the
//! Rust code saves the others itself. SSE/x87 state is not saved: the kernel's
//! target is soft-float, so no Rust code touches those registers. There is no
//! red zone below RSP to step over: the target disables it, as a kernel must.

use core::arch::global_asm;

/// Bytes between two entry stubs (`.balign 16` and `.org` below).
const STUB_SIZE: usize = 16;

global_asm!(
    r#"
    .macro pic_timer_irq_stub irq
    // Stub N starts exactly at pic_timer_irq_stubs + 16 * N (padded with
    // int3); the assembler refuses to go backwards, i.e. a stub too long.
    .org pic_timer_irq_stubs + {stub_size} * \irq, 0xCC
    push \irq
    jmp pic_timer_irq_common
    .endm

    .pushsection .text.pic_timer_irq_stubs, "ax"
    .balign 16
    .global pic_timer_irq_stubs
pic_timer_irq_stubs:
    pic_timer_irq_stub 0
    pic_timer_irq_stub 1
    pic_timer_irq_stub 2
    pic_timer_irq_stub 3
    pic_timer_irq_stub 4
    pic_timer_irq_stub 5
    pic_timer_irq_stub 6
    pic_timer_irq_stub 7
    pic_timer_irq_stub 8
    pic_timer_irq_stub 9
    pic_timer_irq_stub 10
    pic_timer_irq_stub 11
    pic_timer_irq_stub 12
    pic_timer_irq_stub 13
    pic_timer_irq_stub 14
    pic_timer_irq_stub 15

    // Stack here: the IRQ number, then the CPU's 5 quadwords. 9 pushes make
    // 15 quadwords since the CPU aligned RSP: one more keeps the call's
    // 16-byte alignment (System V ABI §3.2.2).
pic_timer_irq_common:
    push rax
    push rcx
    push rdx
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    mov rdi, [rsp + 9 * 8]          // dispatch(irq: u64)
    sub rsp, 8
    cld                             // the ABI expects DF = 0 at a call
    call {dispatch}
    add rsp, 8
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rax
    add rsp, 8                      // the IRQ number
    iretq                           // RIP, CS, RFLAGS (IF again), RSP, SS
    .popsection
"#,
    dispatch = sym super::dispatch,
    stub_size = const STUB_SIZE,
);

/// The address of IRQ `irq`'s entry stub (0-15), for its IDT gate.
pub fn entry_stub(irq: usize) -> u64 {
    assert!(irq < super::IRQ_LINES, "IRQ {irq} does not exist");
    unsafe extern "C" {
        // The first stub, in the `global_asm!` above. A function only in name:
        // only its address is used.
        fn pic_timer_irq_stubs();
    }
    pic_timer_irq_stubs as *const () as u64 + (irq * STUB_SIZE) as u64
}
