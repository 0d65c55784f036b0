//! This CPU's local APIC: its registers, in xAPIC mode through a 4 KiB MMIO
//! page or in x2APIC mode through MSRs; enabling it; end of interrupt; and
//! the inter-processor interrupts (IPIs) that start the other CPUs.
//!
//! The registers are the same in both modes; only the way to them differs
//! (Intel SDM Vol. 3A §10.4.1, Table 10-1, for the xAPIC page offsets;
//! §10.12.1.2, Table 10-6, for the x2APIC MSRs: MSR 0x800 + offset / 16). The
//! x2APIC mode takes no memory mapping, gives 32-bit APIC IDs and sends an
//! IPI with one MSR write; it exists where CPUID.01H:ECX[21] says so. Every
//! CPU of a machine runs in the same mode, the one [`enable`] chose on the
//! bootstrap CPU.

use core::arch::asm;
use core::arch::x86_64::__cpuid;
use core::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};

use super::mmio;

/// IA32_APIC_BASE (MSR 0x1B): the local APIC's physical base (bits 12 up),
/// EXTD (bit 10, x2APIC mode) and EN (bit 11, APIC globally enabled), and
/// BSP (bit 8, this is the bootstrap CPU). Intel SDM Vol. 3A §10.4.4,
/// Figure 10-5; §10.12.1, Figure 10-26.
const IA32_APIC_BASE: u32 = 0x1B;
const APIC_BASE_BSP: u64 = 1 << 8;
const APIC_BASE_EXTD: u64 = 1 << 10;
const APIC_BASE_EN: u64 = 1 << 11;
/// Bits 12-51 of IA32_APIC_BASE: the page of the xAPIC registers (at most
/// MAXPHYADDR bits, 52 in 64-bit mode; §10.4.4).
const APIC_BASE_ADDRESS: u64 = 0x000F_FFFF_FFFF_F000;
/// x2APIC MSRs start at 0x800; each register's MSR is its xAPIC offset / 16
/// (§10.12.1.2).
const X2APIC_MSR_BASE: u32 = 0x800;

/// CPUID leaf 1: EDX bit 9, a local APIC is on the chip; ECX bit 21, it has
/// the x2APIC mode; EBX bits 31-24, this CPU's initial (xAPIC) APIC ID
/// (Intel SDM Vol. 2A, CPUID, Tables 3-10 and 3-11).
const CPUID_FEATURES_LEAF: u32 = 1;
const CPUID_EDX_APIC: u32 = 1 << 9;
const CPUID_ECX_X2APIC: u32 = 1 << 21;
const CPUID_EBX_APIC_ID_SHIFT: u32 = 24;

// Register offsets in the xAPIC page (§10.4.1, Table 10-1).
/// Local APIC ID: bits 31-24 in xAPIC mode, all 32 bits in x2APIC mode
/// (§10.4.6, §10.12.5.1).
const ID: u32 = 0x020;
/// Version: bits 7-0 the version, bits 23-16 the last LVT entry (§10.4.8).
const VERSION: u32 = 0x030;
/// Task priority: 0 accepts every vector (§10.8.3.1).
const TASK_PRIORITY: u32 = 0x080;
/// End of interrupt: write 0 (§10.8.5).
const END_OF_INTERRUPT: u32 = 0x0B0;
/// Spurious-interrupt vector register (§10.9, Figure 10-23).
const SPURIOUS_VECTOR: u32 = 0x0F0;
/// In-service register: 8 registers of 32 bits, 16 bytes apart (§10.8.4).
const IN_SERVICE: u32 = 0x100;
/// Error status (§10.5.3): write (any value) to latch the errors, then read.
const ERROR_STATUS: u32 = 0x280;
/// Interrupt command register: low half, high half in xAPIC mode (§10.6.1);
/// one 64-bit MSR in x2APIC mode (§10.12.9).
const COMMAND_LOW: u32 = 0x300;
const COMMAND_HIGH: u32 = 0x310;
/// Local vector table (§10.5.1, Figure 10-8).
pub(super) const LVT_TIMER: u32 = 0x320;
const LVT_LINT0: u32 = 0x350;
const LVT_LINT1: u32 = 0x360;
const LVT_ERROR: u32 = 0x370;
/// Timer: initial count, current count, divide configuration (§10.5.4).
pub(super) const TIMER_INITIAL_COUNT: u32 = 0x380;
pub(super) const TIMER_CURRENT_COUNT: u32 = 0x390;
pub(super) const TIMER_DIVIDE: u32 = 0x3E0;

/// Spurious-vector register bit 8: APIC software enable (§10.4.3).
const SOFTWARE_ENABLE: u32 = 1 << 8;
/// LVT bit 16: masked (§10.5.1).
pub(super) const LVT_MASKED: u32 = 1 << 16;
/// LVT and ICR bits 10-8, delivery mode: 100 NMI, 101 INIT, 110 start-up
/// (§10.5.1, §10.6.1).
const DELIVERY_NMI: u32 = 0b100 << 8;
const DELIVERY_INIT: u32 = 0b101 << 8;
const DELIVERY_STARTUP: u32 = 0b110 << 8;
/// LVT LINT0/LINT1 bit 13: the pin's polarity, 1 = active low (§10.5.1).
const LVT_ACTIVE_LOW: u32 = 1 << 13;
/// ICR bit 12 (xAPIC only): delivery status, 1 = the IPI is not yet sent
/// (§10.6.1; the x2APIC ICR has no such bit, §10.12.9).
const COMMAND_PENDING: u32 = 1 << 12;
/// ICR bit 14: level assert, which INIT and start-up IPIs take (§10.6.1;
/// Intel MultiProcessor Specification 1.4, Appendix B.4).
const COMMAND_ASSERT: u32 = 1 << 14;
/// xAPIC ICR high half: the destination APIC ID in bits 31-24 (§10.6.1).
const COMMAND_DESTINATION_SHIFT: u32 = 24;
/// Bits in the xAPIC ID register's ID field (bits 31-24).
const XAPIC_ID_SHIFT: u32 = 24;

/// The mode the local APICs run in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Registers in a 4 KiB MMIO page, 8-bit APIC IDs.
    XApic,
    /// Registers in MSRs 0x800-0x8FF, 32-bit APIC IDs.
    X2Apic,
}

impl Mode {
    pub const fn name(self) -> &'static str {
        match self {
            Self::XApic => "xAPIC",
            Self::X2Apic => "x2APIC",
        }
    }
}

/// 0 before [`enable`], else 1 + the [`Mode`] as `u8`.
static MODE: AtomicU8 = AtomicU8::new(0);
/// xAPIC mode: the virtual address of the register page.
static MMIO_BASE: AtomicU64 = AtomicU64::new(0);
/// LINT1 of every CPU as the MADT's NMI entries say (an LVT value), or masked.
static LINT1: AtomicU32 = AtomicU32::new(LVT_MASKED);

/// Why the local APIC could not be enabled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalApicError {
    /// CPUID.01H:EDX[9] is clear: there is no local APIC.
    NoApic,
    /// The xAPIC page could not be mapped.
    Map(mmio::MmioError),
}

/// The mode [`enable`] chose, or `None` before.
pub fn mode() -> Option<Mode> {
    match MODE.load(Ordering::Acquire) {
        1 => Some(Mode::XApic),
        2 => Some(Mode::X2Apic),
        _ => None,
    }
}

/// Whether CPUID says this CPU has the x2APIC mode.
pub fn cpu_has_x2apic() -> bool {
    features().ecx & CPUID_ECX_X2APIC != 0
}

/// This CPU's initial APIC ID, as CPUID.01H:EBX[31:24] reports it (the low
/// 8 bits of the x2APIC ID): an independent check of [`id`].
pub fn cpuid_initial_id() -> u32 {
    features().ebx >> CPUID_EBX_APIC_ID_SHIFT
}

fn features() -> core::arch::x86_64::CpuidResult {
    // `__cpuid` is a safe function since Rust 1.89 and unsafe before.
    #[allow(unused_unsafe)]
    // SAFETY: CPUID and its leaf 1 exist on every x86_64 CPU.
    unsafe {
        __cpuid(CPUID_FEATURES_LEAF)
    }
}

/// The physical address of this CPU's xAPIC page (IA32_APIC_BASE).
pub fn physical_base() -> u64 {
    read_msr(IA32_APIC_BASE) & APIC_BASE_ADDRESS
}

/// xAPIC mode: the virtual address of the register page; `None` in x2APIC
/// mode (nothing is mapped) or before `apic::init`.
pub fn register_page() -> Option<u64> {
    match mode() {
        Some(Mode::XApic) => Some(MMIO_BASE.load(Ordering::Relaxed)),
        _ => None,
    }
}

/// Whether IA32_APIC_BASE marks this CPU as the bootstrap processor.
pub fn is_bootstrap_cpu() -> bool {
    read_msr(IA32_APIC_BASE) & APIC_BASE_BSP != 0
}

/// IA32_APIC_BASE as it is now (for the tests: EN and EXTD).
pub fn base_msr() -> u64 {
    read_msr(IA32_APIC_BASE)
}

/// Chooses the mode (x2APIC where the CPU has it) and, in xAPIC mode, maps
/// the register page at `physical` (the MADT's address) uncached. Runs
/// once, on the bootstrap CPU, before [`enable_this_cpu`].
pub(super) fn choose_mode(physical: u64) -> Result<Mode, LocalApicError> {
    if features().edx & CPUID_EDX_APIC == 0 {
        return Err(LocalApicError::NoApic);
    }
    // Firmware may have handed over in x2APIC mode already; going back to
    // xAPIC would mean disabling the APIC first (§10.12.5, Figure 10-27).
    let mode = if cpu_has_x2apic() || read_msr(IA32_APIC_BASE) & APIC_BASE_EXTD != 0 {
        Mode::X2Apic
    } else {
        let base = mmio::map_uncached(physical).map_err(LocalApicError::Map)?;
        MMIO_BASE.store(base, Ordering::Relaxed);
        Mode::XApic
    };
    MODE.store(mode as u8 + 1, Ordering::Release);
    Ok(mode)
}

/// Makes LINT1 an NMI input with this polarity, on this CPU and every CPU
/// [`enable_this_cpu`] enables from now on (the MADT's local APIC NMI
/// entries). NMIs are always edge-triggered (§10.5.1).
pub(super) fn set_lint1_nmi(active_low: bool) {
    let polarity = if active_low { LVT_ACTIVE_LOW } else { 0 };
    LINT1.store(DELIVERY_NMI | polarity, Ordering::Relaxed);
    write(LVT_LINT1, DELIVERY_NMI | polarity);
}

/// Enables this CPU's local APIC in the chosen mode: IA32_APIC_BASE EN
/// (and EXTD for x2APIC), every vector accepted, LINT0 masked (the 8259A's
/// ExtINT input: the legacy PICs are out of use), LINT1 as the MADT says,
/// errors to `error_vector`, spurious interrupts to `spurious_vector`.
pub(super) fn enable_this_cpu(spurious_vector: u8, error_vector: u8) {
    let mode = mode().expect("local::choose_mode runs first");
    let base = read_msr(IA32_APIC_BASE);
    // EN before EXTD: the only way into x2APIC mode is from xAPIC mode
    // (§10.12.5, Figure 10-27).
    if base & APIC_BASE_EN == 0 {
        write_msr(IA32_APIC_BASE, base | APIC_BASE_EN);
    }
    if mode == Mode::X2Apic && base & APIC_BASE_EXTD == 0 {
        write_msr(IA32_APIC_BASE, base | APIC_BASE_EN | APIC_BASE_EXTD);
    }
    write(TASK_PRIORITY, 0);
    write(LVT_LINT0, LVT_MASKED);
    write(LVT_LINT1, LINT1.load(Ordering::Relaxed));
    write(LVT_ERROR, u32::from(error_vector));
    // The ESR latches errors on a write; two writes clear what happened
    // before (§10.5.3).
    write(ERROR_STATUS, 0);
    write(ERROR_STATUS, 0);
    write(
        SPURIOUS_VECTOR,
        SOFTWARE_ENABLE | u32::from(spurious_vector),
    );
}

/// Enables the local APIC and the timer of an application processor, as
/// the bootstrap CPU's were by `apic::init` (same mode, same vectors, the
/// timer at the rate it calibrated). Call it on that CPU, after
/// `apic::init` ran on the bootstrap CPU, with interrupts disabled; then
/// enable them (`apic::enable_interrupts`).
pub fn init_this_cpu() {
    let calibration = super::timer::calibration().expect("apic::init runs first, on the BSP");
    enable_this_cpu(super::SPURIOUS_VECTOR, super::ERROR_VECTOR);
    super::timer::start_periodic(calibration.initial_count, super::TIMER_VECTOR);
}

/// This CPU's local APIC ID (after `apic::init`).
pub fn id() -> u32 {
    match mode() {
        Some(Mode::X2Apic) => read(ID),
        _ => read(ID) >> XAPIC_ID_SHIFT,
    }
}

/// The version register: bits 7-0 the version (0x1X for an integrated
/// APIC), bits 23-16 the number of LVT entries minus one (§10.4.8).
pub fn version() -> u32 {
    read(VERSION)
}

/// The spurious-interrupt vector register (enable bit and vector).
pub fn spurious_register() -> u32 {
    read(SPURIOUS_VECTOR)
}

/// The LVT entries for LINT0 and LINT1.
pub fn lint_entries() -> (u32, u32) {
    (read(LVT_LINT0), read(LVT_LINT1))
}

/// Signals the end of the interrupt being handled (the highest one in
/// service), so that one of equal or lower priority can be delivered
/// (§10.8.5). Not for the spurious vector (§10.9). For a level-triggered
/// I/O APIC input it also tells the I/O APIC (the EOI broadcast).
pub fn eoi() {
    write(END_OF_INTERRUPT, 0);
}

/// Whether `vector` is in service: delivered and not yet ended by
/// [`eoi`] (the ISR, §10.8.4).
pub fn in_service(vector: u8) -> bool {
    let register = IN_SERVICE + u32::from(vector / 32) * 0x10;
    read(register) & (1 << (vector % 32)) != 0
}

/// The error status since the last call: send or receive errors, illegal
/// vectors (§10.5.3, Figure 10-9).
pub fn take_errors() -> u32 {
    write(ERROR_STATUS, 0);
    read(ERROR_STATUS)
}

/// Sends an INIT IPI to the CPU with APIC ID `apic_id` (which resets it to
/// wait for a start-up IPI; Intel SDM Vol. 3A §8.4.4.1).
pub fn send_init(apic_id: u32) {
    send(apic_id, DELIVERY_INIT | COMMAND_ASSERT);
}

/// Sends a start-up IPI: the CPU `apic_id` starts in real mode at physical
/// address `page` × 4096 (§8.4.4.1, §10.6.1).
pub fn send_startup(apic_id: u32, page: u8) {
    send(apic_id, DELIVERY_STARTUP | COMMAND_ASSERT | u32::from(page));
}

/// Sends interrupt `vector` to the CPU `apic_id` (fixed delivery, physical
/// destination). The vector needs a gate on that CPU.
pub fn send_ipi(apic_id: u32, vector: u8) {
    send(apic_id, u32::from(vector));
}

/// Writes the interrupt command register: destination `apic_id` (physical
/// destination mode, no shorthand), `command` in the low half.
fn send(apic_id: u32, command: u32) {
    match mode().expect("apic::init runs first") {
        Mode::X2Apic => {
            // One write sends it; the destination is bits 63-32 (§10.12.9).
            let value = (u64::from(apic_id) << 32) | u64::from(command);
            write_msr(msr(COMMAND_LOW), value);
        }
        Mode::XApic => {
            wait_for_delivery();
            // The high half first: writing the low half sends (§10.6.1).
            write(COMMAND_HIGH, apic_id << COMMAND_DESTINATION_SHIFT);
            write(COMMAND_LOW, command);
            wait_for_delivery();
        }
    }
}

/// xAPIC: waits until the last IPI left (delivery status idle).
fn wait_for_delivery() {
    while read(COMMAND_LOW) & COMMAND_PENDING != 0 {
        core::hint::spin_loop();
    }
}

/// The MSR of the register at xAPIC offset `offset`.
const fn msr(offset: u32) -> u32 {
    X2APIC_MSR_BASE + offset / 16
}

/// Reads the 32-bit register at xAPIC offset `offset`.
pub(super) fn read(offset: u32) -> u32 {
    match mode() {
        Some(Mode::X2Apic) => read_msr(msr(offset)) as u32,
        Some(Mode::XApic) => {
            let address = MMIO_BASE.load(Ordering::Relaxed) + u64::from(offset);
            // SAFETY: `choose_mode` mapped the register page there, uncached;
            // every register is 32 bits at a 16-byte boundary, and reads
            // have no side effects (Table 10-1).
            unsafe { (address as *const u32).read_volatile() }
        }
        None => panic!("the local APIC is not enabled (apic::init)"),
    }
}

/// Writes the 32-bit register at xAPIC offset `offset`.
pub(super) fn write(offset: u32, value: u32) {
    match mode() {
        Some(Mode::X2Apic) => write_msr(msr(offset), u64::from(value)),
        Some(Mode::XApic) => {
            let address = MMIO_BASE.load(Ordering::Relaxed) + u64::from(offset);
            // SAFETY: as in `read`; the callers write values the SDM defines
            // for each register.
            unsafe { (address as *mut u32).write_volatile(value) }
        }
        None => panic!("the local APIC is not enabled (apic::init)"),
    }
}

fn read_msr(msr: u32) -> u64 {
    let (low, high): (u32, u32);
    // SAFETY: only called with IA32_APIC_BASE, which every CPU with an APIC
    // has, and with x2APIC MSRs once x2APIC mode is on (otherwise they #GP).
    unsafe {
        asm!("rdmsr", in("ecx") msr, out("eax") low, out("edx") high, options(nomem, nostack, preserves_flags))
    };
    (u64::from(high) << 32) | u64::from(low)
}

fn write_msr(msr: u32, value: u64) {
    // SAFETY: as in `read_msr`; the values written are the SDM's. Not
    // `nomem`: an EOI or an IPI must not move before earlier memory accesses.
    unsafe {
        asm!(
            "wrmsr",
            in("ecx") msr,
            in("eax") value as u32,
            in("edx") (value >> 32) as u32,
            options(nostack, preserves_flags)
        )
    };
}
