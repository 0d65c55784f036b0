//! src/smp: every enabled CPU of the MADT comes up with its own APIC ID,
//! per-CPU block, stack, GDT and TSS, and the shared IDT; `run_on` runs a
//! function on the CPU asked for; CPUs incrementing one counter under the
//! kernel's `SpinLock` lose no increment; every AP stack has its guard page
//! unmapped. (An AP's stack overflow is `tests/smp_stack_overflow.rs`.)

#![no_std]
#![no_main]

extern crate multiboot2_modules_apic_smp as kernel;

use core::hint::black_box;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use kernel::arch::x86_64::tsc;
use kernel::boot::BootInfo;
use kernel::kernel_test;
use kernel::memory::frame_allocator;
use kernel::smp::{self, MAX_CPUS, gdt, stacks};
use kernel::sync::SpinLock;
use kernel::{acpi, apic, memory};

kernel::entry_point!(main);

fn main(boot_info: &'static BootInfo) -> ! {
    // What src/main.rs does before smp::init: the starter heap, the frame
    // allocator (apic maps its registers with it), acpi and apic. Then the
    // harness, as `testing::test_kernel_main` runs it.
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
    smp::init(boot_info);
    let _ = tsc::calibrate();
    kernel::testing::run_tests(boot_info.command_line.as_str())
}

/// The APIC IDs of the CPUs the MADT says are enabled, in its order.
fn enabled_apic_ids() -> impl Iterator<Item = u32> {
    let madt = acpi::madt().expect("acpi::init found the MADT");
    madt.local_apics()
        .iter()
        .filter(|entry| entry.enabled)
        .map(|entry| entry.apic_id)
}

/// What each CPU saw of itself in `record_identity`, by its own index:
/// its APIC ID + 1 (0: it never ran), and its RSP.
static SEEN_APIC_ID: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
static SEEN_RSP: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
static SEEN_GDT: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
static SEEN_TSS: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];
static SEEN_IDT: [AtomicU64; MAX_CPUS] = [const { AtomicU64::new(0) }; MAX_CPUS];

/// Clears what `record_identity` recorded, so that a test sees only its own
/// calls (the tests share the arrays).
fn forget_identities() {
    for seen in [&SEEN_APIC_ID, &SEEN_RSP, &SEEN_GDT, &SEEN_TSS, &SEEN_IDT] {
        for value in seen {
            value.store(0, Ordering::Relaxed);
        }
    }
}

fn record_identity() {
    let cpu = smp::this_cpu().index();
    let rsp: u64;
    // SAFETY: reads RSP into a register; nothing else changes.
    unsafe {
        core::arch::asm!("mov {}, rsp", out(reg) rsp, options(nomem, nostack, preserves_flags))
    };
    let (gdt, tss) = gdt::current_gdt_and_tss();
    SEEN_APIC_ID[cpu].store(u64::from(apic::local::id()) + 1, Ordering::Relaxed);
    SEEN_RSP[cpu].store(rsp, Ordering::Relaxed);
    SEEN_GDT[cpu].store(gdt, Ordering::Relaxed);
    SEEN_TSS[cpu].store(u64::from(tss), Ordering::Relaxed);
    SEEN_IDT[cpu].store(gdt::current_idt(), Ordering::Relaxed);
}

kernel_test! {
    fn every_enabled_cpu_of_the_madt_is_online() {
        // The e2e test checks the count against QEMU's -smp too.
        let expected = enabled_apic_ids().count().min(MAX_CPUS);
        assert_eq!(smp::cpu_count(), expected, "CPUs online");
        for (cpu, apic_id) in enabled_apic_ids().take(MAX_CPUS).enumerate() {
            let block = smp::PerCpu::of(cpu);
            assert!(block.is_online(), "cpu {cpu} is not online");
            assert_eq!(block.apic_id(), apic_id, "cpu {cpu}'s APIC ID");
        }
    }
}

kernel_test! {
    fn run_on_runs_on_the_cpu_asked_for() {
        // Each CPU reads its APIC ID from its own local APIC and its index
        // through its own GS base: both must name the CPU run_on was given.
        forget_identities();
        for cpu in 0..smp::cpu_count() {
            smp::run_on(cpu, record_identity);
        }
        for cpu in 0..smp::cpu_count() {
            let expected = u64::from(smp::PerCpu::of(cpu).apic_id()) + 1;
            assert_eq!(SEEN_APIC_ID[cpu].load(Ordering::Relaxed), expected, "cpu {cpu}");
            let rsp = SEEN_RSP[cpu].load(Ordering::Relaxed);
            let stack = smp::PerCpu::of(cpu).stack();
            assert!(stack.contains(&rsp), "cpu {cpu} ran on {rsp:#x}, not its stack {stack:x?}");
        }
    }
}

kernel_test! {
    fn each_cpu_has_its_own_gdt_and_tss_and_the_shared_idt() {
        forget_identities();
        smp::run_on_all(record_identity);
        let bsp_idt = gdt::current_idt();
        for cpu in 0..smp::cpu_count() {
            let ran = SEEN_APIC_ID[cpu].load(Ordering::Relaxed) != 0;
            assert!(ran, "run_on_all did not run on cpu {cpu}");
            assert_eq!(SEEN_IDT[cpu].load(Ordering::Relaxed), bsp_idt, "cpu {cpu}'s IDT");
            // Intel SDM Vol. 3A §3.4.2: selector 0x18 = GDT slot 3, RPL 0.
            assert_eq!(SEEN_TSS[cpu].load(Ordering::Relaxed), 0x18, "cpu {cpu}'s TSS selector");
            let gdt = SEEN_GDT[cpu].load(Ordering::Relaxed);
            for (other, other_gdt) in SEEN_GDT.iter().enumerate().take(cpu) {
                assert_ne!(
                    gdt,
                    other_gdt.load(Ordering::Relaxed),
                    "cpus {other} and {cpu} share a GDT (and so a TSS)"
                );
            }
        }
    }
}

/// Increments per CPU in `spinlock_counter_loses_no_increment`.
const INCREMENTS: u64 = 2000;
static COUNTER: SpinLock<u64> = SpinLock::new(0);
/// CPUs that have reached `count_under_the_lock`; all start counting
/// together once every CPU is there.
static ARRIVED: AtomicUsize = AtomicUsize::new(0);

fn count_under_the_lock() {
    ARRIVED.fetch_add(1, Ordering::AcqRel);
    while ARRIVED.load(Ordering::Acquire) < smp::cpu_count() {
        core::hint::spin_loop();
    }
    for _ in 0..INCREMENTS {
        let mut counter = COUNTER.lock();
        // Read, wait, write: without mutual exclusion another CPU's
        // increment in between is lost.
        let value = black_box(*counter);
        for _ in 0..black_box(20) {
            core::hint::spin_loop();
        }
        *counter = value + 1;
    }
}

kernel_test! {
    fn spinlock_counter_loses_no_increment() {
        smp::run_on_all(count_under_the_lock);
        let cpus = smp::cpu_count() as u64;
        assert_eq!(*COUNTER.lock(), INCREMENTS * cpus, "{cpus} CPUs x {INCREMENTS} increments");
    }
}

kernel_test! {
    fn every_ap_stack_has_an_unmapped_guard_page() {
        for cpu in 1..MAX_CPUS {
            let guard = stacks::guard(cpu);
            assert!(!memory::is_mapped(guard.start), "cpu {cpu}'s guard page {:#x} is mapped", guard.start);
            assert!(!memory::is_mapped(guard.end - 1), "cpu {cpu}'s guard page ends mapped");
            assert_eq!(stacks::guard_page_owner(guard.start), Some(cpu));
            let stack = smp::PerCpu::of(cpu).stack();
            assert_eq!(stack.start, guard.end, "cpu {cpu}'s stack starts above its guard");
            assert!(memory::is_mapped(stack.start) && memory::is_mapped(stack.end - 1));
        }
    }
}

kernel_test! {
    fn fault_reports_and_backtraces_know_every_ap_stack() {
        use kernel::memory::stacks as kernel_stacks;
        for cpu in 1..MAX_CPUS {
            let guard = stacks::guard(cpu);
            // What the exception handler names for a fault in the guard page:
            // "the kernel stack of CPU n ran into its guard page".
            let owner = kernel_stacks::guard_page_owner(guard.start).expect("the AP's guard page is known");
            assert_eq!((owner.name, owner.cpu), ("kernel stack", Some(cpu)));
            // What the backtrace walker follows frame pointers within.
            let stack = smp::PerCpu::of(cpu).stack();
            assert_eq!(kernel_stacks::stack_containing(stack.start), Some(stack.clone()));
        }
    }
}

kernel_test! {
    fn run_on_the_calling_cpu_calls_directly() {
        forget_identities();
        smp::run_on(smp::this_cpu().index(), record_identity);
        assert_eq!(smp::this_cpu().index(), 0, "the tests run on the BSP");
        assert_eq!(SEEN_APIC_ID[0].load(Ordering::Relaxed), u64::from(apic::local::id()) + 1);
    }
}
