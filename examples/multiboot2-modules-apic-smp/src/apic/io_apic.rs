//! The I/O APICs: each takes a range of global system interrupts (GSIs), one
//! per input pin from its `gsi_base` on, and sends each pin's interrupt to a
//! local APIC as its redirection entry says (vector, destination, polarity,
//! trigger mode, mask). The MADT lists them (ACPI 6.5 §5.2.12.3).
//!
//! Two registers in the I/O APIC's page reach all others: IOREGSEL (offset
//! 0x00) selects a register, IOWIN (offset 0x10) reads or writes it. Source:
//! Intel 82093AA I/O APIC datasheet (order number 290566), §3.0 "Register
//! Description"; every chipset's I/O APIC since keeps that layout.

use core::sync::atomic::{AtomicUsize, Ordering};

use super::mmio::{self, MmioError};
use crate::acpi::{Polarity, Trigger};
use crate::sync::SpinLock;

/// IOREGSEL and IOWIN, offsets in the page (82093AA §3.0, Table 1).
const IOREGSEL: u64 = 0x00;
const IOWIN: u64 = 0x10;
/// IOAPICVER (register 0x01): bits 23-16 hold the index of the last
/// redirection entry (82093AA §3.2.2).
const IOAPICVER: u32 = 0x01;
const MAX_ENTRY_SHIFT: u32 = 16;
/// IOREDTBL: entry `n` is registers 0x10 + 2n (low half) and 0x11 + 2n (high
/// half) (82093AA §3.2.4).
const IOREDTBL: u32 = 0x10;

// Redirection entry bits (82093AA §3.2.4): 7-0 vector, 10-8 delivery mode
// (000 fixed), 11 destination mode (0 physical), 12 delivery status, 13
// polarity (1 low active), 14 remote IRR, 15 trigger mode (1 level), 16 mask;
// 63-56 destination (an APIC ID in physical mode).
const POLARITY_LOW: u64 = 1 << 13;
const TRIGGER_LEVEL: u64 = 1 << 15;
const MASKED: u64 = 1 << 16;
const DESTINATION_SHIFT: u32 = 56;
const VECTOR_MASK: u64 = 0xFF;

/// Most I/O APICs the kernel drives (ACPI's `MAX_IO_APICS`).
pub const MAX_IO_APICS: usize = 8;

/// Why an I/O APIC could not be set up or used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IoApicError {
    /// Its page could not be mapped.
    Map(MmioError),
    /// More I/O APICs than [`MAX_IO_APICS`].
    TooMany,
    /// No I/O APIC takes this GSI.
    NoSuchGsi(u32),
    /// This ISA IRQ has no GSI of its own (another IRQ's override took it;
    /// see `apic::isa_source`).
    NoSuchIsaIrq(u8),
    /// The destination APIC ID does not fit the entry's 8 bits (an x2APIC
    /// ID above 255 needs interrupt remapping, which this kernel lacks).
    DestinationTooLarge(u32),
}

/// One I/O APIC, once mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoApic {
    /// Its I/O APIC ID, from the MADT.
    pub id: u8,
    /// Physical address of its registers.
    pub physical: u64,
    /// Virtual address of its registers (uncached).
    base: u64,
    /// The first GSI it takes.
    pub gsi_base: u32,
    /// How many inputs (redirection entries) it has.
    pub inputs: u32,
}

/// What a redirection entry says, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Redirection {
    pub vector: u8,
    pub destination: u8,
    pub polarity: Polarity,
    pub trigger: Trigger,
    pub masked: bool,
}

impl Redirection {
    fn encode(self) -> u64 {
        let mut entry = u64::from(self.vector) | (u64::from(self.destination) << DESTINATION_SHIFT);
        if self.polarity == Polarity::ActiveLow {
            entry |= POLARITY_LOW;
        }
        if self.trigger == Trigger::Level {
            entry |= TRIGGER_LEVEL;
        }
        if self.masked {
            entry |= MASKED;
        }
        entry
    }

    fn decode(entry: u64) -> Self {
        Self {
            vector: (entry & VECTOR_MASK) as u8,
            destination: (entry >> DESTINATION_SHIFT) as u8,
            polarity: if entry & POLARITY_LOW != 0 {
                Polarity::ActiveLow
            } else {
                Polarity::ActiveHigh
            },
            trigger: if entry & TRIGGER_LEVEL != 0 {
                Trigger::Level
            } else {
                Trigger::Edge
            },
            masked: entry & MASKED != 0,
        }
    }
}

/// The I/O APICs set up so far; a lock around the select-then-access pair
/// of registers, which must not interleave.
static IO_APICS: SpinLock<[Option<IoApic>; MAX_IO_APICS]> = SpinLock::new([None; MAX_IO_APICS]);
static COUNT: AtomicUsize = AtomicUsize::new(0);

impl IoApic {
    fn read(&self, register: u32) -> u32 {
        // SAFETY: `base` is this I/O APIC's register page, mapped uncached by
        // `add`; IOREGSEL and IOWIN are 32-bit registers (82093AA §3.0). The
        // caller holds `IO_APICS`, so no other select comes in between.
        unsafe {
            ((self.base + IOREGSEL) as *mut u32).write_volatile(register);
            ((self.base + IOWIN) as *const u32).read_volatile()
        }
    }

    fn write(&self, register: u32, value: u32) {
        // SAFETY: as in `read`.
        unsafe {
            ((self.base + IOREGSEL) as *mut u32).write_volatile(register);
            ((self.base + IOWIN) as *mut u32).write_volatile(value);
        }
    }

    fn entry(&self, input: u32) -> u64 {
        let low = self.read(IOREDTBL + 2 * input);
        let high = self.read(IOREDTBL + 2 * input + 1);
        (u64::from(high) << 32) | u64::from(low)
    }

    fn set_entry(&self, input: u32, entry: u64) {
        // Masked while the halves disagree; the high half (destination),
        // then the low half with the real mask bit.
        self.write(IOREDTBL + 2 * input, (entry as u32) | MASKED as u32);
        self.write(IOREDTBL + 2 * input + 1, (entry >> 32) as u32);
        self.write(IOREDTBL + 2 * input, entry as u32);
    }

    /// The virtual address of its registers (mapped uncached).
    pub fn registers(&self) -> u64 {
        self.base
    }

    fn takes(&self, gsi: u32) -> bool {
        gsi >= self.gsi_base && gsi - self.gsi_base < self.inputs
    }
}

/// Maps the I/O APIC `id` at `physical`, reads how many inputs it has and
/// masks them all.
pub fn add(id: u8, physical: u64, gsi_base: u32) -> Result<IoApic, IoApicError> {
    let mut apics = IO_APICS.lock();
    let slot = apics
        .iter()
        .position(Option::is_none)
        .ok_or(IoApicError::TooMany)?;
    let base = mmio::map_uncached(physical).map_err(IoApicError::Map)?;
    let mut apic = IoApic {
        id,
        physical,
        base,
        gsi_base,
        inputs: 0,
    };
    apic.inputs = ((apic.read(IOAPICVER) >> MAX_ENTRY_SHIFT) & 0xFF) + 1;
    for input in 0..apic.inputs {
        apic.set_entry(input, MASKED);
    }
    apics[slot] = Some(apic);
    COUNT.fetch_add(1, Ordering::Relaxed);
    Ok(apic)
}

/// The I/O APICs set up, in MADT order.
pub fn all() -> impl Iterator<Item = IoApic> {
    let apics = *IO_APICS.lock();
    apics
        .into_iter()
        .take(COUNT.load(Ordering::Relaxed))
        .flatten()
}

/// Sets the redirection entry of `gsi`.
pub fn set(gsi: u32, redirection: Redirection) -> Result<(), IoApicError> {
    let apics = IO_APICS.lock();
    let apic = apics
        .iter()
        .flatten()
        .find(|apic| apic.takes(gsi))
        .ok_or(IoApicError::NoSuchGsi(gsi))?;
    apic.set_entry(gsi - apic.gsi_base, redirection.encode());
    Ok(())
}

/// The redirection entry of `gsi`, decoded.
pub fn get(gsi: u32) -> Result<Redirection, IoApicError> {
    let apics = IO_APICS.lock();
    let apic = apics
        .iter()
        .flatten()
        .find(|apic| apic.takes(gsi))
        .ok_or(IoApicError::NoSuchGsi(gsi))?;
    Ok(Redirection::decode(apic.entry(gsi - apic.gsi_base)))
}

/// Masks or unmasks `gsi`, keeping the rest of its entry.
pub fn set_masked(gsi: u32, masked: bool) -> Result<(), IoApicError> {
    let redirection = get(gsi)?;
    set(
        gsi,
        Redirection {
            masked,
            ..redirection
        },
    )
}
