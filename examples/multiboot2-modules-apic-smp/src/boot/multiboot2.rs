//! Multiboot2: the header that lets GRUB find and load us, and the parser for
//! the boot information GRUB hands over.
//!
//! Specification: "The Multiboot2 Specification version 2.0"
//! (<https://www.gnu.org/software/grub/manual/multiboot2/multiboot.html>);
//! section numbers below refer to it.

use core::ffi::CStr;
use core::mem::size_of;

use crate::sync::Once;

use super::{
    BootInfo, Firmware, FixedString, Framebuffer, Loader, MemoryKind, MemoryRegion, PixelFormat,
};
use crate::boot_info::Module;

// ---------------------------------------------------------------------------
// The header (§3.1)
// ---------------------------------------------------------------------------

/// §3.1.2: `magic` field of the header.
const HEADER_MAGIC: u32 = 0xE852_50D6;
/// §3.1.3: `architecture` 0 = 32-bit (protected mode) i386. There is no
/// "x86_64" value: the loader always enters the kernel in 32-bit protected
/// mode, and entry32.rs switches to long mode itself.
const ARCHITECTURE_I386: u32 = 0;
/// §3.1.4: flag bit 0 of a tag: the loader may ignore the tag if unsupported.
const TAG_OPTIONAL: u16 = 1;
/// §3.1.3: the end tag.
const HEADER_TAG_END: u16 = 0;
/// §3.6.12: framebuffer_type 1, direct RGB colour.
const FRAMEBUFFER_TYPE_RGB: u8 = 1;

/// §3.1.10: the framebuffer tag: ask the loader for a linear framebuffer.
const HEADER_TAG_FRAMEBUFFER: u16 = 5;
/// The mode the framebuffer tag asks for, a preference only (§3.1.10: the
/// loader picks the closest mode it has): 1024x768 at 32 bits per pixel,
/// which every VBE and GOP display offers. The console (src/framebuffer.rs)
/// draws on whatever RGB mode GRUB sets.
const PREFERRED_WIDTH: u32 = 1024;
const PREFERRED_HEIGHT: u32 = 768;
const PREFERRED_DEPTH: u32 = 32;

/// §3.1.10, framebuffer tag. The tag itself is 20 bytes; `align(8)` adds the
/// padding that keeps the next tag 8-byte aligned (§3.1.3).
#[repr(C, align(8))]
struct FramebufferTag {
    kind: u16,
    flags: u16,
    size: u32,
    width: u32,
    height: u32,
    depth: u32,
}

/// §3.1.3: the end tag (type 0, size 8).
#[repr(C, align(8))]
struct EndTag {
    kind: u16,
    flags: u16,
    size: u32,
}

/// §3.1.1: the header. Must be 8-byte aligned and within the first 32 KiB of
/// the file; linker.ld puts it first.
#[repr(C, align(8))]
pub struct Header {
    magic: u32,
    architecture: u32,
    header_length: u32,
    checksum: u32,
    framebuffer: FramebufferTag,
    end: EndTag,
}

impl Header {
    const fn new() -> Self {
        let header_length = size_of::<Header>() as u32;
        Header {
            magic: HEADER_MAGIC,
            architecture: ARCHITECTURE_I386,
            header_length,
            // §3.1.2: magic + architecture + header_length + checksum must be
            // 0 (mod 2^32), so the checksum is the negated sum.
            checksum: 0u32
                .wrapping_sub(HEADER_MAGIC)
                .wrapping_sub(ARCHITECTURE_I386)
                .wrapping_sub(header_length),
            framebuffer: FramebufferTag {
                kind: HEADER_TAG_FRAMEBUFFER,
                // Optional: boot anyway, serial only, if the loader has no
                // graphics mode (then the framebuffer tag is EGA text or
                // missing).
                flags: TAG_OPTIONAL,
                size: 20,
                width: PREFERRED_WIDTH,
                height: PREFERRED_HEIGHT,
                depth: PREFERRED_DEPTH,
            },
            end: EndTag {
                kind: HEADER_TAG_END,
                flags: 0,
                size: size_of::<EndTag>() as u32,
            },
        }
    }
}

/// The header itself. `#[used]` keeps it although no code refers to it; the
/// linker script KEEPs its section and places it at the start of the image.
#[used]
#[unsafe(link_section = ".multiboot2_header")]
pub static HEADER: Header = Header::new();

// ---------------------------------------------------------------------------
// The boot information (§3.6)
// ---------------------------------------------------------------------------

/// §3.2: value of eax when a Multiboot2 loader enters the kernel.
pub const BOOTLOADER_MAGIC: u32 = 0x36D7_6289;

// §3.6.x: tag types of the boot information.
const TAG_END: u32 = 0;
const TAG_COMMAND_LINE: u32 = 1; // §3.6.5
const TAG_BOOTLOADER_NAME: u32 = 2; // §3.6.9
const TAG_MODULE: u32 = 3; // §3.6.6
const TAG_MEMORY_MAP: u32 = 6; // §3.6.8
const TAG_FRAMEBUFFER: u32 = 8; // §3.6.12
/// §3.6.13: EFI 32-bit system table pointer (u32), from a loader running on
/// IA-32 UEFI firmware (GRUB's i386-efi platform).
const TAG_EFI32_SYSTEM_TABLE: u32 = 11;
/// §3.6.14: EFI 64-bit system table pointer (u64), from a loader running on
/// x64 UEFI firmware (GRUB's x86_64-efi platform).
const TAG_EFI64_SYSTEM_TABLE: u32 = 12;
/// §3.6.16: ACPI old RSDP: a copy of the RSDP as ACPI 1.0 defines it.
const TAG_ACPI_OLD_RSDP: u32 = 14;
/// §3.6.17: ACPI new RSDP: a copy of the RSDP as ACPI 2.0 and later define it.
const TAG_ACPI_NEW_RSDP: u32 = 15;

/// ACPI 6.5 §5.2.5.3: the RSDP starts with this signature.
const RSDP_SIGNATURE: &[u8; 8] = b"RSD PTR ";
/// ACPI 6.5 §5.2.5.3: the ACPI 1.0 RSDP is 20 bytes, the ACPI 2.0+ one 36
/// (with the `length` field, the XSDT address and an extended checksum).
const RSDP_V1_LEN: usize = 20;
const RSDP_V2_LEN: usize = 36;

/// The RSDP, copied out of the boot information. GRUB passes a copy of the
/// RSDP, not its address (§3.6.16-17), and the boot information lies in
/// memory the memory map calls usable, which the heap and the page tables may
/// reuse. So the kernel keeps its own copy, in the image (identity mapped:
/// its address is physical), and reports that as [`BootInfo::rsdp`]: a valid
/// RSDP structure (signature, checksums, RSDT/XSDT address) for an ACPI
/// parser. 16-byte aligned, as the RSDP is in the BIOS search area.
#[repr(C, align(16))]
struct RsdpCopy([u8; RSDP_V2_LEN]);

static RSDP_COPY: Once<RsdpCopy> = Once::new();

/// Reads a `T` at physical address `address`.
///
/// # Safety
/// `address..address + size_of::<T>()` must be readable (identity mapped).
unsafe fn read<T: Copy>(address: u64) -> T {
    // SAFETY: forwarded; unaligned reads are fine for any address.
    unsafe { (address as *const T).read_unaligned() }
}

/// The NUL-terminated string stored in `[address, address + max_len)`.
///
/// # Safety
/// The range must be readable.
unsafe fn c_string(address: u64, max_len: usize) -> &'static [u8] {
    // SAFETY: forwarded from the caller.
    let bytes = unsafe { core::slice::from_raw_parts(address as *const u8, max_len) };
    CStr::from_bytes_until_nul(bytes).map_or(bytes, CStr::to_bytes)
}

/// The tags of the information structure at `mbi`, as `(type, payload
/// address, payload length)`, up to the end tag or the first malformed one.
struct Tags {
    next: u64,
    end: u64,
}

/// Walks the tags of the structure at `mbi`.
///
/// # Safety
/// `mbi` must point to a Multiboot2 information structure (its `total_size`
/// bytes readable and identity mapped) for as long as the walk lasts.
unsafe fn tags(mbi: u64) -> Tags {
    // §3.6.1: u32 total_size, u32 reserved, then 8-byte aligned tags.
    // SAFETY: the caller guarantees a valid structure at `mbi`.
    let total_size = u64::from(unsafe { read::<u32>(mbi) });
    Tags {
        next: mbi + 8,
        end: mbi + total_size,
    }
}

impl Iterator for Tags {
    type Item = (u32, u64, usize);

    fn next(&mut self) -> Option<Self::Item> {
        let tag = self.next;
        if tag + 8 > self.end {
            return None;
        }
        // §3.6.1: each tag starts with u32 type, u32 size (size excludes the
        // padding to the next 8-byte boundary).
        // SAFETY: the tag header lies inside the structure (checked above),
        // which `tags`' caller vouched for.
        let (kind, size) = unsafe { (read::<u32>(tag), read::<u32>(tag + 4)) };
        let size = u64::from(size);
        if kind == TAG_END || size < 8 || tag + size > self.end {
            self.next = self.end; // the end, or malformed: keep what we have
            return None;
        }
        self.next = tag + size.next_multiple_of(8);
        Some((kind, tag + 8, (size - 8) as usize))
    }
}

/// Translates the Multiboot2 information structure at `mbi` into a
/// [`BootInfo`].
///
/// # Safety
/// `mbi` must be the address a Multiboot2 loader passed in ebx, and the
/// structure must be identity mapped and intact.
pub unsafe fn parse(mbi: u64) -> BootInfo {
    let mut info = BootInfo::new(Loader::Multiboot2, mbi);
    // A loader on UEFI firmware passes the EFI system table (GRUB always does:
    // grub-core/loader/multiboot_mbi2.c); without that tag, the machine
    // started from a BIOS.
    info.firmware = Firmware::Bios;

    // The payload of the RSDP tag to keep: the new one (tag 15) if there is
    // one, which has the XSDT address; the old one (tag 14) otherwise.
    let mut rsdp: Option<(u64, usize, u32)> = None;

    // SAFETY: the caller guarantees a valid structure at `mbi`.
    for (kind, payload, payload_len) in unsafe { tags(mbi) } {
        match kind {
            TAG_COMMAND_LINE => {
                // §3.6.5: a NUL-terminated UTF-8 string.
                // SAFETY: the payload lies inside the tag.
                info.command_line =
                    FixedString::from_bytes(unsafe { c_string(payload, payload_len) });
            }
            TAG_BOOTLOADER_NAME => {
                // §3.6.9: a NUL-terminated UTF-8 string.
                // SAFETY: the payload lies inside the tag.
                info.bootloader_name =
                    FixedString::from_bytes(unsafe { c_string(payload, payload_len) });
            }
            TAG_MEMORY_MAP => {
                // §3.6.8: u32 entry_size, u32 entry_version, then entries of
                // u64 base_addr, u64 length, u32 type, u32 reserved.
                // SAFETY: the fields lie inside the tag.
                let entry_size = u64::from(unsafe { read::<u32>(payload) });
                let mut entry = payload + 8;
                let tag_end = payload + payload_len as u64;
                while entry_size >= 20 && entry + entry_size <= tag_end {
                    // SAFETY: the entry lies inside the tag (loop condition).
                    let (start, len, kind) = unsafe {
                        (
                            read::<u64>(entry),
                            read::<u64>(entry + 8),
                            read::<u32>(entry + 16),
                        )
                    };
                    info.push_memory_region(MemoryRegion {
                        start,
                        len,
                        kind: MemoryKind::from_e820(kind),
                    });
                    entry += entry_size;
                }
            }
            TAG_FRAMEBUFFER if payload_len >= 22 => {
                // §3.6.12: u64 framebuffer_addr, u32 pitch, u32 width,
                // u32 height, u8 bpp, u8 type, u16 reserved, colour info.
                // SAFETY: the fields lie inside the tag (guard above).
                let kind: u8 = unsafe { read(payload + 21) };
                // For direct RGB (type 1) the colour info is six bytes: the
                // position, then the size, of red, green and blue.
                let pixel_format = if kind == FRAMEBUFFER_TYPE_RGB && payload_len >= 30 {
                    // SAFETY: inside the tag (guard above).
                    unsafe {
                        PixelFormat {
                            red_shift: read(payload + 24),
                            red_size: read(payload + 25),
                            green_shift: read(payload + 26),
                            green_size: read(payload + 27),
                            blue_shift: read(payload + 28),
                            blue_size: read(payload + 29),
                        }
                    }
                } else {
                    PixelFormat::default()
                };
                // SAFETY: the fields lie inside the tag (guard above).
                info.framebuffer = Some(unsafe {
                    Framebuffer {
                        address: read(payload),
                        pitch: read(payload + 8),
                        width: read(payload + 12),
                        height: read(payload + 16),
                        bits_per_pixel: read(payload + 20),
                        kind,
                        pixel_format,
                    }
                });
            }
            TAG_EFI32_SYSTEM_TABLE if payload_len >= 4 => {
                info.firmware = Firmware::Uefi32;
                // SAFETY: the u32 pointer lies inside the tag (guard above).
                info.efi_system_table = Some(u64::from(unsafe { read::<u32>(payload) }));
            }
            TAG_EFI64_SYSTEM_TABLE if payload_len >= 8 => {
                info.firmware = Firmware::Uefi64;
                // SAFETY: the u64 pointer lies inside the tag (guard above).
                info.efi_system_table = Some(unsafe { read::<u64>(payload) });
            }
            TAG_ACPI_OLD_RSDP | TAG_ACPI_NEW_RSDP
                if payload_len >= RSDP_V1_LEN
                    && !matches!(rsdp, Some((_, _, TAG_ACPI_NEW_RSDP))) =>
            {
                rsdp = Some((payload, payload_len.min(RSDP_V2_LEN), kind));
            }
            _ => {} // tags we do not use (ELF sections, ...), modules below
        }
    }
    // Modules last: marking their memory needs the whole memory map, and GRUB
    // puts the module tags before it (grub-core/loader/multiboot_mbi2.c).
    // SAFETY: as above.
    for (kind, payload, payload_len) in unsafe { tags(mbi) } {
        if kind == TAG_MODULE && payload_len >= 8 {
            // §3.6.6: u32 mod_start, u32 mod_end (one past the last byte:
            // GRUB stores start + size), then a NUL-terminated string.
            // SAFETY: the fields lie inside the tag (guard above).
            let (start, end, command_line) = unsafe {
                (
                    read::<u32>(payload),
                    read::<u32>(payload + 4),
                    c_string(payload + 8, payload_len - 8),
                )
            };
            info.push_module(Module {
                start: u64::from(start),
                len: u64::from(end.saturating_sub(start)),
                command_line: FixedString::from_bytes(command_line),
            });
        }
    }
    if let Some((payload, len, _)) = rsdp {
        let mut copy = RsdpCopy([0; RSDP_V2_LEN]);
        // SAFETY: `len` bytes from `payload` lie inside the tag (checked when
        // the tag was seen).
        let bytes = unsafe { core::slice::from_raw_parts(payload as *const u8, len) };
        copy.0[..len].copy_from_slice(bytes);
        if copy.0.starts_with(RSDP_SIGNATURE) {
            // `parse` runs once; a second call would keep the first copy.
            let kept = match RSDP_COPY.set(copy) {
                Ok(kept) => Some(kept),
                Err(_) => RSDP_COPY.get(),
            };
            info.rsdp = kept.map(|kept| kept as *const RsdpCopy as u64);
        }
    }
    info
}
