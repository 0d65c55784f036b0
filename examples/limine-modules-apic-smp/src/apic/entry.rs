//! The entry stubs of the APIC's vectors: assembly that saves the
//! registers a Rust function may clobber, calls [`super::dispatch`] with the
//! stub's source number and returns with `iretq`. Stable Rust has no
//! `x86-interrupt` ABI.
//!
//! On an interrupt the CPU aligns RSP to 16 bytes and pushes SS, RSP,
//! RFLAGS, CS and RIP; external interrupts push no error code (Intel SDM
//! Vol. 3A §6.14.2). Each stub pushes its source and jumps to the common
//! part, which saves the System V ABI's caller-saved registers (RAX, RCX,
//! RDX, RSI, RDI, R8-R11; ABI §3.2.1): the Rust code saves the others. The
//! kernel's target is soft-float and has no red zone, so there is no SSE
//! state to save and nothing below RSP to step over.

use core::arch::global_asm;

use super::{ERROR_VECTOR, IRQ_VECTORS, SPURIOUS_VECTOR, TIMER_VECTOR};

/// Bytes between two stubs (`.org` below pads each to this).
const STUB_SIZE: usize = 16;
/// Stub sources: 0-15 are ISA IRQ 0-15, then the local APIC's own.
pub const SOURCE_TIMER: u64 = 16;
pub const SOURCE_ERROR: u64 = 17;
pub const SOURCE_SPURIOUS: u64 = 18;
const SOURCES: usize = 19;

global_asm!(
    r#"
    .macro apic_stub source
    // Stub N starts exactly at apic_stubs + 16 * N (padded with int3); the
    // assembler refuses to move backwards, i.e. a stub that grew too long.
    .org apic_stubs + {stub_size} * \source, 0xCC
    push \source
    jmp apic_common
    .endm

    .pushsection .text.apic_stubs, "ax"
    .balign 16
    .global apic_stubs
apic_stubs:
    .irp source, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18
    apic_stub \source
    .endr

    // The source, then the CPU's 5 quadwords, then 9 registers: 15
    // quadwords since the CPU aligned RSP; one more makes the call's
    // 16-byte alignment (System V ABI §3.2.2).
apic_common:
    push rax
    push rcx
    push rdx
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    mov rdi, [rsp + 9 * 8]          // dispatch(source: u64)
    sub rsp, 8
    cld                             // the ABI wants DF = 0 at a call
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
    add rsp, 8                      // the source
    iretq
    .popsection
"#,
    dispatch = sym super::dispatch,
    stub_size = const STUB_SIZE,
);

/// The address of the stub for `source`.
fn stub(source: usize) -> u64 {
    assert!(source < SOURCES, "no APIC stub {source}");
    unsafe extern "C" {
        // The first stub, in the `global_asm!` above; only its address is
        // used.
        fn apic_stubs();
    }
    apic_stubs as *const () as u64 + (source * STUB_SIZE) as u64
}

/// Each vector the APIC code handles, with its stub's address: ISA IRQ
/// 0-15 at [`IRQ_VECTORS`], the timer, error and spurious vectors. For the
/// IDT (`arch::x86_64::idt::init`).
pub fn gates() -> impl Iterator<Item = (usize, u64)> {
    let irqs = IRQ_VECTORS
        .enumerate()
        .map(|(irq, vector)| (vector, stub(irq)));
    let own = [
        (TIMER_VECTOR, SOURCE_TIMER),
        (ERROR_VECTOR, SOURCE_ERROR),
        (SPURIOUS_VECTOR, SOURCE_SPURIOUS),
    ];
    irqs.chain(
        own.into_iter()
            .map(|(vector, source)| (usize::from(vector), stub(source as usize))),
    )
}
