//! A write through a null pointer must fault, in debug and release builds:
//! page 0 is never mapped, so the page fault handler reports it (CR2 in page
//! 0 reads "null pointer").

#![no_std]
#![no_main]

extern crate limine_modules_apic_smp as kernel;

use core::hint::black_box;
use core::ptr;

use kernel::kernel_test;

kernel::entry_point!(kernel::testing::test_kernel_main);

/// The second field of a struct behind a null pointer: offset 8.
#[repr(C)]
struct Node {
    _value: u64,
    next: u64,
}

kernel_test! {
    #[should_fault(expected = "page fault")]
    fn null_pointer_write_faults() {
        // The null pointer comes through `black_box`, so the compiler cannot
        // see that it is null. The write goes to a field at offset 8: debug
        // builds check `ptr::null()` itself before a write (and panic
        // instead), never a non-null address in page 0.
        let node = black_box(ptr::null_mut::<Node>());
        // SAFETY: deliberately invalid: page 0 is unmapped, the write faults.
        unsafe { (&raw mut (*node).next).write_volatile(1) };
    }
}
