//! The heap allocator (`src/allocator.rs`) at its edges: alignments that do
//! not fit in the address space, double frees, splits that leave a little
//! memory over, and where the heap goes in a memory map with overlapping
//! regions. Most tests use a small heap of their own on the stack, so they
//! see exactly which blocks are free.

#![no_std]
#![no_main]

extern crate alloc;

extern crate multiboot2_modules_pic_timer_keyboard as kernel;

use alloc::boxed::Box;
use core::alloc::Layout;
use core::hint::black_box;
use core::ptr;

use kernel::allocator::{self, FreeError, LinkedListHeap};
use kernel::boot_info::{BootInfo, Loader, MemoryKind, MemoryRegion};
use kernel::kernel_test;

kernel::entry_point!(kernel::testing::test_kernel_main);

const MIB: u64 = 1024 * 1024;

/// Memory for a test heap: 16-byte aligned, like the heap's blocks.
#[repr(align(16))]
struct Arena<const N: usize>([u8; N]);

/// A heap over `arena`.
fn heap_in<const N: usize>(arena: &mut Arena<N>) -> LinkedListHeap {
    let mut heap = LinkedListHeap::empty();
    // SAFETY: the arena is memory of this test's stack frame that nothing
    // else uses while the heap does (the heap lives no longer than the test).
    unsafe { heap.init(arena.0.as_mut_ptr() as usize, N) };
    heap
}

fn layout(size: usize) -> Layout {
    Layout::from_size_align(size, 8).expect("a valid layout")
}

/// Frees `block` of `size` bytes (alignment 8) on a test heap.
fn free_block(heap: &mut LinkedListHeap, block: *mut u8, size: usize) -> Result<(), FreeError> {
    // SAFETY: the tests pass blocks they allocated from `heap` with this
    // layout and no longer use, or - to test the checks - blocks that are
    // free already or not from this heap, which `deallocate` refuses before
    // it touches any memory.
    unsafe { heap.deallocate(block, layout(size)) }
}

kernel_test! {
    fn align_up_does_not_overflow_at_the_top_of_memory() {
        // Limine's HHDM puts the heap at 0xffff8000_00000000 and above:
        // `value + align - 1` passes 2^64 there for alignments of 2^47 and
        // more, so there is no aligned address to return.
        let hhdm_heap = 0xffff_8000_0010_0000_usize;
        assert_eq!(allocator::align_up(hhdm_heap, 1 << 47), None);
        assert_eq!(allocator::align_up(hhdm_heap, 1 << 62), None);
        assert_eq!(allocator::align_up(hhdm_heap, 1 << 63), None);
        assert_eq!(allocator::align_up(usize::MAX - 7, 16), None);
        // Up to the last aligned address, rounding still works.
        assert_eq!(allocator::align_up(usize::MAX - 15, 16), Some(usize::MAX - 15));
        assert_eq!(allocator::align_up(hhdm_heap, 4096), Some(hhdm_heap));
        assert_eq!(allocator::align_up(hhdm_heap + 1, 4096), Some(hhdm_heap + 4096));
        assert_eq!(allocator::align_up(hhdm_heap + 1, 1 << 46), Some(0xffff_c000_0000_0000));
    }
}

kernel_test! {
    fn huge_alignment_returns_null() {
        // GlobalAlloc's contract: failure is null, not a panic or a wrap.
        // (2^62 is the largest alignment a `Layout` of 8 bytes may have: its
        // size rounded up to the alignment must fit in an `isize`.)
        for shift in [47, 62] {
            let huge = Layout::from_size_align(8, 1 << shift).expect("a valid layout");
            // SAFETY: the layout has a non-zero size; a non-null result would
            // be freed below with the same layout.
            let block = unsafe { alloc::alloc::alloc(huge) };
            assert!(block.is_null(), "alignment 2^{shift} gave {block:p}");
        }
        // The heap is still usable (its lock was not left held).
        assert_eq!(*Box::new(7u8), 7);
    }
}

kernel_test! {
    fn small_leftovers_do_not_refuse_a_fitting_request() {
        let mut arena = Arena([0; 64]);
        let mut heap = heap_in(&mut arena);
        let a = heap.allocate(layout(24));
        let b = heap.allocate(layout(16));
        assert!(!a.is_null() && !b.is_null());
        free_block(&mut heap, a, 24).expect("a single free");
        // `a`'s block holds 16 bytes however the heap rounded it, and maybe
        // there is more behind `b`: a 16-byte request fits somewhere.
        let free = heap.stats().free;
        assert!(free >= 16);
        let c = heap.allocate(layout(16));
        assert!(!c.is_null(), "no room for 16 bytes with {free} bytes free");
    }
}

kernel_test! {
    fn every_request_up_to_the_free_size_fits_a_fresh_heap() {
        for arena_size in [16, 24, 32, 40, 48, 56, 64] {
            for size in 1..=64 {
                let mut arena = Arena([0; 64]);
                let mut heap = LinkedListHeap::empty();
                // SAFETY: as in `heap_in`: the arena is ours alone.
                unsafe { heap.init(arena.0.as_mut_ptr() as usize, arena_size) };
                let free = heap.stats().free;
                let block = heap.allocate(layout(size));
                if size <= free {
                    assert!(!block.is_null(), "{size} bytes refused with {free} free");
                }
            }
        }
    }
}

kernel_test! {
    fn double_free_is_refused_and_changes_nothing() {
        let mut arena = Arena([0; 256]);
        let mut heap = heap_in(&mut arena);
        let total = heap.stats().free;
        let a = heap.allocate(layout(32));
        let b = heap.allocate(layout(32));
        let c = heap.allocate(layout(32));
        assert!(!a.is_null() && !b.is_null() && !c.is_null());
        free_block(&mut heap, b, 32).expect("the first free");
        let free = heap.stats().free;
        // Freed just now.
        assert_eq!(free_block(&mut heap, b, 32), Err(FreeError::DoubleFree));
        // Merged into a larger free block (`a` and `b` touch).
        free_block(&mut heap, a, 32).expect("the first free");
        assert_eq!(free_block(&mut heap, a, 32), Err(FreeError::DoubleFree));
        assert_eq!(free_block(&mut heap, b, 32), Err(FreeError::DoubleFree));
        assert_eq!(heap.stats().free, free + 32);
        // The list has no cycle and no block twice: the free memory is handed
        // out once, and then nothing is left.
        free_block(&mut heap, c, 32).expect("the first free");
        assert_eq!(heap.stats().free, total);
        assert!(!heap.allocate(layout(total)).is_null());
        assert!(heap.allocate(layout(16)).is_null());
        // A pointer that is not a heap block is refused too.
        let outside = ptr::dangling_mut::<u64>().cast::<u8>();
        assert_eq!(free_block(&mut heap, outside, 8), Err(FreeError::NotFromHeap));
    }
}

kernel_test! {
    #[should_panic(expected = "double free of the heap block at")]
    fn double_free_panics() {
        let block = Box::into_raw(Box::new([1u64; 4]));
        let layout = Layout::new::<[u64; 4]>();
        // `black_box`: the optimiser may remove an allocation and a free it
        // can see together (and a second free is undefined behaviour it may
        // assume away); hiding the pointer keeps both calls in release builds.
        // SAFETY: `block` came from the global allocator with `layout`; the
        // second free is the mistake under test, which must panic.
        unsafe {
            alloc::alloc::dealloc(black_box(block).cast(), layout);
            alloc::alloc::dealloc(black_box(block).cast(), layout);
        }
    }
}

kernel_test! {
    fn heap_works_after_a_double_free_panic() {
        // Runs after `double_free_panics` (tests run in name order): the
        // panic must not have left the heap locked.
        assert_eq!(*Box::new(9u16), 9);
    }
}

kernel_test! {
    fn heap_avoids_reserved_memory_inside_a_usable_region() {
        // A firmware map whose usable region overlaps a reserved one.
        let mut info = BootInfo::new(Loader::Multiboot2, 0);
        info.push_memory_region(MemoryRegion {
            start: 16 * MIB,
            len: 48 * MIB,
            kind: MemoryKind::Usable,
        });
        info.push_memory_region(MemoryRegion {
            start: 40 * MIB,
            len: MIB,
            kind: MemoryKind::Reserved,
        });
        // The larger usable part: [16, 40) MiB, not [41, 64) MiB.
        assert_eq!(allocator::heap_region(&info), Some((16 * MIB, 40 * MIB)));
    }
}
