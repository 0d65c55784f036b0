//! A write to an address that no page table maps must be reported as a page
//! fault, with that address in CR2. The test declares that it expects the
//! fault, so the exception handler makes it pass.

#![no_std]
#![no_main]

extern crate limine_modules_apic_smp as kernel;

use core::hint::black_box;

use kernel::kernel_test;

kernel::entry_point!(kernel::testing::test_kernel_main);

/// Canonical (bit 47 clear, so not a #GP) but far above any RAM the kernel
/// maps (it is 128 TiB - 1.6 TiB): its page is not present.
const UNMAPPED: u64 = 0x0000_7e57_dead_0000;

kernel_test! {
    #[should_fault(expected = "page fault (#PF, vector 14)")]
    fn write_to_unmapped_memory_page_faults() {
        // `black_box`: the compiler must not reason about the address. The
        // write is volatile so that it happens, in release builds too.
        let pointer = black_box(UNMAPPED) as *mut u64;
        // SAFETY: deliberately invalid: nothing maps this address, the write
        // page-faults and never completes.
        unsafe { pointer.write_volatile(0x5eed) };
    }
}
