//! Running out of heap memory must panic with a clear message. The test
//! declares that it expects this panic, so the panic makes it pass.

#![no_std]
#![no_main]

extern crate alloc;

extern crate limine_modules_apic_smp as kernel;

use alloc::vec::Vec;
use core::hint::black_box;

use kernel::kernel_test;

kernel::entry_point!(kernel::testing::test_kernel_main);

kernel_test! {
    // The default allocation error handler panics with
    // "memory allocation of N bytes failed".
    #[should_panic(expected = "memory allocation of")]
    fn heap_exhaustion_panics() {
        // Leak 1 MiB blocks until the heap is gone (no memory is touched).
        // `black_box`: Rust lets the optimiser remove an allocation nobody
        // uses, and a release build does, leaving an empty endless loop.
        loop {
            let block: Vec<u8> = Vec::with_capacity(1024 * 1024);
            core::mem::forget(black_box(block));
        }
    }
}
