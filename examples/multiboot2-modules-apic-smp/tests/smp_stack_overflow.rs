//! src/smp: unbounded recursion on an application processor runs into the
//! guard page below its stack, and the page fault that cannot push its frame
//! becomes a double fault on the AP's own double-fault stack (its TSS's
//! IST1), which reports it. Without the AP's guard page the recursion would
//! run on through the memory below; without its own TSS the double fault
//! would find no stack and reset the machine.
//!
//! The test harness runs on the last AP, not the BSP: after a fault the
//! harness goes on with its remaining tests on the BSP's boot stack, so the
//! BSP must be off it for good (halted, interrupts disabled).

#![no_std]
#![no_main]

extern crate multiboot2_modules_apic_smp as kernel;

use core::hint::black_box;
use core::sync::atomic::{AtomicU64, Ordering};

use kernel::arch::x86_64::tsc;
use kernel::boot::BootInfo;
use kernel::memory::frame_allocator;
use kernel::sync::Once;
use kernel::{acpi, apic, kernel_test, smp};

kernel::entry_point!(main);

static BOOT_INFO: Once<&'static BootInfo> = Once::new();
/// The lowest stack address a frame of `recurse` reached.
static DEEPEST: AtomicU64 = AtomicU64::new(u64::MAX);
/// The CPU the overflow ran on.
static OVERFLOW_CPU: AtomicU64 = AtomicU64::new(0);

fn main(boot_info: &'static BootInfo) -> ! {
    // What src/main.rs does before smp::init (see tests/smp.rs).
    let _ = kernel::serial::init();
    if let Err(error) = kernel::allocator::init(boot_info) {
        panic!("heap initialisation failed: {error:?}");
    }
    if let Err(error) = frame_allocator::init(boot_info) {
        panic!("frame allocator initialisation failed: {error:?}");
    }
    if let Err(error) = acpi::init(boot_info) {
        panic!("acpi::init failed: {error:?}");
    }
    apic::init();
    let cpus = smp::init(boot_info);
    let madt_cpus = acpi::madt()
        .expect("acpi::init found the MADT")
        .local_apics()
        .iter()
        .filter(|entry| entry.enabled)
        .count();
    assert_eq!(cpus, madt_cpus.min(smp::MAX_CPUS), "CPUs online");
    if cpus == 1 {
        kernel::println!("[smp] one CPU: no application processor to overflow the stack of");
        kernel::exit_success();
    }
    let _ = BOOT_INFO.set(boot_info);
    let _harness = smp::start_on(cpus - 1, run_harness);
    kernel::halt()
}

/// The harness, as `testing::test_kernel_main` runs it, minus the heap
/// set-up `main` did.
fn run_harness() {
    let boot_info = BOOT_INFO.get().expect("main sets it");
    let _ = tsc::calibrate();
    kernel::testing::run_tests(boot_info.command_line.as_str())
}

/// Recurses forever, noting how deep it got. `black_box` on a stack array
/// makes each frame real and its result used after the call (as in
/// tests/stack_overflow.rs).
#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let mut frame = [depth; 16];
    black_box(&mut frame);
    DEEPEST.fetch_min(frame.as_ptr() as u64, Ordering::Relaxed);
    recurse(black_box(depth + 1)) + frame[0]
}

kernel_test! {
    #[should_fault(expected = "kernel stack overflow")]
    fn ap_stack_overflow_is_caught() {
        let cpu = smp::this_cpu().index();
        assert_ne!(cpu, 0, "the harness runs on an AP");
        OVERFLOW_CPU.store(cpu as u64, Ordering::Relaxed);
        black_box(recurse(0));
    }
}

kernel_test! {
    // Runs after the fault (name order), on the BSP's boot stack.
    fn ap_stack_overflow_stopped_at_its_guard_page() {
        let cpu = OVERFLOW_CPU.load(Ordering::Relaxed) as usize;
        assert_ne!(cpu, 0, "the overflow test ran");
        let stack = smp::PerCpu::of(cpu).stack();
        let deepest = DEEPEST.load(Ordering::Relaxed);
        // The last frame lies in the bottom page of the stack: the next
        // push went into the guard page just below.
        assert!(
            deepest >= stack.start && deepest < stack.start + 4096,
            "the recursion on cpu {cpu} got down to {deepest:#x}; its stack is {stack:#x?}"
        );
        assert_eq!(smp::stacks::guard(cpu).end, stack.start);
    }
}
