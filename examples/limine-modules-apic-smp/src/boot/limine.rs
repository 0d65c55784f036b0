//! The Limine boot protocol: the base revision tag, the requests the loader
//! answers, and the translation of its responses into a [`BootInfo`].
//!
//! Specification: "The Limine Boot Protocol" (PROTOCOL.md of the
//! limine-protocol repository), base revision 6. Section names below refer to
//! it. There is no `limine` crate here: the few structures we need are
//! written out as `#[repr(C)]` structs with the offsets the protocol gives.
//!
//! How it works: the kernel image contains *requests*, each a struct that
//! starts with a 4-word ID. Before jumping to the kernel, Limine scans the
//! loaded image (8 bytes at a time, between the start and end markers) for
//! those IDs and writes the address of its answer, the *response*, into the
//! request's `response` field. So:
//!
//! * the requests must be in file-backed data, not `.bss` (Limine does not
//!   scan what is only zero-filled memory), and between the markers: linker.ld
//!   places the three `.limine_requests*` sections in that order at the start
//!   of the data segment;
//! * `response` is written behind the compiler's back: it lives in an
//!   [`UnsafeCell`] and is read with `read_volatile`, so the compiler cannot
//!   fold it to its initial null;
//! * responses live in bootloader-reclaimable memory, which this kernel never
//!   hands out (see [`memory_kind`]), so they stay valid; [`parse`] still
//!   copies everything it keeps into the [`BootInfo`].

use core::cell::UnsafeCell;
use core::ffi::{CStr, c_char};
use core::ptr;

use super::{
    BootInfo, Firmware, FixedString, Framebuffer, Loader, MemoryKind, MemoryRegion, PixelFormat,
};
use crate::boot_info::Module;

// ---------------------------------------------------------------------------
// Base revision and markers (§Base Revisions, §Requests Delimiters)
// ---------------------------------------------------------------------------

/// The base revision this kernel is written for: 6, the newest (0 to 5 are
/// deprecated). On x86_64, revision 6 changes nothing over 5, whose entry state
/// (SSE off, IDTR limit 0, ...) `_start` relies on.
pub const BASE_REVISION: u64 = 6;

/// §Base Revisions: the tag is these two words followed by the revision.
const BASE_REVISION_MAGIC: [u64; 2] = [0xf956_2b2d_5c95_a6c8, 0x6a7b_3849_4453_6bdc];

/// The base revision tag: `{magic0, magic1, revision}`. A loader that supports
/// the revision sets the third word to 0; a loader supporting revision 3 or
/// later also writes the revision it used into the second word. Both writes
/// happen behind the compiler's back, hence the `UnsafeCell`.
#[repr(C, align(8))]
pub struct BaseRevisionTag(UnsafeCell<[u64; 3]>);

// SAFETY: only the loader writes the tag, before the kernel runs; afterwards
// it is only read.
unsafe impl Sync for BaseRevisionTag {}

impl BaseRevisionTag {
    const fn new(revision: u64) -> Self {
        Self(UnsafeCell::new([
            BASE_REVISION_MAGIC[0],
            BASE_REVISION_MAGIC[1],
            revision,
        ]))
    }

    fn word(&self, index: usize) -> u64 {
        // SAFETY: the pointer is valid and aligned (it is our own static);
        // volatile, because the loader changed it without the compiler knowing.
        unsafe { ptr::read_volatile(self.0.get().cast::<u64>().add(index)) }
    }

    /// `LIMINE_BASE_REVISION_SUPPORTED`: the loader cleared the third word.
    pub fn is_supported(&self) -> bool {
        self.word(2) == 0
    }

    /// The revision the loader actually used, if it says (loaders supporting
    /// revision 3 or later overwrite the second magic word with it).
    pub fn loaded_revision(&self) -> Option<u64> {
        let word = self.word(1);
        (word != BASE_REVISION_MAGIC[1]).then_some(word)
    }
}

/// §Requests Delimiters: requests are honoured only between the last start
/// marker and the first end marker (binding from base revision 2 on).
#[used]
#[unsafe(link_section = ".limine_requests_start")]
static REQUESTS_START_MARKER: [u64; 4] = [
    0xf6b8_f4b3_9de7_d1ae,
    0xfab9_1a69_40fc_b9cf,
    0x785c_6ed0_15d3_e316,
    0x181e_920a_7852_b9d9,
];

/// The end marker is two words (not four).
#[used]
#[unsafe(link_section = ".limine_requests_end")]
static REQUESTS_END_MARKER: [u64; 2] = [0xadc0_e053_1bb1_0d03, 0x9572_709f_3176_4c62];

/// The tag counts as a request: it must lie between the markers too.
#[used]
#[unsafe(link_section = ".limine_requests")]
pub static BASE_REVISION_TAG: BaseRevisionTag = BaseRevisionTag::new(BASE_REVISION);

// ---------------------------------------------------------------------------
// Requests (§Features)
// ---------------------------------------------------------------------------

/// §Features: the first two words of every request ID.
const COMMON_MAGIC: [u64; 2] = [0xc7b1_dd30_df4c_8b88, 0x0a82_e883_a194_f07b];

const fn request_id(third: u64, fourth: u64) -> [u64; 4] {
    [COMMON_MAGIC[0], COMMON_MAGIC[1], third, fourth]
}

/// A request: `id[4]` at 0, `revision` at 32, `response` at 40, then the
/// request's own members (`Extra`) from 48. `Extra = ()` adds nothing.
#[repr(C, align(8))]
pub struct Request<Response, Extra = ()> {
    id: [u64; 4],
    revision: u64,
    /// Null until the loader answers; left null if it does not support the
    /// request or it failed.
    response: UnsafeCell<*const Response>,
    extra: Extra,
}

// SAFETY: the loader writes `response` once, before the kernel runs; the
// kernel only reads it, and the response it points to is never written again.
unsafe impl<Response, Extra: Sync> Sync for Request<Response, Extra> {}

impl<Response, Extra> Request<Response, Extra> {
    const fn new(id: [u64; 4], extra: Extra) -> Self {
        Self {
            id,
            revision: 0,
            response: UnsafeCell::new(ptr::null()),
            extra,
        }
    }

    /// The loader's response, if it gave one.
    pub fn response(&self) -> Option<&'static Response> {
        // SAFETY: the field is valid and aligned. Volatile: the loader wrote it
        // before entry, which the compiler cannot see; a plain read of a
        // static initialised to null could be folded to null.
        let response = unsafe { ptr::read_volatile(self.response.get()) };
        // SAFETY: a non-null response points to a response of this request's
        // type in bootloader-reclaimable memory (§General Notes: HHDM virtual
        // addresses), which this kernel never reuses.
        unsafe { response.as_ref() }
    }
}

/// `revision` at 0: every response starts with it.
#[repr(C)]
pub struct BootloaderInfoResponse {
    pub revision: u64,
    pub name: *const c_char,
    pub version: *const c_char,
}

#[repr(C)]
pub struct ExecutableCommandLineResponse {
    pub revision: u64,
    pub cmdline: *const c_char,
}

/// §Firmware Type Feature: `firmware_type` is one of the `FIRMWARE_TYPE_*`
/// values below.
#[repr(C)]
pub struct FirmwareTypeResponse {
    pub revision: u64,
    pub firmware_type: u64,
}

#[repr(C)]
pub struct StackSizeResponse {
    pub revision: u64,
}

#[repr(C)]
pub struct HhdmResponse {
    pub revision: u64,
    /// Virtual address = physical address + offset, for the memory the HHDM
    /// maps (usable, bootloader-reclaimable, executable, framebuffer, ACPI
    /// and reserved-mapped regions). It may be randomised: never assume a value.
    pub offset: u64,
}

#[repr(C)]
pub struct MemoryMapResponse {
    pub revision: u64,
    pub entry_count: u64,
    pub entries: *const *const MemoryMapEntry,
}

/// 24 bytes: base, length, type.
#[repr(C)]
pub struct MemoryMapEntry {
    pub base: u64,
    pub length: u64,
    pub kind: u64,
}

#[repr(C)]
pub struct FramebufferResponse {
    pub revision: u64,
    pub framebuffer_count: u64,
    pub framebuffers: *const *const LimineFramebuffer,
}

/// `struct limine_framebuffer`, the revision-0 part (64 bytes; response
/// revision 1 appends `mode_count` and `modes`, which we do not use).
#[repr(C)]
pub struct LimineFramebuffer {
    /// HHDM virtual address of the pixels.
    pub address: *mut u8,
    pub width: u64,
    pub height: u64,
    /// Bytes per scan line.
    pub pitch: u64,
    pub bpp: u16,
    /// 1 = RGB, the only model defined.
    pub memory_model: u8,
    pub red_mask_size: u8,
    pub red_mask_shift: u8,
    pub green_mask_size: u8,
    pub green_mask_shift: u8,
    pub blue_mask_size: u8,
    pub blue_mask_shift: u8,
    pub unused: [u8; 7],
    pub edid_size: u64,
    pub edid: *const u8,
}

#[repr(C)]
pub struct RsdpResponse {
    pub revision: u64,
    /// HHDM virtual address of the RSDP (physical only under base revision 3).
    pub address: u64,
}

#[repr(C)]
pub struct ExecutableAddressResponse {
    pub revision: u64,
    pub physical_base: u64,
    pub virtual_base: u64,
}

#[repr(C)]
pub struct ModuleResponse {
    pub revision: u64,
    pub module_count: u64,
    pub modules: *const *const LimineFile,
}

/// `struct limine_file` (§File Structure), the fields we read; the loader's
/// struct goes on (media type, TFTP and partition details), and we only ever
/// read it through the pointers of a response.
#[repr(C)]
pub struct LimineFile {
    pub revision: u64,
    /// HHDM virtual address of the file's contents.
    pub address: *const u8,
    pub size: u64,
    /// Where the loader read it from, e.g. `/boot/initrd.tar`.
    pub path: *const c_char,
    /// The string the configuration gave the module (`module_cmdline`).
    pub cmdline: *const c_char,
}

/// Stack size request: `stack_size` at 48.
#[repr(C)]
pub struct StackSize {
    pub stack_size: u64,
}

/// The stack Limine enters `_start` on (bootloader-reclaimable memory, so it
/// stays ours). `_start` leaves it for the kernel's boot stack (with a guard
/// page, src/memory/stacks.rs) once `.bss` is zero, and `rust_entry` then
/// reports that stack's size instead of this one.
pub const STACK_SIZE: u64 = 256 * 1024;
/// What Limine gives without a stack size request (§Machine State at Entry).
const MINIMUM_STACK_SIZE: u64 = 65536;

// The requests. Each ID may appear only once (the loader refuses duplicates).

#[used]
#[unsafe(link_section = ".limine_requests")]
pub static BOOTLOADER_INFO: Request<BootloaderInfoResponse> =
    Request::new(request_id(0xf550_38d8_e2a1_202f, 0x2794_26fc_f5f5_9740), ());

#[used]
#[unsafe(link_section = ".limine_requests")]
pub static EXECUTABLE_COMMAND_LINE: Request<ExecutableCommandLineResponse> =
    Request::new(request_id(0x4b16_1536_e598_651e, 0xb390_ad4a_2f1f_303a), ());

#[used]
#[unsafe(link_section = ".limine_requests")]
pub static FIRMWARE_TYPE: Request<FirmwareTypeResponse> =
    Request::new(request_id(0x8c2f_75d9_0bef_28a8, 0x7045_a468_8eac_00c3), ());

#[used]
#[unsafe(link_section = ".limine_requests")]
pub static STACK_SIZE_REQUEST: Request<StackSizeResponse, StackSize> = Request::new(
    request_id(0x224e_f046_0a8e_8926, 0xe1cb_0fc2_5f46_ea3d),
    StackSize {
        stack_size: STACK_SIZE,
    },
);

#[used]
#[unsafe(link_section = ".limine_requests")]
pub static HHDM: Request<HhdmResponse> =
    Request::new(request_id(0x48dc_f1cb_8ad2_b852, 0x6398_4e95_9a98_244b), ());

#[used]
#[unsafe(link_section = ".limine_requests")]
pub static MEMORY_MAP: Request<MemoryMapResponse> =
    Request::new(request_id(0x67cf_3d9d_378a_806f, 0xe304_acdf_c50c_3c62), ());

#[used]
#[unsafe(link_section = ".limine_requests")]
pub static FRAMEBUFFER: Request<FramebufferResponse> =
    Request::new(request_id(0x9d58_27dc_d881_dd75, 0xa314_8604_f6fa_b11b), ());

#[used]
#[unsafe(link_section = ".limine_requests")]
pub static RSDP: Request<RsdpResponse> =
    Request::new(request_id(0xc5e7_7b6b_397e_7b43, 0x2763_7845_accd_cf3c), ());

#[used]
#[unsafe(link_section = ".limine_requests")]
pub static EXECUTABLE_ADDRESS: Request<ExecutableAddressResponse> =
    Request::new(request_id(0x71ba_7686_3cc5_5f63, 0xb264_4a48_c516_a487), ());

#[used]
#[unsafe(link_section = ".limine_requests")]
pub static MODULES: Request<ModuleResponse> =
    Request::new(request_id(0x3e7e_2797_02be_32af, 0xca1c_4f3b_d128_0cee), ());

// ---------------------------------------------------------------------------
// Responses -> BootInfo
// ---------------------------------------------------------------------------

/// §Memory Map Feature: entry types.
const MEMMAP_USABLE: u64 = 0;
const MEMMAP_RESERVED: u64 = 1;
const MEMMAP_ACPI_RECLAIMABLE: u64 = 2;
const MEMMAP_ACPI_NVS: u64 = 3;
const MEMMAP_BAD_MEMORY: u64 = 4;
const MEMMAP_BOOTLOADER_RECLAIMABLE: u64 = 5;
const MEMMAP_EXECUTABLE_AND_MODULES: u64 = 6;
const MEMMAP_FRAMEBUFFER: u64 = 7;
const MEMMAP_RESERVED_MAPPED: u64 = 8;

/// §Firmware Type Feature: the values of `firmware_type` on x86 (the other
/// one defined, SBI, is RISC-V's).
const FIRMWARE_TYPE_X86_BIOS: u64 = 0;
const FIRMWARE_TYPE_EFI32: u64 = 1;
const FIRMWARE_TYPE_EFI64: u64 = 2;

/// §Framebuffer Feature: the only memory model defined.
const FRAMEBUFFER_RGB: u8 = 1;
/// `Framebuffer::kind` for direct RGB (the Multiboot2 numbering BootInfo uses).
const FRAMEBUFFER_KIND_RGB: u8 = 1;

/// A Limine memory map type, as one of our kinds.
///
/// Bootloader-reclaimable memory (type 5) holds the responses, Limine's page
/// tables (CR3 still points at them), its GDT and the stack we run on. It
/// becomes usable only once the kernel has its own page tables, GDT and stack
/// and no longer reads responses; this kernel never gets there, so it treats
/// that memory as reserved. The kernel image and modules (6) and the
/// framebuffer (7) are in use; reserved-mapped (8) holds firmware tables.
pub fn memory_kind(kind: u64) -> MemoryKind {
    match kind {
        MEMMAP_USABLE => MemoryKind::Usable,
        MEMMAP_ACPI_RECLAIMABLE => MemoryKind::AcpiReclaimable,
        MEMMAP_ACPI_NVS => MemoryKind::AcpiNvs,
        MEMMAP_BAD_MEMORY => MemoryKind::Bad,
        MEMMAP_RESERVED
        | MEMMAP_BOOTLOADER_RECLAIMABLE
        | MEMMAP_EXECUTABLE_AND_MODULES
        | MEMMAP_FRAMEBUFFER
        | MEMMAP_RESERVED_MAPPED => MemoryKind::Reserved,
        _ => MemoryKind::Reserved,
    }
}

/// A Limine firmware type, as one of our kinds.
pub fn firmware(firmware_type: u64) -> Firmware {
    match firmware_type {
        FIRMWARE_TYPE_X86_BIOS => Firmware::Bios,
        FIRMWARE_TYPE_EFI32 => Firmware::Uefi32,
        FIRMWARE_TYPE_EFI64 => Firmware::Uefi64,
        // SBI (RISC-V), or a value newer than this kernel.
        _ => Firmware::NotReported,
    }
}

/// The NUL-terminated string at `string` (empty if null).
///
/// # Safety
/// A non-null `string` must point to a NUL-terminated string that stays valid.
unsafe fn c_string(string: *const c_char) -> &'static [u8] {
    if string.is_null() {
        return &[];
    }
    // SAFETY: forwarded from the caller.
    unsafe { CStr::from_ptr(string) }.to_bytes()
}

/// Copies the responses into a [`BootInfo`].
///
/// The HHDM and executable address responses are required (without them the
/// kernel cannot reach physical memory or know where it is): their absence is
/// reported as `Err` with the name of the missing response.
pub fn parse() -> Result<BootInfo, &'static str> {
    let hhdm = HHDM.response().ok_or("HHDM")?;
    let executable = EXECUTABLE_ADDRESS.response().ok_or("executable address")?;

    let mut info = BootInfo::new(Loader::Limine, 0);
    info.physical_memory_offset = hhdm.offset;
    info.kernel_physical_base = executable.physical_base;
    info.kernel_virtual_base = executable.virtual_base;

    if let Some(response) = BOOTLOADER_INFO.response() {
        let mut name = FixedString::<64>::new();
        // "Limine 12.9.1": name and version, as GRUB reports "GRUB 2.06".
        // SAFETY: §General Notes: non-null pointers to NUL-terminated strings.
        let (loader, version) = unsafe { (c_string(response.name), c_string(response.version)) };
        name.push_bytes(loader);
        name.push_bytes(b" ");
        name.push_bytes(version);
        info.bootloader_name = name;
    }

    // Without a response (a loader that does not know the request) the
    // firmware stays "not reported".
    if let Some(response) = FIRMWARE_TYPE.response() {
        info.firmware = firmware(response.firmware_type);
    }

    // §Stack Size Feature: a response means the loader gave the stack asked
    // for; without one, the stack has the protocol's minimum.
    info.stack_size = Some(if STACK_SIZE_REQUEST.response().is_some() {
        STACK_SIZE
    } else {
        MINIMUM_STACK_SIZE
    });

    if let Some(response) = EXECUTABLE_COMMAND_LINE.response() {
        // SAFETY: as above.
        info.command_line = FixedString::from_bytes(unsafe { c_string(response.cmdline) });
    }

    if let Some(response) = MEMORY_MAP.response() {
        for index in 0..response.entry_count as usize {
            // SAFETY: §Memory Map Feature: `entries` points to `entry_count`
            // non-null pointers to entries.
            let entry = unsafe { &**response.entries.add(index) };
            info.push_memory_region(MemoryRegion {
                start: entry.base,
                len: entry.length,
                kind: memory_kind(entry.kind),
            });
        }
    }

    // §Module Feature: the files `module_path` lines of limine.conf loaded.
    // Their memory is "executable and modules" in the map (reserved here)
    // already; listing them gives the kernel their addresses.
    if let Some(response) = MODULES.response() {
        for index in 0..response.module_count as usize {
            // SAFETY: §Module Feature: `modules` points to `module_count`
            // non-null pointers to files, in bootloader-reclaimable memory.
            let file = unsafe { &**response.modules.add(index) };
            info.push_module(Module {
                // BootInfo holds physical addresses; `address` is in the HHDM.
                start: (file.address as u64).wrapping_sub(hhdm.offset),
                len: file.size,
                // SAFETY: §General Notes: a NUL-terminated string (or null).
                command_line: FixedString::from_bytes(unsafe { c_string(file.cmdline) }),
            });
        }
    }

    let framebuffers = FRAMEBUFFER.response().filter(|r| r.framebuffer_count > 0);
    if let Some(response) = framebuffers {
        // SAFETY: `framebuffers` points to `framebuffer_count` non-null pointers.
        let fb = unsafe { &**response.framebuffers };
        if fb.memory_model == FRAMEBUFFER_RGB {
            info.framebuffer = Some(Framebuffer {
                // BootInfo holds physical addresses; the pixels are at
                // `address + physical_memory_offset` (the HHDM, which maps
                // framebuffers).
                address: (fb.address as u64).wrapping_sub(hhdm.offset),
                pitch: fb.pitch as u32,
                width: fb.width as u32,
                height: fb.height as u32,
                bits_per_pixel: fb.bpp as u8,
                kind: FRAMEBUFFER_KIND_RGB,
                pixel_format: PixelFormat {
                    red_size: fb.red_mask_size,
                    red_shift: fb.red_mask_shift,
                    green_size: fb.green_mask_size,
                    green_shift: fb.green_mask_shift,
                    blue_size: fb.blue_mask_size,
                    blue_shift: fb.blue_mask_shift,
                },
            });
        }
    }

    if let Some(response) = RSDP.response() {
        // Base revision 6: an HHDM address (physical only under revision 3).
        info.rsdp = Some(response.address.wrapping_sub(hhdm.offset));
    }

    Ok(info)
}
