//! The kernel's page mapper: maps, remaps, unmaps and translates 4 KiB pages
//! with the flags the caller chooses, taking new page tables from the frame
//! allocator ([`super::frame_allocator`]).
//!
//! It drives the base paging code ([`PageTables`]): `PageTables::map` walks
//! down the active tables, builds the missing ones and writes the page's
//! entry; `PageTables::unmap` clears it. On top of that this file gives an
//! entry the caller's flags and replaces present entries in place.
//!
//! The TLB: the CPU caches translations, and may keep using one after its
//! entry changed until the kernel invalidates it (Intel SDM Vol. 3A
//! §4.10.4). Writing an entry that was not present needs nothing (the CPU
//! caches no not-present translations, §4.10.4.3); every change to a present
//! entry (new frame, new flags, unmapped) is followed by `invlpg` for that
//! page (§4.10.4.1), which drops its TLB entry and the paging-structure
//! caches. One CPU runs this kernel, so no other CPU's TLB needs a shootdown.
//!
//! Where to map: the boot mappings hold physical memory at `physical +
//! physical_memory_offset` (the identity map under Multiboot2 and PVH,
//! Limine's HHDM, whose offset may be randomised) and the kernel image.
//! [`reserve_window`] finds virtual space nobody uses: whole top-level
//! entries of the upper half that map nothing (512 GiB each with 4-level
//! paging), each handed to one caller (the `heap` module takes its window
//! there). [`map`] refuses addresses that are mapped already, so a clash
//! shows up as [`MapError::AlreadyMapped`], never as a silently replaced
//! page.
//!
//! Page tables emptied by [`unmap`] stay in place (the next [`map`] nearby
//! reuses them); their frames are not returned.

use core::arch::asm;
use core::ops::{BitOr, Range};

use super::frame_allocator::{self, GlobalFrames};
use super::paging::{NO_EXECUTE, PAGE_SIZE, PRESENT, PageTables, PagingError, USER, WRITABLE};
use crate::arch::x86_64::cpu;
use crate::sync::SpinLock;

/// CR4.LA57 (bit 12): 5-level paging (Intel SDM Vol. 3A §2.5, §4.5).
const CR4_LA57: u64 = 1 << 12;
/// Entries in every paging structure (§4.5: 9 index bits).
const ENTRIES: usize = 512;
/// The first top-level entry of the upper half: its index's top bit is the
/// address bit that is sign-extended into the bits above (§3.3.7.1).
const FIRST_UPPER_ENTRY: usize = ENTRIES / 2;

/// PWT: page-level write-through (Intel SDM Vol. 3A §4.9.2, Table 4-20 bit 3).
const WRITE_THROUGH_BIT: u64 = 1 << 3;
/// PCD: page-level cache disable (§4.9.2, Table 4-20 bit 4).
const CACHE_DISABLE_BIT: u64 = 1 << 4;
/// The bits of a page-table entry [`PageFlags`] may hold.
const FLAG_MASK: u64 = WRITABLE | USER | WRITE_THROUGH_BIT | CACHE_DISABLE_BIT | NO_EXECUTE;
/// Bits 12..51 of a PTE: the frame's physical address (Table 4-20).
const FRAME_MASK: u64 = 0x000F_FFFF_FFFF_F000;
/// Index bits per paging level (§4.5: 512 entries per table).
const INDEX_BITS: u32 = 9;
/// Bits of the page offset: 4 KiB pages (§4.5).
const PAGE_SHIFT: u32 = 12;

/// The access rights and caching of a page: a set of page-table entry bits
/// (Intel SDM Vol. 3A §4.5 Table 4-20; what each allows: §4.6, §4.9).
/// Empty means read-only, executable, cached, kernel-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageFlags(u64);

impl PageFlags {
    /// Nothing but read and execute, kernel only.
    pub const EMPTY: Self = Self(0);
    /// R/W: writes allowed (in ring 0 too: CR0.WP is set).
    pub const WRITABLE: Self = Self(WRITABLE);
    /// U/S: ring 3 may use the page (the tables above it are opened too).
    pub const USER: Self = Self(USER);
    /// PWT: write-through caching.
    pub const WRITE_THROUGH: Self = Self(WRITE_THROUGH_BIT);
    /// PCD: not cached (device memory).
    pub const CACHE_DISABLE: Self = Self(CACHE_DISABLE_BIT);
    /// XD: no instruction fetches (IA32_EFER.NXE is set by the boot code).
    pub const NO_EXECUTE: Self = Self(NO_EXECUTE);
    /// Kernel data: writable, never executable (W^X).
    pub const DATA: Self = Self(WRITABLE | NO_EXECUTE);

    pub const fn bits(self) -> u64 {
        self.0
    }

    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for PageFlags {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// Why a mapping could not be changed. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapError {
    /// The frame allocator is not set up yet (`frame_allocator::init`).
    NotInitialised,
    /// An address is not 4 KiB aligned.
    Unaligned,
    /// The virtual page is mapped already.
    AlreadyMapped,
    /// The virtual page is not mapped.
    NotMapped,
    /// The page lies in a 2 MiB or 1 GiB page (the physical-memory mapping),
    /// which the mapper leaves alone.
    HugePage,
    /// No free frame was left for a page table or the page.
    OutOfFrames,
    /// No run of unused top-level entries is that long.
    NoFreeWindow,
}

/// Held while the page tables change, so that two changes never interleave.
/// Bit `i` of word `i / 64`: top-level entry `i` belongs to a window from
/// [`reserve_window`].
static MAPPER: SpinLock<[u64; ENTRIES / 64]> = SpinLock::new([0; ENTRIES / 64]);

/// The active page tables, once the frame allocator knows the offset at
/// which they are reachable.
fn active_tables() -> Result<PageTables, MapError> {
    let offset = frame_allocator::physical_memory_offset().ok_or(MapError::NotInitialised)?;
    // SAFETY: `memory::init` (which ran before the frame allocator could be
    // set up) made sure every paging structure lies in memory mapped at
    // `physical + offset`, and new ones come from usable memory, which is
    // mapped that way too. Callers hold `MAPPER`, so nothing else changes
    // the tables meanwhile.
    Ok(unsafe { PageTables::active(offset) })
}

/// The index into the table at `level` (1 = page table) that `virt` selects
/// (§4.5).
const fn table_index(virt: u64, level: u32) -> usize {
    ((virt >> (PAGE_SHIFT + INDEX_BITS * (level - 1))) & ((1 << INDEX_BITS) - 1)) as usize
}

/// The physical addresses of the tables the walk for `virt` goes through,
/// top level first, and how many there are.
fn walk(tables: &PageTables, virt: u64) -> ([u64; 5], usize) {
    let mut path = [0; 5];
    let mut count = 0;
    tables.for_each_table(virt, |table| {
        if let Some(slot) = path.get_mut(count) {
            *slot = table;
            count += 1;
        }
    });
    (path, count)
}

/// A pointer to entry `index` of the paging structure at physical `table`.
fn entry(tables: &PageTables, table: u64, index: usize) -> *mut u64 {
    (table.wrapping_add(tables.physical_memory_offset()) as *mut u64).wrapping_add(index)
}

/// Paging levels: 4, or 5 with CR4.LA57.
fn levels() -> u32 {
    if cpu::read_cr4() & CR4_LA57 != 0 {
        5
    } else {
        4
    }
}

/// Reserves `entries` consecutive top-level entries of the upper half that
/// map nothing and that no earlier call reserved, and returns the virtual
/// range they cover (`entries` × 512 GiB with 4-level paging, × 256 TiB
/// with 5-level). Its pages are the caller's to [`map`].
pub fn reserve_window(entries: usize) -> Result<Range<u64>, MapError> {
    let mut reserved = MAPPER.lock();
    let tables = active_tables()?;
    let levels = levels();
    let root = walk(&tables, 0).0[0];
    let free = |index: usize| {
        let taken = reserved[index / 64] & (1 << (index % 64)) != 0;
        !taken && read_entry(entry(&tables, root, index)) & PRESENT == 0
    };
    // Never the last entry (where the kernel image is under Limine), so
    // the window's end does not wrap around to 0.
    let first = (FIRST_UPPER_ENTRY..(ENTRIES - 1).saturating_sub(entries) + 1)
        .find(|&first| entries > 0 && (first..first + entries).all(free))
        .ok_or(MapError::NoFreeWindow)?;
    for index in first..first + entries {
        reserved[index / 64] |= 1 << (index % 64);
    }
    // The address of top-level entry `first`, sign-extended (§3.3.7.1).
    let shift = PAGE_SHIFT + INDEX_BITS * (levels - 1);
    let unused = 64 - (shift + INDEX_BITS);
    let start = ((((first as u64) << shift) << unused) as i64 >> unused) as u64;
    Ok(start..start + ((entries as u64) << shift))
}

/// A pointer to the page-table entry (level 1) that maps `virt`, when a
/// 4 KiB page maps it.
fn page_entry(tables: &PageTables, virt: u64) -> Result<*mut u64, MapError> {
    match tables.page_level(virt) {
        None => Err(MapError::NotMapped),
        Some(1) => {
            let (path, count) = walk(tables, virt);
            Ok(entry(tables, path[count - 1], table_index(virt, 1)))
        }
        Some(_) => Err(MapError::HugePage),
    }
}

fn read_entry(pointer: *mut u64) -> u64 {
    // SAFETY: `pointer` comes from `page_entry`: an entry of a page table
    // reachable at `physical + offset` (see `active_tables`); volatile
    // because the CPU writes it too (accessed and dirty bits).
    unsafe { pointer.read_volatile() }
}

fn write_entry(pointer: *mut u64, value: u64) {
    // SAFETY: as in `read_entry`; the caller holds `MAPPER`.
    unsafe { pointer.write_volatile(value) }
}

/// Drops the TLB entry for the page holding `virt` and the paging-structure
/// caches (Intel SDM Vol. 2A, INVLPG; Vol. 3A §4.10.4.1).
fn invalidate(virt: u64) {
    // SAFETY: INVLPG only drops cached translations; the CPU re-reads the
    // tables on the next access. Not `nomem`: it must stay after the entry's
    // write.
    unsafe { asm!("invlpg [{}]", in(reg) virt, options(nostack, preserves_flags)) };
}

fn check_aligned(addresses: &[u64]) -> Result<(), MapError> {
    match addresses.iter().all(|address| address % PAGE_SIZE == 0) {
        true => Ok(()),
        false => Err(MapError::Unaligned),
    }
}

/// Maps the 4 KiB page at `virt` to the frame at `phys` with `flags`,
/// building the page tables on the way (from the frame allocator).
///
/// # Safety
/// `phys` must be memory (or a device) that may be accessed through this
/// mapping with these flags: not a frame the frame allocator may hand out
/// to someone else, nor memory Rust objects live in, unless the caller
/// knows the aliasing is sound.
pub unsafe fn map(virt: u64, phys: u64, flags: PageFlags) -> Result<(), MapError> {
    check_aligned(&[virt, phys])?;
    let _guard = MAPPER.lock();
    let mut tables = active_tables()?;
    match tables.map(virt, phys, PAGE_SIZE, &mut GlobalFrames) {
        Ok(true) => {}
        Ok(false) => return Err(MapError::AlreadyMapped),
        Err(PagingError::OutOfFrames) => return Err(MapError::OutOfFrames),
    }
    // `PageTables::map` wrote a present entry (writable, no-execute): give
    // it the caller's flags, then drop whatever the CPU may have cached.
    let pointer = page_entry(&tables, virt)?;
    write_entry(pointer, phys | PRESENT | flags.bits());
    if flags.contains(PageFlags::USER) {
        // U/S must be set at every level for ring 3 to reach the page (§4.6.1).
        let (path, count) = walk(&tables, virt);
        for (depth, &table) in path[..count - 1].iter().enumerate() {
            let level = (count - depth) as u32;
            let pointer = entry(&tables, table, table_index(virt, level));
            write_entry(pointer, read_entry(pointer) | USER);
        }
    }
    invalidate(virt);
    Ok(())
}

/// Points the mapped 4 KiB page at `virt` to the frame `phys` with `flags`,
/// in place, and invalidates its TLB entry. Returns the frame it mapped
/// before.
///
/// # Safety
/// As for [`map`] for the new frame; and nothing may rely on `virt` still
/// showing the old frame's contents (or allowing the old rights).
pub unsafe fn remap(virt: u64, phys: u64, flags: PageFlags) -> Result<u64, MapError> {
    check_aligned(&[virt, phys])?;
    let _guard = MAPPER.lock();
    let tables = active_tables()?;
    let pointer = page_entry(&tables, virt)?;
    let old = read_entry(pointer) & FRAME_MASK;
    write_entry(pointer, phys | PRESENT | flags.bits());
    invalidate(virt);
    Ok(old)
}

/// Unmaps the 4 KiB page at `virt` (TLB entry invalidated) and returns the
/// frame it mapped, which the caller may free.
///
/// # Safety
/// Nothing may use `virt` afterwards: an access page-faults.
pub unsafe fn unmap(virt: u64) -> Result<u64, MapError> {
    check_aligned(&[virt])?;
    let _guard = MAPPER.lock();
    let mut tables = active_tables()?;
    let pointer = page_entry(&tables, virt)?;
    let frame = read_entry(pointer) & FRAME_MASK;
    // A 4 KiB page (page_entry checked): nothing to split, no frame needed.
    match tables.unmap(virt, &mut GlobalFrames) {
        Ok(true) => Ok(frame),
        Ok(false) => Err(MapError::NotMapped),
        Err(PagingError::OutOfFrames) => Err(MapError::OutOfFrames),
    }
}

/// Maps a fresh frame from the frame allocator at the unmapped `virt` with
/// `flags` and returns the frame. Its contents are whatever was there.
pub fn map_new(virt: u64, flags: PageFlags) -> Result<u64, MapError> {
    let frame = frame_allocator::allocate().ok_or(MapError::OutOfFrames)?;
    // SAFETY: the frame was free: nothing else uses it, and only this
    // mapping will reach it (besides the physical-memory mapping, which no
    // Rust object uses for it).
    match unsafe { map(virt, frame, flags) } {
        Ok(()) => Ok(frame),
        Err(error) => {
            // SAFETY: never mapped: nothing uses it.
            let freed = unsafe { frame_allocator::free(frame) };
            debug_assert!(freed.is_ok(), "a frame just allocated");
            Err(error)
        }
    }
}

/// Unmaps the page at `virt` and gives its frame back to the frame
/// allocator. The inverse of [`map_new`].
///
/// # Safety
/// As for [`unmap`]; and the frame must have come from the frame allocator
/// and be mapped nowhere else.
pub unsafe fn unmap_and_free(virt: u64) -> Result<(), MapError> {
    // SAFETY: forwarded from the caller.
    let frame = unsafe { unmap(virt) }?;
    // SAFETY: forwarded from the caller: its only mapping is gone.
    let freed = unsafe { frame_allocator::free(frame) };
    debug_assert!(
        freed.is_ok(),
        "{frame:#x} did not come from the frame allocator"
    );
    Ok(())
}

/// The physical address `virt` is mapped to, if it is mapped (any page
/// size).
pub fn translate(virt: u64) -> Option<u64> {
    super::translate(virt)
}

/// The flags of the 4 KiB page mapping `virt`: `None` when no 4 KiB page
/// maps it.
pub fn flags(virt: u64) -> Option<PageFlags> {
    let _guard = MAPPER.lock();
    let tables = active_tables().ok()?;
    let pointer = page_entry(&tables, virt).ok()?;
    Some(PageFlags(read_entry(pointer) & FLAG_MASK))
}
