//! The APICs' register pages, mapped uncached.
//!
//! The xAPIC registers (one 4 KiB page, 0xFEE00000 unless moved) and each
//! I/O APIC's (0xFEC00000 on a PC) are device registers: a read must reach
//! the device every time and a write at once, in order. Intel SDM Vol. 3A
//! §10.4.1 asks for the xAPIC page to be mapped strong uncacheable (UC); the
//! I/O APIC's IOREGSEL/IOWIN pair is memory-mapped I/O as well (82093AA
//! datasheet §3.0), where a cached or combined access would select one
//! register and read another.
//!
//! Where the kernel maps them: the boot mappings are no place for it. Under
//! Multiboot2/PVH the first 4 GiB are identity mapped with 2 MiB pages,
//! write-back (PAT entry 0); the memory map lists the APICs' pages as
//! reserved, or not at all, and Limine's higher-half direct map covers
//! neither. So each page gets its own mapping here, in a window of virtual
//! space the `memory` module's mapper reserves (one top-level entry of the
//! upper half, which maps nothing else), with PCD and PWT set: PAT entry 3,
//! which is UC from reset on (§11.12.2, Table 11-12; the kernel leaves the
//! PAT as it is). The identity map's alias of these pages stays, unused: on
//! a PC the firmware's MTRRs make the range UC anyway (and an MTRR UC wins
//! over the PAT's WB, §11.5.2.2, Table 11-7), so the alias is uncached too.

use core::ops::Range;

use crate::memory::mapper::{self, MapError, PageFlags};
use crate::memory::paging::PAGE_SIZE;
use crate::sync::SpinLock;

/// Uncached, writable, never executed: PCD + PWT select PAT entry 3, UC
/// (Intel SDM Vol. 3A §11.12.3, Table 11-11).
pub fn device_flags() -> PageFlags {
    PageFlags::DATA | PageFlags::CACHE_DISABLE | PageFlags::WRITE_THROUGH
}

/// Why a register page could not be mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MmioError {
    /// The mapper refused (no frame for a page table, no free window, or the
    /// `memory` module's frame allocator is not set up).
    Map(MapError),
    /// The window is full (it holds 2^27 pages: not reached by any PC).
    WindowFull,
}

/// The window's pages not handed out yet; `None` before the first mapping.
static WINDOW: SpinLock<Option<Range<u64>>> = SpinLock::new(None);

/// Maps the 4 KiB page holding the physical address `physical` uncached at
/// a new virtual address, and returns the virtual address of `physical`.
pub fn map_uncached(physical: u64) -> Result<u64, MmioError> {
    let page = physical & !(PAGE_SIZE - 1);
    let mut window = WINDOW.lock();
    if window.is_none() {
        *window = Some(mapper::reserve_window(1).map_err(MmioError::Map)?);
    }
    let free = window.as_mut().expect("set above");
    if free.is_empty() {
        return Err(MmioError::WindowFull);
    }
    let virt = free.start;
    // SAFETY: `page` is a device's register page (the caller's word: an
    // APIC's address from IA32_APIC_BASE or the MADT), not RAM that the frame
    // allocator hands out; `virt` is in our own window, unused so far.
    unsafe { mapper::map(virt, page, device_flags()) }.map_err(MmioError::Map)?;
    free.start += PAGE_SIZE;
    Ok(virt + (physical - page))
}
