//! Interrupts the way every PC since the Pentium routes them: each CPU's
//! local APIC ([`local`]) with its timer ([`timer`]), and the I/O APICs
//! ([`io_apic`]) that carry the devices' interrupts to it, set up from the
//! ACPI MADT (`crate::acpi`). The legacy 8259A PICs are masked for good
//! ([`pic8259`]).
//!
//! [`init`] runs once, on the bootstrap CPU, after `acpi::init`:
//!
//! 1. the 8259As are remapped to vectors 32-47 and every line masked (when
//!    the MADT says the PC has them: PCAT_COMPAT);
//! 2. the local APIC is enabled: x2APIC mode where CPUID.01H:ECX[21] says
//!    the CPU has it, else xAPIC mode through its register page, mapped
//!    uncached ([`mmio`]); spurious interrupts go to [`SPURIOUS_VECTOR`],
//!    APIC errors to [`ERROR_VECTOR`], LINT1 is the NMI input the MADT names;
//! 3. the timer is calibrated against the PIT and started periodic at
//!    [`TICK_HZ`] on [`TIMER_VECTOR`]; [`ticks`] counts it;
//! 4. every input of every I/O APIC is masked, then ISA IRQ 0-15 are routed
//!    to [`IRQ_VECTORS`] on this CPU through their interrupt source
//!    overrides (`acpi::legacy_irq`: the PIT's IRQ 0 is GSI 2 on most PCs),
//!    still masked: [`set_handler`] unmasks one;
//! 5. interrupts are enabled.
//!
//! Vectors (the local APIC's priority class is the vector's top 4 bits,
//! Intel SDM Vol. 3A §10.8.3): 32-47 the masked PICs (no gates: nothing can
//! arrive there), 48-63 ISA IRQ 0-15, 0xEC the timer, 0xFE errors, 0xFF
//! spurious: the same as Linux (`arch/x86/include/asm/irq_vectors.h`:
//! `ISA_IRQ_VECTOR(0)` = 0x30, `LOCAL_TIMER_VECTOR`, `ERROR_APIC_VECTOR`,
//! `SPURIOUS_APIC_VECTOR`), so the timer outranks every device IRQ. The IDT
//! gates are set in `arch::x86_64::idt::init`; they are interrupt gates, so
//! a handler runs with interrupts disabled and handlers never nest.

pub mod entry;
pub mod io_apic;
pub mod local;
pub mod mmio;
pub mod pic8259;
pub mod timer;

use core::arch::asm;
use core::ops::Range;
use core::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use crate::acpi::{self, Polarity};
use crate::arch::x86_64::cpu;
use crate::sync::SpinLock;
use io_apic::{IoApicError, Redirection};

/// Timer interrupts per second: a 1 ms tick for [`sleep_ms`].
pub const TICK_HZ: u64 = 1000;
/// ISA IRQ lines (the two 8259As' 16).
pub const ISA_IRQS: usize = 16;
/// ISA IRQ 0-15 arrive at vectors 48-63, through the I/O APIC.
pub const IRQ_VECTORS: Range<usize> = 0x30..0x30 + ISA_IRQS;
/// The local APIC timer's vector.
pub const TIMER_VECTOR: u8 = 0xEC;
/// APIC errors (the LVT error entry; §10.5.3).
pub const ERROR_VECTOR: u8 = 0xFE;
/// Spurious interrupts (§10.9): bits 3-0 all ones, as P6 and Pentium
/// processors require.
pub const SPURIOUS_VECTOR: u8 = 0xFF;

/// The processor UID of a MADT NMI entry that stands for every processor:
/// 0xFF in a local APIC NMI entry, 0xFFFFFFFF in a local x2APIC NMI entry
/// (ACPI 6.5 §5.2.12.7, §5.2.12.13).
const ALL_PROCESSORS: u32 = 0xFF;
const ALL_PROCESSORS_X2APIC: u32 = 0xFFFF_FFFF;

/// RFLAGS bit 9, IF: maskable interrupts enabled (Intel SDM Vol. 1 §3.4.3.3).
const RFLAGS_IF: u64 = 1 << 9;

/// An ISA IRQ handler (see [`set_handler`]).
pub type Handler = fn();

/// Why [`init`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ApicError {
    /// `acpi::init` has not run, or found no MADT.
    NoMadt,
    Local(local::LocalApicError),
    Timer(timer::CalibrationError),
    IoApic(IoApicError),
    /// The MADT lists no I/O APIC.
    NoIoApic,
}

/// What [`init`] set up, for the boot summary and the tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Summary {
    pub mode: local::Mode,
    /// The bootstrap CPU's APIC ID.
    pub id: u32,
    /// Physical address of the xAPIC page (IA32_APIC_BASE).
    pub local_apic_address: u64,
    pub timer: timer::Calibration,
    /// I/O APICs and their inputs in all.
    pub io_apics: usize,
    pub io_apic_inputs: u32,
    /// Whether the 8259As were there to mask (the MADT's PCAT_COMPAT).
    pub legacy_pics: bool,
}

/// Timer interrupts on the bootstrap CPU since [`init`].
static TICKS: AtomicU64 = AtomicU64::new(0);
/// Spurious interrupts and APIC error interrupts seen.
static SPURIOUS: AtomicU64 = AtomicU64::new(0);
static ERRORS: AtomicU64 = AtomicU64::new(0);
/// The error status the last error interrupt read.
static LAST_ERROR: AtomicU32 = AtomicU32::new(0);
/// The bootstrap CPU's APIC ID: its timer alone counts [`ticks`].
static BSP_ID: AtomicU32 = AtomicU32::new(0);
static HANDLERS: SpinLock<[Option<Handler>; ISA_IRQS]> = SpinLock::new([None; ISA_IRQS]);
static INITIALISED: AtomicBool = AtomicBool::new(false);
static SUMMARY: crate::sync::Once<Summary> = crate::sync::Once::new();

/// Sets up the PICs, the local APIC, its timer and the I/O APICs, enables
/// interrupts and prints `[apic] ...`. Runs on the bootstrap CPU after
/// `acpi::init`; later calls do nothing. Panics when the machine has no
/// usable APIC (the kernel would have no clock).
pub fn init() {
    if INITIALISED.swap(true, Ordering::AcqRel) {
        return;
    }
    cpu::disable_interrupts();
    let summary = match set_up() {
        Ok(summary) => summary,
        Err(error) => panic!("APIC setup failed: {error:?}"),
    };
    let _ = SUMMARY.set(summary);
    crate::println!(
        "[apic] local APIC in {} mode, id {}, at {:#x}; legacy PICs {}",
        summary.mode.name(),
        summary.id,
        summary.local_apic_address,
        if summary.legacy_pics {
            "masked"
        } else {
            "absent"
        }
    );
    crate::println!(
        "[apic] timer: {} counts/s (divide by {}), {} counts a tick, {} Hz on vector {:#x}",
        summary.timer.counts_per_second,
        timer::DIVISOR,
        summary.timer.initial_count,
        TICK_HZ,
        TIMER_VECTOR
    );
    for apic in io_apic::all() {
        crate::println!(
            "[apic] I/O APIC {} at {:#x}: GSI {}-{}, ISA IRQs at vectors {}-{}; IRQ 0 is GSI {}",
            apic.id,
            apic.physical,
            apic.gsi_base,
            apic.gsi_base + apic.inputs - 1,
            IRQ_VECTORS.start,
            IRQ_VECTORS.end - 1,
            acpi::legacy_irq(0).gsi
        );
    }
    enable_interrupts();
}

/// What [`init`] set up, once it has.
pub fn summary() -> Option<Summary> {
    SUMMARY.get().copied()
}

fn set_up() -> Result<Summary, ApicError> {
    let madt = acpi::madt().ok_or(ApicError::NoMadt)?;
    if madt.pcat_compat {
        pic8259::remap_and_mask();
    }
    let mode = local::choose_mode(madt.local_apic_address).map_err(ApicError::Local)?;
    local::enable_this_cpu(SPURIOUS_VECTOR, ERROR_VECTOR);
    let id = local::id();
    BSP_ID.store(id, Ordering::Relaxed);
    // LINT1: the NMI input, where the MADT's NMI entries for all processors
    // (UID 0xFF, or 0xFFFFFFFF in the x2APIC form) or for this one say it is
    // (ACPI 6.5 §5.2.12.7, §5.2.12.13).
    let uid = madt
        .local_apics()
        .iter()
        .find(|cpu| cpu.apic_id == id)
        .map(|cpu| cpu.processor_uid);
    let nmi = madt.nmis().iter().find(|nmi| {
        nmi.lint == 1
            && (nmi.processor_uid == ALL_PROCESSORS
                || nmi.processor_uid == ALL_PROCESSORS_X2APIC
                || Some(nmi.processor_uid) == uid)
    });
    if let Some(nmi) = nmi {
        local::set_lint1_nmi(nmi.polarity == Polarity::ActiveLow);
    }

    let calibration = timer::calibrate(TICK_HZ).map_err(ApicError::Timer)?;
    timer::start_periodic(calibration.initial_count, TIMER_VECTOR);

    if madt.io_apics().is_empty() {
        return Err(ApicError::NoIoApic);
    }
    let mut inputs = 0;
    for apic in madt.io_apics() {
        let apic = io_apic::add(apic.id, u64::from(apic.address), apic.gsi_base)
            .map_err(ApicError::IoApic)?;
        inputs += apic.inputs;
    }
    for (irq, vector) in IRQ_VECTORS.enumerate() {
        if isa_source(irq as u8).is_some() {
            route(irq as u8, vector as u8, id, true).map_err(ApicError::IoApic)?;
        }
    }
    Ok(Summary {
        mode,
        id,
        local_apic_address: local::physical_base(),
        timer: calibration,
        io_apics: madt.io_apics().len(),
        io_apic_inputs: inputs,
        legacy_pics: madt.pcat_compat,
    })
}

/// Routes ISA IRQ `irq` to `vector` on the CPU with APIC ID `destination`,
/// through its interrupt source override (`acpi::legacy_irq`: the GSI, the
/// polarity and the trigger mode), and unmasks it. The vector needs a gate;
/// [`set_handler`] is the way for [`IRQ_VECTORS`].
pub fn route_legacy_irq(irq: u8, vector: u8, destination: u32) {
    if let Err(error) = route(irq, vector, destination, false) {
        panic!("routing IRQ {irq}: {error:?}");
    }
}

/// Where ISA IRQ `irq` arrives: its interrupt source override, or GSI
/// `irq` (active high, edge) without one (`acpi::legacy_irq`). `None` when
/// another IRQ's override takes that GSI: on most PCs the PIT's IRQ 0 is
/// GSI 2, and IRQ 2, the PICs' cascade, never happens on its own.
pub fn isa_source(irq: u8) -> Option<acpi::InterruptOverride> {
    let source = acpi::legacy_irq(irq);
    let moved_here = (0..ISA_IRQS as u8).any(|other| {
        let theirs = acpi::legacy_irq(other);
        other != irq && theirs.gsi == source.gsi && theirs.gsi != u32::from(other)
    });
    let overridden = source.gsi != u32::from(irq);
    (overridden || !moved_here).then_some(source)
}

fn route(irq: u8, vector: u8, destination: u32, masked: bool) -> Result<(), IoApicError> {
    let source = isa_source(irq).ok_or(IoApicError::NoSuchIsaIrq(irq))?;
    let destination =
        u8::try_from(destination).map_err(|_| IoApicError::DestinationTooLarge(destination))?;
    io_apic::set(
        source.gsi,
        Redirection {
            vector,
            destination,
            polarity: source.polarity,
            trigger: source.trigger,
            masked,
        },
    )
}

/// Handles ISA IRQ `irq` (0-15; IRQ 0, the PIT, is free: the local APIC
/// timer keeps time) with `handler` on the bootstrap CPU and unmasks it.
/// The handler runs with interrupts disabled: it must be short, must not
/// print (the interrupted code may hold the console), nor take a lock that
/// other code holds with interrupts enabled.
pub fn set_handler(irq: u8, handler: Handler) {
    assert!(
        usize::from(irq) < ISA_IRQS,
        "IRQ {irq}: only ISA IRQ 0-15 take handlers"
    );
    without_interrupts(|| {
        HANDLERS.lock()[usize::from(irq)] = Some(handler);
        let vector = (IRQ_VECTORS.start + usize::from(irq)) as u8;
        route_legacy_irq(irq, vector, BSP_ID.load(Ordering::Relaxed));
    });
}

/// Masks ISA IRQ `irq` again and forgets its handler.
pub fn remove_handler(irq: u8) {
    assert!(
        usize::from(irq) < ISA_IRQS,
        "IRQ {irq}: only ISA IRQ 0-15 take handlers"
    );
    without_interrupts(|| {
        let masked = isa_source(irq).map(|source| io_apic::set_masked(source.gsi, true));
        if let Some(Err(error)) = masked {
            panic!("masking IRQ {irq}: {error:?}");
        }
        HANDLERS.lock()[usize::from(irq)] = None;
    });
}

/// Timer interrupts on the bootstrap CPU since [`init`], [`TICK_HZ`] a
/// second (fewer when the CPU could not take them in time: the timer does
/// not queue up missed ticks).
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Spurious interrupts seen (no EOI is due for them).
pub fn spurious_interrupts() -> u64 {
    SPURIOUS.load(Ordering::Relaxed)
}

/// APIC error interrupts seen, and the last error status (§10.5.3).
pub fn errors() -> (u64, u32) {
    (
        ERRORS.load(Ordering::Relaxed),
        LAST_ERROR.load(Ordering::Relaxed),
    )
}

/// Sleeps at least `ms` milliseconds, halting the CPU between ticks; late
/// rather than early. Needs interrupts enabled, and [`init`] done.
pub fn sleep_ms(ms: u64) {
    assert!(
        interrupts_enabled(),
        "sleep_ms with interrupts disabled would never wake up"
    );
    // The tick in progress may end at once: one more.
    let until = ticks() + (ms * TICK_HZ).div_ceil(1000) + 1;
    while ticks() < until {
        // A tick between the check and `hlt` only delays the wake-up by one.
        halt_until_interrupt();
    }
}

/// Called by the entry stubs, interrupts disabled.
extern "C" fn dispatch(source: u64) {
    match source {
        entry::SOURCE_SPURIOUS => {
            // Not in service: no EOI (§10.9).
            SPURIOUS.fetch_add(1, Ordering::Relaxed);
            return;
        }
        entry::SOURCE_TIMER => {
            if local::id() == BSP_ID.load(Ordering::Relaxed) {
                TICKS.fetch_add(1, Ordering::Relaxed);
            }
        }
        entry::SOURCE_ERROR => {
            LAST_ERROR.store(local::take_errors(), Ordering::Relaxed);
            ERRORS.fetch_add(1, Ordering::Relaxed);
        }
        irq => {
            // Copied out, so the handler runs without the lock held.
            let handler = HANDLERS.lock().get(irq as usize).copied().flatten();
            if let Some(handler) = handler {
                handler();
            }
        }
    }
    local::eoi();
}

/// Whether maskable interrupts are enabled (RFLAGS.IF).
pub fn interrupts_enabled() -> bool {
    let rflags: u64;
    // SAFETY: pushes RFLAGS and pops it into a register; nothing else changes.
    unsafe { asm!("pushfq", "pop {}", out(reg) rflags, options(nomem, preserves_flags)) };
    rflags & RFLAGS_IF != 0
}

/// Enables maskable interrupts (`sti`).
pub fn enable_interrupts() {
    // SAFETY: every vector the APICs deliver has a gate (idt::init; the
    // PICs' are masked). Not `nomem`: handlers change memory from here on.
    unsafe { asm!("sti", options(nostack)) };
}

/// Runs `f` with interrupts disabled, then restores the interrupt flag.
pub fn without_interrupts<R>(f: impl FnOnce() -> R) -> R {
    let enabled = interrupts_enabled();
    if enabled {
        cpu::disable_interrupts();
    }
    let result = f();
    if enabled {
        enable_interrupts();
    }
    result
}

/// Waits for the next interrupt (`hlt`).
pub fn halt_until_interrupt() {
    // SAFETY: `hlt` only waits; with IF set an interrupt wakes the CPU. Not
    // `nomem`: the handler changes memory (the tick count).
    unsafe { asm!("hlt", options(nostack, preserves_flags)) };
}
