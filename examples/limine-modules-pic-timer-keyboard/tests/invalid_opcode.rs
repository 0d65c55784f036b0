//! An undefined instruction must be reported as an invalid opcode (#UD).

#![no_std]
#![no_main]

extern crate limine_modules_pic_timer_keyboard as kernel;

use kernel::kernel_test;

kernel::entry_point!(kernel::testing::test_kernel_main);

kernel_test! {
    #[should_fault(expected = "invalid opcode (#UD, vector 6)")]
    fn ud2_is_an_invalid_opcode() {
        // SAFETY: deliberately invalid: `ud2` is the instruction defined to
        // raise #UD (Intel SDM Vol. 2B, UD); the exception handler never
        // returns here.
        unsafe { core::arch::asm!("ud2", options(nomem, nostack)) };
    }
}
