//! The Multiple APIC Description Table, signature "APIC" (ACPI 6.5 §5.2.12):
//! the interrupt controllers. After a fixed part (the local APIC address and
//! flags) come variable-length entries, each starting with a type and a
//! length byte. The entries read here are the x86 ones; the others (SAPIC,
//! GIC, ...) are skipped by their length.
//!
//! Each entry is copied into a fixed-capacity array (no heap). Entries beyond
//! a capacity are counted in [`Madt::dropped`], never silently lost.

use super::sdt::{HEADER_LEN, read_u16, read_u32, read_u64};
use super::{AcpiError, Structure};

/// The MADT's own signature.
pub const SIGNATURE: [u8; 4] = *b"APIC";

/// Local APICs kept: one per CPU (ACPI names the CPUs by the local APICs).
pub const MAX_CPUS: usize = 64;
/// I/O APICs kept (PCs have one to a few).
pub const MAX_IO_APICS: usize = 8;
/// Interrupt source overrides kept: at most one per ISA IRQ (0-15).
pub const MAX_OVERRIDES: usize = 16;
/// Local APIC NMI entries kept: firmware often lists one per CPU.
pub const MAX_LOCAL_NMIS: usize = MAX_CPUS;
/// NMI sources kept (I/O APIC inputs wired to NMI; rare).
pub const MAX_NMI_SOURCES: usize = 8;

/// §5.2.12, the MADT's format: after the header, the local APIC address (u32) and
/// the flags (u32); the entries start at offset 44.
const LOCAL_APIC_ADDRESS_OFFSET: usize = HEADER_LEN;
const FLAGS_OFFSET: usize = HEADER_LEN + 4;
const ENTRIES_OFFSET: usize = HEADER_LEN + 8;
/// §5.2.12, Multiple APIC Flags, bit 0 PCAT_COMPAT: the machine also has the dual
/// 8259 PICs, which must be masked before the I/O APIC is used.
const PCAT_COMPAT: u32 = 1 << 0;

// §5.2.12, Interrupt Controller Structure Types: entry types, each with its length as the spec
// defines it (the least that holds the fields read here).
/// Processor Local APIC: UID (u8), APIC ID (u8), flags (u32).
const PROCESSOR_LOCAL_APIC: u8 = 0;
const PROCESSOR_LOCAL_APIC_LEN: usize = 8;
/// I/O APIC: ID (u8), reserved, address (u32), GSI base (u32).
const IO_APIC: u8 = 1;
const IO_APIC_LEN: usize = 12;
/// Interrupt Source Override: bus (u8, 0 = ISA), source IRQ (u8), GSI (u32),
/// MPS INTI flags (u16).
const INTERRUPT_SOURCE_OVERRIDE: u8 = 2;
const INTERRUPT_SOURCE_OVERRIDE_LEN: usize = 10;
/// Non-Maskable Interrupt Source: MPS INTI flags (u16), GSI (u32).
const NMI_SOURCE: u8 = 3;
const NMI_SOURCE_LEN: usize = 8;
/// Local APIC NMI: processor UID (u8, 0xFF = all), MPS INTI flags (u16),
/// LINT# (u8).
const LOCAL_APIC_NMI: u8 = 4;
const LOCAL_APIC_NMI_LEN: usize = 6;
/// Local APIC Address Override: reserved (u16), the 64-bit address.
const LOCAL_APIC_ADDRESS_OVERRIDE: u8 = 5;
const LOCAL_APIC_ADDRESS_OVERRIDE_LEN: usize = 12;
/// Processor Local x2APIC: reserved (u16), x2APIC ID (u32), flags (u32),
/// processor UID (u32).
const PROCESSOR_LOCAL_X2APIC: u8 = 9;
const PROCESSOR_LOCAL_X2APIC_LEN: usize = 16;
/// Local x2APIC NMI: MPS INTI flags (u16), processor UID (u32,
/// 0xFFFF_FFFF = all), LINT# (u8), 3 reserved bytes.
const LOCAL_X2APIC_NMI: u8 = 0xA;
const LOCAL_X2APIC_NMI_LEN: usize = 12;

/// §5.2.12.2, Local APIC Flags: bit 0 Enabled (ready for use); bit 1 Online
/// Capable (not enabled now, but the OS may bring it online).
const LOCAL_APIC_ENABLED: u32 = 1 << 0;
const LOCAL_APIC_ONLINE_CAPABLE: u32 = 1 << 1;
/// The Local APIC NMI entry's UID that means every processor.
const ALL_PROCESSORS_U8: u8 = 0xFF;
/// Every processor, in [`LocalApicNmi::processor_uid`]: the Local x2APIC NMI
/// entry's value, to which the Local APIC NMI entry's 0xFF is widened.
pub const ALL_PROCESSORS: u32 = 0xFFFF_FFFF;
/// §5.2.12, Interrupt Source Override: bus 0 is ISA, the only bus defined.
const ISA_BUS: u8 = 0;

/// §5.2.12.5, MPS INTI Flags, bits 1:0 the polarity: 00 as the bus
/// specifies, 01 active high, 10 reserved, 11 active low.
const POLARITY_MASK: u16 = 0b11;
const POLARITY_ACTIVE_HIGH: u16 = 0b01;
const POLARITY_ACTIVE_LOW: u16 = 0b11;
/// MPS INTI Flags, bits 3:2 the trigger mode: 00 as the bus specifies, 01
/// edge, 10 reserved, 11 level.
const TRIGGER_SHIFT: u16 = 2;
const TRIGGER_MASK: u16 = 0b11;
const TRIGGER_EDGE: u16 = 0b01;
const TRIGGER_LEVEL: u16 = 0b11;

/// The level at which an interrupt line is active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Polarity {
    ActiveHigh,
    ActiveLow,
}

/// How an interrupt line signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Edge,
    Level,
}

/// Reads MPS INTI flags, with "as the bus specifies" (and the reserved
/// values) resolved to ISA's rules: active high, edge triggered (the ISA
/// bus is the only one the MADT names; NMIs are edge triggered too).
fn inti_flags(flags: u16) -> (Polarity, Trigger) {
    let polarity = match flags & POLARITY_MASK {
        POLARITY_ACTIVE_LOW => Polarity::ActiveLow,
        POLARITY_ACTIVE_HIGH => Polarity::ActiveHigh,
        _ => Polarity::ActiveHigh,
    };
    let trigger = match (flags >> TRIGGER_SHIFT) & TRIGGER_MASK {
        TRIGGER_LEVEL => Trigger::Level,
        TRIGGER_EDGE => Trigger::Edge,
        _ => Trigger::Edge,
    };
    (polarity, trigger)
}

/// A CPU's local APIC (entry types 0 and 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalApic {
    /// The ACPI processor UID (names the CPU in the namespace and in NMI
    /// entries).
    pub processor_uid: u32,
    /// Its APIC ID (x2APIC ID for type 9): what INIT and SIPI IPIs address.
    pub apic_id: u32,
    /// Ready for use.
    pub enabled: bool,
    /// Not enabled, but may be brought online (only meaningful when not
    /// `enabled`).
    pub online_capable: bool,
}

impl LocalApic {
    const EMPTY: Self = Self {
        processor_uid: 0,
        apic_id: 0,
        enabled: false,
        online_capable: false,
    };
}

/// An I/O APIC (entry type 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IoApic {
    pub id: u8,
    /// Physical address of its registers.
    pub address: u32,
    /// The first global system interrupt its inputs receive.
    pub gsi_base: u32,
}

impl IoApic {
    const EMPTY: Self = Self {
        id: 0,
        address: 0,
        gsi_base: 0,
    };
}

/// How an ISA IRQ reaches the I/O APICs (entry type 2), polarity and
/// trigger resolved (ISA's default: active high, edge).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InterruptOverride {
    pub source_irq: u8,
    /// The global system interrupt the IRQ arrives at.
    pub gsi: u32,
    pub polarity: Polarity,
    pub trigger: Trigger,
}

impl InterruptOverride {
    const EMPTY: Self = Self::identity(0);

    /// What an ISA IRQ is without an override: the GSI of the same number,
    /// active high, edge triggered.
    pub const fn identity(irq: u8) -> Self {
        Self {
            source_irq: irq,
            gsi: irq as u32,
            polarity: Polarity::ActiveHigh,
            trigger: Trigger::Edge,
        }
    }
}

/// A local APIC input (LINT0 or LINT1) wired to NMI (entry types 4 and 0xA).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalApicNmi {
    /// The processor it concerns, or [`ALL_PROCESSORS`].
    pub processor_uid: u32,
    /// 0 for LINT0, 1 for LINT1.
    pub lint: u8,
    pub polarity: Polarity,
    pub trigger: Trigger,
}

impl LocalApicNmi {
    const EMPTY: Self = Self {
        processor_uid: 0,
        lint: 0,
        polarity: Polarity::ActiveHigh,
        trigger: Trigger::Edge,
    };

    /// Whether this entry concerns the processor of ACPI UID `processor_uid`.
    pub fn applies_to(&self, processor_uid: u32) -> bool {
        self.processor_uid == ALL_PROCESSORS || self.processor_uid == processor_uid
    }
}

/// A global system interrupt wired to NMI (entry type 3): not for devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NmiSource {
    pub gsi: u32,
    pub polarity: Polarity,
    pub trigger: Trigger,
}

impl NmiSource {
    const EMPTY: Self = Self {
        gsi: 0,
        polarity: Polarity::ActiveHigh,
        trigger: Trigger::Edge,
    };
}

/// A fixed-capacity list: the first `N` items pushed, and a count of the rest.
#[derive(Clone, Copy)]
struct List<T: Copy, const N: usize> {
    items: [T; N],
    len: usize,
}

impl<T: Copy, const N: usize> List<T, N> {
    const fn new(empty: T) -> Self {
        Self {
            items: [empty; N],
            len: 0,
        }
    }

    /// Appends `item`; false when full.
    fn push(&mut self, item: T) -> bool {
        let Some(slot) = self.items.get_mut(self.len) else {
            return false;
        };
        *slot = item;
        self.len += 1;
        true
    }

    fn as_slice(&self) -> &[T] {
        &self.items[..self.len]
    }
}

/// The MADT's contents.
#[derive(Clone, Copy)]
pub struct Madt {
    /// Physical address of every CPU's local APIC registers (xAPIC mode):
    /// the table's 32-bit field, or the 64-bit Local APIC Address Override
    /// (entry type 5) when there is one.
    pub local_apic_address: u64,
    /// The machine also has dual 8259 PICs (MADT flag PCAT_COMPAT).
    pub pcat_compat: bool,
    /// Entries that did not fit their list's capacity.
    pub dropped: usize,
    local_apics: List<LocalApic, MAX_CPUS>,
    io_apics: List<IoApic, MAX_IO_APICS>,
    overrides: List<InterruptOverride, MAX_OVERRIDES>,
    nmis: List<LocalApicNmi, MAX_LOCAL_NMIS>,
    nmi_sources: List<NmiSource, MAX_NMI_SOURCES>,
}

impl Madt {
    /// Reads the MADT in `bytes` (the whole table, header included; its
    /// checksum is the caller's to check, see [`super::sdt::validate`]) that
    /// lies at physical `address` (for error messages). Fails on an entry
    /// shorter than its type needs or running past the table's end.
    pub fn parse(bytes: &[u8], address: u64) -> Result<Self, AcpiError> {
        if bytes.len() < ENTRIES_OFFSET {
            return Err(AcpiError::BadLength {
                what: Structure::Table(SIGNATURE),
                address,
                length: bytes.len() as u64,
            });
        }
        let mut madt = Self {
            local_apic_address: u64::from(read_u32(bytes, LOCAL_APIC_ADDRESS_OFFSET)),
            pcat_compat: read_u32(bytes, FLAGS_OFFSET) & PCAT_COMPAT != 0,
            dropped: 0,
            local_apics: List::new(LocalApic::EMPTY),
            io_apics: List::new(IoApic::EMPTY),
            overrides: List::new(InterruptOverride::EMPTY),
            nmis: List::new(LocalApicNmi::EMPTY),
            nmi_sources: List::new(NmiSource::EMPTY),
        };
        let mut offset = ENTRIES_OFFSET;
        while offset < bytes.len() {
            let kind = bytes[offset];
            let length = bytes.get(offset + 1).copied().unwrap_or(0);
            let entry = bytes.get(offset..offset + usize::from(length));
            let needed = match kind {
                PROCESSOR_LOCAL_APIC => PROCESSOR_LOCAL_APIC_LEN,
                IO_APIC => IO_APIC_LEN,
                INTERRUPT_SOURCE_OVERRIDE => INTERRUPT_SOURCE_OVERRIDE_LEN,
                NMI_SOURCE => NMI_SOURCE_LEN,
                LOCAL_APIC_NMI => LOCAL_APIC_NMI_LEN,
                LOCAL_APIC_ADDRESS_OVERRIDE => LOCAL_APIC_ADDRESS_OVERRIDE_LEN,
                PROCESSOR_LOCAL_X2APIC => PROCESSOR_LOCAL_X2APIC_LEN,
                LOCAL_X2APIC_NMI => LOCAL_X2APIC_NMI_LEN,
                // Every entry has at least its type and length bytes.
                _ => 2,
            };
            let Some(entry) = entry.filter(|entry| entry.len() >= needed) else {
                return Err(AcpiError::BadMadtEntry {
                    offset,
                    kind,
                    length,
                });
            };
            madt.add(kind, entry);
            offset += entry.len();
        }
        Ok(madt)
    }

    /// Records one entry, long enough for its type (checked by `parse`).
    fn add(&mut self, kind: u8, entry: &[u8]) {
        let kept = match kind {
            PROCESSOR_LOCAL_APIC => {
                let flags = read_u32(entry, 4);
                self.local_apics.push(LocalApic {
                    processor_uid: u32::from(entry[2]),
                    apic_id: u32::from(entry[3]),
                    enabled: flags & LOCAL_APIC_ENABLED != 0,
                    online_capable: flags & LOCAL_APIC_ONLINE_CAPABLE != 0,
                })
            }
            PROCESSOR_LOCAL_X2APIC => {
                let flags = read_u32(entry, 8);
                self.local_apics.push(LocalApic {
                    processor_uid: read_u32(entry, 12),
                    apic_id: read_u32(entry, 4),
                    enabled: flags & LOCAL_APIC_ENABLED != 0,
                    online_capable: flags & LOCAL_APIC_ONLINE_CAPABLE != 0,
                })
            }
            IO_APIC => self.io_apics.push(IoApic {
                id: entry[2],
                address: read_u32(entry, 4),
                gsi_base: read_u32(entry, 8),
            }),
            INTERRUPT_SOURCE_OVERRIDE => {
                if entry[2] != ISA_BUS {
                    // No other bus is defined: nothing to route by it.
                    return;
                }
                let (polarity, trigger) = inti_flags(read_u16(entry, 8));
                let irq = entry[3];
                // A later entry for the same IRQ replaces the earlier one.
                let existing = self.overrides.len;
                let slot = self.overrides.items[..existing]
                    .iter_mut()
                    .find(|known| known.source_irq == irq);
                let item = InterruptOverride {
                    source_irq: irq,
                    gsi: read_u32(entry, 4),
                    polarity,
                    trigger,
                };
                match slot {
                    Some(slot) => {
                        *slot = item;
                        true
                    }
                    None => self.overrides.push(item),
                }
            }
            NMI_SOURCE => {
                let (polarity, trigger) = inti_flags(read_u16(entry, 2));
                self.nmi_sources.push(NmiSource {
                    gsi: read_u32(entry, 4),
                    polarity,
                    trigger,
                })
            }
            LOCAL_APIC_NMI => {
                let (polarity, trigger) = inti_flags(read_u16(entry, 3));
                let uid = entry[2];
                self.nmis.push(LocalApicNmi {
                    processor_uid: if uid == ALL_PROCESSORS_U8 {
                        ALL_PROCESSORS
                    } else {
                        u32::from(uid)
                    },
                    lint: entry[5],
                    polarity,
                    trigger,
                })
            }
            LOCAL_X2APIC_NMI => {
                let (polarity, trigger) = inti_flags(read_u16(entry, 2));
                self.nmis.push(LocalApicNmi {
                    processor_uid: read_u32(entry, 4),
                    lint: entry[8],
                    polarity,
                    trigger,
                })
            }
            LOCAL_APIC_ADDRESS_OVERRIDE => {
                // §5.2.12, Local APIC Address Override: when present, it is
                // used instead of the 32-bit field.
                self.local_apic_address = read_u64(entry, 4);
                true
            }
            _ => true,
        };
        if !kept {
            self.dropped += 1;
        }
    }

    /// The CPUs' local APICs, in the table's order (the first is the
    /// bootstrap processor's by convention, §5.2.12.1), enabled or not.
    pub fn local_apics(&self) -> &[LocalApic] {
        self.local_apics.as_slice()
    }

    /// The CPUs that are ready for use.
    pub fn enabled_cpus(&self) -> impl Iterator<Item = &LocalApic> {
        self.local_apics().iter().filter(|apic| apic.enabled)
    }

    pub fn io_apics(&self) -> &[IoApic] {
        self.io_apics.as_slice()
    }

    /// The ISA IRQs that do not arrive at the GSI of their number, or not
    /// active high and edge triggered.
    pub fn overrides(&self) -> &[InterruptOverride] {
        self.overrides.as_slice()
    }

    /// The local APIC inputs wired to NMI.
    pub fn nmis(&self) -> &[LocalApicNmi] {
        self.nmis.as_slice()
    }

    /// The global system interrupts wired to NMI.
    pub fn nmi_sources(&self) -> &[NmiSource] {
        self.nmi_sources.as_slice()
    }

    /// How ISA IRQ `irq` arrives: its override, or the identity mapping.
    pub fn legacy_irq(&self, irq: u8) -> InterruptOverride {
        self.overrides()
            .iter()
            .find(|known| known.source_irq == irq)
            .copied()
            .unwrap_or(InterruptOverride::identity(irq))
    }
}
