//! Unbounded recursion must be reported as a kernel stack overflow: the
//! stack runs into its unmapped guard page, the page fault cannot push its
//! frame on the full stack, so the CPU raises a double fault, whose handler
//! runs on its own stack (the TSS's IST) and recognises the guard page.

#![no_std]
#![no_main]

extern crate limine_modules_pic_timer_keyboard as kernel;

use core::hint::black_box;

use kernel::kernel_test;

kernel::entry_point!(kernel::testing::test_kernel_main);

/// Recurses forever. `black_box` on a stack array makes each frame real and
/// its result used after the call, so the compiler can neither drop the
/// frames nor turn the recursion into a loop (a tail call), in release builds
/// either.
#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let mut frame = [depth; 16];
    black_box(&mut frame);
    recurse(black_box(depth + 1)) + frame[0]
}

kernel_test! {
    #[should_fault(expected = "kernel stack overflow")]
    fn unbounded_recursion_overflows_the_stack() {
        black_box(recurse(0));
    }
}
