//! In-kernel tests: a complete kernel that runs the tests below under QEMU
//! (`cargo test` boots it through the runner's fast PVH path).

#![no_std]
#![no_main]

extern crate alloc;

extern crate limine_modules_apic_smp as kernel;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

use kernel::{allocator, kernel_test, print, println};

kernel::entry_point!(kernel::testing::test_kernel_main);

kernel_test! {
    fn serial_prints() {
        print!("(print) ");
        println!("(println)");
    }
}

kernel_test! {
    fn boxed_value() {
        let value = Box::new(41u32);
        assert_eq!(*value + 1, 42);
    }
}

kernel_test! {
    fn vec_grows() {
        let mut numbers = Vec::new();
        for i in 0..1000u64 {
            numbers.push(i);
        }
        assert_eq!(numbers.len(), 1000);
        assert_eq!(numbers.iter().sum::<u64>(), 999 * 1000 / 2);
    }
}

kernel_test! {
    fn string_formatting() {
        let text = alloc::format!("{}-{:03}", "kernel", 7);
        let mut owned = String::from(text.as_str());
        owned.push('!');
        assert_eq!(owned, "kernel-007!");
    }
}

kernel_test! {
    fn many_allocations_reuse_freed_memory() {
        // Allocate and free far more than the heap size: only works if freed
        // blocks are reused.
        let heap_size = allocator::stats().size;
        let free_before = allocator::stats().free;
        let rounds = 2 * heap_size / 4096;
        for i in 0..rounds {
            let block = Box::new([i as u8; 4096]);
            assert_eq!(block[4095], i as u8);
        }
        // Coalescing: everything is one free region again.
        assert_eq!(allocator::stats().free, free_before);
    }
}

kernel_test! {
    fn mixed_sizes_coalesce() {
        let free_before = allocator::stats().free;
        let mut blocks: Vec<Vec<u8>> = Vec::new();
        for i in 1..200usize {
            blocks.push(alloc::vec![0u8; i * 37 % 1000 + 1]);
        }
        // Free every other block first, then the rest: holes must merge.
        let mut odd = Vec::new();
        for (i, block) in blocks.into_iter().enumerate() {
            if i % 2 == 1 {
                odd.push(block);
            }
        }
        drop(odd);
        assert_eq!(allocator::stats().free, free_before);
    }
}

kernel_test! {
    fn large_allocation() {
        // 4 MiB in one piece, touched at both ends.
        let mut big = alloc::vec![0u8; 4 * 1024 * 1024];
        big[0] = 1;
        let last = big.len() - 1;
        big[last] = 2;
        assert_eq!(big[0] + big[last], 3);
    }
}

kernel_test! {
    fn aligned_allocation() {
        #[repr(align(4096))]
        struct Page([u8; 4096]);
        let small = Box::new(1u8); // shift the next block off page alignment
        let page = Box::new(Page([0; 4096]));
        assert_eq!(&*page as *const Page as usize % 4096, 0);
        assert_eq!(page.0[0], 0);
        drop(small);
    }
}

kernel_test! {
    fn breakpoint_returns_with_registers_intact() {
        // `int3` (#BP) is the one exception the kernel resumes from: the
        // handler prints a note and returns to the next instruction. Every
        // register the asm names must come back unchanged (the handler's
        // entry stub saves and restores them; RBX, RBP and RSP are LLVM's and
        // are checked by the code around the asm still working).
        let values: [u64; 9] = core::array::from_fn(|i| 0x1111_1111_1111_1111 * (i as u64 + 1));
        let mut after = values;
        // SAFETY: `int3` with the kernel's IDT loaded traps to the breakpoint
        // handler, which returns; the asm only moves values through registers.
        unsafe {
            core::arch::asm!(
                "int3",
                inout("rax") after[0],
                inout("rcx") after[1],
                inout("rdx") after[2],
                inout("rsi") after[3],
                inout("rdi") after[4],
                inout("r8") after[5],
                inout("r9") after[6],
                inout("r10") after[7],
                inout("r11") after[8],
            );
        }
        assert_eq!(after, values);
    }
}

/// Prints while it is being printed, as a debugging aid in a `Display` impl
/// might.
struct PrintsWhileDisplayed;

impl core::fmt::Display for PrintsWhileDisplayed {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        println!("nested");
        f.write_str("outer")
    }
}

kernel_test! {
    // The console is taken by the outer print: waiting for it would hang.
    #[should_panic(expected = "println! while printing: \"nested\\n\"")]
    fn println_inside_display_panics_instead_of_deadlocking() {
        println!("{}", PrintsWhileDisplayed);
    }
}

/// Panics while it is being printed.
struct PanicsWhileDisplayed;

impl core::fmt::Display for PanicsWhileDisplayed {
    fn fmt(&self, _: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        panic!("deliberate panic inside Display::fmt")
    }
}

kernel_test! {
    // The panic handler takes the console away from the abandoned print.
    #[should_panic(expected = "deliberate panic inside Display::fmt")]
    fn panic_while_printing_is_reported() {
        println!("{}", PanicsWhileDisplayed);
    }
}

kernel_test! {
    fn serial_init_leaves_an_initialised_uart_alone() {
        // The panic and exception handlers call `serial::init()`; programming
        // the UART again would clear its transmit FIFO. The baud-rate divisor
        // shows whether it did: set it to 2, init, read it back (QEMU ignores
        // the baud rate). PC16550D datasheet, "Register Summary": with LCR
        // bit 7 (DLAB) set, offset 0 is the divisor's low byte (DLL).
        use kernel::arch::x86_64::port::{inb, outb};
        use kernel::serial::COM1;
        const DLL: u16 = COM1;
        const LCR: u16 = COM1 + 3;
        const LCR_DLAB_8N1: u8 = 0b1000_0011;
        const LCR_8N1: u8 = 0b0000_0011;
        let set_divisor_low = |value: u8| {
            // SAFETY: COM1 is a 16550 (test_kernel_main initialised it); DLAB
            // is cleared again before anything prints.
            unsafe {
                outb(LCR, LCR_DLAB_8N1);
                let old = inb(DLL);
                outb(DLL, value);
                outb(LCR, LCR_8N1);
                old
            }
        };
        assert_eq!(set_divisor_low(2), 1, "115200 baud after test_kernel_main");
        let init = kernel::serial::init();
        let after = set_divisor_low(1);
        assert_eq!(init, Ok(()));
        assert_eq!(after, 2, "serial::init() programmed the UART again");
    }
}

kernel_test! {
    fn failed_try_lock_leaves_the_lock_held() {
        // The console's nesting check relies on it.
        let lock = kernel::sync::SpinLock::new(0u8);
        let _held = lock.lock();
        assert!(lock.try_lock().is_none());
        assert!(lock.try_lock().is_none(), "a failed try_lock released the lock");
    }
}
