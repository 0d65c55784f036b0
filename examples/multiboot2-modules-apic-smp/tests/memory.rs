//! The memory setup (`src/memory/`): all RAM is mapped, whatever its size and
//! wherever it lies (above 4 GiB too), the heap lies in mapped memory, and
//! page 0 and the stack guard pages are not mapped. The checks walk the active
//! page tables ([`memory::translate`]).

#![no_std]
#![no_main]

extern crate multiboot2_modules_apic_smp as kernel;

use kernel::boot::{BootInfo, MemoryKind};
use kernel::memory::{self, stacks};
use kernel::sync::Once;
use kernel::{allocator, kernel_test};

kernel::entry_point!(main);

/// The boot information, for the tests (which take no arguments).
static BOOT_INFO: Once<&'static BootInfo> = Once::new();

fn main(boot_info: &'static BootInfo) -> ! {
    let _ = BOOT_INFO.set(boot_info);
    kernel::testing::test_kernel_main(boot_info)
}

fn boot_info() -> &'static BootInfo {
    BOOT_INFO
        .get()
        .expect("main stores the boot information first")
}

/// `virt` is mapped to `phys` (the page-table walk finds that translation).
fn assert_maps(virt: u64, phys: u64) {
    assert_eq!(
        memory::translate(virt),
        Some(phys),
        "virtual {virt:#x} should map physical {phys:#x}"
    );
}

kernel_test! {
    fn page_zero_is_not_mapped() {
        // The walk itself works: the code running now is mapped.
        let code = page_zero_is_not_mapped as *const () as u64;
        assert!(memory::is_mapped(code));
        assert_eq!(memory::translate(0), None);
        assert_eq!(memory::translate(4095), None);
    }
}

kernel_test! {
    fn stack_guard_pages_are_not_mapped() {
        for stack in stacks::all() {
            assert_eq!(stack.guard.end, stack.usable.start, "{}: guard right below", stack.name);
            assert_eq!(memory::translate(stack.guard.start), None, "{} guard", stack.name);
            assert_eq!(memory::translate(stack.guard.end - 1), None, "{} guard", stack.name);
            assert!(memory::is_mapped(stack.usable.start), "{} bottom", stack.name);
            assert!(memory::is_mapped(stack.usable.end - 1), "{} top", stack.name);
        }
    }
}

kernel_test! {
    fn running_on_the_boot_stack() {
        let local = 0u8;
        let address = &raw const local as u64;
        assert!(stacks::BOOT_STACK.usable().contains(&address), "{address:#x}");
        assert_eq!(
            boot_info().stack_size,
            Some(stacks::BOOT_STACK_SIZE as u64)
        );
    }
}

kernel_test! {
    fn heap_lies_in_mapped_memory() {
        let info = boot_info();
        let heap = allocator::stats();
        let start = heap.start as u64;
        let end = start + heap.size as u64;
        let physical_start = start - info.physical_memory_offset;
        // Every page of the heap, at its place in physical memory.
        for virt in (start..end).step_by(4096) {
            assert_maps(virt, virt - start + physical_start);
        }
        assert_maps(end - 1, end - 1 - start + physical_start);
    }
}

kernel_test! {
    fn no_page_table_lies_in_the_heap() {
        let info = boot_info();
        let heap = allocator::stats();
        let start = heap.start as u64 - info.physical_memory_offset;
        let end = start + heap.size as u64;
        // The tables on the way to every 2 MiB of RAM and to the pages
        // `memory::init` unmapped (whose 2 MiB pages it split).
        let mut tables = 0;
        let mut check = |virt: u64| {
            memory::for_each_page_table(virt, |table| {
                tables += 1;
                assert!(
                    table < start || table >= end,
                    "page table at {table:#x} (for {virt:#x}) inside the heap {start:#x}..{end:#x}"
                );
            })
        };
        check(0);
        for stack in stacks::all() {
            check(stack.guard.start);
        }
        for region in info.memory_regions() {
            if region.kind == MemoryKind::Usable {
                let first = region.start & !(2 * 1024 * 1024 - 1);
                for physical in (first..region.end()).step_by(2 * 1024 * 1024) {
                    check(info.physical_to_virtual(physical));
                }
            }
        }
        assert!(tables > 0, "the page-table walk found no tables");
    }
}

kernel_test! {
    fn last_byte_of_every_usable_region_is_writable() {
        let info = boot_info();
        let mut checked = 0;
        for region in info.memory_regions() {
            if region.kind != MemoryKind::Usable {
                continue;
            }
            let last = region.end() - 1;
            let virt = info.physical_to_virtual(last);
            assert_maps(virt, last);
            let byte = virt as *mut u8;
            // SAFETY: `virt` is mapped to usable RAM (just checked). The byte
            // may belong to the heap or anything else in use: it is put back
            // at once, and nothing else runs meanwhile (one CPU, interrupts
            // off).
            unsafe {
                let old = byte.read_volatile();
                byte.write_volatile(!old);
                assert_eq!(byte.read_volatile(), !old);
                byte.write_volatile(old);
            }
            checked += 1;
        }
        assert!(checked > 0, "no usable memory");
    }
}

kernel_test! {
    fn acpi_rsdp_is_mapped_and_valid() {
        // ACPI 6.5 §5.2.5.3: "RSD PTR ", a checksum over the first 20 bytes
        // (ACPI 1.0) and, from revision 2 on, an extended checksum over all 36.
        const SIGNATURE: &[u8; 8] = b"RSD PTR ";
        const REVISION: usize = 15;
        const V1_LEN: usize = 20;
        const V2_LEN: usize = 36;
        let info = boot_info();
        // QEMU's firmware (SeaBIOS, OVMF) always builds ACPI tables, and every
        // loader here passes them on (PVH: rsdp_paddr; Multiboot2: tags 14
        // and 15; Limine: the RSDP request).
        let rsdp = info.rsdp.expect("the loader reported no ACPI RSDP");
        let virt = info.physical_to_virtual(rsdp);
        assert_maps(virt, rsdp);
        let last = (V2_LEN - 1) as u64;
        assert_maps(virt + last, rsdp + last);
        // SAFETY: the first and the last of the 36 bytes are mapped (checked
        // above), so all are: 36 bytes span at most two pages. Only read.
        let bytes = unsafe { core::slice::from_raw_parts(virt as *const u8, V2_LEN) };
        assert_eq!(&bytes[..8], SIGNATURE, "no RSDP signature at {rsdp:#x}");
        let sum = |part: &[u8]| part.iter().fold(0u8, |sum, &byte| sum.wrapping_add(byte));
        assert_eq!(sum(&bytes[..V1_LEN]), 0, "RSDP checksum at {rsdp:#x}");
        if bytes[REVISION] >= 2 {
            assert_eq!(sum(bytes), 0, "RSDP extended checksum at {rsdp:#x}");
        }
    }
}
