//! ACPI, the firmware's description of the machine (ACPI 6.5 §5.2).
//!
//! [`init`] takes the RSDP the boot loader reported (or, on a BIOS machine,
//! searches for it where §5.2.5.1 says it lies), follows it to the RSDT
//! (ACPI 1.0, 32-bit addresses) or the XSDT (2.0 and later, 64-bit), checks
//! every checksum on the way (the RSDP's one or two, and each table's), lists
//! the tables, and reads the MADT ([`madt`]): the CPUs' local APICs, the I/O
//! APICs, how ISA IRQs map onto global system interrupts, and the NMI wiring.
//!
//! A table whose checksum or length is wrong is left out of the list (and
//! counted); a wrong RSDP or root table makes [`init`] fail. Nothing is
//! allocated: the tables stay where the firmware put them, read through the
//! mapping of physical memory (src/acpi/physical.rs), and what the MADT says
//! is copied into fixed-capacity arrays.

pub mod madt;
mod physical;
pub mod rsdp;
pub mod sdt;

use core::fmt;

use crate::boot_info::{BootInfo, Firmware};
use crate::sync::Once;

pub use madt::{
    ALL_PROCESSORS, InterruptOverride, IoApic, LocalApic, LocalApicNmi, Madt, NmiSource, Polarity,
    Trigger,
};
pub use rsdp::Rsdp;
pub use sdt::{SdtHeader, Signature, Table};

/// Tables kept in the list (QEMU has 5 or 6, large servers a few dozen).
pub const MAX_TABLES: usize = 64;

/// §5.2.9, Fixed ACPI Description Table: signature "FACP". It points to the
/// DSDT, which no root table lists.
const FADT_SIGNATURE: [u8; 4] = *b"FACP";
const DSDT_SIGNATURE: [u8; 4] = *b"DSDT";
/// §5.2.9, FADT format: the 32-bit DSDT address at offset 40; the 64-bit
/// X_DSDT at offset 140 (ACPI 2.0+ FADTs), used when not zero.
const FADT_DSDT_OFFSET: usize = 40;
const FADT_X_DSDT_OFFSET: usize = 140;

/// The structure an [`AcpiError`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Structure {
    /// The RSDP's ACPI 1.0 part (its first 20 bytes).
    Rsdp,
    /// The RSDP's ACPI 2.0+ part (`Length` bytes, the extended checksum).
    RsdpExtended,
    /// A system description table, by signature.
    Table([u8; 4]),
}

impl fmt::Display for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Rsdp => f.write_str("RSDP"),
            Self::RsdpExtended => f.write_str("RSDP (ACPI 2.0+ part)"),
            Self::Table(signature) => write!(f, "table {}", Signature(*signature)),
        }
    }
}

/// Why ACPI information could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcpiError {
    /// The loader reported no RSDP and none lies in the BIOS areas.
    NoRsdp,
    /// Physical `[address, address + len)` is not mapped at `physical +
    /// physical_memory_offset`.
    Unmapped { address: u64, len: usize },
    /// The structure at `address` does not start with its signature.
    BadSignature { what: Structure, address: u64 },
    /// The structure's bytes do not add up to 0 (mod 256).
    BadChecksum { what: Structure, address: u64 },
    /// The structure's length field is too small, too large, or disagrees
    /// with the bytes given.
    BadLength {
        what: Structure,
        address: u64,
        length: u64,
    },
    /// The MADT entry at `offset` (of type `kind`) is shorter than its type
    /// needs or runs past the table's end.
    BadMadtEntry { offset: usize, kind: u8, length: u8 },
}

impl fmt::Display for AcpiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::NoRsdp => {
                f.write_str("no RSDP (the loader reported none, none in the BIOS areas)")
            }
            Self::Unmapped { address, len } => {
                write!(f, "physical {address:#x} (+{len} bytes) is not mapped")
            }
            Self::BadSignature { what, address } => {
                write!(f, "{what} at {address:#x}: wrong signature")
            }
            Self::BadChecksum { what, address } => {
                write!(f, "{what} at {address:#x}: bad checksum")
            }
            Self::BadLength {
                what,
                address,
                length,
            } => write!(f, "{what} at {address:#x}: bad length {length}"),
            Self::BadMadtEntry {
                offset,
                kind,
                length,
            } => write!(
                f,
                "MADT entry of type {kind} at offset {offset}: length {length} does not fit"
            ),
        }
    }
}

/// What [`init`] found.
struct Acpi {
    rsdp_address: u64,
    rsdp: Rsdp,
    /// The RSDT or the XSDT.
    root: Table,
    tables: [Table; MAX_TABLES],
    table_count: usize,
    /// Tables that did not fit in `tables`.
    tables_dropped: usize,
    /// Tables left out for a bad signature, length or checksum, or unmapped.
    rejected: usize,
    /// Why the last of them was left out.
    last_rejection: Option<AcpiError>,
    madt: Option<Madt>,
    /// Why the MADT could not be read, if there is one.
    madt_error: Option<AcpiError>,
}

static ACPI: Once<Acpi> = Once::new();

/// Finds and checks the ACPI tables and reads the MADT; see the module
/// documentation. Runs once: later calls return `Ok` at once (or the error
/// again, if the first failed).
pub fn init(boot_info: &BootInfo) -> Result<(), AcpiError> {
    if ACPI.get().is_some() {
        return Ok(());
    }
    physical::set_offset(boot_info.physical_memory_offset);
    let acpi = load(boot_info)?;
    // Another CPU may have finished first; the tables are the same.
    let _ = ACPI.set(acpi);
    Ok(())
}

fn load(boot_info: &BootInfo) -> Result<Acpi, AcpiError> {
    // §5.2.5.2: UEFI firmware hands the RSDP over through its configuration
    // table (the loader's report); only a BIOS puts it in the search areas.
    let search = || match boot_info.firmware {
        Firmware::Uefi32 | Firmware::Uefi64 => None,
        Firmware::Bios | Firmware::NotReported => rsdp::search_bios_areas(),
    };
    let rsdp_address = boot_info.rsdp.or_else(search).ok_or(AcpiError::NoRsdp)?;
    let rsdp = Rsdp::read(rsdp_address)?;
    // §5.2.5.3: with an XSDT (ACPI 2.0+) the OS uses it, not the RSDT.
    let root = match rsdp.xsdt_address {
        Some(xsdt) => Table::read(xsdt, Some(sdt::XSDT_SIGNATURE))?,
        None => Table::read(u64::from(rsdp.rsdt_address), Some(sdt::RSDT_SIGNATURE))?,
    };
    let mut acpi = Acpi {
        rsdp_address,
        rsdp,
        root,
        tables: [Table::EMPTY; MAX_TABLES],
        table_count: 0,
        tables_dropped: 0,
        rejected: 0,
        last_rejection: None,
        madt: None,
        madt_error: None,
    };
    for address in sdt::root_entries(&root) {
        acpi.add(Table::read(address, None));
    }
    if let Some(dsdt) = acpi.find(FADT_SIGNATURE).and_then(dsdt_address) {
        acpi.add(Table::read(dsdt, Some(DSDT_SIGNATURE)));
    }
    if let Some(table) = acpi.find(madt::SIGNATURE) {
        match Madt::parse(table.bytes(), table.address) {
            Ok(madt) => acpi.madt = Some(madt),
            Err(error) => acpi.madt_error = Some(error),
        }
    }
    Ok(acpi)
}

/// The DSDT's physical address from the FADT: X_DSDT when the FADT is long
/// enough to have it and it is not zero, else the 32-bit DSDT field.
fn dsdt_address(fadt: &Table) -> Option<u64> {
    let bytes = fadt.bytes();
    let wide = (bytes.len() >= FADT_X_DSDT_OFFSET + 8)
        .then(|| sdt::read_u64(bytes, FADT_X_DSDT_OFFSET))
        .filter(|&address| address != 0);
    let narrow = (bytes.len() >= FADT_DSDT_OFFSET + 4)
        .then(|| u64::from(sdt::read_u32(bytes, FADT_DSDT_OFFSET)))
        .filter(|&address| address != 0);
    wide.or(narrow)
}

impl Acpi {
    fn add(&mut self, table: Result<Table, AcpiError>) {
        match table {
            Ok(table) if self.table_count < MAX_TABLES => {
                self.tables[self.table_count] = table;
                self.table_count += 1;
            }
            Ok(_) => self.tables_dropped += 1,
            Err(error) => {
                self.rejected += 1;
                self.last_rejection = Some(error);
            }
        }
    }

    fn tables(&self) -> &[Table] {
        &self.tables[..self.table_count]
    }

    fn find(&self, signature: [u8; 4]) -> Option<&Table> {
        self.tables()
            .iter()
            .find(|table| table.signature() == signature)
    }
}

/// The MADT's contents, after a successful [`init`] on a machine that has one.
pub fn madt() -> Option<&'static Madt> {
    ACPI.get()?.madt.as_ref()
}

/// The first listed table with `signature` (e.g. `b"HPET"`, `b"MCFG"`), its
/// checksum verified; the DSDT is listed too.
pub fn find_table(signature: &[u8; 4]) -> Option<&'static Table> {
    ACPI.get()?.find(*signature)
}

/// Every table the root table lists whose checksum held, in its order, then
/// the DSDT.
pub fn tables() -> &'static [Table] {
    ACPI.get().map_or(&[], Acpi::tables)
}

/// The RSDP [`init`] used, with its physical address.
pub fn rsdp() -> Option<(u64, Rsdp)> {
    ACPI.get().map(|acpi| (acpi.rsdp_address, acpi.rsdp))
}

/// The root table (RSDT or XSDT) [`init`] used.
pub fn root_table() -> Option<&'static Table> {
    ACPI.get().map(|acpi| &acpi.root)
}

/// Tables the root table lists that were left out (bad signature, length or
/// checksum, or not mapped), and why the last one was.
pub fn rejected_tables() -> (usize, Option<AcpiError>) {
    ACPI.get()
        .map_or((0, None), |acpi| (acpi.rejected, acpi.last_rejection))
}

/// How ISA IRQ `irq` reaches the I/O APICs: the MADT's override for it, or
/// (without one, or before [`init`]) the GSI of the same number, active
/// high, edge triggered.
pub fn legacy_irq(irq: u8) -> InterruptOverride {
    madt().map_or(InterruptOverride::identity(irq), |madt| {
        madt.legacy_irq(irq)
    })
}

/// One line on what [`init`] found, for the boot log.
pub fn summary() -> Summary {
    Summary
}

/// See [`summary`].
pub struct Summary;

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(acpi) = ACPI.get() else {
            return f.write_str("not initialised");
        };
        let version = if acpi.rsdp.revision >= rsdp::FIRST_EXTENDED_REVISION {
            "2.0+"
        } else {
            "1.0"
        };
        let oem = core::str::from_utf8(&acpi.rsdp.oem_id).unwrap_or("?");
        write!(
            f,
            "ACPI {version} (RSDP revision {} at {:#x}, OEM {}), {} at {:#x}, tables:",
            acpi.rsdp.revision,
            acpi.rsdp_address,
            oem.trim_end(),
            Signature(acpi.root.signature()),
            acpi.root.address
        )?;
        for table in acpi.tables() {
            write!(f, " {}", Signature(table.signature()))?;
        }
        if acpi.tables_dropped > 0 {
            write!(f, " (+{} beyond {MAX_TABLES})", acpi.tables_dropped)?;
        }
        if let (rejected @ 1.., Some(error)) = (acpi.rejected, acpi.last_rejection) {
            write!(f, "; {rejected} refused ({error})")?;
        }
        match (&acpi.madt, acpi.madt_error) {
            (Some(madt), _) => {
                let cpus = madt.enabled_cpus().count();
                write!(
                    f,
                    "; MADT: {cpus} CPU{}, {} I/O APIC{}, {} interrupt override{}",
                    plural(cpus),
                    madt.io_apics().len(),
                    plural(madt.io_apics().len()),
                    madt.overrides().len(),
                    plural(madt.overrides().len())
                )
            }
            (None, Some(error)) => write!(f, "; MADT unreadable: {error}"),
            (None, None) => f.write_str("; no MADT"),
        }
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
