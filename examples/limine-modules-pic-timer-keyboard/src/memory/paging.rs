//! The active page tables: walking, mapping, splitting and unmapping.
//!
//! x86_64 4-level paging (Intel SDM Vol. 3A §4.5; 5-level when CR4.LA57 is
//! set): a virtual address is split into a 9-bit index per level and a 12-bit
//! offset. Level 4 is the PML4 (level 5 the PML5), level 3 the page-directory
//! pointer table (PDPT), level 2 the page directory (PD), level 1 the page
//! table (PT). An entry maps a page directly at level 1 (4 KiB), at level 2
//! with PS set (2 MiB) or at level 3 with PS set (1 GiB); otherwise it points
//! to the next table.
//!
//! [`PageTables`] works on the tables CR3 points to, whoever built them (the
//! Multiboot2 entry code or Limine). It reaches each table, which is a physical
//! frame, at `physical + physical_memory_offset`: every table must lie in
//! memory mapped that way (identity mapped under Multiboot2/PVH, the HHDM under
//! Limine).

use core::arch::asm;

use crate::arch::x86_64::cpu;

/// A 4 KiB page (Intel SDM Vol. 3A §4.5, Table 4-20).
pub const PAGE_SIZE: u64 = 4096;
/// A 2 MiB page, mapped by a page-directory entry with PS = 1 (Table 4-18).
pub const HUGE_PAGE_SIZE: u64 = 2 * 1024 * 1024;

// Paging-structure entry bits, Intel SDM Vol. 3A §4.5, Tables 4-14 (PML5E) to
// 4-20 (PTE). Bits 0-5 and 63 mean the same at every level.
/// P: present (all tables).
pub const PRESENT: u64 = 1 << 0;
/// R/W: writable (all tables).
pub const WRITABLE: u64 = 1 << 1;
/// U/S: user-mode accesses allowed (all tables).
pub const USER: u64 = 1 << 2;
/// PS: the entry maps a page (1 GiB in a PDPTE, Table 4-16; 2 MiB in a PDE,
/// Table 4-18) instead of pointing to a table (Tables 4-17, 4-19).
pub const HUGE: u64 = 1 << 7;
/// PAT bit of a 4 KiB page's PTE (Table 4-20): bit 7, where larger pages
/// have PS.
const PTE_PAT: u64 = 1 << 7;
/// PAT bit of a 1 GiB or 2 MiB page (Tables 4-16, 4-18): bit 12, the lowest
/// bit of a table pointer's address field.
const HUGE_PAT: u64 = 1 << 12;
/// XD: execute-disable (all tables; Tables 4-14 to 4-20). Reserved, so a
/// page fault, unless IA32_EFER.NXE is set (§4.1.1, §4.6.2).
pub const NO_EXECUTE: u64 = 1 << 63;
/// The flag bits a page's entry keeps when its page is split: P, R/W, U/S,
/// PWT, PCD, A, D (bits 0-6), G (bit 8), the bits ignored by the CPU (9-11)
/// and bits 52-63 (ignored, protection key, XD; Tables 4-16, 4-18, 4-20).
const PAGE_FLAGS: u64 = 0x0000_0000_0000_0F7F | 0xFFF0_0000_0000_0000;
/// Bits 12..51: the physical address of a table or 4 KiB page (Tables
/// 4-14 to 4-20; MAXPHYADDR is at most 52, §4.1.4).
const ADDRESS_MASK: u64 = 0x000F_FFFF_FFFF_F000;

/// CR4.LA57 (bit 12): 5-level paging (Intel SDM Vol. 3A §2.5, §4.5).
const CR4_LA57: u64 = 1 << 12;
/// Entries in every paging structure (9 index bits, §4.5).
const ENTRIES: usize = 512;

/// The size of the page an entry at `level` maps (level 1: 4 KiB, 2: 2 MiB,
/// 3: 1 GiB).
const fn page_size(level: u32) -> u64 {
    PAGE_SIZE << (9 * (level - 1))
}

/// The index into the table at `level` that `virt` selects (§4.5: bits
/// 12-20 for the PT, 21-29 the PD, 30-38 the PDPT, 39-47 the PML4, 48-56 the
/// PML5).
const fn index(virt: u64, level: u32) -> usize {
    ((virt >> (12 + 9 * (level - 1))) & (ENTRIES as u64 - 1)) as usize
}

/// The physical address an entry at `level` points to or maps.
const fn entry_address(entry: u64, level: u32) -> u64 {
    if level > 1 && entry & HUGE != 0 {
        // A 1 GiB or 2 MiB page: the address bits below the page size hold
        // PAT and reserved bits.
        entry & ADDRESS_MASK & !(page_size(level) - 1)
    } else {
        entry & ADDRESS_MASK
    }
}

/// Why a mapping could not be changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagingError {
    /// No free frame was left for a new page table.
    OutOfFrames,
}

/// Where new page tables come from: free physical frames (4 KiB, page
/// aligned), each mapped writable at `physical + offset` of `tables`.
pub trait FrameSource {
    fn allocate_frame(&mut self, tables: &PageTables) -> Option<u64>;
}

/// The page tables CR3 points to.
pub struct PageTables {
    /// Physical address of the top-level table (PML4 or PML5).
    root: u64,
    /// 4, or 5 with CR4.LA57.
    levels: u32,
    /// Physical memory is mapped at `physical + offset`.
    offset: u64,
}

impl PageTables {
    /// The active page tables, reached through `physical_memory_offset`.
    ///
    /// # Safety
    /// Every paging structure must be mapped, writable, at `physical +
    /// physical_memory_offset`, and nothing else may change the page tables
    /// while the returned value is in use.
    pub unsafe fn active(physical_memory_offset: u64) -> Self {
        Self {
            // CR3 bits 12..M-1: the top-level table (§4.5, Table 4-12).
            root: cpu::read_cr3() & ADDRESS_MASK,
            levels: if cpu::read_cr4() & CR4_LA57 != 0 {
                5
            } else {
                4
            },
            offset: physical_memory_offset,
        }
    }

    /// Physical memory is mapped at `physical + offset`.
    pub fn physical_memory_offset(&self) -> u64 {
        self.offset
    }

    /// A pointer to entry `index` of the table at physical `table`.
    fn entry(&self, table: u64, index: usize) -> *mut u64 {
        (table.wrapping_add(self.offset) as *mut u64).wrapping_add(index)
    }

    fn read(&self, table: u64, index: usize) -> u64 {
        // SAFETY: `table` is a paging structure (the root or an address taken
        // from a present entry), mapped at `table + offset` (`active`'s
        // contract); volatile because the CPU reads and writes it too (A/D).
        unsafe { self.entry(table, index).read_volatile() }
    }

    fn write(&mut self, table: u64, index: usize, value: u64) {
        // SAFETY: as in `read`; `&mut self` makes this the only writer.
        unsafe { self.entry(table, index).write_volatile(value) }
    }

    /// The physical address `virt` is mapped to, if it is mapped.
    pub fn translate(&self, virt: u64) -> Option<u64> {
        let mut table = self.root;
        for level in (1..=self.levels).rev() {
            let entry = self.read(table, index(virt, level));
            if entry & PRESENT == 0 {
                return None;
            }
            if level == 1 || (level <= 3 && entry & HUGE != 0) {
                let offset = virt & (page_size(level) - 1);
                return Some(entry_address(entry, level) + offset);
            }
            table = entry_address(entry, level);
        }
        None
    }

    /// Calls `f` with the physical address of each paging structure the
    /// translation of `virt` goes through, from the top level down.
    pub fn for_each_table(&self, virt: u64, mut f: impl FnMut(u64)) {
        let mut table = self.root;
        for level in (1..=self.levels).rev() {
            f(table);
            let entry = self.read(table, index(virt, level));
            if entry & PRESENT == 0 || level == 1 || (level <= 3 && entry & HUGE != 0) {
                return;
            }
            table = entry_address(entry, level);
        }
    }

    /// The level of the page that maps `virt` (1: 4 KiB, 2: 2 MiB, 3: 1 GiB),
    /// if it is mapped.
    pub fn page_level(&self, virt: u64) -> Option<u32> {
        let mut table = self.root;
        for level in (1..=self.levels).rev() {
            let entry = self.read(table, index(virt, level));
            if entry & PRESENT == 0 {
                return None;
            }
            if level == 1 || (level <= 3 && entry & HUGE != 0) {
                return Some(level);
            }
            table = entry_address(entry, level);
        }
        None
    }

    /// Gives the 4 KiB page at `virt` the access rights `access`, first
    /// splitting the 1 GiB or 2 MiB page that holds it (the other pages of
    /// the split keep the large page's rights). Returns whether `virt` is
    /// mapped. Does not flush the TLB: call [`flush_tlb`] when done.
    pub fn protect(
        &mut self,
        virt: u64,
        access: Access,
        frames: &mut impl FrameSource,
    ) -> Result<bool, PagingError> {
        let virt = virt & !(PAGE_SIZE - 1);
        let mut table = self.root;
        for level in (1..=self.levels).rev() {
            let index = index(virt, level);
            let mut entry = self.read(table, index);
            if entry & PRESENT == 0 {
                return Ok(false);
            }
            if level == 1 {
                self.write(table, index, access.apply(entry));
                return Ok(true);
            }
            if level <= 3 && entry & HUGE != 0 {
                entry = self.split(table, index, entry, level, virt, frames)?;
            }
            table = entry_address(entry, level);
        }
        Ok(false)
    }

    /// Sets XD on every page mapped outside virtual `[start, end)`: only
    /// that range stays executable. Pages that straddle its bounds keep
    /// their rights (split them with [`PageTables::protect`] first). Does not
    /// flush the TLB: call [`flush_tlb`] when done.
    pub fn no_execute_outside(&mut self, start: u64, end: u64) {
        self.no_execute_in(self.root, self.levels, 0, start, end);
    }

    /// [`PageTables::no_execute_outside`] for the table at physical `table`
    /// on `level`, which maps the virtual addresses from `base` on.
    fn no_execute_in(&mut self, table: u64, level: u32, base: u64, start: u64, end: u64) {
        let size = page_size(level);
        for i in 0..ENTRIES {
            let entry = self.read(table, i);
            if entry & PRESENT == 0 {
                continue;
            }
            let virt = canonical(base + i as u64 * size, self.levels);
            let last = virt + (size - 1);
            let leaf = level == 1 || (level <= 3 && entry & HUGE != 0);
            if leaf {
                let outside = last < start || virt >= end;
                if outside && entry & NO_EXECUTE == 0 {
                    self.write(table, i, entry | NO_EXECUTE);
                }
            } else {
                self.no_execute_in(entry_address(entry, level), level - 1, virt, start, end);
            }
        }
    }

    /// A new, zeroed page table from `frames`.
    fn new_table(&mut self, frames: &mut impl FrameSource) -> Result<u64, PagingError> {
        let frame = frames
            .allocate_frame(self)
            .ok_or(PagingError::OutOfFrames)?;
        let table = frame.wrapping_add(self.offset) as *mut u64;
        // SAFETY: the frame source hands out unused frames, mapped writable at
        // `frame + offset`; 512 entries are exactly its 4 KiB.
        unsafe { core::ptr::write_bytes(table, 0, ENTRIES) };
        Ok(frame)
    }

    /// Maps the page of `size` ([`PAGE_SIZE`] or [`HUGE_PAGE_SIZE`]) at `virt`
    /// to `phys`, writable and no-execute (it maps memory, never code),
    /// creating the tables on the way. Returns `false` and changes nothing
    /// where `virt` is mapped already (by any page size).
    ///
    /// Both addresses must be aligned to `size`. No TLB flush is needed: the
    /// entries written were not present before, and the CPU caches no
    /// translations for not-present entries (Intel SDM Vol. 3A §4.10.4.3).
    pub fn map(
        &mut self,
        virt: u64,
        phys: u64,
        size: u64,
        frames: &mut impl FrameSource,
    ) -> Result<bool, PagingError> {
        let target = if size == HUGE_PAGE_SIZE { 2 } else { 1 };
        debug_assert!(virt % size == 0 && phys % size == 0, "unaligned mapping");
        let mut table = self.root;
        for level in (target + 1..=self.levels).rev() {
            let index = index(virt, level);
            let entry = self.read(table, index);
            if entry & PRESENT == 0 {
                let next = self.new_table(frames)?;
                self.write(table, index, next | PRESENT | WRITABLE);
                table = next;
            } else if level <= 3 && entry & HUGE != 0 {
                return Ok(false);
            } else {
                table = entry_address(entry, level);
            }
        }
        let index = index(virt, target);
        if self.read(table, index) & PRESENT != 0 {
            return Ok(false);
        }
        let huge = if target == 2 { HUGE } else { 0 };
        self.write(table, index, phys | PRESENT | WRITABLE | NO_EXECUTE | huge);
        Ok(true)
    }

    /// Unmaps the 4 KiB page at `virt`, first splitting the 1 GiB or 2 MiB
    /// page that holds it into smaller pages with the same translation.
    /// Returns whether it was mapped.
    pub fn unmap(&mut self, virt: u64, frames: &mut impl FrameSource) -> Result<bool, PagingError> {
        let virt = virt & !(PAGE_SIZE - 1);
        let mut table = self.root;
        for level in (1..=self.levels).rev() {
            let index = index(virt, level);
            let mut entry = self.read(table, index);
            if entry & PRESENT == 0 {
                return Ok(false);
            }
            if level == 1 {
                self.write(table, index, 0);
                invalidate(virt);
                return Ok(true);
            }
            if level <= 3 && entry & HUGE != 0 {
                entry = self.split(table, index, entry, level, virt, frames)?;
            }
            table = entry_address(entry, level);
        }
        Ok(false)
    }

    /// Replaces the 1 GiB or 2 MiB page `entry` (entry `index` of `table`, at
    /// `level`, holding `virt`) by a table of 512 pages one level down that
    /// map the same memory with the same attributes. Returns the new entry.
    fn split(
        &mut self,
        table: u64,
        index: usize,
        entry: u64,
        level: u32,
        virt: u64,
        frames: &mut impl FrameSource,
    ) -> Result<u64, PagingError> {
        let next = self.new_table(frames)?;
        let base = entry_address(entry, level);
        let flags = entry & PAGE_FLAGS;
        let pat = entry & HUGE_PAT != 0;
        let child_flags = if level == 2 {
            // 4 KiB pages: no PS; PAT moves from bit 12 to bit 7 (Table 4-20).
            (flags & !HUGE) | if pat { PTE_PAT } else { 0 }
        } else {
            // 2 MiB pages: PS stays, PAT stays at bit 12 (Table 4-18).
            flags | HUGE | if pat { HUGE_PAT } else { 0 }
        };
        let child_size = page_size(level - 1);
        for i in 0..ENTRIES {
            self.write(next, i, (base + i as u64 * child_size) | child_flags);
        }
        // The pointer to the new table allows everything (P, R/W, U/S as
        // before): the pages' own entries carry their restrictions, and the
        // most restrictive level wins (§4.6).
        let pointer = next | PRESENT | WRITABLE | (entry & USER);
        self.write(table, index, pointer);
        // The large page's TLB entry and any paging-structure cache entries
        // go (INVLPG, §4.10.4.1); the translations are unchanged anyway.
        invalidate(virt);
        Ok(pointer)
    }
}

/// What a kernel-mode access may do with a page (Intel SDM Vol. 3A §4.6):
/// read always; write only with R/W set (CR0.WP makes ring 0 honour it);
/// fetch instructions only with XD clear (IA32_EFER.NXE on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Code: read and execute.
    ReadExecute,
    /// Constants: read only.
    ReadOnly,
    /// Data and stacks: read and write, never execute.
    ReadWrite,
}

impl Access {
    /// `entry` (a 4 KiB page's) with R/W and XD set for these rights.
    const fn apply(self, entry: u64) -> u64 {
        let entry = entry & !(WRITABLE | NO_EXECUTE);
        match self {
            Self::ReadExecute => entry,
            Self::ReadOnly => entry | NO_EXECUTE,
            Self::ReadWrite => entry | WRITABLE | NO_EXECUTE,
        }
    }
}

/// `virt` with the bits above the top level's index copied from its highest
/// index bit (bit 47, or 56 with 5-level paging): canonical (§3.3.7.1).
const fn canonical(virt: u64, levels: u32) -> u64 {
    let unused = 64 - (12 + 9 * levels);
    (((virt << unused) as i64) >> unused) as u64
}

/// Drops every TLB entry but global ones by reloading CR3 (Intel SDM Vol.
/// 3A §4.10.4.1); the kernel keeps CR4.PGE clear, so there are none.
pub fn flush_tlb() {
    // SAFETY: writing CR3 back unchanged keeps the same page tables and
    // only drops cached translations.
    unsafe {
        asm!(
            "mov {0}, cr3",
            "mov cr3, {0}",
            out(reg) _,
            options(nostack, preserves_flags)
        )
    };
}

/// Drops the TLB entry for the page holding `virt` and the paging-structure
/// caches (Intel SDM Vol. 2A, INVLPG; Vol. 3A §4.10.4.1).
fn invalidate(virt: u64) {
    // SAFETY: INVLPG only drops cached translations; the CPU re-reads the
    // page tables on the next access. Not `nomem`: it orders with the table
    // writes before it.
    unsafe { asm!("invlpg [{}]", in(reg) virt, options(nostack, preserves_flags)) };
}
