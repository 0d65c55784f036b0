//! The kernel heap: a linked-list allocator (first fit, with coalescing),
//! registered as Rust's `#[global_allocator]` so `alloc::{Box, Vec, String}`
//! work.
//!
//! Free memory is kept as a list of free blocks, sorted by address. Each free
//! block stores its own header (size, next) in its first bytes, so the
//! allocator needs no memory of its own:
//!
//! ```text
//!  heap: [ used ][ free: size,next ]-->[ free: size,next ]--> null
//! ```
//!
//! * `alloc` walks the list and takes the first block that fits (first fit),
//!   splitting off what is left before and after the allocation as new free
//!   blocks.
//! * `dealloc` puts the block back at its sorted position and merges it with
//!   its neighbours when they touch (coalescing), so freed memory becomes one
//!   large block again instead of fragments.
//!
//! Every block starts at a multiple of `BLOCK_ALIGN` and is a multiple of
//! `BLOCK_ALIGN` bytes long, which is also the size of a header: so whatever
//! a split leaves over is either nothing or room for a header, and a block
//! that is large enough for a request always fits it.
//!
//! `dealloc` checks that the block is not already free: a double free panics
//! ("double free") instead of turning the free list into a cycle.
//!
//! A kernel module may take over from this starter heap once the kernel
//! can do better (the `heap` module, over the frame allocator): [`replace`]
//! hands every later allocation to its allocator. Blocks allocated before go
//! back to the starter heap when freed, so they stay valid.

use core::alloc::{GlobalAlloc, Layout};
use core::mem::{align_of, size_of};
use core::ops::Deref;
use core::ptr;

use crate::boot::{BootInfo, MemoryKind};
use crate::boot_info::MAX_MEMORY_REGIONS;
use crate::memory;
use crate::sync::{Once, SpinLock};

/// Upper bound for the heap. The rest of usable memory stays free for a future
/// physical frame allocator.
pub const HEAP_MAX_SIZE: usize = 16 * 1024 * 1024;
/// Memory below 1 MiB is never used for the heap: the BIOS data area, EBDA,
/// VGA memory and option ROMs live there, and it is what the memory map is
/// least accurate about.
const LOW_MEMORY_END: u64 = 0x10_0000;

/// Header of a free block, stored inside the free memory itself.
struct FreeBlock {
    size: usize,
    next: *mut FreeBlock,
}

/// Smallest block: a freed block must be able to hold its header (16 bytes).
const MIN_BLOCK: usize = size_of::<FreeBlock>();
/// Granularity of every block's start and size. Equal to `MIN_BLOCK`, so the
/// space a split leaves before or after an allocation is a multiple of a
/// header's size: never a sliver too small to become a free block (with an
/// 8-byte granularity, an 8-byte leftover made a fitting block unusable).
const BLOCK_ALIGN: usize = MIN_BLOCK;
const _: () = assert!(BLOCK_ALIGN.is_power_of_two() && BLOCK_ALIGN >= align_of::<FreeBlock>());

/// `value` rounded up to a multiple of `align` (a power of two), or `None`
/// if that is beyond the address space: in the higher half (Limine's HHDM)
/// `value + align - 1` overflows for alignments of 2^47 and more.
pub const fn align_up(value: usize, align: usize) -> Option<usize> {
    match value.checked_add(align - 1) {
        Some(sum) => Some(sum & !(align - 1)),
        None => None,
    }
}

/// Why a block could not be freed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeError {
    /// The block, or part of it, is already free.
    DoubleFree,
    /// The block is not inside the heap, or not on a block boundary.
    NotFromHeap,
}

/// Usage numbers, for the boot summary and the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapStats {
    pub start: usize,
    pub size: usize,
    pub free: usize,
}

/// The allocator proper. Not thread-safe by itself: see [`LockedHeap`].
pub struct LinkedListHeap {
    /// Lowest free block (the list is sorted by address); null when full.
    head: *mut FreeBlock,
    start: usize,
    size: usize,
    free: usize,
}

// SAFETY: the raw pointers point into the heap region, which the allocator
// owns exclusively; moving the allocator to another thread is fine.
unsafe impl Send for LinkedListHeap {}

impl LinkedListHeap {
    /// An allocator with no memory: every allocation fails until `init`.
    pub const fn empty() -> Self {
        Self {
            head: ptr::null_mut(),
            start: 0,
            size: 0,
            free: 0,
        }
    }

    /// Hands the region `[start, start + size)` to the allocator.
    ///
    /// # Safety
    /// The region must be valid, writable, unused memory that nothing else
    /// touches from now on, and `init` may be called only once.
    pub unsafe fn init(&mut self, start: usize, size: usize) {
        let aligned_start = align_up(start, BLOCK_ALIGN).expect("heap region at the end of memory");
        let size = size.saturating_sub(aligned_start - start) & !(BLOCK_ALIGN - 1);
        assert!(size >= MIN_BLOCK, "heap region too small");
        self.start = aligned_start;
        self.size = size;
        self.free = 0;
        // SAFETY: forwarded from the caller: the region is ours.
        let inserted = unsafe { self.insert_free(aligned_start, size) };
        debug_assert!(inserted.is_ok(), "the free list was empty");
    }

    pub fn stats(&self) -> HeapStats {
        HeapStats {
            start: self.start,
            size: self.size,
            free: self.free,
        }
    }

    /// The size and alignment a request really occupies: at least a header,
    /// rounded to whole blocks. (A `Layout`'s size rounded up to its
    /// alignment fits in an `isize`, so this cannot overflow.)
    fn block_layout(layout: Layout) -> (usize, usize) {
        let size = layout.size().max(MIN_BLOCK).next_multiple_of(BLOCK_ALIGN);
        let align = layout.align().max(BLOCK_ALIGN);
        (size, align)
    }

    /// First fit: returns the address of a block of `layout`, or null.
    pub fn allocate(&mut self, layout: Layout) -> *mut u8 {
        let (size, align) = Self::block_layout(layout);
        let mut prev: *mut FreeBlock = ptr::null_mut();
        let mut current = self.head;

        while !current.is_null() {
            // SAFETY: every pointer in the list points at a valid FreeBlock
            // header inside the heap (an invariant of insert_free/allocate).
            let (block_size, next) = unsafe { ((*current).size, (*current).next) };
            let block_start = current as usize;
            let block_end = block_start + block_size;

            // Where the allocation would start; the gap in front of it (a
            // multiple of BLOCK_ALIGN, as `align` is) stays a free block. No
            // such address: neither this block nor any later (higher) one
            // can hold the request.
            let Some(alloc_start) = align_up(block_start, align) else {
                break;
            };
            let alloc_end = alloc_start.saturating_add(size);

            // Whatever is left behind the allocation is a multiple of
            // BLOCK_ALIGN too: nothing, or a whole free block.
            if alloc_end <= block_end {
                let tail = block_end - alloc_end;
                let front = alloc_start - block_start;
                // Rewire the list: the block is replaced by its front and/or
                // tail remainders (in address order), or removed entirely.
                let mut after = next;
                if tail > 0 {
                    let tail_block = alloc_end as *mut FreeBlock;
                    // SAFETY: [alloc_end, block_end) lies in the free block we
                    // own, is BLOCK_ALIGN-aligned and >= MIN_BLOCK bytes.
                    unsafe {
                        tail_block.write(FreeBlock {
                            size: tail,
                            next: after,
                        })
                    };
                    after = tail_block;
                }
                if front > 0 {
                    // Keep the front part where it is: just shrink it.
                    // SAFETY: `current` is a valid header (list invariant).
                    unsafe {
                        (*current).size = front;
                        (*current).next = after;
                    }
                } else if prev.is_null() {
                    self.head = after;
                } else {
                    // SAFETY: `prev` is a valid header (list invariant).
                    unsafe { (*prev).next = after };
                }
                self.free -= size;
                return alloc_start as *mut u8;
            }

            prev = current;
            current = next;
        }
        ptr::null_mut()
    }

    /// Returns a block to the free list. A block that is (partly) free
    /// already, or that is not a heap block at all, is refused with an error
    /// and changes nothing.
    ///
    /// # Safety
    /// `ptr` must come from `allocate` on this heap with the same `layout`,
    /// and must not be used afterwards. (Freeing it twice is detected as long
    /// as it has not been handed out again in between.)
    pub unsafe fn deallocate(&mut self, ptr: *mut u8, layout: Layout) -> Result<(), FreeError> {
        let (size, _) = Self::block_layout(layout);
        let addr = ptr as usize;
        let inside = addr >= self.start
            && addr
                .checked_add(size)
                .is_some_and(|end| end <= self.start + self.size);
        if !inside || addr % BLOCK_ALIGN != 0 {
            return Err(FreeError::NotFromHeap);
        }
        // SAFETY: forwarded from the caller: the block is ours again; it is
        // inside the heap and aligned (checked above).
        unsafe { self.insert_free(addr, size) }
    }

    /// Inserts `[addr, addr + size)` into the sorted list, merging it with the
    /// free blocks right before and after it when they touch. Fails without
    /// changing anything if the range overlaps a free block.
    ///
    /// # Safety
    /// The range must be heap memory that no live allocation uses,
    /// BLOCK_ALIGN-aligned and at least MIN_BLOCK bytes.
    unsafe fn insert_free(&mut self, addr: usize, size: usize) -> Result<(), FreeError> {
        // Find the neighbours: `prev` < addr <= `next`.
        let mut prev: *mut FreeBlock = ptr::null_mut();
        let mut next = self.head;
        while !next.is_null() && (next as usize) < addr {
            prev = next;
            // SAFETY: `next` is a valid header (list invariant).
            next = unsafe { (*next).next };
        }

        // The free neighbours must end at or before `addr` and start at or
        // after `addr + size`; anything else means (part of) the block is
        // free already.
        let prev_end = if prev.is_null() {
            0
        } else {
            // SAFETY: `prev` is a valid header (list invariant).
            prev as usize + unsafe { (*prev).size }
        };
        if prev_end > addr || (!next.is_null() && (next as usize) < addr + size) {
            return Err(FreeError::DoubleFree);
        }
        self.free += size;

        let block = addr as *mut FreeBlock;
        // SAFETY: the caller gives us this memory; it is aligned and large
        // enough for a header.
        unsafe { block.write(FreeBlock { size, next }) };

        // Merge with the following block if it starts where this one ends.
        if !next.is_null() && addr + size == next as usize {
            // SAFETY: both are valid headers; `next` is absorbed into `block`.
            unsafe {
                (*block).size += (*next).size;
                (*block).next = (*next).next;
            }
        }

        if prev.is_null() {
            self.head = block;
        } else {
            // SAFETY: `prev` is a valid header (list invariant).
            unsafe {
                if prev as usize + (*prev).size == addr {
                    // Merge into the preceding block.
                    (*prev).size += (*block).size;
                    (*prev).next = (*block).next;
                } else {
                    (*prev).next = block;
                }
            }
        }
        Ok(())
    }
}

/// [`LinkedListHeap`] behind our spinlock, so it can be a shared `static`.
pub struct LockedHeap(SpinLock<LinkedListHeap>);

impl LockedHeap {
    pub const fn empty() -> Self {
        Self(SpinLock::new(LinkedListHeap::empty()))
    }

    /// Whether `ptr` points into this heap's region.
    fn contains(&self, ptr: *mut u8) -> bool {
        let stats = self.0.lock().stats();
        (stats.start..stats.start + stats.size).contains(&(ptr as usize))
    }
}

// SAFETY: allocate/deallocate uphold the GlobalAlloc contract: returned blocks
// are aligned to `layout.align()`, at least `layout.size()` bytes, disjoint from
// every other live block, and null signals failure.
unsafe impl GlobalAlloc for LockedHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        self.0.lock().allocate(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: GlobalAlloc's contract: `ptr` came from `alloc` with `layout`.
        let result = unsafe { self.0.lock().deallocate(ptr, layout) };
        // The lock is released by now: panic outside it, so the panic
        // handler and the tests after a `should_panic` test can still allocate.
        match result {
            Ok(()) => {}
            Err(FreeError::DoubleFree) => panic!("double free of the heap block at {ptr:p}"),
            Err(FreeError::NotFromHeap) => panic!("dealloc of {ptr:p}, which is not a heap block"),
        }
    }
}

/// The starter heap.
static HEAP: LockedHeap = LockedHeap::empty();

/// The allocator that serves new allocations once [`replace`] installed it.
static REPLACEMENT: Once<&'static (dyn GlobalAlloc + Sync)> = Once::new();

/// Rust's global allocator: the starter heap, or the allocator [`replace`]
/// installed for new allocations. A block goes back to the heap it came
/// from: the starter heap's region tells its blocks apart.
pub struct KernelAllocator;

// SAFETY: each call goes to one of two allocators that uphold the
// GlobalAlloc contract, and `dealloc` returns a block to the one that
// allocated it (the replacement serves no block inside the starter heap's
// region, which it never owns).
unsafe impl GlobalAlloc for KernelAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match REPLACEMENT.get() {
            // SAFETY: forwarded: the caller upholds GlobalAlloc's contract.
            Some(allocator) => unsafe { allocator.alloc(layout) },
            // SAFETY: as above.
            None => unsafe { HEAP.alloc(layout) },
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match REPLACEMENT.get() {
            // SAFETY: forwarded: `ptr` came from `alloc` with `layout`, and
            // not from the starter heap, so from the replacement.
            Some(allocator) if !HEAP.contains(ptr) => unsafe { allocator.dealloc(ptr, layout) },
            // SAFETY: forwarded: a block of the starter heap.
            _ => unsafe { HEAP.dealloc(ptr, layout) },
        }
    }
}

// When an allocation fails, `alloc::alloc::handle_alloc_error` runs the default
// handler, which on no_std targets panics with
// "memory allocation of N bytes failed" - a clear enough message.
#[global_allocator]
static GLOBAL: KernelAllocator = KernelAllocator;

/// [`replace`] ran before: the global allocator can be replaced once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlreadyReplaced;

/// Hands every allocation from now on to `allocator` (blocks the starter
/// heap gave out still go back to it). Call it once, before other CPUs or
/// interrupt handlers allocate.
pub fn replace(allocator: &'static (dyn GlobalAlloc + Sync)) -> Result<(), AlreadyReplaced> {
    REPLACEMENT
        .set(allocator)
        .map(|_| ())
        .map_err(|_| AlreadyReplaced)
}

/// Why the heap could not be set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeapError {
    /// No usable memory region has room for a heap.
    NoUsableMemory,
    /// The chosen memory is not mapped where the kernel would use it
    /// (`memory::init` did not run).
    NotMapped,
}

/// Finds room for the heap in the memory map and hands it to the allocator.
///
/// The heap is the largest stretch of usable RAM (capped at
/// [`HEAP_MAX_SIZE`]) that avoids everything [`reserved_ranges`] lists: low
/// memory, the kernel image and every region the map does not call usable
/// (maps may list overlapping regions). The boot information structure needs
/// no protection: everything we use from it was copied into [`BootInfo`]
/// before this runs.
///
/// The memory map is physical; the heap is used at the virtual address
/// [`BootInfo::physical_to_virtual`] gives (the same address where physical
/// memory is identity mapped).
pub fn init(boot_info: &BootInfo) -> Result<HeapStats, HeapError> {
    let (start, end) = heap_region(boot_info).ok_or(HeapError::NoUsableMemory)?;
    let start = start.next_multiple_of(4096) as usize;
    let size = (end as usize).saturating_sub(start).min(HEAP_MAX_SIZE);
    if size < 4096 {
        return Err(HeapError::NoUsableMemory);
    }
    let virtual_start = boot_info.physical_to_virtual(start as u64) as usize;
    // `memory::init` mapped every usable region at physical_to_virtual; check
    // the ends (it also ran at all) rather than fault on the first allocation.
    let last = (virtual_start + size - 1) as u64;
    if memory::translate(virtual_start as u64) != Some(start as u64)
        || memory::translate(last) != Some(start as u64 + size as u64 - 1)
    {
        return Err(HeapError::NotMapped);
    }
    let mut heap = HEAP.0.lock();
    // SAFETY: [start, start + size) is usable RAM according to the memory map,
    // mapped at `virtual_start` (checked above), below neither the kernel
    // image nor low memory, and used by nothing else (the page tables'
    // frames are no longer usable in the map).
    unsafe { heap.init(virtual_start, size) };
    Ok(heap.stats())
}

/// The largest physical range `[start, end)` of usable memory that overlaps
/// none of [`reserved_ranges`], or `None` if there is none.
pub fn heap_region(boot_info: &BootInfo) -> Option<(u64, u64)> {
    let reserved = reserved_ranges(boot_info);
    let mut best: Option<(u64, u64)> = None;
    for region in boot_info.memory_regions() {
        if region.kind != MemoryKind::Usable {
            continue;
        }
        let (start, end) = largest_free_part(region.start, region.end(), &reserved);
        if end - start > best.map_or(0, |(s, e)| e - s) {
            best = Some((start, end));
        }
    }
    best
}

/// Physical ranges `[start, end)`; a slice through `Deref`.
pub struct ReservedRanges {
    ranges: [(u64, u64); MAX_MEMORY_REGIONS + 2],
    count: usize,
}

impl Deref for ReservedRanges {
    type Target = [(u64, u64)];

    fn deref(&self) -> &Self::Target {
        &self.ranges[..self.count]
    }
}

/// The physical ranges the heap (and the page tables `memory::init` builds)
/// must avoid inside usable memory: low memory, the kernel image, and every
/// region of the memory map that is not usable (reserved, ACPI, bad memory,
/// and Limine's kernel-and-modules memory): firmware maps may list a usable
/// region that overlaps one of those, and the restriction wins.
pub fn reserved_ranges(boot_info: &BootInfo) -> ReservedRanges {
    let mut reserved = ReservedRanges {
        ranges: [(0, 0); MAX_MEMORY_REGIONS + 2],
        count: 2,
    };
    reserved.ranges[0] = (0, LOW_MEMORY_END);
    reserved.ranges[1] = boot_info.kernel_physical_range();
    for region in boot_info.memory_regions() {
        if region.kind != MemoryKind::Usable {
            reserved.ranges[reserved.count] = (region.start, region.end());
            reserved.count += 1;
        }
    }
    reserved
}

/// The largest part of `[start, end)` that overlaps none of `reserved`.
pub fn largest_free_part(start: u64, end: u64, reserved: &[(u64, u64)]) -> (u64, u64) {
    // Sweep the candidate range from left to right, cutting at reserved ranges.
    let mut best = (start, start);
    let mut cursor = start;
    loop {
        // The reserved range that starts first among those ending after `cursor`.
        let blocker = reserved
            .iter()
            .filter(|&&(r_start, r_end)| r_end > cursor && r_start < end)
            .min_by_key(|&&(r_start, _)| r_start);
        let gap_end = blocker.map_or(end, |&(r_start, _)| r_start.max(cursor));
        if gap_end - cursor > best.1 - best.0 {
            best = (cursor, gap_end);
        }
        match blocker {
            Some(&(_, r_end)) if r_end < end => cursor = r_end,
            _ => return best,
        }
    }
}

/// Current heap usage.
pub fn stats() -> HeapStats {
    HEAP.0.lock().stats()
}
