//! The heap's virtual window: runs of whole pages, each page backed by a
//! frame of its own from the frame allocator while it is in use.
//!
//! The window is virtual address space the page mapper reserved for the
//! heap ([`PageWindow::place`]); nothing is mapped in it until the heap
//! needs it.
//! [`PageWindow::allocate`] takes a run of pages (first fit among the runs
//! freed before, else fresh pages above everything used so far) and maps a
//! new frame at each page; [`PageWindow::free`] unmaps them and gives the
//! frames back, so memory the heap no longer holds is free for the rest of
//! the kernel. The runs do not need to be physically contiguous: only their
//! virtual addresses are.
//!
//! Freed runs are kept in a fixed array (sorted, neighbours merged): the
//! heap cannot allocate for its own bookkeeping. A run that finds the array
//! full is left out: its virtual addresses are not reused (its frames are
//! returned anyway), which the window's terabyte can afford.

use core::ops::Range;

use crate::memory::mapper::{self, MapError, PageFlags};
use crate::memory::paging::PAGE_SIZE;

/// How many freed runs are remembered for reuse.
const MAX_FREE_RUNS: usize = 128;

/// Why pages could not be had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagesError {
    /// The window has no room for the run.
    WindowFull,
    /// No frame is left (or the mapper failed: `memory` not set up).
    OutOfMemory(MapError),
}

/// Virtual pages `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    start: u64,
    end: u64,
}

pub struct PageWindow {
    /// The window: `[start, end)`.
    start: u64,
    end: u64,
    /// The pages from here to `end` have never been used.
    top: u64,
    /// Freed runs below `top`, sorted by address, none touching another.
    free: [Run; MAX_FREE_RUNS],
    free_count: usize,
    /// Pages mapped now.
    mapped_pages: usize,
    /// The most pages mapped at once.
    peak_pages: usize,
}

impl PageWindow {
    /// A window with no addresses: every allocation fails until
    /// [`PageWindow::place`].
    pub const fn empty() -> Self {
        Self {
            start: 0,
            end: 0,
            top: 0,
            free: [Run { start: 0, end: 0 }; MAX_FREE_RUNS],
            free_count: 0,
            mapped_pages: 0,
            peak_pages: 0,
        }
    }

    /// Gives the empty window the virtual addresses `window` (page aligned,
    /// mapped by nobody).
    pub fn place(&mut self, window: Range<u64>) {
        debug_assert!(self.start == self.end, "the window is placed once");
        self.start = window.start;
        self.end = window.end;
        self.top = window.start;
    }

    /// The window's addresses.
    pub fn range(&self) -> Range<u64> {
        self.start..self.end
    }

    pub fn mapped_pages(&self) -> usize {
        self.mapped_pages
    }

    pub fn peak_pages(&self) -> usize {
        self.peak_pages
    }

    /// Whether `address` lies in the window.
    pub fn contains(&self, address: u64) -> bool {
        (self.start..self.end).contains(&address)
    }

    /// `pages` consecutive virtual pages starting at a multiple of `align`
    /// (a power of two, at least [`PAGE_SIZE`]), each mapped writable and
    /// no-execute to a new frame. Their contents are whatever the frames held.
    pub fn allocate(&mut self, pages: u64, align: u64) -> Result<u64, PagesError> {
        let len = pages.checked_mul(PAGE_SIZE).ok_or(PagesError::WindowFull)?;
        let start = self.take(len, align)?;
        for index in 0..pages {
            let page = start + index * PAGE_SIZE;
            if let Err(error) = mapper::map_new(page, PageFlags::DATA) {
                // Give back what this call mapped, and the addresses.
                self.unmap(start, index);
                self.give_back(start, start + len);
                return Err(PagesError::OutOfMemory(error));
            }
            self.mapped_pages += 1;
        }
        self.peak_pages = self.peak_pages.max(self.mapped_pages);
        Ok(start)
    }

    /// Unmaps the `pages` pages at `start` (from [`PageWindow::allocate`]),
    /// returns their frames and keeps their addresses for reuse. Returns
    /// false, changing nothing, when the first page is not mapped (a double
    /// free).
    ///
    /// # Safety
    /// Nothing may use those pages any more.
    pub unsafe fn free(&mut self, start: u64, pages: u64) -> bool {
        if !self.contains(start) || mapper::translate(start).is_none() {
            return false;
        }
        self.unmap(start, pages);
        self.give_back(start, start + pages * PAGE_SIZE);
        true
    }

    fn unmap(&mut self, start: u64, pages: u64) {
        for index in 0..pages {
            // SAFETY: the caller's page, no longer used; its frame came from
            // the frame allocator (`map_new`) and is mapped only here.
            let unmapped = unsafe { mapper::unmap_and_free(start + index * PAGE_SIZE) };
            debug_assert!(unmapped.is_ok(), "a heap page was not mapped");
            self.mapped_pages -= 1;
        }
    }

    /// Virtual addresses for `len` bytes at a multiple of `align`: the first
    /// freed run that holds them, else fresh ones at `top`.
    fn take(&mut self, len: u64, align: u64) -> Result<u64, PagesError> {
        for i in 0..self.free_count {
            let run = self.free[i];
            let start = run.start.next_multiple_of(align);
            if start.checked_add(len).is_some_and(|end| end <= run.end) {
                self.remove(i);
                // What the alignment skipped and what is left stay free.
                self.give_back(run.start, start);
                self.give_back(start + len, run.end);
                return Ok(start);
            }
        }
        let start = self.top.next_multiple_of(align);
        let end = start.checked_add(len).ok_or(PagesError::WindowFull)?;
        if end > self.end {
            return Err(PagesError::WindowFull);
        }
        let skipped = self.top;
        self.top = end;
        self.give_back(skipped, start);
        Ok(start)
    }

    fn remove(&mut self, index: usize) {
        self.free.copy_within(index + 1..self.free_count, index);
        self.free_count -= 1;
    }

    /// Makes the addresses `[start, end)` available again: merged with the
    /// runs it touches, or lowers `top` when it ends there.
    fn give_back(&mut self, mut start: u64, mut end: u64) {
        if start >= end {
            return;
        }
        // Where it goes in the sorted list.
        let mut index = self.free[..self.free_count].partition_point(|run| run.end < start);
        if index < self.free_count && self.free[index].end == start {
            start = self.free[index].start;
            self.remove(index);
        }
        if index < self.free_count && self.free[index].start == end {
            end = self.free[index].end;
            self.remove(index);
        }
        if end == self.top {
            self.top = start;
            return;
        }
        if self.free_count == MAX_FREE_RUNS {
            // No room to remember it: those addresses stay unused.
            return;
        }
        index = index.min(self.free_count);
        self.free.copy_within(index..self.free_count, index + 1);
        self.free[index] = Run { start, end };
        self.free_count += 1;
    }
}
