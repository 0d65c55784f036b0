//! Every CPU of the machine running kernel code: the bootstrap processor
//! (BSP, the CPU the firmware started) starts each application processor
//! (AP) the ACPI MADT lists as enabled, one at a time, and each AP reports in
//! (`[smp] cpu N online, apic id M`) and then waits for work ([`run_on`]).
//!
//! How an AP gets from reset to Rust is the boot protocol's business
//! ([`start`]: INIT-SIPI-SIPI and a real-mode trampoline on Multiboot2/PVH,
//! the loader's MP feature on Limine). From [`ap_main`] on every CPU is the
//! same: its own GDT and TSS with its own double-fault stack ([`gdt`]), the
//! IDT the BSP built, its [`PerCpu`] block reachable through the GS base
//! ([`cpu_local`]), its own kernel stack with an unmapped guard page below it
//! ([`stacks`]), and its local APIC enabled (`apic::local::init_this_cpu`).
//!
//! CPUs are numbered 0 (the BSP) to [`cpu_count`] - 1, in MADT order; the
//! APIC ID of each is in its [`PerCpu`]. Sources: Intel SDM Vol. 3A §9.4
//! ("Multiple-Processor (MP) Initialization"), §11.6 ("Issuing
//! Interprocessor Interrupts"); OSDev wiki, "SMP".

pub mod call;
pub mod cpu_local;
pub mod gdt;
pub mod stacks;
pub mod start;

use core::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

pub use call::{Call, run_on, run_on_all, start_on};
pub use cpu_local::{PerCpu, this_cpu};

use crate::boot::BootInfo;
use crate::{acpi, apic, println};

/// CPUs this kernel can run: one [`PerCpu`], GDT, TSS and pair of stacks
/// each, as many as `acpi` keeps of the MADT (a bigger machine's other CPUs
/// stay halted).
pub const MAX_CPUS: usize = acpi::madt::MAX_CPUS;

/// How long the BSP waits for a started AP to report in. The SDM's sequence
/// takes about 10 ms on hardware; an emulator whose threads share a busy
/// host may take far longer before the AP runs at all.
pub const START_TIMEOUT_MS: u64 = 5000;

/// CPUs online after [`init`]: the BSP and the APs that reported in.
static CPU_COUNT: AtomicUsize = AtomicUsize::new(0);
/// Set when [`init`] starts (it runs once).
static STARTED: AtomicBool = AtomicBool::new(false);
/// Set once the BSP's GS base points at its [`PerCpu`].
static PER_CPU_READY: AtomicBool = AtomicBool::new(false);

/// Why an AP could not be started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartError {
    /// The MADT lists more enabled CPUs than [`MAX_CPUS`].
    TooManyCpus,
    /// Multiboot2/PVH: no free 4 KiB page below 1 MiB in the memory map
    /// for the real-mode trampoline.
    NoTrampolinePage,
    /// Multiboot2/PVH: the kernel's page tables lie above 4 GiB, out of
    /// reach of the trampoline's 32-bit `mov cr3`.
    PageTablesAbove4GiB,
    /// Limine: the loader answered no MP request (or lists no such CPU).
    NotOfferedByLoader,
    /// The CPU did not report in within [`START_TIMEOUT_MS`].
    Timeout,
}

/// Starts every enabled CPU of the MADT, one at a time, and returns how
/// many CPUs are online (the BSP included). Each CPU prints
/// `[smp] cpu N online, apic id M` as it comes up. Needs `acpi::init` and
/// `apic::init` first; runs once (a second call panics).
///
/// A CPU that does not report in within [`START_TIMEOUT_MS`] ends the
/// start-up (a later start could find it running on the stack handed to the
/// next one): the CPUs online by then are all the kernel uses.
pub fn init(boot_info: &BootInfo) -> usize {
    assert!(
        !STARTED.swap(true, Ordering::Relaxed),
        "smp::init runs once"
    );
    let madt = acpi::madt().expect("smp needs the MADT: call acpi::init first");
    let bsp = cpu_local::cpu(0);
    bsp.set_apic_id(apic::local::id());
    // SAFETY: CPU 0's block is the BSP's, and this is the BSP.
    unsafe { cpu_local::load(bsp) };
    PER_CPU_READY.store(true, Ordering::Release);
    gdt::save_bsp_tables();
    stacks::unmap_guard_pages(boot_info);
    // An overflow on an AP is then named as such, and a backtrace there walks its stack.
    crate::memory::stacks::add_stacks(stacks::find);
    bsp.set_online();
    println!("[smp] cpu 0 online, apic id {}", bsp.apic_id());

    let mut count = 1;
    if let Err(error) = start::prepare(boot_info) {
        println!("[smp] cannot start other CPUs: {error:?}");
        CPU_COUNT.store(count, Ordering::Release);
        return count;
    }
    for entry in madt.local_apics() {
        // Online-capable but disabled CPUs are for hot-plug (ACPI 6.5
        // §5.2.12.2, Table 5.23): not started.
        if !entry.enabled || entry.apic_id == bsp.apic_id() {
            continue;
        }
        let outcome = if count == MAX_CPUS {
            Err(StartError::TooManyCpus)
        } else {
            start_cpu(count, entry.apic_id)
        };
        if let Err(error) = outcome {
            println!(
                "[smp] cpu {count} (apic id {}) not started: {error:?}; continuing with {count} CPUs",
                entry.apic_id
            );
            break;
        }
        count += 1;
    }
    start::finish(boot_info);
    CPU_COUNT.store(count, Ordering::Release);
    count
}

/// Starts CPU `cpu` (APIC ID `apic_id`) and waits until it reports in.
fn start_cpu(cpu: usize, apic_id: u32) -> Result<(), StartError> {
    let block = cpu_local::cpu(cpu);
    block.set_apic_id(apic_id);
    start::start_ap(cpu, apic_id, stacks::stack_top(cpu))?;
    let deadline = apic::ticks() + START_TIMEOUT_MS * apic::TICK_HZ / 1000;
    while !block.is_online() {
        if apic::ticks() > deadline {
            return Err(StartError::Timeout);
        }
        core::hint::spin_loop();
    }
    Ok(())
}

/// CPUs online: 1 before [`init`], then the count it returned.
pub fn cpu_count() -> usize {
    CPU_COUNT.load(Ordering::Acquire).max(1)
}

/// Whether [`init`] has set up CPU 0's [`PerCpu`] (and so [`this_cpu`] works).
pub fn is_initialised() -> bool {
    PER_CPU_READY.load(Ordering::Acquire)
}

/// Where each AP's start code ([`start`]) lands, on the CPU's own stack
/// ([`stacks::stack_top`]) with the CPU features of the BSP enabled
/// (`boot_enable_cpu_features`). Never returns: the CPU serves [`run_on`]
/// requests from then on.
extern "C" fn ap_main(cpu: usize) -> ! {
    let block = cpu_local::cpu(cpu);
    gdt::load_for_ap(cpu);
    // SAFETY: `cpu` is this AP's number (its start code passes it on), so
    // the block is this CPU's alone.
    unsafe { cpu_local::load(block) };
    apic::local::init_this_cpu();
    let apic_id = apic::local::id();
    println!("[smp] cpu {cpu} online, apic id {apic_id}");
    // After the line: the BSP starts the next CPU only now, so the lines
    // come out in order.
    block.set_online();
    call::serve(block)
}
