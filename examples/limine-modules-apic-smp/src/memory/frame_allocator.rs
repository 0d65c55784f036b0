//! The physical frame allocator: hands out the 4 KiB frames of usable RAM
//! after boot, one at a time, and takes them back.
//!
//! A bitmap with one bit per frame, from the lowest to the highest usable
//! frame of the memory map: 1 = not free (handed out, or never allocatable),
//! 0 = free. Why a bitmap rather than a free list threaded through the free
//! frames themselves:
//!
//! * it can check every `free`: a frame freed twice, or one it never handed
//!   out (the kernel image, a page table), is refused instead of corrupting
//!   the allocator; a free list would take it and hand it out twice;
//! * setting it up writes `frames / 8` bytes, not one word into every free
//!   frame (with 8 GiB of RAM: 256 KiB against two million scattered writes);
//! * it can find runs of consecutive frames later (DMA buffers) by looking
//!   at neighbouring bits.
//!
//! The cost is one bit per frame (32 KiB per GiB covered) and a search for a
//! free bit, which a hint keeps short: the words below it are all full.
//!
//! A frame is allocatable when it lies wholly in a usable region of the
//! memory map and outside everything the kernel already uses there:
//!
//! * what [`allocator::reserved_ranges`] lists: low memory (below 1 MiB), the
//!   kernel image, and every region the map does not call usable (which
//!   includes the page tables `memory::init` took, the boot modules, and
//!   Limine's bootloader-reclaimable memory, where its responses live);
//! * the starter heap ([`allocator::stats`]);
//! * the loader's boot information structure (Multiboot2 information, PVH
//!   start info), though [`BootInfo`] has copied what it keeps from it;
//! * the bitmap itself, which lives in the first usable stretch large
//!   enough for it.
//!
//! Every usable region is mapped at `physical + physical_memory_offset`
//! (`memory::init`), so a frame from here can be used as a page table at
//! once ([`GlobalFrames`] is the base paging code's [`FrameSource`]).

use core::ops::Range;

use super::paging::{FrameSource, PAGE_SIZE, PageTables};
use crate::allocator;
use crate::boot_info::{BootInfo, Loader, MAX_MEMORY_REGIONS, MemoryKind};
use crate::sync::SpinLock;

/// Bits in one bitmap word.
const BITS: usize = u64::BITS as usize;
/// A Multiboot2 information structure starts with its size as a `u32`
/// (Multiboot2 specification §3.6.1, "Basic tags structure").
const MULTIBOOT2_TOTAL_SIZE_BYTES: u64 = 4;

/// Most ranges the allocator keeps out, besides the memory map's own:
/// the starter heap, the boot information, the bitmap.
const EXTRA_EXCLUSIONS: usize = 3;
/// Capacity of the exclusion list: [`allocator::reserved_ranges`] (two plus
/// one per region) and [`EXTRA_EXCLUSIONS`].
const MAX_EXCLUSIONS: usize = MAX_MEMORY_REGIONS + 2 + EXTRA_EXCLUSIONS;
/// Capacity of the list of allocatable stretches: each usable region, cut
/// by the exclusions inside it. Stretches beyond it stay unused.
const MAX_STRETCHES: usize = 2 * MAX_MEMORY_REGIONS;

/// Why the frame allocator could not be set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameInitError {
    /// [`init`] ran before.
    AlreadyInitialised,
    /// No usable frame is left, or none where the bitmap would fit.
    NoUsableMemory,
    /// The memory chosen for the bitmap is not mapped at `physical +
    /// physical_memory_offset` (`memory::init` did not run).
    NotMapped,
}

/// Why a frame could not be freed. Nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameFreeError {
    /// The address is not the start of a 4 KiB frame.
    Unaligned,
    /// The allocator never hands this frame out (kernel image, reserved
    /// memory, the bitmap...).
    NotManaged,
    /// The frame is free already (a double free).
    NotAllocated,
    /// [`init`] has not run.
    NotInitialised,
}

/// Frame counts, for the boot summary and the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameStats {
    /// Frames the allocator manages: free or handed out.
    pub total: usize,
    /// Frames free now.
    pub free: usize,
    /// Physical range `[start, end)` of the bitmap (taken out of usable
    /// memory).
    pub bitmap: (u64, u64),
}

/// Physical ranges `[start, end)`, with a fixed capacity.
struct Ranges<const N: usize> {
    ranges: [(u64, u64); N],
    count: usize,
}

impl<const N: usize> Ranges<N> {
    const fn new() -> Self {
        Self {
            ranges: [(0, 0); N],
            count: 0,
        }
    }

    /// Adds `[start, end)` if it is not empty; returns false when full.
    fn push(&mut self, start: u64, end: u64) -> bool {
        if start >= end {
            return true;
        }
        let Some(slot) = self.ranges.get_mut(self.count) else {
            return false;
        };
        *slot = (start, end);
        self.count += 1;
        true
    }

    fn as_slice(&self) -> &[(u64, u64)] {
        &self.ranges[..self.count]
    }
}

/// Calls `f` with each part of `[start, end)` that overlaps none of
/// `excluded`, in address order.
fn for_each_free_part(start: u64, end: u64, excluded: &[(u64, u64)], mut f: impl FnMut(u64, u64)) {
    let mut cursor = start;
    while cursor < end {
        // The exclusion that starts first among those still ahead.
        let blocker = excluded
            .iter()
            .filter(|&&(r_start, r_end)| r_end > cursor && r_start < end)
            .min_by_key(|&&(r_start, _)| r_start);
        match blocker {
            Some(&(r_start, r_end)) => {
                if r_start > cursor {
                    f(cursor, r_start);
                }
                cursor = r_end;
            }
            None => {
                f(cursor, end);
                return;
            }
        }
    }
}

/// The allocator proper. Not thread-safe by itself: [`FRAMES`] locks it.
struct FrameAllocator {
    /// Physical address of the frame bit 0 stands for.
    base: u64,
    /// Frames the bitmap covers (allocatable or not).
    frames: usize,
    /// The bitmap, at its `physical + physical_memory_offset` address.
    bitmap: *mut u64,
    words: usize,
    /// The stretches frames are handed out from (page aligned): what `free`
    /// accepts.
    stretches: Ranges<MAX_STRETCHES>,
    total: usize,
    free: usize,
    /// Every bitmap word below this one is full.
    hint: usize,
    bitmap_range: Range<u64>,
    physical_memory_offset: u64,
}

// SAFETY: the bitmap pointer points into memory the allocator owns
// exclusively; moving the allocator to another CPU is fine.
unsafe impl Send for FrameAllocator {}

impl FrameAllocator {
    fn word(&self, index: usize) -> u64 {
        debug_assert!(index < self.words);
        // SAFETY: `index < words`, and the bitmap's `words` words are ours,
        // mapped writable (checked by `init`).
        unsafe { self.bitmap.add(index).read() }
    }

    fn set_word(&mut self, index: usize, value: u64) {
        debug_assert!(index < self.words);
        // SAFETY: as in `word`; `&mut self` makes this the only writer.
        unsafe { self.bitmap.add(index).write(value) }
    }

    /// The bit index of `frame`, if the bitmap covers it.
    fn index_of(&self, frame: u64) -> Option<usize> {
        let index = usize::try_from(frame.checked_sub(self.base)? / PAGE_SIZE).ok()?;
        (index < self.frames).then_some(index)
    }

    fn is_used(&self, index: usize) -> bool {
        self.word(index / BITS) & (1 << (index % BITS)) != 0
    }

    fn set_used(&mut self, index: usize, used: bool) {
        let word = self.word(index / BITS);
        let bit = 1 << (index % BITS);
        self.set_word(index / BITS, if used { word | bit } else { word & !bit });
    }

    fn allocate(&mut self) -> Option<u64> {
        for index in self.hint..self.words {
            let word = self.word(index);
            if word != u64::MAX {
                // The bits past `frames` in the last word are set by `init`,
                // so a clear bit is always a frame.
                let bit = (!word).trailing_zeros() as usize;
                self.set_word(index, word | (1 << bit));
                self.hint = index;
                self.free -= 1;
                return Some(self.base + (index * BITS + bit) as u64 * PAGE_SIZE);
            }
        }
        self.hint = self.words;
        None
    }

    fn deallocate(&mut self, frame: u64) -> Result<(), FrameFreeError> {
        if frame % PAGE_SIZE != 0 {
            return Err(FrameFreeError::Unaligned);
        }
        let managed = self
            .stretches
            .as_slice()
            .iter()
            .any(|&(start, end)| (start..end).contains(&frame));
        let index = self
            .index_of(frame)
            .filter(|_| managed && !self.bitmap_range.contains(&frame))
            .ok_or(FrameFreeError::NotManaged)?;
        if !self.is_used(index) {
            return Err(FrameFreeError::NotAllocated);
        }
        self.set_used(index, false);
        self.free += 1;
        self.hint = self.hint.min(index / BITS);
        Ok(())
    }

    fn stats(&self) -> FrameStats {
        FrameStats {
            total: self.total,
            free: self.free,
            bitmap: (self.bitmap_range.start, self.bitmap_range.end),
        }
    }
}

static FRAMES: SpinLock<Option<FrameAllocator>> = SpinLock::new(None);

/// The physical ranges the allocator must never hand out, inside usable
/// memory (see the module documentation), without the bitmap.
fn exclusions(boot_info: &BootInfo) -> Ranges<MAX_EXCLUSIONS> {
    let mut excluded = Ranges::new();
    for &(start, end) in allocator::reserved_ranges(boot_info).iter() {
        excluded.push(start, end);
    }
    // The starter heap: one physically contiguous stretch of usable RAM,
    // mapped at `physical + physical_memory_offset` (allocator::init).
    let heap = allocator::stats();
    if heap.size > 0 {
        let start = (heap.start as u64).wrapping_sub(boot_info.physical_memory_offset);
        excluded.push(start, start + heap.size as u64);
    }
    // The loader's own structure. Limine's responses are in
    // bootloader-reclaimable memory, which the map does not call usable.
    let raw = boot_info.raw_info_address;
    let raw_len = match boot_info.loader {
        Loader::Multiboot2 => {
            let size = boot_info.physical_to_virtual(raw) as *const u32;
            // SAFETY: the Multiboot2 information is in memory `memory::init`
            // mapped (the identity-mapped first 4 GiB: GRUB places it there),
            // and nothing has written to it; its first field is its size.
            u64::from(unsafe { size.read_unaligned() }).max(MULTIBOOT2_TOTAL_SIZE_BYTES)
        }
        Loader::Pvh => PAGE_SIZE,
        Loader::Limine => 0,
    };
    if raw_len > 0 {
        let start = raw & !(PAGE_SIZE - 1);
        excluded.push(start, (raw + raw_len).next_multiple_of(PAGE_SIZE));
    }
    excluded
}

/// Sets up the frame allocator over `boot_info`'s memory map. Call it once,
/// after the starter heap is placed (`allocator::init`).
pub fn init(boot_info: &BootInfo) -> Result<FrameStats, FrameInitError> {
    let mut frames = FRAMES.lock();
    if frames.is_some() {
        return Err(FrameInitError::AlreadyInitialised);
    }
    let mut excluded = exclusions(boot_info);

    // The allocatable stretches, whole frames only.
    let mut stretches = Ranges::<MAX_STRETCHES>::new();
    for region in boot_info.memory_regions() {
        if region.kind != MemoryKind::Usable {
            continue;
        }
        for_each_free_part(
            region.start,
            region.end(),
            excluded.as_slice(),
            |start, end| {
                // Full: the rest stays unused, which is safe.
                let _ = stretches.push(start.next_multiple_of(PAGE_SIZE), end & !(PAGE_SIZE - 1));
            },
        );
    }
    let base = stretches.as_slice().iter().map(|r| r.0).min();
    let top = stretches.as_slice().iter().map(|r| r.1).max();
    let (Some(base), Some(top)) = (base, top) else {
        return Err(FrameInitError::NoUsableMemory);
    };
    let covered = ((top - base) / PAGE_SIZE) as usize;
    let words = covered.div_ceil(BITS);
    let bitmap_bytes = (words * size_of::<u64>()) as u64;
    let bitmap_len = bitmap_bytes.next_multiple_of(PAGE_SIZE);

    // The bitmap goes at the start of the first stretch it fits in.
    let bitmap_start = stretches
        .as_slice()
        .iter()
        .find(|&&(start, end)| end - start >= bitmap_len)
        .map(|&(start, _)| start)
        .ok_or(FrameInitError::NoUsableMemory)?;
    let bitmap_range = bitmap_start..bitmap_start + bitmap_len;
    let offset = boot_info.physical_memory_offset;
    let virt = bitmap_start.wrapping_add(offset);
    if super::translate(virt) != Some(bitmap_start)
        || super::translate(virt + bitmap_len - 1) != Some(bitmap_range.end - 1)
    {
        return Err(FrameInitError::NotMapped);
    }
    // Room was kept for it; a full list only shrinks the stretches above.
    let _ = excluded.push(bitmap_range.start, bitmap_range.end);

    let mut allocator = FrameAllocator {
        base,
        frames: covered,
        bitmap: virt as *mut u64,
        words,
        stretches,
        total: 0,
        free: 0,
        hint: 0,
        bitmap_range,
        physical_memory_offset: offset,
    };
    // Everything used, then the stretches (less the bitmap) free.
    for index in 0..words {
        allocator.set_word(index, u64::MAX);
    }
    let mut free = 0;
    for i in 0..allocator.stretches.count {
        let (start, end) = allocator.stretches.ranges[i];
        for_each_free_part(start, end, excluded.as_slice(), |start, end| {
            let mut frame = start.next_multiple_of(PAGE_SIZE);
            while frame + PAGE_SIZE <= end {
                if let Some(index) = allocator.index_of(frame) {
                    allocator.set_used(index, false);
                    free += 1;
                }
                frame += PAGE_SIZE;
            }
        });
    }
    allocator.total = free;
    allocator.free = free;
    let stats = allocator.stats();
    *frames = Some(allocator);
    Ok(stats)
}

/// A free 4 KiB frame (its physical address), now handed out; `None` when
/// there is none left or before [`init`]. Its contents are whatever was there.
pub fn allocate() -> Option<u64> {
    FRAMES.lock().as_mut()?.allocate()
}

/// Gives a frame from [`allocate`] back.
///
/// # Safety
/// Nothing may use the frame any more (no mapping of it, no pointer into it
/// through `physical_memory_offset`): the next [`allocate`] may hand it out.
pub unsafe fn free(frame: u64) -> Result<(), FrameFreeError> {
    FRAMES
        .lock()
        .as_mut()
        .ok_or(FrameFreeError::NotInitialised)?
        .deallocate(frame)
}

/// The frame counts; `None` before [`init`].
pub fn stats() -> Option<FrameStats> {
    FRAMES.lock().as_ref().map(FrameAllocator::stats)
}

/// Physical memory is mapped at `physical + physical_memory_offset`; `None`
/// before [`init`].
pub fn physical_memory_offset() -> Option<u64> {
    FRAMES
        .lock()
        .as_ref()
        .map(|frames| frames.physical_memory_offset)
}

/// The frame allocator as the base paging code's source of new page tables.
pub struct GlobalFrames;

impl FrameSource for GlobalFrames {
    fn allocate_frame(&mut self, _tables: &PageTables) -> Option<u64> {
        // Every allocatable frame is usable memory, which `memory::init`
        // mapped at `physical + physical_memory_offset`.
        allocate()
    }
}
