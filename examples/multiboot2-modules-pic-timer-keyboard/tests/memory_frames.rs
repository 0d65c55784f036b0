//! The `memory` module's frame allocator (src/memory/frame_allocator.rs):
//! it hands out every free frame exactly once, each one usable RAM outside the
//! kernel image, the boot information, the boot modules, the starter heap,
//! low memory and its own bitmap; freed frames come back; double frees and
//! frames it does not manage are refused. The checks compare with the memory
//! map and the boot information, not with the allocator's own bookkeeping.

#![no_std]
#![no_main]

extern crate alloc;

extern crate multiboot2_modules_pic_timer_keyboard as kernel;

use alloc::vec::Vec;

use kernel::boot::{BootInfo, Loader, MemoryKind};
use kernel::memory::frame_allocator::{self, FrameFreeError, FrameInitError, FrameStats};
use kernel::sync::Once;
use kernel::{allocator, kernel_test};

kernel::entry_point!(main);

const PAGE_SIZE: u64 = 4096;
/// Memory below 1 MiB is firmware's (BIOS data area, EBDA, option ROMs).
const LOW_MEMORY_END: u64 = 0x10_0000;

static BOOT_INFO: Once<&'static BootInfo> = Once::new();

fn main(boot_info: &'static BootInfo) -> ! {
    let _ = BOOT_INFO.set(boot_info);
    // Places the starter heap, then runs the tests; each sets the frame
    // allocator up on first use, after the heap, as `main.rs` does.
    kernel::testing::test_kernel_main(boot_info)
}

/// The boot information, with the frame allocator set up.
fn setup() -> (&'static BootInfo, FrameStats) {
    let info = BOOT_INFO.get().expect("main stores the boot information");
    match frame_allocator::init(info) {
        Ok(_) | Err(FrameInitError::AlreadyInitialised) => {}
        Err(error) => panic!("frame allocator: {error:?}"),
    }
    (info, frame_allocator::stats().expect("initialised"))
}

fn overlaps(frame: u64, (start, end): (u64, u64)) -> bool {
    frame < end && start < frame + PAGE_SIZE
}

/// Every range the allocator must keep out of, from the boot information.
fn forbidden(info: &BootInfo, stats: &FrameStats) -> Vec<(&'static str, (u64, u64))> {
    let mut ranges = Vec::new();
    ranges.push(("low memory", (0, LOW_MEMORY_END)));
    ranges.push(("kernel image", info.kernel_physical_range()));
    let heap = allocator::stats();
    let heap_start = heap.start as u64 - info.physical_memory_offset;
    ranges.push(("starter heap", (heap_start, heap_start + heap.size as u64)));
    ranges.push(("bitmap", stats.bitmap));
    if info.loader == Loader::Multiboot2 {
        let raw = info.raw_info_address;
        let size = info.physical_to_virtual(raw) as *const u32;
        // SAFETY: the Multiboot2 information stays where GRUB put it, in
        // mapped memory; its first field is its size (Multiboot2 §3.6.1).
        let size = u64::from(unsafe { size.read_unaligned() });
        ranges.push(("Multiboot2 information", (raw, raw + size)));
    } else if info.loader == Loader::Pvh {
        ranges.push((
            "PVH start info",
            (info.raw_info_address, info.raw_info_address + 1),
        ));
    }
    for module in info.modules() {
        ranges.push(("boot module", (module.start, module.end())));
    }
    for region in info.memory_regions() {
        if region.kind != MemoryKind::Usable {
            ranges.push((region.kind.name(), (region.start, region.end())));
        }
    }
    ranges
}

kernel_test! {
    fn hands_out_every_free_frame_once_and_only_usable_ram() {
        let (info, stats) = setup();
        assert!(stats.free > 0 && stats.free == stats.total, "{stats:?}");
        let forbidden = forbidden(info, &stats);

        let mut frames = Vec::with_capacity(stats.free);
        while let Some(frame) = frame_allocator::allocate() {
            assert!(frames.len() < stats.free, "more frames than the {} free", stats.free);
            frames.push(frame);
        }
        assert_eq!(frames.len(), stats.free, "every free frame is handed out");
        assert_eq!(frame_allocator::stats().map(|s| s.free), Some(0));
        assert_eq!(frame_allocator::allocate(), None, "none left");

        for &frame in &frames {
            assert_eq!(frame % PAGE_SIZE, 0, "{frame:#x} is not a frame");
            let usable = info.memory_regions().iter().any(|region| {
                region.kind == MemoryKind::Usable
                    && region.start <= frame
                    && frame + PAGE_SIZE <= region.end()
            });
            assert!(usable, "{frame:#x} is not wholly in a usable region");
            for &(what, range) in &forbidden {
                assert!(!overlaps(frame, range), "{frame:#x} overlaps the {what} {range:x?}");
            }
        }
        // Each frame is memory of its own: write its address into it, then
        // read them all back (a frame handed out twice keeps the last value).
        for &frame in &frames {
            let word = info.physical_to_virtual(frame) as *mut u64;
            // SAFETY: the frame is ours (just allocated) and usable RAM,
            // mapped at `physical + physical_memory_offset`.
            unsafe { word.write_volatile(frame) };
        }
        for &frame in &frames {
            let word = info.physical_to_virtual(frame) as *const u64;
            // SAFETY: as above.
            assert_eq!(unsafe { word.read_volatile() }, frame, "frame {frame:#x} is shared");
        }
        frames.sort_unstable();
        for pair in frames.windows(2) {
            assert_ne!(pair[0], pair[1], "{:#x} handed out twice", pair[0]);
        }

        // Everything else the map calls usable is accounted for: the
        // allocator keeps out only what it must.
        // (Page tables and boot modules have kinds of their own in the map.)
        let usable_frames = info.usable_memory() / PAGE_SIZE;
        let kept_out: u64 = forbidden
            .iter()
            .filter(|(what, _)| {
                ["low memory", "kernel image", "starter heap", "bitmap"].contains(what)
                    || what.ends_with("information")
                    || what.ends_with("start info")
            })
            .map(|(_, (start, end))| (end - start).div_ceil(PAGE_SIZE) + 1)
            .sum();
        // A partial frame at each end of each usable region.
        let slack = 2 * info.memory_regions().len() as u64;
        assert!(
            frames.len() as u64 + kept_out + slack >= usable_frames,
            "only {} of {usable_frames} usable frames are handed out",
            frames.len()
        );

        for &frame in &frames {
            // SAFETY: allocated above, no longer used.
            unsafe { frame_allocator::free(frame) }.expect("an allocated frame");
        }
        assert_eq!(frame_allocator::stats().map(|s| s.free), Some(stats.total));
    }
}

kernel_test! {
    fn freed_frames_are_handed_out_again() {
        let (_, before) = setup();
        let first = frame_allocator::allocate().expect("a frame");
        let second = frame_allocator::allocate().expect("a frame");
        assert_ne!(first, second);
        assert_eq!(frame_allocator::stats().map(|s| s.free), Some(before.free - 2));
        // SAFETY: allocated above, never used.
        unsafe { frame_allocator::free(first) }.expect("allocated");
        assert_eq!(frame_allocator::stats().map(|s| s.free), Some(before.free - 1));
        // The lowest free frame goes first: the one just freed.
        assert_eq!(frame_allocator::allocate(), Some(first));
        // SAFETY: as above.
        unsafe { frame_allocator::free(first) }.expect("allocated");
        // SAFETY: as above.
        unsafe { frame_allocator::free(second) }.expect("allocated");
        assert_eq!(frame_allocator::stats().map(|s| s.free), Some(before.free));
    }
}

kernel_test! {
    fn a_double_free_is_refused() {
        let (_, before) = setup();
        let frame = frame_allocator::allocate().expect("a frame");
        // SAFETY: allocated above, never used.
        assert_eq!(unsafe { frame_allocator::free(frame) }, Ok(()));
        // SAFETY: refused: changes nothing.
        assert_eq!(
            unsafe { frame_allocator::free(frame) },
            Err(FrameFreeError::NotAllocated)
        );
        assert_eq!(frame_allocator::stats().map(|s| s.free), Some(before.free));
    }
}

kernel_test! {
    fn frames_it_does_not_manage_are_refused() {
        let (info, before) = setup();
        let heap = allocator::stats().start as u64 - info.physical_memory_offset;
        let (kernel, _) = info.kernel_physical_range();
        let outside = [
            ("page 0", 0),
            ("kernel image", kernel & !(PAGE_SIZE - 1)),
            ("starter heap", heap),
            ("bitmap", before.bitmap.0),
            ("beyond memory", 1 << 50),
        ];
        for (what, frame) in outside {
            // SAFETY: refused: changes nothing.
            let result = unsafe { frame_allocator::free(frame) };
            assert_eq!(result, Err(FrameFreeError::NotManaged), "{what} at {frame:#x}");
        }
        let frame = frame_allocator::allocate().expect("a frame");
        // SAFETY: refused: changes nothing.
        let result = unsafe { frame_allocator::free(frame + 8) };
        assert_eq!(result, Err(FrameFreeError::Unaligned));
        // SAFETY: allocated above, never used.
        unsafe { frame_allocator::free(frame) }.expect("allocated");
        assert_eq!(frame_allocator::stats(), Some(before));
    }
}

kernel_test! {
    fn a_second_init_is_refused() {
        let (info, before) = setup();
        assert_eq!(
            frame_allocator::init(info).map(|_| ()),
            Err(FrameInitError::AlreadyInitialised)
        );
        assert_eq!(frame_allocator::stats(), Some(before));
    }
}
