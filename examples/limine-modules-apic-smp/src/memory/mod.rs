//! Memory the kernel manages itself: the mapping of physical memory, and its
//! stacks (each with a guard page).
//!
//! [`init`] runs in each boot protocol's `rust_entry`, before anything uses
//! the memory map. On the page tables the loader or the boot code left
//! active, it
//!
//! 1. maps every usable and ACPI region of the memory map, and the
//!    framebuffer, at `physical + physical_memory_offset` (2 MiB pages where
//!    aligned, 4 KiB pages at the edges), skipping what is mapped already:
//!    the first 4 GiB under Multiboot2/PVH, Limine's HHDM. Nothing assumes a
//!    ceiling: RAM above 4 GiB (where most of it lies on a PC with 8 GiB or
//!    more) is mapped like the rest;
//! 2. unmaps the guard page below each kernel stack ([`stacks`]), so a stack
//!    overflow is a page fault instead of silent corruption, and page 0, so a
//!    write through a null pointer faults (in debug and release builds);
//! 3. maps the kernel image W^X with 4 KiB pages, from the section bounds in
//!    linker.ld: code read-only and executable; the headers, constants and
//!    the test registry read-only and no-execute; data, `.bss` and the stacks
//!    in it writable and no-execute. Every other page (RAM, ACPI tables, the
//!    framebuffer) becomes no-execute, so the only executable memory is the
//!    kernel's code and the only writable memory is not executable. CR0.WP
//!    and IA32_EFER.NXE, set by the boot code (src/boot/cpu_features.rs),
//!    make the CPU enforce both in ring 0;
//! 4. marks the frames it took for new page tables as
//!    [`MemoryKind::PageTables`] in the memory map, so the heap, which
//!    uses only usable memory, never overlaps them.

pub mod frames;
pub mod paging;
pub mod stacks;

pub mod frame_allocator;
pub mod mapper;
// [baremetal-kernel anchor: memory-modules] `baremetal-kernel add` declares memory modules above this line.

use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::boot_info::{BootInfo, MemoryKind};
use frames::BootFrames;
use paging::{Access, FrameSource, HUGE_PAGE_SIZE, PAGE_SIZE, PageTables, PagingError};

// The kernel image's bounds, from linker.ld. Each is 4 KiB aligned there, so
// no page holds two of these parts. Only their addresses are used.
unsafe extern "C" {
    static __kernel_start: u8;
    static __text_start: u8;
    static __text_end: u8;
    static __data_start: u8;
    static __kernel_end: u8;
}

/// `BootInfo::physical_memory_offset`, kept for [`translate`].
static PHYSICAL_MEMORY_OFFSET: AtomicU64 = AtomicU64::new(0);
/// Set once [`init`] is done.
static INITIALISED: AtomicBool = AtomicBool::new(false);

/// Maps all the memory the kernel uses, unmaps page 0 and the stack guard
/// pages, and takes the page tables' frames out of `boot_info`'s memory map.
/// See the module documentation.
///
/// Panics if there is no usable memory left for a page table.
pub fn init(boot_info: &mut BootInfo) {
    let offset = boot_info.physical_memory_offset;
    // SAFETY: both boot paths keep their paging structures at `physical +
    // physical_memory_offset` (identity mapped by entry32; in Limine's HHDM,
    // which maps bootloader-reclaimable memory), and this is the only code
    // that changes page tables; it runs once, on one CPU.
    let mut tables = unsafe { PageTables::active(offset) };
    let mut frames = BootFrames::new(boot_info);

    if let Err(error) = map_and_guard(boot_info, &mut tables, &mut frames) {
        panic!("memory setup failed: {error:?}");
    }

    for (start, end) in frames.used() {
        boot_info.set_memory_kind(start, end, MemoryKind::PageTables);
    }
    PHYSICAL_MEMORY_OFFSET.store(offset, Ordering::Relaxed);
    INITIALISED.store(true, Ordering::Release);
}

fn map_and_guard(
    boot_info: &BootInfo,
    tables: &mut PageTables,
    frames: &mut BootFrames,
) -> Result<(), PagingError> {
    // 1. Everything the kernel reaches through the memory map. Reserved
    //    regions are device memory or firmware's: not mapped.
    for region in boot_info.memory_regions() {
        if matches!(
            region.kind,
            MemoryKind::Usable | MemoryKind::AcpiReclaimable | MemoryKind::AcpiNvs
        ) {
            map_physical(tables, region.start, region.end(), frames)?;
        }
    }
    if let Some(fb) = boot_info.framebuffer {
        let size = u64::from(fb.pitch) * u64::from(fb.height);
        map_physical(tables, fb.address, fb.address.saturating_add(size), frames)?;
    }

    // 2. After the mapping, which would otherwise map them again.
    for stack in stacks::all() {
        let mut page = stack.guard.start;
        while page < stack.guard.end {
            tables.unmap(page, frames)?;
            page += PAGE_SIZE;
        }
    }
    tables.unmap(0, frames)?;

    // 3. W^X.
    let kernel_start = &raw const __kernel_start as u64;
    let text_start = &raw const __text_start as u64;
    let text_end = &raw const __text_end as u64;
    let data_start = &raw const __data_start as u64;
    let kernel_end = &raw const __kernel_end as u64;
    let parts = [
        (kernel_start, text_start, Access::ReadOnly),
        (text_start, text_end, Access::ReadExecute),
        (text_end, data_start, Access::ReadOnly),
        (data_start, kernel_end, Access::ReadWrite),
    ];
    for (start, end, access) in parts {
        let mut page = start;
        while page < end {
            tables.protect(page, access, frames)?;
            page += PAGE_SIZE;
        }
    }
    // The stack guard pages stay unmapped: `protect` leaves them alone.
    tables.no_execute_outside(text_start, text_end);
    paging::flush_tlb();
    Ok(())
}

/// Maps physical `[start, end)` (widened to whole pages) at `physical +
/// offset`: 2 MiB pages where a whole aligned 2 MiB lies inside, 4 KiB pages
/// elsewhere; pages already mapped stay as they are.
fn map_physical(
    tables: &mut PageTables,
    start: u64,
    end: u64,
    frames: &mut impl FrameSource,
) -> Result<(), PagingError> {
    let offset = tables.physical_memory_offset();
    let mut phys = start & !(PAGE_SIZE - 1);
    let end = end.next_multiple_of(PAGE_SIZE);
    while phys < end {
        let virt = phys.wrapping_add(offset);
        if phys % HUGE_PAGE_SIZE == 0 && virt % HUGE_PAGE_SIZE == 0 && end - phys >= HUGE_PAGE_SIZE
        {
            // Already mapped by a 2 MiB or 1 GiB page, or mapped now: next.
            // Mapped in part by a page table: fill its gaps page by page.
            let whole = tables.map(virt, phys, HUGE_PAGE_SIZE, frames)?
                || tables.page_level(virt).is_some_and(|level| level >= 2);
            if whole {
                phys += HUGE_PAGE_SIZE;
                continue;
            }
        }
        tables.map(virt, phys, PAGE_SIZE, frames)?;
        phys += PAGE_SIZE;
    }
    Ok(())
}

/// The physical address the virtual address `virt` is mapped to in the
/// active page tables, or `None` when it is not mapped (or before [`init`]).
pub fn translate(virt: u64) -> Option<u64> {
    if !INITIALISED.load(Ordering::Acquire) {
        return None;
    }
    // SAFETY: `init` checked the page tables are reachable at this offset;
    // after it nothing changes them.
    let tables = unsafe { PageTables::active(PHYSICAL_MEMORY_OFFSET.load(Ordering::Relaxed)) };
    tables.translate(virt)
}

/// Calls `f` with the physical address of each page table the translation
/// of `virt` goes through (nothing before [`init`]).
pub fn for_each_page_table(virt: u64, f: impl FnMut(u64)) {
    if !INITIALISED.load(Ordering::Acquire) {
        return;
    }
    // SAFETY: as in `translate`.
    let tables = unsafe { PageTables::active(PHYSICAL_MEMORY_OFFSET.load(Ordering::Relaxed)) };
    tables.for_each_table(virt, f);
}

/// Whether `virt` is mapped in the active page tables (after [`init`]).
pub fn is_mapped(virt: u64) -> bool {
    translate(virt).is_some()
}
