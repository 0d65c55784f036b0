//! Boot modules (GRUB's `module2`, QEMU's `-initrd` under PVH) are listed in
//! the boot information, and their memory is not usable: neither the heap nor
//! page tables may overwrite a module.
//!
//! The two parsers are checked on boot information built here (a Multiboot2
//! information structure, a PVH start info). The last test needs a real
//! module and is ignored unless asked for:
//!
//! ```text
//! QEMU_MEMORY=32M QEMU_EXTRA_ARGS='-initrd FILE' cargo test --test boot_modules -- --include-ignored
//! ```
//!
//! where byte `i` of FILE is `i % 251` and FILE is large enough (20 MiB of
//! 32 MiB) that the heap would cover it if the module's memory were usable.

#![no_std]
#![no_main]

extern crate alloc;

extern crate multiboot2_modules_pic_timer_keyboard as kernel;

use alloc::alloc::{alloc, dealloc};
use core::alloc::Layout;
use core::ptr;

use kernel::boot::{multiboot2, pvh};
use kernel::boot_info::{BootInfo, MemoryKind, MemoryRegion};
use kernel::kernel_test;
use kernel::sync::Once;

kernel::entry_point!(main);

/// The boot information, for the tests (which take no arguments).
static BOOT_INFO: Once<&'static BootInfo> = Once::new();

fn main(boot_info: &'static BootInfo) -> ! {
    let _ = BOOT_INFO.set(boot_info);
    kernel::testing::test_kernel_main(boot_info)
}

/// Multiboot2 §3.6.6 and §3.6.8: the module and memory map tag types.
const TAG_MODULE: u32 = 3;
const TAG_MEMORY_MAP: u32 = 6;
/// E820 type 1: usable RAM (ACPI §15).
const E820_USABLE: u32 = 1;
/// start_info.h: XEN_HVM_START_MAGIC_VALUE.
const PVH_MAGIC: u32 = 0x336E_C578;
/// The module the ignored test expects: byte `i` is `i % MODULE_PATTERN`
/// (a prime, so the pattern does not line up with pages or heap blocks).
const MODULE_PATTERN: usize = 251;

/// Little-endian boot information built field by field, 8-byte aligned as
/// both protocols want it.
#[repr(C, align(8))]
struct Buffer {
    bytes: [u8; 512],
    len: usize,
}

impl Buffer {
    fn new() -> Self {
        Self {
            bytes: [0; 512],
            len: 0,
        }
    }

    fn put(&mut self, bytes: &[u8]) {
        self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn u32(&mut self, value: u32) {
        self.put(&value.to_le_bytes());
    }

    fn u64(&mut self, value: u64) {
        self.put(&value.to_le_bytes());
    }

    /// Pads with zeros to a multiple of 8 bytes (Multiboot2 §3.6.1).
    fn align8(&mut self) {
        self.len = self.len.next_multiple_of(8);
    }

    fn set_u32(&mut self, offset: usize, value: u32) {
        self.bytes[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
    }

    /// Physical address of byte `offset` (the kernel is identity mapped
    /// under Multiboot2 and PVH, its stack too).
    fn address(&self, offset: usize) -> u64 {
        self.bytes.as_ptr() as u64 + offset as u64
    }
}

fn region(start: u64, end: u64, kind: MemoryKind) -> MemoryRegion {
    MemoryRegion {
        start,
        len: end - start,
        kind,
    }
}

kernel_test! {
    fn multiboot2_module_tags_become_modules_outside_usable_memory() {
        let mut mbi = Buffer::new();
        mbi.u32(0); // total_size, set below
        mbi.u32(0); // reserved
        // §3.6.6: two modules, before the memory map as GRUB orders them
        // (their memory can only be marked once the map is known). The
        // second spans a hole of the map.
        let name = b"initrd.img quiet\0";
        mbi.u32(TAG_MODULE);
        mbi.u32(16 + name.len() as u32);
        mbi.u32(0x30_0000); // mod_start
        mbi.u32(0x30_1235); // mod_end: one past the last byte
        mbi.put(name);
        mbi.align8();
        mbi.u32(TAG_MODULE);
        mbi.u32(17);
        mbi.u32(0x9_F000);
        mbi.u32(0x10_1000);
        mbi.put(b"\0");
        mbi.align8();
        // §3.6.8: entry_size 24, entry_version 0, then the entries.
        mbi.u32(TAG_MEMORY_MAP);
        mbi.u32(16 + 2 * 24);
        mbi.u32(24);
        mbi.u32(0);
        for (start, len) in [(0, 0x9_FC00), (0x10_0000, 0x70_0000)] {
            mbi.u64(start);
            mbi.u64(len);
            mbi.u32(E820_USABLE);
            mbi.u32(0);
        }
        mbi.u32(0); // end tag
        mbi.u32(8);
        let total = mbi.len as u32;
        mbi.set_u32(0, total);

        // SAFETY: a well-formed information structure, identity mapped.
        let info = unsafe { multiboot2::parse(mbi.address(0)) };

        let modules = info.modules();
        assert_eq!(modules.len(), 2);
        assert_eq!((modules[0].start, modules[0].len), (0x30_0000, 0x1235));
        assert_eq!(modules[0].command_line.as_str(), "initrd.img quiet");
        assert_eq!((modules[1].start, modules[1].len), (0x9_F000, 0x6_2000));
        assert_eq!(modules[1].command_line.as_str(), "");
        let module = MemoryKind::BootModule;
        let usable = MemoryKind::Usable;
        assert_eq!(
            info.memory_regions(),
            [
                region(0, 0x9_F000, usable),
                region(0x9_F000, 0x9_FC00, module),
                region(0x10_0000, 0x10_1000, module),
                region(0x10_1000, 0x30_0000, usable),
                region(0x30_0000, 0x30_1235, module),
                region(0x30_1235, 0x80_0000, usable),
            ]
        );
    }
}

kernel_test! {
    fn pvh_modules_become_modules_outside_usable_memory() {
        let mut start_info = Buffer::new();
        // start_info.h, hvm_start_info version 1: magic, version, flags,
        // nr_modules, modlist_paddr, cmdline_paddr, rsdp_paddr,
        // memmap_paddr, memmap_entries, reserved (56 bytes); then the
        // memory map, the module list and the module's command line.
        let memmap = 56;
        let modlist = memmap + 24;
        let name = modlist + 32;
        start_info.u32(PVH_MAGIC);
        start_info.u32(1);
        start_info.u32(0);
        start_info.u32(1);
        start_info.u64(start_info.address(modlist));
        start_info.u64(0);
        start_info.u64(0);
        start_info.u64(start_info.address(memmap));
        start_info.u32(1);
        start_info.u32(0);
        // hvm_memmap_table_entry: addr, size, type, reserved.
        start_info.u64(0x10_0000);
        start_info.u64(0x70_0000);
        start_info.u32(E820_USABLE);
        start_info.u32(0);
        // hvm_modlist_entry: paddr, size, cmdline_paddr, reserved.
        start_info.u64(0x20_0000);
        start_info.u64(0x10_0001);
        start_info.u64(start_info.address(name));
        start_info.u64(0);
        start_info.put(b"ramdisk\0");

        // SAFETY: a well-formed start info, identity mapped.
        let info = unsafe { pvh::parse(start_info.address(0)) };

        let modules = info.modules();
        assert_eq!(modules.len(), 1);
        assert_eq!((modules[0].start, modules[0].len), (0x20_0000, 0x10_0001));
        assert_eq!(modules[0].command_line.as_str(), "ramdisk");
        assert_eq!(
            info.memory_regions(),
            [
                region(0x10_0000, 0x20_0000, MemoryKind::Usable),
                region(0x20_0000, 0x30_0001, MemoryKind::BootModule),
                region(0x30_0001, 0x80_0000, MemoryKind::Usable),
            ]
        );
    }
}

/// A block taken from the heap, chained to the one taken before it.
struct Block {
    previous: *mut Block,
    layout: Layout,
}

kernel_test! {
    #[ignore = "needs a module: QEMU_EXTRA_ARGS='-initrd FILE', see the top of this file"]
    fn boot_module_is_intact_after_the_heap_is_full() {
        let info = BOOT_INFO.get().expect("main stores the boot information first");
        let module = info
            .modules()
            .first()
            .expect("no boot module: run with QEMU_EXTRA_ARGS='-initrd FILE'");
        assert!(module.len > 0, "the module is empty");
        let bytes = || {
            // SAFETY: the loader put the module there; physical memory is
            // mapped at `physical_to_virtual`, and nothing writes it (which
            // is what this test checks).
            unsafe {
                core::slice::from_raw_parts(
                    info.physical_to_virtual(module.start) as *const u8,
                    module.len as usize,
                )
            }
        };
        let check = |when: &str| {
            if let Some(index) = bytes()
                .iter()
                .enumerate()
                .position(|(i, &byte)| byte != (i % MODULE_PATTERN) as u8)
            {
                panic!("module byte {index} (at {:#x}) changed {when}", module.start + index as u64);
            }
        };
        check("before the test");

        // Take every block the heap has, large ones first, and fill each.
        let mut last: *mut Block = ptr::null_mut();
        let mut taken = 0usize;
        for size in [1 << 20, 1 << 16, 1 << 12, 1 << 8, 32] {
            let layout = Layout::from_size_align(size, 16).expect("a valid layout");
            loop {
                // SAFETY: a non-zero size.
                let block = unsafe { alloc(layout) };
                if block.is_null() {
                    break;
                }
                // SAFETY: `block` is `size` bytes of ours, 16-aligned, and
                // `size` >= size_of::<Block>().
                unsafe {
                    block.write_bytes(0xAA, size);
                    (block as *mut Block).write(Block { previous: last, layout });
                }
                last = block as *mut Block;
                taken += size;
            }
        }
        assert!(taken > 0, "the heap gave nothing");
        check("after the heap was filled");

        // Give it all back for the tests that follow.
        while !last.is_null() {
            // SAFETY: each block was allocated above with the layout stored
            // in it, and is freed once.
            unsafe {
                let Block { previous, layout } = last.read();
                dealloc(last as *mut u8, layout);
                last = previous;
            }
        }
    }
}
