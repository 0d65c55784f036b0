//! Dividing by zero with the `div` instruction must be reported as a divide
//! error (#DE). (Rust's `/` checks for zero first and panics instead.)

#![no_std]
#![no_main]

extern crate multiboot2_modules_apic_smp as kernel;

use core::hint::black_box;

use kernel::kernel_test;

kernel::entry_point!(kernel::testing::test_kernel_main);

kernel_test! {
    #[should_fault(expected = "divide error (#DE, vector 0)")]
    fn division_by_zero_is_a_divide_error() {
        // The divisor is a register the compiler cannot know is zero, so it
        // cannot fold the division away, in release builds either.
        let divisor = black_box(0u64);
        // SAFETY: deliberately invalid: `div` by 0 raises #DE (Intel SDM Vol.
        // 2A, DIV); the exception handler never returns here.
        unsafe {
            core::arch::asm!(
                "div {divisor}",
                divisor = in(reg) divisor,
                inout("rax") 1u64 => _,
                inout("rdx") 0u64 => _,
                options(nomem, nostack),
            );
        }
    }
}
