//! The Root System Description Pointer (ACPI 6.5 §5.2.5): where the tables
//! start. The boot loader normally reports it ([`BootInfo::rsdp`]: GRUB's
//! ACPI tags, PVH's `rsdp_paddr`, Limine's RSDP response); on a BIOS machine
//! it can also be searched for where §5.2.5.1 says it lies.
//!
//! [`BootInfo::rsdp`]: crate::boot_info::BootInfo::rsdp

use core::ops::Range;

use super::sdt::{read_u32, read_u64};
use super::{AcpiError, Structure, physical, sdt};

/// §5.2.5.3, RSDP Structure: the RSDP starts with "RSD PTR " (note the space).
pub const SIGNATURE: &[u8; 8] = b"RSD PTR ";
/// §5.2.5.3: the ACPI 1.0 part (signature to RsdtAddress) is 20 bytes, and
/// the first checksum covers exactly those.
pub const V1_LEN: usize = 20;
/// §5.2.5.3: the ACPI 2.0+ RSDP is 36 bytes (Length, XsdtAddress, Extended
/// Checksum, 3 reserved bytes); its `Length` field may say more in a later
/// revision, and the extended checksum covers `Length` bytes.
pub const V2_LEN: usize = 36;
/// §5.2.5.3: Revision 0 is ACPI 1.0 (RSDT only); 2 and later carry the
/// extended fields and the XSDT (revision 1 was never used).
pub const FIRST_EXTENDED_REVISION: u8 = 2;
/// The largest `Length` accepted for an extended RSDP: far more than any
/// revision defines, small enough that a corrupted value reads one page.
const MAX_LEN: usize = 4096;

// The field offsets of §5.2.5.3.
const OEM_ID: Range<usize> = 9..15;
const REVISION_OFFSET: usize = 15;
const RSDT_ADDRESS_OFFSET: usize = 16;
const LENGTH_OFFSET: usize = 20;
const XSDT_ADDRESS_OFFSET: usize = 24;

/// §5.2.5.1: on IA-PC systems the RSDP lies on a 16-byte boundary in the
/// first KiB of the EBDA or in the BIOS ROM area 0xE0000-0xFFFFF.
const SEARCH_ALIGNMENT: usize = 16;
const BIOS_ROM_AREA: Range<u64> = 0xE_0000..0x10_0000;
/// §5.2.5.1: the real-mode segment of the EBDA is the 16-bit word at 0x40E
/// of the BIOS data area.
const EBDA_SEGMENT_POINTER: u64 = 0x40E;
const EBDA_SEARCH_LEN: usize = 1024;
/// The EBDA lies just below 640 KiB (at most 128 KiB of it): a segment
/// pointing elsewhere is not an EBDA.
const EBDA_WINDOW: Range<u64> = 0x8_0000..0xA_0000;

/// An RSDP whose checksums held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rsdp {
    /// 0 for ACPI 1.0, 2 or more for ACPI 2.0 and later.
    pub revision: u8,
    pub oem_id: [u8; 6],
    /// Physical address of the RSDT (always present).
    pub rsdt_address: u32,
    /// Physical address of the XSDT: ACPI 2.0+ only, and `None` when 0.
    pub xsdt_address: Option<u64>,
}

impl Rsdp {
    /// Checks and reads an RSDP that lies at physical `address` (for error
    /// messages): its signature and checksum over the first 20 bytes, and
    /// for revision 2 and later its `Length` and extended checksum over that
    /// many bytes. `bytes` must hold at least the structure.
    pub fn parse(bytes: &[u8], address: u64) -> Result<Self, AcpiError> {
        let what = Structure::Rsdp;
        if bytes.len() < V1_LEN {
            return Err(AcpiError::BadLength {
                what,
                address,
                length: bytes.len() as u64,
            });
        }
        if &bytes[..SIGNATURE.len()] != SIGNATURE {
            return Err(AcpiError::BadSignature { what, address });
        }
        if !sdt::checksum_ok(&bytes[..V1_LEN]) {
            return Err(AcpiError::BadChecksum { what, address });
        }
        let mut oem_id = [0; 6];
        oem_id.copy_from_slice(&bytes[OEM_ID]);
        let revision = bytes[REVISION_OFFSET];
        let rsdt_address = read_u32(bytes, RSDT_ADDRESS_OFFSET);
        let mut xsdt_address = None;
        if revision >= FIRST_EXTENDED_REVISION {
            let what = Structure::RsdpExtended;
            let length = if bytes.len() >= V2_LEN {
                read_u32(bytes, LENGTH_OFFSET) as usize
            } else {
                bytes.len()
            };
            if !(V2_LEN..=MAX_LEN).contains(&length) || length > bytes.len() {
                return Err(AcpiError::BadLength {
                    what,
                    address,
                    length: length as u64,
                });
            }
            if !sdt::checksum_ok(&bytes[..length]) {
                return Err(AcpiError::BadChecksum { what, address });
            }
            xsdt_address = Some(read_u64(bytes, XSDT_ADDRESS_OFFSET)).filter(|&xsdt| xsdt != 0);
        }
        Ok(Self {
            revision,
            oem_id,
            rsdt_address,
            xsdt_address,
        })
    }

    /// Reads the RSDP at physical `address`: its first 20 bytes, then, for
    /// revision 2 and later, as many as its `Length` field says.
    pub fn read(address: u64) -> Result<Self, AcpiError> {
        let v1 = physical::bytes(address, V1_LEN)?;
        if v1[REVISION_OFFSET] < FIRST_EXTENDED_REVISION || v1[..8] != SIGNATURE[..] {
            return Self::parse(v1, address);
        }
        // The Length field lies past the first 20 bytes: read the ACPI 2.0
        // size first, then what Length says (if it is sane).
        let v2 = physical::bytes(address, V2_LEN)?;
        let length = read_u32(v2, LENGTH_OFFSET) as usize;
        let bytes = if (V2_LEN..=MAX_LEN).contains(&length) {
            physical::bytes(address, length)?
        } else {
            v2
        };
        Self::parse(bytes, address)
    }
}

/// Searches the BIOS areas of §5.2.5.1 for an RSDP whose ACPI 1.0 checksum
/// holds: the first KiB of the EBDA (when page 0, which holds its pointer,
/// is mapped; the base kernel unmaps it to catch null pointers), then
/// 0xE0000-0xFFFFF. UEFI firmware need not put it there (§5.2.5.2): the
/// loader's report is the way there.
pub fn search_bios_areas() -> Option<u64> {
    let ebda = physical::bytes(EBDA_SEGMENT_POINTER, 2)
        .ok()
        .map(|pointer| u64::from(u16::from_le_bytes([pointer[0], pointer[1]])) << 4)
        .filter(|start| EBDA_WINDOW.contains(start));
    let areas = [
        ebda.map(|start| start..start + EBDA_SEARCH_LEN as u64),
        Some(BIOS_ROM_AREA),
    ];
    areas.into_iter().flatten().find_map(search)
}

/// The first 16-byte-aligned RSDP in physical `area`, if it is mapped.
fn search(area: Range<u64>) -> Option<u64> {
    let bytes = physical::bytes(area.start, (area.end - area.start) as usize).ok()?;
    (0..bytes.len().saturating_sub(V1_LEN - 1))
        .step_by(SEARCH_ALIGNMENT)
        .find(|&offset| {
            // The ACPI 1.0 part only: `Rsdp::read` checks the rest.
            let candidate = &bytes[offset..offset + V1_LEN];
            candidate.starts_with(SIGNATURE) && sdt::checksum_ok(candidate)
        })
        .map(|offset| area.start + offset as u64)
}
