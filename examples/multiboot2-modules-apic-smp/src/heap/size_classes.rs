//! Small allocations: size classes of 16 bytes to 2 KiB (powers of two),
//! each served from whole pages cut into equal slots (a slab per class).
//!
//! A request takes the smallest class that holds both its size and its
//! alignment. A page of a class holds `4096 / size` slots, and as pages and
//! sizes are powers of two every slot is aligned to its size, so to the
//! request's alignment: no search, no headers, no splitting. A free slot
//! holds the address of the next free slot of its class (a free list
//! threaded through the free memory itself), so allocating and freeing are
//! a pop and a push.
//!
//! The price is internal fragmentation (a 300-byte request takes 512
//! bytes: at most half a slot is lost) and pages stay with their class once
//! cut (a page returns to the frame allocator only through the large path).
//! Kernels allocate the same few sizes again and again, so the pages a class
//! took are reused by the next objects of that size.

use core::alloc::Layout;
use core::ptr;

use crate::memory::paging::PAGE_SIZE;

use super::pages::{PageWindow, PagesError};

/// The smallest slot: room for a free slot's link (8 bytes), rounded to
/// 16 so that every slot suits the 16-byte alignment of `u128` and SSE
/// values.
pub const MIN_SLOT: usize = 16;
/// The largest slot: half a page. Anything larger (or more aligned) takes
/// whole pages.
pub const MAX_SLOT: usize = 2048;
/// How many classes there are: 16, 32, 64, 128, 256, 512, 1024, 2048.
pub const CLASSES: usize = (MAX_SLOT.trailing_zeros() - MIN_SLOT.trailing_zeros() + 1) as usize;

/// A free slot: the link to the next one of its class.
struct FreeSlot {
    next: *mut FreeSlot,
}

/// The class for `layout`, or `None` when it needs whole pages.
pub fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(MIN_SLOT);
    if size > MAX_SLOT {
        return None;
    }
    let slot = size.next_power_of_two();
    Some((slot.trailing_zeros() - MIN_SLOT.trailing_zeros()) as usize)
}

/// The slot size of `class`.
pub const fn slot_size(class: usize) -> usize {
    MIN_SLOT << class
}

pub struct SizeClasses {
    /// The first free slot of each class (null: none).
    free: [*mut FreeSlot; CLASSES],
    /// Pages cut into slots, per class.
    pages: [usize; CLASSES],
    /// Slots handed out and not freed, per class.
    in_use: [usize; CLASSES],
}

// SAFETY: the free lists point into heap pages the allocator owns
// exclusively; moving it to another CPU is fine.
unsafe impl Send for SizeClasses {}

impl SizeClasses {
    pub const fn new() -> Self {
        Self {
            free: [ptr::null_mut(); CLASSES],
            pages: [0; CLASSES],
            in_use: [0; CLASSES],
        }
    }

    /// A free slot of `class`, cutting a new page from `window` when the
    /// class has none.
    pub fn allocate(
        &mut self,
        class: usize,
        window: &mut PageWindow,
    ) -> Result<*mut u8, PagesError> {
        if self.free[class].is_null() {
            self.refill(class, window)?;
        }
        let slot = self.free[class];
        // SAFETY: a free slot of this class (list invariant): it holds the
        // link to the next one.
        self.free[class] = unsafe { (*slot).next };
        self.in_use[class] += 1;
        Ok(slot.cast())
    }

    /// Puts `ptr` back on its class's list.
    ///
    /// # Safety
    /// `ptr` must be a slot of `class` from [`SizeClasses::allocate`], no
    /// longer used.
    pub unsafe fn free(&mut self, class: usize, ptr: *mut u8) {
        let slot = ptr.cast::<FreeSlot>();
        // SAFETY: the slot is ours again, at least MIN_SLOT bytes and aligned
        // to its size.
        unsafe {
            slot.write(FreeSlot {
                next: self.free[class],
            })
        };
        self.free[class] = slot;
        self.in_use[class] -= 1;
    }

    /// Cuts a new page into slots of `class` and puts them on its list, the
    /// lowest address first.
    fn refill(&mut self, class: usize, window: &mut PageWindow) -> Result<(), PagesError> {
        let page = window.allocate(1, PAGE_SIZE)?;
        let size = slot_size(class) as u64;
        let mut offset = PAGE_SIZE;
        while offset > 0 {
            offset -= size;
            let slot = (page + offset) as *mut FreeSlot;
            // SAFETY: the page was just mapped writable for us; every slot
            // lies inside it, aligned to its size.
            unsafe {
                slot.write(FreeSlot {
                    next: self.free[class],
                })
            };
            self.free[class] = slot;
        }
        self.pages[class] += 1;
        Ok(())
    }

    /// Pages cut into slots, over all classes.
    pub fn pages(&self) -> usize {
        self.pages.iter().sum()
    }

    /// Bytes handed out in slots and not freed (whole slots).
    pub fn bytes_in_use(&self) -> usize {
        (0..CLASSES)
            .map(|class| self.in_use[class] * slot_size(class))
            .sum()
    }
}

impl Default for SizeClasses {
    fn default() -> Self {
        Self::new()
    }
}
