//! The kernel heap: Rust's global allocator once [`init`] ran, backed by the
//! `memory` module (frames from the frame allocator, mapped by the page
//! mapper), growing on demand and giving memory back.
//!
//! Two paths, chosen by the request's layout alone (so `dealloc`, which gets
//! the same layout, takes the same path):
//!
//! * up to 2 KiB (size and alignment): size classes, pages cut into equal
//!   power-of-two slots ([`size_classes`]); O(1) allocate and free;
//! * anything larger or more aligned: whole pages of the heap's virtual
//!   window ([`pages`]), each backed by a frame mapped for it and unmapped
//!   (the frame returned) when the block is freed.
//!
//! Why not a buddy system: a buddy allocator rounds every block up to a
//! power of two, so a 65 KiB buffer holds 128 KiB of RAM, and it must find
//! that much contiguous memory. With paging only the virtual addresses of a
//! large block need be contiguous; its frames can come from anywhere, so the
//! page path wastes less than a page per block and never fails for want of
//! contiguous RAM while frames are left. Below a page, size classes round to
//! powers of two as a buddy's small orders would, without splitting and
//! merging on every call.
//!
//! The heap starts empty: no page is mapped until the first allocation, and
//! it grows a page (a slab) or a run of pages (a large block) at a time,
//! for as long as the frame allocator has frames. `stats().mapped_pages`
//! counts the pages it holds now.
//!
//! [`init`] takes over from the starter heap (`allocator::replace`): every
//! allocation from then on is served here; blocks the starter heap gave out
//! before go back to it when freed.
//!
//! One lock guards the heap, taken inside the allocator calls; the mapper
//! and frame allocator it calls never allocate. An interrupt handler that
//! allocates while the interrupted code holds the lock would wait forever:
//! do not allocate in interrupt handlers (or disable interrupts around
//! allocations once they are enabled).

pub mod pages;
pub mod size_classes;

use core::alloc::{GlobalAlloc, Layout};
use core::ops::Range;

use crate::allocator;
use crate::memory::mapper::{self, MapError};
use crate::memory::paging::PAGE_SIZE;
use crate::sync::SpinLock;
use pages::{PageWindow, PagesError};
use size_classes::SizeClasses;

/// Top-level page-table entries the heap's virtual window spans: 1 TiB of
/// addresses with 4-level paging (512 GiB each, Intel SDM Vol. 3A §4.5),
/// far more than any RAM it could be backed by; only what is used is mapped.
pub const WINDOW_ENTRIES: usize = 2;

/// Why the heap could not take over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeapInitError {
    /// The page mapper found no room for the window, or the frame
    /// allocator is not set up (`memory::frame_allocator::init`).
    NoWindow(MapError),
    /// The global allocator was replaced before (this runs once).
    AlreadyReplaced,
}

/// Why a block could not be freed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FreeError {
    /// The pages are not mapped: freed already.
    DoubleFree,
    /// The pointer is not a block of this heap.
    NotFromHeap,
}

/// Usage numbers, for the boot summary and the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeapStats {
    /// Pages of the window mapped now (slabs and large blocks).
    pub mapped_pages: usize,
    /// The most pages mapped at once.
    pub peak_pages: usize,
    /// Of `mapped_pages`, those cut into size-class slots.
    pub slab_pages: usize,
    /// Bytes in size-class slots handed out (whole slots).
    pub small_bytes_in_use: usize,
}

struct Heap {
    classes: SizeClasses,
    window: PageWindow,
}

impl Heap {
    /// The pages a large block of `layout` takes, and their alignment.
    fn large_pages(layout: Layout) -> (u64, u64) {
        let pages = (layout.size().max(1) as u64).div_ceil(PAGE_SIZE);
        (pages, (layout.align() as u64).max(PAGE_SIZE))
    }

    fn allocate(&mut self, layout: Layout) -> Result<*mut u8, PagesError> {
        match size_classes::class_of(layout) {
            Some(class) => self.classes.allocate(class, &mut self.window),
            None => {
                let (pages, align) = Self::large_pages(layout);
                let start = self.window.allocate(pages, align)?;
                Ok(start as *mut u8)
            }
        }
    }

    /// # Safety
    /// `ptr` must come from `allocate` with `layout`, and not be used again.
    unsafe fn deallocate(&mut self, ptr: *mut u8, layout: Layout) -> Result<(), FreeError> {
        let address = ptr as u64;
        if !self.window.contains(address) {
            return Err(FreeError::NotFromHeap);
        }
        match size_classes::class_of(layout) {
            Some(class) => {
                if address % size_classes::slot_size(class) as u64 != 0 {
                    return Err(FreeError::NotFromHeap);
                }
                // SAFETY: forwarded from the caller: a slot of this class.
                unsafe { self.classes.free(class, ptr) };
                Ok(())
            }
            None => {
                let (pages, align) = Self::large_pages(layout);
                if address % align != 0 {
                    return Err(FreeError::NotFromHeap);
                }
                // SAFETY: forwarded from the caller: the block's pages.
                match unsafe { self.window.free(address, pages) } {
                    true => Ok(()),
                    false => Err(FreeError::DoubleFree),
                }
            }
        }
    }

    fn stats(&self) -> HeapStats {
        HeapStats {
            mapped_pages: self.window.mapped_pages(),
            peak_pages: self.window.peak_pages(),
            slab_pages: self.classes.pages(),
            small_bytes_in_use: self.classes.bytes_in_use(),
        }
    }
}

/// The heap behind its lock, as a `GlobalAlloc`.
pub struct KernelHeap(SpinLock<Heap>);

// SAFETY: blocks are aligned to `layout.align()` (slots to their power-of-two
// size, large blocks to at least a page), at least `layout.size()` bytes,
// disjoint (each slot or page is handed out once until freed), and null
// signals failure.
unsafe impl GlobalAlloc for KernelHeap {
    // `unwrap_or_default` would need `*mut u8: Default`, which is newer
    // (Rust 1.88) than this crate's rust-version.
    #[allow(clippy::manual_unwrap_or_default)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // Out of frames or of window: null, and the caller reports it.
        match self.0.lock().allocate(layout) {
            Ok(block) => block,
            Err(_) => core::ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: GlobalAlloc's contract: `ptr` came from `alloc` with `layout`.
        let result = unsafe { self.0.lock().deallocate(ptr, layout) };
        // The lock is released by now: the panic handler may allocate.
        match result {
            Ok(()) => {}
            Err(FreeError::DoubleFree) => panic!("double free of the heap block at {ptr:p}"),
            Err(FreeError::NotFromHeap) => panic!("dealloc of {ptr:p}, which is not a heap block"),
        }
    }
}

static HEAP: KernelHeap = KernelHeap(SpinLock::new(Heap {
    classes: SizeClasses::new(),
    window: PageWindow::empty(),
}));

/// Reserves the heap's virtual window and makes this heap the global
/// allocator. Needs the frame allocator. Returns the window.
pub fn init() -> Result<Range<u64>, HeapInitError> {
    if !window().is_empty() {
        return Err(HeapInitError::AlreadyReplaced);
    }
    let range = mapper::reserve_window(WINDOW_ENTRIES).map_err(HeapInitError::NoWindow)?;
    HEAP.0.lock().window.place(range.clone());
    allocator::replace(&HEAP).map_err(|_| HeapInitError::AlreadyReplaced)?;
    Ok(range)
}

/// The heap's virtual window (empty before [`init`]).
pub fn window() -> Range<u64> {
    HEAP.0.lock().window.range()
}

/// Current usage.
pub fn stats() -> HeapStats {
    HEAP.0.lock().stats()
}
