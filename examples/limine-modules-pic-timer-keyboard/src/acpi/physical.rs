//! Reading the firmware's tables where they lie: physical memory, reached at
//! `physical + physical_memory_offset` (identity mapped under Multiboot2 and
//! PVH, Limine's HHDM). Every page of a range is checked in the active page
//! tables before it is read, so a table the kernel did not map is an error
//! ([`AcpiError::Unmapped`]) instead of a page fault.

use core::sync::atomic::{AtomicU64, Ordering};

use super::AcpiError;
use crate::memory;
use crate::memory::paging::PAGE_SIZE;

/// `BootInfo::physical_memory_offset`, set by [`super::init`].
static OFFSET: AtomicU64 = AtomicU64::new(0);

pub(super) fn set_offset(offset: u64) {
    OFFSET.store(offset, Ordering::Relaxed);
}

/// The `len` bytes at physical `address`, if every page of them is mapped at
/// `physical + offset`.
///
/// ACPI tables are firmware memory the kernel never writes or reuses (the
/// memory map calls them reserved, ACPI reclaimable or ACPI NVS; the heap
/// takes usable memory only), so a shared `'static` view of them is sound.
pub(super) fn bytes(address: u64, len: usize) -> Result<&'static [u8], AcpiError> {
    let unmapped = AcpiError::Unmapped { address, len };
    let end = address.checked_add(len as u64).ok_or(unmapped)?;
    let offset = OFFSET.load(Ordering::Relaxed);
    let mut page = address & !(PAGE_SIZE - 1);
    while page < end {
        // The page must be mapped, and to this very frame: a wrong offset
        // would read some other memory as the table.
        let virt = page.checked_add(offset).ok_or(unmapped)?;
        if memory::translate(virt) != Some(page) {
            return Err(unmapped);
        }
        page += PAGE_SIZE;
    }
    let start = address.wrapping_add(offset) as *const u8;
    // SAFETY: every page of `[start, start + len)` is mapped (checked above)
    // and holds firmware tables nothing writes (see above).
    Ok(unsafe { core::slice::from_raw_parts(start, len) })
}
