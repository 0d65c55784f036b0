//! Reading a non-canonical address must be reported as a general protection
//! fault (#GP): in 64-bit mode bits 63-47 of an address must all be equal
//! (Intel SDM Vol. 1 §3.3.7.1), otherwise the access raises #GP, not #PF.

#![no_std]
#![no_main]

extern crate multiboot2_modules_pic_timer_keyboard as kernel;

use core::hint::black_box;

use kernel::kernel_test;

kernel::entry_point!(kernel::testing::test_kernel_main);

/// Bit 63 set, bit 47 clear: not canonical.
const NON_CANONICAL: u64 = 0x8000_0000_0000_0000;

kernel_test! {
    #[should_fault(expected = "general protection fault (#GP, vector 13)")]
    fn non_canonical_read_is_a_general_protection_fault() {
        let pointer = black_box(NON_CANONICAL) as *const u64;
        // SAFETY: deliberately invalid: the read raises #GP and never
        // completes.
        let value = unsafe { pointer.read_volatile() };
        black_box(value);
    }
}
