//! The kernel's memory is W^X and the CPU enforces it in ring 0: code cannot
//! be written, constants cannot be written, and nothing but code can be
//! executed (src/memory/mod.rs maps the pages; src/boot/cpu_features.rs
//! sets CR0.WP and IA32_EFER.NXE). And the control registers hold exactly the
//! values the boot code wrote, whatever the loader left in them.
//!
//! Each write or jump below is harmless if the protection is missing (it
//! writes back the byte that is there, or runs a lone `ret`), so the test
//! then fails with "did not cause the expected CPU exception" instead of
//! crashing the run.

#![no_std]
#![no_main]

extern crate alloc;

extern crate limine_modules_apic_smp as kernel;

use alloc::boxed::Box;
use core::arch::asm;
use core::hint::black_box;
use core::sync::atomic::{AtomicU8, Ordering};

use kernel::arch::x86_64::cpu;
use kernel::kernel_test;

kernel::entry_point!(kernel::testing::test_kernel_main);

/// `ret` (Intel SDM Vol. 2B, RET: opcode C3): code that does nothing.
const RET: u8 = 0xC3;

/// A constant in `.rodata`: a `static` without interior mutability.
static CONSTANT: u64 = 0x0123_4567_89AB_CDEF;

/// A byte in `.data` (interior mutability keeps it out of `.rodata`).
static DATA_CODE: AtomicU8 = AtomicU8::new(RET);

/// A function whose code the tests try to overwrite.
#[inline(never)]
fn victim() -> u64 {
    black_box(42)
}

/// Calls `address` as a function taking and returning nothing.
fn call(address: usize) {
    // SAFETY: deliberately unsound unless the protection is missing: the
    // caller passes memory holding a lone `ret`, which, if the CPU fetches
    // it, returns at once without touching anything.
    let function: extern "C" fn() = unsafe { core::mem::transmute(black_box(address)) };
    function();
}

// Control register and IA32_EFER bits, Intel SDM Vol. 3A §2.5 (Figures 2-7,
// 2-8) and §2.2.1 (Table 2-1): the expected values, written out again here
// so that a wrong value in src/boot/cpu_features.rs cannot pass unnoticed.
const CR0_PE: u64 = 1 << 0;
const CR0_EM: u64 = 1 << 2;
const CR0_TS: u64 = 1 << 3;
const CR0_ET: u64 = 1 << 4;
const CR0_NE: u64 = 1 << 5;
const CR0_WP: u64 = 1 << 16;
const CR0_PG: u64 = 1 << 31;
const CR4_PAE: u64 = 1 << 5;
/// 5-level paging: the loader's choice (Limine may make it; paging is on
/// when the kernel starts, so the boot code keeps it), not part of the value
/// the boot code writes.
const CR4_LA57: u64 = 1 << 12;
const IA32_EFER: u32 = 0xC000_0080;
const EFER_LME: u64 = 1 << 8;
const EFER_LMA: u64 = 1 << 10;
const EFER_NXE: u64 = 1 << 11;

/// The `baseline` preset's CR0: protected mode, x87 errors as #MF,
/// write protection in ring 0, paging; EM and TS clear.
const EXPECTED_CR0: u64 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
/// The `baseline` preset's CR4: PAE, nothing else.
const EXPECTED_CR4: u64 = CR4_PAE;
/// Long mode, active, with no-execute pages.
const EXPECTED_EFER: u64 = EFER_LME | EFER_LMA | EFER_NXE;

fn read_efer() -> u64 {
    let (low, high): (u32, u32);
    // SAFETY: IA32_EFER exists on every x86_64 CPU; reading it has no side
    // effects (Intel SDM Vol. 2B, RDMSR).
    unsafe {
        asm!(
            "rdmsr",
            in("ecx") IA32_EFER,
            out("eax") low,
            out("edx") high,
            options(nomem, nostack, preserves_flags),
        );
    }
    (u64::from(high) << 32) | u64::from(low)
}

kernel_test! {
    #[should_fault(expected = "page fault (#PF, vector 14): protection violation, write, kernel mode")]
    fn writing_to_code_faults() {
        let code = black_box(victim as *const () as usize) as *mut u8;
        // SAFETY: deliberately invalid: the code is mapped read-only, so the
        // write faults. Without that protection it writes back the same byte.
        unsafe { code.write_volatile(code.read_volatile()) };
        black_box(victim());
    }
}

kernel_test! {
    #[should_fault(expected = "page fault (#PF, vector 14): protection violation, write, kernel mode")]
    fn writing_to_a_constant_faults() {
        let constant = black_box(&raw const CONSTANT).cast_mut();
        // SAFETY: deliberately invalid: `.rodata` is mapped read-only, so
        // the write faults. Without that protection it writes the same value.
        unsafe { constant.write_volatile(constant.read_volatile()) };
    }
}

kernel_test! {
    #[should_fault(expected = "page fault (#PF, vector 14): protection violation, instruction fetch, kernel mode")]
    fn executing_from_the_stack_faults() {
        let code = black_box([RET; 16]);
        call(code.as_ptr() as usize);
    }
}

kernel_test! {
    #[should_fault(expected = "page fault (#PF, vector 14): protection violation, instruction fetch, kernel mode")]
    fn executing_from_data_faults() {
        DATA_CODE.store(black_box(RET), Ordering::Relaxed);
        call(DATA_CODE.as_ptr() as usize);
    }
}

kernel_test! {
    #[should_fault(expected = "page fault (#PF, vector 14): protection violation, instruction fetch, kernel mode")]
    fn executing_from_the_heap_faults() {
        let code = black_box(Box::new([RET; 16]));
        call(code.as_ptr() as usize);
    }
}

kernel_test! {
    fn cr0_holds_the_known_value() {
        let cr0 = cpu::read_cr0();
        assert!(
            cr0 & CR0_WP != 0,
            "CR0.WP is clear: ring 0 ignores read-only pages (CR0 = {cr0:#x})",
        );
        assert!(
            cr0 & CR0_TS == 0,
            "CR0.TS is set: the first SSE instruction would raise #NM (CR0 = {cr0:#x})",
        );
        assert!(
            cr0 & CR0_EM == 0,
            "CR0.EM is set: SSE instructions would raise #UD (CR0 = {cr0:#x})",
        );
        assert_eq!(cr0, EXPECTED_CR0, "CR0 = {cr0:#x}, expected {EXPECTED_CR0:#x}");
    }
}

kernel_test! {
    fn cr4_holds_the_known_value() {
        let cr4 = cpu::read_cr4() & !CR4_LA57;
        assert_eq!(
            cr4,
            EXPECTED_CR4,
            "CR4 (without LA57) = {cr4:#x}, expected {EXPECTED_CR4:#x}",
        );
    }
}

kernel_test! {
    fn efer_enables_no_execute_pages() {
        let efer = read_efer();
        assert!(
            efer & EFER_NXE != 0,
            "IA32_EFER.NXE is clear: no page can be no-execute (EFER = {efer:#x})",
        );
        assert_eq!(efer, EXPECTED_EFER, "IA32_EFER = {efer:#x}, expected {EXPECTED_EFER:#x}");
    }
}
