//! The `heap` module (src/heap/): once it is the global allocator, blocks of
//! many sizes and alignments are aligned, disjoint and keep their contents
//! while others are freed in random order; freed memory is reused; the heap
//! grows past what the starter heap could ever hold (counted in mapped
//! pages) and gives the frames back; running out of frames is a null, not
//! a crash; a double free panics.

#![no_std]
#![no_main]

extern crate alloc;

extern crate multiboot2_modules_apic_smp as kernel;

use alloc::alloc::{alloc, dealloc};
use alloc::boxed::Box;
use alloc::vec::Vec;
use core::alloc::Layout;
use core::hint::black_box;

use kernel::boot::BootInfo;
use kernel::heap::{self, HeapInitError};
use kernel::memory::frame_allocator::{self, FrameInitError};
use kernel::sync::Once;
use kernel::{allocator, kernel_test};

kernel::entry_point!(main);

const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const PAGE_SIZE: usize = 4096;

static BOOT_INFO: Once<&'static BootInfo> = Once::new();
/// A block the starter heap gave out before the kernel heap took over.
static EARLY_BLOCK: Once<usize> = Once::new();
const EARLY_LAYOUT: Layout = match Layout::from_size_align(256, 16) {
    Ok(layout) => layout,
    Err(_) => panic!("a valid layout"),
};

fn main(boot_info: &'static BootInfo) -> ! {
    let _ = BOOT_INFO.set(boot_info);
    // Places the starter heap and runs the tests; each test sets up the
    // memory module and the kernel heap on first use, as `main.rs` does.
    kernel::testing::test_kernel_main(boot_info)
}

fn setup() {
    let info = BOOT_INFO.get().expect("main stores the boot information");
    match frame_allocator::init(info) {
        Ok(_) | Err(FrameInitError::AlreadyInitialised) => {}
        Err(error) => panic!("frame allocator: {error:?}"),
    }
    if EARLY_BLOCK.get().is_none() {
        // SAFETY: a valid, non-zero layout.
        let block = unsafe { alloc(EARLY_LAYOUT) };
        assert!(!block.is_null());
        let _ = EARLY_BLOCK.set(block as usize);
    }
    match heap::init() {
        Ok(_) | Err(HeapInitError::AlreadyReplaced) => {}
        Err(error) => panic!("heap: {error:?}"),
    }
}

fn in_kernel_heap(address: usize) -> bool {
    heap::window().contains(&(address as u64))
}

fn free_frames() -> usize {
    frame_allocator::stats().expect("initialised").free
}

/// xorshift64 (Marsaglia, "Xorshift RNGs", J. Stat. Soft. 8(14), 2003; the
/// 13/7/17 triple): a fixed seed gives the same order on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// A live block with a pattern in it.
struct Block {
    ptr: *mut u8,
    layout: Layout,
    tag: u8,
}

impl Block {
    fn new(layout: Layout, tag: u8) -> Self {
        // SAFETY: every layout used here has a non-zero size.
        let ptr = unsafe { alloc(layout) };
        assert!(!ptr.is_null(), "{layout:?} failed");
        let address = ptr as usize;
        assert_eq!(address % layout.align(), 0, "{layout:?} at {address:#x}");
        assert!(
            in_kernel_heap(address),
            "{layout:?} at {address:#x}: not the kernel heap"
        );
        // SAFETY: `layout.size()` bytes at `ptr` are ours.
        unsafe { core::ptr::write_bytes(ptr, tag, layout.size()) };
        Self { ptr, layout, tag }
    }

    /// The pattern is intact: no other block overlapped this one.
    fn check(&self) {
        // SAFETY: a live block of `layout.size()` bytes, written in `new`.
        let bytes = unsafe { core::slice::from_raw_parts(self.ptr, self.layout.size()) };
        let intact = bytes.iter().all(|&byte| byte == self.tag);
        assert!(
            intact,
            "block {:p} ({:?}) overwritten",
            self.ptr, self.layout
        );
    }

    fn free(self) {
        self.check();
        // SAFETY: allocated in `new` with this layout, freed once.
        unsafe { dealloc(self.ptr, self.layout) };
    }
}

/// Frees `blocks` in random order, checking the others after each free.
fn free_in_random_order(mut blocks: Vec<Block>, rng: &mut Rng) {
    while !blocks.is_empty() {
        let block = blocks.swap_remove(rng.below(blocks.len()));
        block.free();
        if let Some(other) = blocks.get(rng.below(blocks.len().max(1))) {
            other.check();
        }
    }
}

kernel_test! {
    fn many_sizes_and_alignments_are_served() {
        setup();
        let sizes = [
            1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 33, 63, 65, 100, 127, 129, 255, 257, 511, 513,
            1000, 1023, 1025, 2047, 2048, 2049, 3000, 4095, 4096, 4097, 10_000, 65_537,
        ];
        let aligns = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 65_536];
        let mut blocks = Vec::with_capacity(sizes.len() * aligns.len());
        for (i, &size) in sizes.iter().enumerate() {
            for (j, &align) in aligns.iter().enumerate() {
                let layout = Layout::from_size_align(size, align).expect("valid");
                blocks.push(Block::new(layout, (i * aligns.len() + j) as u8));
            }
        }
        for block in &blocks {
            block.check();
        }
        free_in_random_order(blocks, &mut Rng(0x9e37_79b9_7f4a_7c15));
    }
}

kernel_test! {
    fn random_frees_leave_the_rest_intact_and_memory_is_reused() {
        setup();
        // Two identical rounds: the second must fit in what the first
        // mapped (freed slots and pages are reused, not left behind).
        let mut after_round = [0; 2];
        for round in after_round.iter_mut() {
            let mut rng = Rng(0x2545_f491_4f6c_dd1d);
            let mut blocks = Vec::with_capacity(600);
            for step in 0..600 {
                let size = 1 + rng.below(if step % 10 == 0 { 20_000 } else { 3000 });
                let align = 1 << rng.below(9);
                let layout = Layout::from_size_align(size, align).expect("valid");
                blocks.push(Block::new(layout, step as u8));
                // Every third step frees a random block.
                if step % 3 == 2 {
                    let block = blocks.swap_remove(rng.below(blocks.len()));
                    block.free();
                }
            }
            for block in &blocks {
                block.check();
            }
            free_in_random_order(blocks, &mut rng);
            *round = heap::stats().peak_pages;
        }
        assert_eq!(after_round[0], after_round[1], "the second round needed more pages");
        let stats = heap::stats();
        assert_eq!(stats.small_bytes_in_use, 0, "{stats:?}");
        assert_eq!(stats.mapped_pages, stats.slab_pages, "large blocks left mapped: {stats:?}");
    }
}

kernel_test! {
    fn a_freed_block_is_handed_out_again() {
        setup();
        // `black_box` throughout: the optimiser may remove allocations
        // that nothing reads.
        let small = black_box(Box::new([7u8; 48]));
        let address = black_box(&*small).as_ptr() as usize;
        drop(small);
        let again = black_box(Box::new([8u8; 48]));
        assert_eq!(black_box(&*again).as_ptr() as usize, address, "slot reused");

        let pages_before = heap::stats().mapped_pages;
        let large: Vec<u8> = black_box(alloc::vec![1; 64 * KIB]);
        let address = large.as_ptr() as usize;
        assert_eq!(heap::stats().mapped_pages, pages_before + 64 * KIB / PAGE_SIZE);
        drop(large);
        assert_eq!(heap::stats().mapped_pages, pages_before, "pages unmapped");
        let again: Vec<u8> = black_box(alloc::vec![2; 64 * KIB]);
        assert_eq!(again.as_ptr() as usize, address, "addresses reused");

        // Runs freed below others: reused, and merged when they touch (the
        // middle one with both neighbours).
        let first: Vec<u8> = black_box(alloc::vec![3; 64 * KIB]);
        let middle: Vec<u8> = black_box(alloc::vec![4; 64 * KIB]);
        let third: Vec<u8> = black_box(alloc::vec![5; 64 * KIB]);
        let above: Vec<u8> = black_box(alloc::vec![6; 64 * KIB]);
        let start = first.as_ptr() as usize;
        assert_eq!(third.as_ptr() as usize, start + 128 * KIB, "fresh runs are consecutive");
        drop(first);
        let reused: Vec<u8> = black_box(alloc::vec![7; 64 * KIB]);
        assert_eq!(reused.as_ptr() as usize, start, "a freed run reused");
        drop(reused);
        drop(third);
        drop(middle);
        let merged: Vec<u8> = black_box(alloc::vec![8; 192 * KIB]);
        assert_eq!(merged.as_ptr() as usize, start, "three freed runs merged");
        assert!(above.iter().all(|&byte| byte == 6));
    }
}

kernel_test! {
    fn grows_past_the_starter_heap_and_gives_the_frames_back() {
        setup();
        // More than the starter heap can ever hold.
        let total = allocator::HEAP_MAX_SIZE + 8 * MIB;
        let count = total / MIB;
        let mut blocks: Vec<Vec<u8>> = Vec::with_capacity(count);
        let pages_before = heap::stats().mapped_pages;
        let frames_before = free_frames();
        for i in 0..count {
            blocks.push(alloc::vec![i as u8; MIB]);
        }
        let grown = heap::stats().mapped_pages - pages_before;
        assert!(grown >= total / PAGE_SIZE, "only {grown} pages mapped for {total} bytes");
        assert!(frames_before - free_frames() >= total / PAGE_SIZE);
        for (i, block) in blocks.iter().enumerate() {
            assert!(block.iter().all(|&byte| byte == i as u8), "block {i} overwritten");
        }
        blocks.clear();
        assert_eq!(heap::stats().mapped_pages, pages_before, "pages unmapped");
        // The page tables built for the window stay; every page's frame is back.
        assert!(frames_before - free_frames() < count, "frames not given back");
    }
}

kernel_test! {
    fn running_out_of_frames_is_a_null_and_rolls_back() {
        setup();
        // Two rounds: the first builds the window's page tables (they stay),
        // so the second must end with exactly the frames it started with.
        let layout = Layout::from_size_align(MIB, PAGE_SIZE).expect("valid");
        let mut blocks: Vec<*mut u8> = Vec::with_capacity(free_frames() / 256 + 8);
        let mut results = [(0, 0); 2];
        for result in results.iter_mut() {
            let frames_before = free_frames();
            let pages_before = heap::stats().mapped_pages;
            loop {
                // SAFETY: a valid, non-zero layout.
                let block = unsafe { alloc(layout) };
                if block.is_null() {
                    break;
                }
                blocks.push(black_box(block));
            }
            assert!(free_frames() < 256, "stopped with {} frames left", free_frames());
            let allocated = blocks.len();
            for block in blocks.drain(..) {
                // SAFETY: allocated above with `layout`.
                unsafe { dealloc(block, layout) };
            }
            // The allocation that failed halfway mapped nothing for good.
            assert_eq!(heap::stats().mapped_pages, pages_before, "pages left mapped");
            *result = (allocated, frames_before - free_frames());
        }
        assert!(results[1].0 > 0 && results[0].0 == results[1].0, "{results:?}");
        assert_eq!(results[1].1, 0, "a failed allocation kept frames");
    }
}

kernel_test! {
    fn a_block_from_before_the_switch_goes_back_to_the_starter_heap() {
        setup();
        let early = *EARLY_BLOCK.get().expect("setup allocated it");
        assert!(!in_kernel_heap(early), "allocated before the switch");
        let starter_before = allocator::stats().free;
        // SAFETY: allocated in `setup` with this layout, freed only here.
        unsafe { dealloc(early as *mut u8, EARLY_LAYOUT) };
        assert_eq!(allocator::stats().free, starter_before + EARLY_LAYOUT.size());
    }
}

kernel_test! {
    #[should_panic(expected = "double free")]
    fn a_double_free_panics() {
        setup();
        let layout = Layout::from_size_align(3 * PAGE_SIZE, PAGE_SIZE).expect("valid");
        // SAFETY: a valid, non-zero layout. `black_box`: the optimiser may
        // remove an allocation nobody uses, and the frees with it.
        let block = black_box(unsafe { alloc(layout) });
        assert!(!block.is_null());
        // SAFETY: allocated above.
        unsafe { dealloc(block, layout) };
        // SAFETY: deliberately wrong: the heap must notice.
        unsafe { dealloc(block, layout) };
    }
}
