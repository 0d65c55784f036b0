//! Per-CPU data: one [`PerCpu`] block per CPU, found through the CPU's GS
//! base. Each CPU writes the address of its own block to IA32_GS_BASE once;
//! from then on a `gs:`-relative load reads the running CPU's block, whichever
//! CPU runs the code (Intel SDM Vol. 3A §3.4.4, "Segment Loading Instructions
//! in IA-32e Mode": in 64-bit mode FS and GS keep a base, from the MSRs).

use core::arch::asm;
use core::mem::offset_of;
use core::ops::Range;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use super::{MAX_CPUS, call, stacks};

/// IA32_GS_BASE: the GS segment's base address in 64-bit mode (Intel SDM
/// Vol. 4, Table 2-2, MSR 0xC000_0101).
const IA32_GS_BASE: u32 = 0xC000_0101;

/// One CPU's own data.
#[repr(C)]
pub struct PerCpu {
    /// This CPU's number, 0 for the BSP ([`this_cpu`] reads it through GS).
    index: usize,
    /// Its local APIC ID, as the MADT lists it.
    apic_id: AtomicU32,
    /// Set once the CPU runs its own GDT, IDT and GS base.
    online: AtomicBool,
    /// Work other CPUs hand it ([`super::run_on`]).
    pub(super) mailbox: call::Mailbox,
}

impl PerCpu {
    const fn new(index: usize) -> Self {
        Self {
            index,
            apic_id: AtomicU32::new(0),
            online: AtomicBool::new(false),
            mailbox: call::Mailbox::new(),
        }
    }

    /// CPU `index`'s block (online or not; panics past [`MAX_CPUS`]).
    pub fn of(index: usize) -> &'static PerCpu {
        &CPUS[index]
    }

    /// The CPU's number: 0 for the BSP, then 1.. in the MADT's order.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The CPU's local APIC ID.
    pub fn apic_id(&self) -> u32 {
        self.apic_id.load(Ordering::Relaxed)
    }

    pub(super) fn set_apic_id(&self, apic_id: u32) {
        self.apic_id.store(apic_id, Ordering::Relaxed);
    }

    /// Whether the CPU has reported in.
    pub fn is_online(&self) -> bool {
        self.online.load(Ordering::Acquire)
    }

    pub(super) fn set_online(&self) {
        self.online.store(true, Ordering::Release);
    }

    /// The CPU's kernel stack (its usable part; the guard page is below it).
    pub fn stack(&self) -> Range<u64> {
        stacks::usable(self.index)
    }
}

/// The blocks of all CPUs: block `n` is CPU `n`'s.
static CPUS: [PerCpu; MAX_CPUS] = {
    let mut cpus = [const { PerCpu::new(0) }; MAX_CPUS];
    let mut index = 0;
    while index < MAX_CPUS {
        cpus[index].index = index;
        index += 1;
    }
    cpus
};

/// CPU `index`'s block (online or not).
pub(super) fn cpu(index: usize) -> &'static PerCpu {
    PerCpu::of(index)
}

/// Points this CPU's GS base at `block`.
///
/// # Safety
/// `block` must be the running CPU's own block, and nothing may reload GS
/// afterwards (a `mov gs` resets the base in 64-bit mode).
pub(super) unsafe fn load(block: &'static PerCpu) {
    let address = block as *const PerCpu as u64;
    // SAFETY: WRMSR to IA32_GS_BASE only changes where `gs:` operands point
    // (the caller's contract: at this CPU's own block); EDX:EAX = the value.
    unsafe {
        asm!(
            "wrmsr",
            in("ecx") IA32_GS_BASE,
            in("eax") address as u32,
            in("edx") (address >> 32) as u32,
            options(nostack, preserves_flags),
        )
    };
}

/// The running CPU's block. Panics before `smp::init` (GS has no base yet).
pub fn this_cpu() -> &'static PerCpu {
    assert!(
        super::is_initialised(),
        "this_cpu before smp::init: no per-CPU data yet"
    );
    let index: usize;
    // SAFETY: after `smp::init`, every CPU running kernel code has its GS
    // base at its own block (`load`), so this reads that block's `index`.
    unsafe {
        asm!(
            "mov {index}, gs:[{offset}]",
            index = out(reg) index,
            offset = const offset_of!(PerCpu, index),
            options(nostack, preserves_flags, readonly),
        )
    };
    &CPUS[index]
}
