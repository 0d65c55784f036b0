//! System description tables: the header every table but the RSDP and the
//! FACS starts with (ACPI 6.5 §5.2.6), its checksum, and the root tables
//! (RSDT §5.2.7, XSDT §5.2.8) that list the others.

use core::fmt;
use core::mem::size_of;

use super::{AcpiError, Structure, physical};

/// ACPI 6.5 §5.2.6, System Description Table Header: 36 bytes.
pub const HEADER_LEN: usize = 36;
/// Offset of the header's `Length` field (§5.2.6).
const LENGTH_OFFSET: usize = 4;
/// The largest table accepted. The spec sets no bound; the largest real
/// tables (DSDTs of big servers) are a few hundred KiB. It keeps a corrupted
/// length from sending the reader through gigabytes of memory.
pub const MAX_TABLE_LEN: usize = 4 * 1024 * 1024;

/// §5.2.7: "RSDT", the ACPI 1.0 root table, with 32-bit table addresses.
pub const RSDT_SIGNATURE: [u8; 4] = *b"RSDT";
/// §5.2.8: "XSDT", the ACPI 2.0+ root table, with 64-bit table addresses.
pub const XSDT_SIGNATURE: [u8; 4] = *b"XSDT";

/// The header of a system description table (ACPI 6.5 §5.2.6),
/// viewed in place: only [`Table::header`] hands one out, for a table whose
/// checksum held.
#[repr(C, packed)]
pub struct SdtHeader {
    signature: [u8; 4],
    length: u32,
    revision: u8,
    checksum: u8,
    oem_id: [u8; 6],
    oem_table_id: [u8; 8],
    oem_revision: u32,
    creator_id: u32,
    creator_revision: u32,
}

const _: () = assert!(size_of::<SdtHeader>() == HEADER_LEN);

impl SdtHeader {
    /// Four ASCII characters naming the table ("APIC" is the MADT, "FACP"
    /// the FADT; §5.2.6 lists them).
    pub fn signature(&self) -> [u8; 4] {
        self.signature
    }

    /// The whole table's length in bytes, header included.
    pub fn length(&self) -> u32 {
        u32::from_le(self.length)
    }

    /// The table's own revision (its layout version).
    pub fn revision(&self) -> u8 {
        self.revision
    }

    pub fn oem_id(&self) -> [u8; 6] {
        self.oem_id
    }

    pub fn oem_table_id(&self) -> [u8; 8] {
        self.oem_table_id
    }

    pub fn oem_revision(&self) -> u32 {
        u32::from_le(self.oem_revision)
    }

    pub fn creator_id(&self) -> u32 {
        u32::from_le(self.creator_id)
    }

    pub fn creator_revision(&self) -> u32 {
        u32::from_le(self.creator_revision)
    }
}

/// A table found through the root table, its checksum verified.
#[derive(Clone, Copy)]
pub struct Table {
    /// Its physical address.
    pub address: u64,
    bytes: &'static [u8],
}

impl Table {
    pub(super) const EMPTY: Self = Self {
        address: 0,
        bytes: &[],
    };

    /// Reads and checks the table at physical `address` (see [`validate`]),
    /// e.g. one another table points to.
    pub fn read(address: u64, expected: Option<[u8; 4]>) -> Result<Self, AcpiError> {
        let header = physical::bytes(address, HEADER_LEN)?;
        let length = read_u32(header, LENGTH_OFFSET) as usize;
        // `validate` checks the length before the checksum: a bad one is
        // refused before anything beyond the header is mapped or read.
        let within = (HEADER_LEN..=MAX_TABLE_LEN).contains(&length);
        let bytes = if within {
            physical::bytes(address, length)?
        } else {
            header
        };
        validate(bytes, address, expected)?;
        Ok(Self { address, bytes })
    }

    pub fn header(&self) -> &'static SdtHeader {
        // SAFETY: `read` checked the table holds a whole header; the header
        // has alignment 1 (`packed`) and only integer fields, valid for any
        // bytes.
        unsafe { &*self.bytes.as_ptr().cast::<SdtHeader>() }
    }

    pub fn signature(&self) -> [u8; 4] {
        self.header().signature()
    }

    /// The whole table, header included (`header().length()` bytes).
    pub fn bytes(&self) -> &'static [u8] {
        self.bytes
    }

    /// The table after its header.
    pub fn body(&self) -> &'static [u8] {
        &self.bytes[HEADER_LEN..]
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at {:#x}, {} bytes",
            Signature(self.signature()),
            self.address,
            self.bytes.len()
        )
    }
}

/// A table signature shown as text (`?` for a byte that is not printable ASCII).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(pub [u8; 4]);

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in self.0 {
            let shown = if byte.is_ascii_graphic() || byte == b' ' {
                byte as char
            } else {
                '?'
            };
            fmt::Write::write_char(f, shown)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// Whether `bytes` add up to 0 modulo 256: the rule of every ACPI checksum
/// (§5.2.5.3 for the RSDP, §5.2.6 for the tables).
pub fn checksum_ok(bytes: &[u8]) -> bool {
    bytes.iter().fold(0u8, |sum, byte| sum.wrapping_add(*byte)) == 0
}

/// Checks a table (header included) that lies at physical `address`: its
/// signature (when one is `expected`), its `Length` field (at least a header,
/// at most [`MAX_TABLE_LEN`], and exactly `bytes.len()`) and its checksum.
pub fn validate(bytes: &[u8], address: u64, expected: Option<[u8; 4]>) -> Result<(), AcpiError> {
    if bytes.len() < HEADER_LEN {
        return Err(AcpiError::BadLength {
            what: Structure::Table(expected.unwrap_or(*b"????")),
            address,
            length: bytes.len() as u64,
        });
    }
    let signature = [bytes[0], bytes[1], bytes[2], bytes[3]];
    let what = Structure::Table(signature);
    if expected.is_some_and(|expected| expected != signature) {
        return Err(AcpiError::BadSignature { what, address });
    }
    let length = read_u32(bytes, LENGTH_OFFSET) as usize;
    if length != bytes.len() || length > MAX_TABLE_LEN {
        return Err(AcpiError::BadLength {
            what,
            address,
            length: length as u64,
        });
    }
    if !checksum_ok(bytes) {
        return Err(AcpiError::BadChecksum { what, address });
    }
    Ok(())
}

/// The little-endian `u32` at `offset` of `bytes` (ACPI is little-endian
/// throughout, §5.2). Panics if it runs past the end: callers check lengths.
pub(super) fn read_u32(bytes: &[u8], offset: usize) -> u32 {
    let mut field = [0; 4];
    field.copy_from_slice(&bytes[offset..offset + 4]);
    u32::from_le_bytes(field)
}

/// The little-endian `u16` at `offset` of `bytes`.
pub(super) fn read_u16(bytes: &[u8], offset: usize) -> u16 {
    u16::from_le_bytes([bytes[offset], bytes[offset + 1]])
}

/// The little-endian `u64` at `offset` of `bytes` (unaligned: the XSDT's
/// entries start at offset 36).
pub(super) fn read_u64(bytes: &[u8], offset: usize) -> u64 {
    let mut field = [0; 8];
    field.copy_from_slice(&bytes[offset..offset + 8]);
    u64::from_le_bytes(field)
}

/// The physical addresses a root table lists: 4 bytes each in the RSDT,
/// 8 in the XSDT (§5.2.7, §5.2.8). A trailing partial entry is ignored.
pub fn root_entries(root: &Table) -> impl Iterator<Item = u64> {
    let wide = root.signature() == XSDT_SIGNATURE;
    let size = if wide { 8 } else { 4 };
    root.body().chunks_exact(size).map(move |entry| {
        if wide {
            read_u64(entry, 0)
        } else {
            u64::from(read_u32(entry, 0))
        }
    })
}
