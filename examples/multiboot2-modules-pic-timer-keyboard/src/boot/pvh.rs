//! PVH: the direct-boot protocol of Xen, also implemented by QEMU
//! (`qemu-system-x86_64 -kernel kernel.elf`), Firecracker and cloud-hypervisor.
//!
//! The loader reads an ELF note from the kernel to find a 32-bit entry point,
//! and enters it in 32-bit protected mode with ebx pointing at an
//! `hvm_start_info` structure.
//!
//! Specification: Xen `docs/misc/pvh.pandoc` and the headers
//! `xen/include/public/elfnote.h` and
//! `xen/include/public/arch-x86/hvm/start_info.h`.

use super::{BootInfo, Firmware, FixedString, Loader, MemoryKind, MemoryRegion};
use crate::boot_info::Module;

// ---------------------------------------------------------------------------
// The ELF note
// ---------------------------------------------------------------------------

/// elfnote.h: XEN_ELFNOTE_PHYS32_ENTRY, "physical address of the 32-bit entry".
const XEN_ELFNOTE_PHYS32_ENTRY: u32 = 18;
/// The owner of Xen's notes, NUL-terminated as note names are (elfnote.h).
const XEN_NOTE_NAME: [u8; 4] = *b"Xen\0";

unsafe extern "C" {
    /// The 32-bit entry point (src/boot/entry32.rs), shared with Multiboot2.
    fn _start() -> !;
}

/// An ELF note (ELF gABI "Note Section"): name size, descriptor size, type,
/// then the name and the descriptor, each padded to 4 bytes.
///
/// `packed(4)` keeps the alignment at 4, as ELF notes usually are. Without it
/// the 8-byte function pointer would make the note (and its PT_NOTE segment)
/// 8-aligned, and QEMU 7.2 then rejects the kernel ("Error loading
/// uncompressed kernel without PVH ELF Note"): it derives the descriptor's
/// offset from the segment alignment.
#[repr(C, packed(4))]
pub struct PvhNote {
    name_size: u32,
    desc_size: u32,
    kind: u32,
    name: [u8; XEN_NOTE_NAME.len()],
    /// The entry address. Xen reads 4 or 8 bytes; QEMU reads a full 64-bit
    /// value for ELF64 kernels, so it must be 8 bytes here (as Linux does).
    entry: unsafe extern "C" fn() -> !,
}

/// The note itself, in the `.note.pvh` section that linker.ld turns into a
/// PT_NOTE program header.
#[used]
#[unsafe(link_section = ".note.pvh")]
pub static PVH_NOTE: PvhNote = PvhNote {
    name_size: XEN_NOTE_NAME.len() as u32,
    desc_size: size_of::<unsafe extern "C" fn() -> !>() as u32,
    kind: XEN_ELFNOTE_PHYS32_ENTRY,
    name: XEN_NOTE_NAME,
    entry: _start,
};

// ---------------------------------------------------------------------------
// The start info
// ---------------------------------------------------------------------------

/// start_info.h: XEN_HVM_START_MAGIC_VALUE, the first field of hvm_start_info.
pub const START_INFO_MAGIC: u32 = 0x336E_C578;

// start_info.h: byte offsets of the hvm_start_info fields we use.
const VERSION: u64 = 4; // u32
const NR_MODULES: u64 = 12; // u32, number of modules
const MODLIST_PADDR: u64 = 16; // u64, physical address of the module list
const CMDLINE_PADDR: u64 = 24; // u64, physical address of a C string (0 = none)
const RSDP_PADDR: u64 = 32; // u64, physical address of the ACPI RSDP (0 = none)
const MEMMAP_PADDR: u64 = 40; // u64, physical address of the memory map
const MEMMAP_ENTRIES: u64 = 48; // u32, number of entries
/// start_info.h: the first version with `memmap_paddr` and `memmap_entries`.
const MEMMAP_VERSION: u32 = 1;

// start_info.h: hvm_memmap_table_entry, one per region; the type uses E820
// numbering.
const MEMMAP_ENTRY_ADDR: u64 = 0; // u64
const MEMMAP_ENTRY_SIZE_FIELD: u64 = 8; // u64, bytes
const MEMMAP_ENTRY_TYPE: u64 = 16; // u32
/// The size of one hvm_memmap_table_entry: the array's stride.
const MEMMAP_ENTRY_SIZE: u64 = 24;

// start_info.h: hvm_modlist_entry, one per module.
const MODLIST_ENTRY_PADDR: u64 = 0; // u64
const MODLIST_ENTRY_SIZE_FIELD: u64 = 8; // u64, bytes
const MODLIST_ENTRY_CMDLINE_PADDR: u64 = 16; // u64, a C string (0 = none)
/// The size of one hvm_modlist_entry: the array's stride.
const MODLIST_ENTRY_SIZE: u64 = 32;
/// Longest command line we look at.
const CMDLINE_MAX: usize = 4096;

/// What we call the loader: PVH has no boot loader name field.
pub const LOADER_NAME: &str = "PVH direct boot";

/// Reads a `T` at physical address `address`.
///
/// # Safety
/// `address..address + size_of::<T>()` must be readable (identity mapped).
unsafe fn read<T: Copy>(address: u64) -> T {
    // SAFETY: forwarded; unaligned reads are fine for any address.
    unsafe { (address as *const T).read_unaligned() }
}

/// Translates the `hvm_start_info` at `start_info` into a [`BootInfo`].
///
/// # Safety
/// `start_info` must be the address a PVH loader passed in ebx (entry32 has
/// checked its magic), identity mapped and intact.
pub unsafe fn parse(start_info: u64) -> BootInfo {
    let mut info = BootInfo::new(Loader::Pvh, start_info);
    info.bootloader_name = FixedString::from_bytes(LOADER_NAME.as_bytes());
    // start_info.h has no field for the firmware, and PVH says nothing of
    // it: under Xen there is none, while QEMU's `-kernel` runs its BIOS and
    // an option ROM that fills the start info. So the kernel cannot tell.
    info.firmware = Firmware::NotReported;

    // SAFETY: the fields lie inside the structure the caller vouches for.
    let (version, cmdline, rsdp) = unsafe {
        (
            read::<u32>(start_info + VERSION),
            read::<u64>(start_info + CMDLINE_PADDR),
            read::<u64>(start_info + RSDP_PADDR),
        )
    };
    info.rsdp = (rsdp != 0).then_some(rsdp);

    if cmdline != 0 {
        // SAFETY: the loader put a NUL-terminated string there.
        info.command_line = FixedString::from_bytes(unsafe { c_string(cmdline) });
    }

    if version >= MEMMAP_VERSION {
        // SAFETY: from MEMMAP_VERSION on, these fields exist.
        let (memmap, entries) = unsafe {
            (
                read::<u64>(start_info + MEMMAP_PADDR),
                read::<u32>(start_info + MEMMAP_ENTRIES),
            )
        };
        for i in 0..u64::from(entries) {
            let entry = memmap + i * MEMMAP_ENTRY_SIZE;
            // SAFETY: the loader provides `entries` entries at `memmap`.
            let (start, len, kind) = unsafe {
                (
                    read::<u64>(entry + MEMMAP_ENTRY_ADDR),
                    read::<u64>(entry + MEMMAP_ENTRY_SIZE_FIELD),
                    read::<u32>(entry + MEMMAP_ENTRY_TYPE),
                )
            };
            info.push_memory_region(MemoryRegion {
                start,
                len,
                kind: MemoryKind::from_e820(kind),
            });
        }
    }

    // Modules after the memory map, whose usable memory they are taken out of.
    // SAFETY: the fields exist from version 0 on.
    let (modules, count) = unsafe {
        (
            read::<u64>(start_info + MODLIST_PADDR),
            read::<u32>(start_info + NR_MODULES),
        )
    };
    if modules != 0 {
        for i in 0..u64::from(count) {
            let entry = modules + i * MODLIST_ENTRY_SIZE;
            // SAFETY: the loader provides `count` entries at `modules`.
            let (start, len, cmdline) = unsafe {
                (
                    read::<u64>(entry + MODLIST_ENTRY_PADDR),
                    read::<u64>(entry + MODLIST_ENTRY_SIZE_FIELD),
                    read::<u64>(entry + MODLIST_ENTRY_CMDLINE_PADDR),
                )
            };
            let command_line = if cmdline == 0 {
                FixedString::new()
            } else {
                // SAFETY: the loader put a NUL-terminated string there.
                FixedString::from_bytes(unsafe { c_string(cmdline) })
            };
            info.push_module(Module {
                start,
                len,
                command_line,
            });
        }
    }
    info
}

/// The NUL-terminated string at physical address `address`: at most
/// [`CMDLINE_MAX`] bytes, stopping at the NUL.
///
/// # Safety
/// A NUL-terminated string, or `CMDLINE_MAX` readable bytes, must be there.
unsafe fn c_string(address: u64) -> &'static [u8] {
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { core::slice::from_raw_parts(address as *const u8, CMDLINE_MAX) };
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(CMDLINE_MAX);
    &bytes[..len]
}
