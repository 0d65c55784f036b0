//! Physical frames for the page tables [`super::init`] builds, taken from
//! usable memory before the heap is placed.
//!
//! A bump allocator: it hands out the frames of each usable region in turn,
//! from the start of the region's largest part that avoids low memory and
//! the kernel image (the same parts the heap chooses from). Afterwards
//! [`BootFrames::used`] says which ranges it took, and [`super::init`] marks
//! them as [`MemoryKind::PageTables`](crate::boot_info::MemoryKind) in the
//! memory map, so the heap never overlaps a page table.

use super::paging::{FrameSource, PAGE_SIZE, PageTables};
use crate::allocator;
use crate::boot_info::{BootInfo, MAX_MEMORY_REGIONS, MemoryKind};

/// Part of a usable region: frames `[start, next)` are handed out,
/// `[next, end)` are still free.
#[derive(Clone, Copy)]
struct Span {
    start: u64,
    next: u64,
    end: u64,
}

/// Hands out the frames of usable memory that are already mapped at
/// `physical + physical_memory_offset` (a new table must be zeroed through
/// that mapping before it is linked in).
pub struct BootFrames {
    spans: [Span; MAX_MEMORY_REGIONS],
    count: usize,
    /// The span frames come from now; the ones before it are used up or
    /// not mapped.
    current: usize,
}

impl BootFrames {
    pub fn new(boot_info: &BootInfo) -> Self {
        let empty = Span {
            start: 0,
            next: 0,
            end: 0,
        };
        let mut frames = Self {
            spans: [empty; MAX_MEMORY_REGIONS],
            count: 0,
            current: 0,
        };
        let reserved = allocator::reserved_ranges(boot_info);
        for region in boot_info.memory_regions() {
            if region.kind != MemoryKind::Usable {
                continue;
            }
            let (start, end) = allocator::largest_free_part(region.start, region.end(), &reserved);
            let start = start.next_multiple_of(PAGE_SIZE);
            let end = end & !(PAGE_SIZE - 1);
            if start < end {
                frames.spans[frames.count] = Span {
                    start,
                    next: start,
                    end,
                };
                frames.count += 1;
            }
        }
        frames
    }

    /// The physical ranges `[start, end)` handed out so far.
    pub fn used(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.spans[..self.count]
            .iter()
            .filter(|span| span.next > span.start)
            .map(|span| (span.start, span.next))
    }
}

impl FrameSource for BootFrames {
    fn allocate_frame(&mut self, tables: &PageTables) -> Option<u64> {
        while self.current < self.count {
            let span = &mut self.spans[self.current];
            if span.next < span.end {
                let frame = span.next;
                let virt = frame.wrapping_add(tables.physical_memory_offset());
                if tables.translate(virt) == Some(frame) {
                    span.next += PAGE_SIZE;
                    return Some(frame);
                }
            }
            // Used up, or not mapped (yet): frames come in address order, so
            // move on to the next region.
            self.current += 1;
        }
        None
    }
}
