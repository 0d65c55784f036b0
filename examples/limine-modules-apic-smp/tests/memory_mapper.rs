//! The `memory` module's page mapper (src/memory/mapper.rs): a fresh frame
//! mapped at an unused virtual address shows the same bytes there and
//! through the physical-memory mapping; flags reach the page-table entry;
//! remapping and unmapping invalidate the TLB (a stale translation would
//! show the old frame, allow a write, or not fault); new page tables come
//! from the frame allocator.

#![no_std]
#![no_main]

extern crate limine_modules_apic_smp as kernel;

use core::hint::black_box;

use kernel::arch::x86_64::cpu;
use kernel::boot::BootInfo;
use kernel::kernel_test;
use kernel::memory::frame_allocator::{self, FrameInitError};
use kernel::memory::mapper::{self, MapError, PageFlags};
use kernel::sync::Once;

kernel::entry_point!(main);

const PAGE_SIZE: u64 = 4096;
/// CR4.LA57: 5-level paging (Intel SDM Vol. 3A §4.5).
const CR4_LA57: u64 = 1 << 12;

static BOOT_INFO: Once<&'static BootInfo> = Once::new();
/// Where the tests map their pages (each test its own page).
static WINDOW: Once<u64> = Once::new();

fn main(boot_info: &'static BootInfo) -> ! {
    let _ = BOOT_INFO.set(boot_info);
    kernel::testing::test_kernel_main(boot_info)
}

/// The boot information, with the frame allocator set up.
fn setup() -> &'static BootInfo {
    let info = BOOT_INFO.get().expect("main stores the boot information");
    match frame_allocator::init(info) {
        Ok(_) | Err(FrameInitError::AlreadyInitialised) => info,
        Err(error) => panic!("frame allocator: {error:?}"),
    }
}

fn free_frames() -> usize {
    frame_allocator::stats().expect("initialised").free
}

fn page(index: u64) -> u64 {
    if WINDOW.get().is_none() {
        let window = mapper::reserve_window(1).expect("a free window");
        let _ = WINDOW.set(window.start);
    }
    WINDOW.get().expect("set above") + index * PAGE_SIZE
}

fn read(address: u64) -> u64 {
    // SAFETY: the tests read only pages they mapped (or that must fault).
    unsafe { (black_box(address) as *const u64).read_volatile() }
}

fn write(address: u64, value: u64) {
    // SAFETY: the tests write only pages they mapped writable (or where the
    // write must fault).
    unsafe { (black_box(address) as *mut u64).write_volatile(value) }
}

kernel_test! {
    fn a_mapped_frame_shows_the_same_bytes_both_ways() {
        let info = setup();
        let virt = page(0);
        assert_eq!(mapper::translate(virt), None, "the test page starts unmapped");
        let frame = mapper::map_new(virt, PageFlags::DATA).expect("mapped");
        assert_eq!(mapper::translate(virt), Some(frame));
        assert_eq!(mapper::translate(virt + 0x123), Some(frame + 0x123));
        assert_eq!(mapper::flags(virt), Some(PageFlags::DATA));
        let physical = info.physical_to_virtual(frame);

        write(virt + 8, 0x1234_5678_9abc_def0);
        assert_eq!(read(physical + 8), 0x1234_5678_9abc_def0, "through the physical map");
        write(physical + 16, 0x0fed_cba9_8765_4321);
        assert_eq!(read(virt + 16), 0x0fed_cba9_8765_4321, "through the new page");

        assert_eq!(
            mapper::map_new(virt, PageFlags::DATA),
            Err(MapError::AlreadyMapped)
        );
        let before = free_frames();
        // SAFETY: mapped by `map_new` above; not used afterwards.
        unsafe { mapper::unmap_and_free(virt) }.expect("mapped");
        assert_eq!(mapper::translate(virt), None);
        assert_eq!(free_frames(), before + 1, "the frame went back");
        // SAFETY: refused: changes nothing.
        assert_eq!(unsafe { mapper::unmap(virt) }, Err(MapError::NotMapped));
    }
}

kernel_test! {
    fn remapping_shows_the_new_frame() {
        let info = setup();
        let virt = page(1);
        let old = mapper::map_new(virt, PageFlags::DATA).expect("mapped");
        write(virt, 0x01d);
        // The translation is in the TLB now.
        assert_eq!(read(virt), 0x01d);

        let new = frame_allocator::allocate().expect("a frame");
        write(info.physical_to_virtual(new), 0x2e3);
        // SAFETY: `new` is a free frame of our own; nothing relies on the
        // old contents.
        assert_eq!(unsafe { mapper::remap(virt, new, PageFlags::DATA) }, Ok(old));
        assert_eq!(mapper::translate(virt), Some(new));
        assert_eq!(read(virt), 0x2e3, "a stale TLB entry still shows the old frame");

        // SAFETY: mapped nowhere any more.
        unsafe { frame_allocator::free(old) }.expect("allocated");
        // SAFETY: not used afterwards.
        unsafe { mapper::unmap_and_free(virt) }.expect("mapped");
    }
}

kernel_test! {
    #[should_fault(expected = "page fault (#PF, vector 14)")]
    fn a_page_made_read_only_refuses_writes() {
        setup();
        let virt = page(2);
        let frame = mapper::map_new(virt, PageFlags::DATA).expect("mapped");
        // The writable translation is in the TLB now.
        write(virt, 1);
        // SAFETY: the same frame, fewer rights.
        unsafe { mapper::remap(virt, frame, PageFlags::NO_EXECUTE) }.expect("mapped");
        assert_eq!(mapper::flags(virt), Some(PageFlags::NO_EXECUTE));
        assert_eq!(read(virt), 1, "still readable");
        write(virt, 2);
    }
}

kernel_test! {
    #[should_fault(expected = "page fault (#PF, vector 14)")]
    fn an_unmapped_page_faults() {
        setup();
        let virt = page(3);
        mapper::map_new(virt, PageFlags::DATA).expect("mapped");
        write(virt, 3);
        // The translation is in the TLB now.
        assert_eq!(read(virt), 3);
        // SAFETY: the read below must fault.
        unsafe { mapper::unmap_and_free(virt) }.expect("mapped");
        read(virt);
    }
}

kernel_test! {
    fn flags_reach_the_entry() {
        setup();
        let virt = page(4);
        let flags = PageFlags::DATA | PageFlags::CACHE_DISABLE | PageFlags::WRITE_THROUGH;
        mapper::map_new(virt, flags).expect("mapped");
        assert_eq!(mapper::flags(virt), Some(flags));
        let user = PageFlags::USER | PageFlags::NO_EXECUTE;
        let frame = mapper::translate(virt).expect("mapped");
        // SAFETY: the same frame; nothing touches it while user-accessible
        // (SMAP would fault such an access).
        unsafe { mapper::remap(virt, frame, user) }.expect("mapped");
        assert_eq!(mapper::flags(virt), Some(user));
        // SAFETY: not used afterwards.
        unsafe { mapper::unmap_and_free(virt) }.expect("mapped");
    }
}

kernel_test! {
    fn new_page_tables_come_from_the_frame_allocator() {
        setup();
        // An empty top-level entry: every table below it is new.
        let fresh = mapper::reserve_window(1).expect("a free window").start;
        let levels = if cpu::read_cr4() & CR4_LA57 != 0 { 5 } else { 4 };
        let tables = levels - 1;
        let before = free_frames();
        mapper::map_new(fresh, PageFlags::DATA).expect("mapped");
        assert_eq!(before - free_frames(), tables + 1, "the tables and the page");
        // The next page in the same page table needs only its frame.
        mapper::map_new(fresh + PAGE_SIZE, PageFlags::DATA).expect("mapped");
        assert_eq!(before - free_frames(), tables + 2);
        // SAFETY: not used afterwards.
        unsafe { mapper::unmap_and_free(fresh) }.expect("mapped");
        // SAFETY: not used afterwards.
        unsafe { mapper::unmap_and_free(fresh + PAGE_SIZE) }.expect("mapped");
        // The tables stay for the next mapping nearby.
        assert_eq!(before - free_frames(), tables);
    }
}

kernel_test! {
    fn bad_requests_change_nothing() {
        setup();
        let before = free_frames();
        assert_eq!(mapper::map_new(page(5) + 1, PageFlags::DATA), Err(MapError::Unaligned));
        // SAFETY: refused: changes nothing.
        assert_eq!(unsafe { mapper::unmap(page(5)) }, Err(MapError::NotMapped));
        // SAFETY: refused: changes nothing.
        let remapped = unsafe { mapper::remap(page(5), 0x20_0000, PageFlags::DATA) };
        assert_eq!(remapped, Err(MapError::NotMapped));
        assert_eq!(free_frames(), before, "a failed map gives its frame back");
    }
}

kernel_test! {
    fn reserved_windows_are_unused_upper_half_memory() {
        let info = setup();
        let first = mapper::reserve_window(2).expect("a free window");
        let second = mapper::reserve_window(1).expect("a free window");
        assert!(first.end <= second.start || second.end <= first.start, "{first:x?} {second:x?}");
        // Physical memory as the boot mappings show it, and the kernel image.
        let top = info.memory_regions().iter().map(|r| r.end()).max().unwrap_or(0);
        let physical = info.physical_memory_offset..info.physical_to_virtual(top);
        let kernel = main as *const () as u64;
        for window in [first, second] {
            assert!(window.start >= 1 << 63, "{window:x?} is not in the upper half");
            assert!(window.end - window.start >= 512 << 30, "{window:x?}: a whole entry");
            assert!(!window.contains(&kernel), "{window:x?} holds the kernel");
            let apart = window.end <= physical.start || physical.end <= window.start;
            assert!(apart, "{window:x?} overlaps physical memory at {physical:x?}");
            assert_eq!(mapper::translate(window.start), None);
            assert_eq!(mapper::translate(window.end - PAGE_SIZE), None);
        }
    }
}
