//! What the boot loader told us, in one form whatever the boot protocol.
//!
//! Each protocol's code in `src/boot/` fills a [`BootInfo`]; the rest of the
//! kernel reads only this. It copies everything it keeps (fixed-capacity
//! arrays, no heap), so the loader's own structures may be reused afterwards.
//! Every address in it is physical; the kernel reaches physical memory at
//! `physical + physical_memory_offset`.

use core::fmt;

/// Which boot protocol brought us here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum Loader {
    /// GRUB or another Multiboot2 loader (the values are what the 32-bit entry passes).
    Multiboot2 = 1,
    /// QEMU's direct boot of the ELF through its PVH note.
    Pvh = 2,
    /// The Limine boot protocol.
    Limine = 3,
}

/// The firmware that started the machine, as the boot protocol reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Firmware {
    /// A PC BIOS (SeaBIOS under QEMU).
    Bios,
    /// UEFI firmware running in 32-bit mode (IA-32).
    Uefi32,
    /// UEFI firmware running in 64-bit mode (x64).
    Uefi64,
    /// The boot protocol has no way to say (PVH's start info has no such
    /// field), or the loader did not answer.
    NotReported,
}

impl Firmware {
    pub fn name(self) -> &'static str {
        match self {
            Self::Bios => "BIOS",
            Self::Uefi32 => "UEFI (32-bit)",
            Self::Uefi64 => "UEFI (64-bit)",
            Self::NotReported => "not reported by the boot protocol",
        }
    }
}

/// Kinds of physical memory, following the BIOS E820 types (ACPI spec §15,
/// "System Address Map Interfaces") that Multiboot2 and PVH reuse; a loader
/// with types of its own maps them onto these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemoryKind {
    /// Free RAM (type 1).
    Usable,
    /// Not usable (type 2, and anything unknown).
    Reserved,
    /// Holds ACPI tables; usable once they have been read (type 3).
    AcpiReclaimable,
    /// Must be preserved across sleep states (type 4).
    AcpiNvs,
    /// Defective RAM (type 5).
    Bad,
    /// Usable RAM the kernel took for page tables (`memory::init`); not an
    /// E820 type.
    PageTables,
    /// Holds a module the loader loaded beside the kernel (an initrd, a
    /// Multiboot2 `module2`), listed in [`BootInfo::modules`]. The loader
    /// calls that memory usable; the boot code gives it this kind so that
    /// neither the heap nor page tables overwrite the module. Not an E820 type.
    BootModule,
}

impl MemoryKind {
    /// Interprets an E820-style type number.
    pub fn from_e820(kind: u32) -> Self {
        match kind {
            1 => Self::Usable,
            3 => Self::AcpiReclaimable,
            4 => Self::AcpiNvs,
            5 => Self::Bad,
            _ => Self::Reserved,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Usable => "usable",
            Self::Reserved => "reserved",
            Self::AcpiReclaimable => "ACPI reclaimable",
            Self::AcpiNvs => "ACPI NVS",
            Self::Bad => "bad",
            Self::PageTables => "page tables",
            Self::BootModule => "boot module",
        }
    }
}

/// A physical memory range `[start, start + len)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryRegion {
    pub start: u64,
    pub len: u64,
    pub kind: MemoryKind,
}

impl MemoryRegion {
    const EMPTY: Self = Self {
        start: 0,
        len: 0,
        kind: MemoryKind::Reserved,
    };

    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.len)
    }
}

/// A string copied out of the boot information, truncated to `N` bytes.
#[derive(Clone, Copy)]
pub struct FixedString<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> FixedString<N> {
    pub const fn new() -> Self {
        Self {
            bytes: [0; N],
            len: 0,
        }
    }

    /// Copies `bytes` (up to `N` of them; invalid UTF-8 is cut off).
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let mut s = Self::new();
        let bytes = match core::str::from_utf8(bytes) {
            Ok(valid) => valid.as_bytes(),
            Err(error) => &bytes[..error.valid_up_to()],
        };
        // Truncate on a character boundary so the result stays valid UTF-8.
        let mut len = bytes.len().min(N);
        while len > 0 && len < bytes.len() && (bytes[len] & 0xC0) == 0x80 {
            len -= 1;
        }
        s.bytes[..len].copy_from_slice(&bytes[..len]);
        s.len = len;
        s
    }

    /// Appends `bytes` (what fits; invalid UTF-8 is cut off).
    pub fn push_bytes(&mut self, bytes: &[u8]) {
        let tail = FixedString::<N>::from_bytes(bytes);
        let len = tail.len.min(N - self.len);
        let mut cut = len;
        while cut > 0 && cut < tail.len && (tail.bytes[cut] & 0xC0) == 0x80 {
            cut -= 1;
        }
        self.bytes[self.len..self.len + cut].copy_from_slice(&tail.bytes[..cut]);
        self.len += cut;
    }

    pub fn as_str(&self) -> &str {
        // `from_bytes` only ever stores valid UTF-8.
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("")
    }
}

impl<const N: usize> Default for FixedString<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> fmt::Display for FixedString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for FixedString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// Where the colour channels sit in a direct-RGB pixel: each channel is
/// `size` bits wide, starting at bit `shift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PixelFormat {
    pub red_size: u8,
    pub red_shift: u8,
    pub green_size: u8,
    pub green_shift: u8,
    pub blue_size: u8,
    pub blue_shift: u8,
}

/// A linear framebuffer set up by the loader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Framebuffer {
    /// Physical address of the pixels (the kernel writes them at
    /// `address + BootInfo::physical_memory_offset`).
    pub address: u64,
    /// Bytes per scan line.
    pub pitch: u32,
    pub width: u32,
    pub height: u32,
    pub bits_per_pixel: u8,
    /// Multiboot2 framebuffer_type numbering: 0 indexed, 1 direct RGB, 2 EGA
    /// text. Limine framebuffers are always direct RGB.
    pub kind: u8,
    /// Channel layout, for `kind` 1.
    pub pixel_format: PixelFormat,
}

/// Capacity of the memory map. Real machines report a few dozen regions.
pub const MAX_MEMORY_REGIONS: usize = 64;

/// Capacity of the module list: an initrd, a few drivers or programs.
/// Modules beyond it are counted in [`BootInfo::modules_dropped`], and their
/// memory is still kept from the heap.
pub const MAX_MODULES: usize = 16;
/// Bytes of a module's command line that are kept (GRUB's `module2 FILE
/// ARGS...` passes the file name and its arguments).
pub const MODULE_COMMAND_LINE_CAPACITY: usize = 64;

/// A file the loader loaded into memory beside the kernel: a Multiboot2
/// module (§3.6.6, GRUB's `module2`), a PVH module (QEMU's `-initrd`) or a Limine
/// module (`module_path` in limine.conf).
#[derive(Debug, Clone, Copy)]
pub struct Module {
    /// Physical address of its first byte.
    pub start: u64,
    /// Its size in bytes.
    pub len: u64,
    /// The string the loader passed with it (may be empty).
    pub command_line: FixedString<MODULE_COMMAND_LINE_CAPACITY>,
}

impl Module {
    const EMPTY: Self = Self {
        start: 0,
        len: 0,
        command_line: FixedString::new(),
    };

    pub fn end(&self) -> u64 {
        self.start.saturating_add(self.len)
    }
}

/// Everything the kernel needs to know from the boot loader, independent of
/// the boot protocol.
#[derive(Debug)]
pub struct BootInfo {
    pub loader: Loader,
    /// The loader's name and version ("GRUB 2.06", "Limine 12.9.1").
    pub bootloader_name: FixedString<64>,
    /// How the machine was started: BIOS or UEFI.
    pub firmware: Firmware,
    /// Physical address of the UEFI system table, when the loader passed it.
    pub efi_system_table: Option<u64>,
    /// The kernel command line, e.g. `exit-after-boot`.
    pub command_line: FixedString<256>,
    memory_regions: [MemoryRegion; MAX_MEMORY_REGIONS],
    memory_region_count: usize,
    /// Regions that did not fit into the fixed-capacity map.
    pub memory_regions_dropped: usize,
    modules: [Module; MAX_MODULES],
    module_count: usize,
    /// Modules that did not fit into the fixed-capacity list.
    pub modules_dropped: usize,
    pub framebuffer: Option<Framebuffer>,
    /// Physical address of the loader's original structure (the Multiboot2
    /// information, the PVH start info; 0 for Limine, whose information is
    /// spread over its responses).
    pub raw_info_address: u64,
    /// Physical memory is mapped at `physical + physical_memory_offset`
    /// (Limine: the HHDM offset, which may be randomised; 0 where physical
    /// memory is identity mapped).
    pub physical_memory_offset: u64,
    /// Where the kernel image starts in physical memory (Limine: executable
    /// address response).
    pub kernel_physical_base: u64,
    /// Where the kernel image starts in virtual memory (its link address).
    pub kernel_virtual_base: u64,
    /// Physical address of the ACPI RSDP, if the loader found one.
    pub rsdp: Option<u64>,
    /// Size in bytes of the stack the kernel runs on, when known.
    pub stack_size: Option<u64>,
}

impl BootInfo {
    pub fn new(loader: Loader, raw_info_address: u64) -> Self {
        Self {
            loader,
            bootloader_name: FixedString::new(),
            firmware: Firmware::NotReported,
            efi_system_table: None,
            command_line: FixedString::new(),
            memory_regions: [MemoryRegion::EMPTY; MAX_MEMORY_REGIONS],
            memory_region_count: 0,
            memory_regions_dropped: 0,
            modules: [Module::EMPTY; MAX_MODULES],
            module_count: 0,
            modules_dropped: 0,
            framebuffer: None,
            raw_info_address,
            physical_memory_offset: 0,
            kernel_physical_base: 0,
            kernel_virtual_base: 0,
            rsdp: None,
            stack_size: None,
        }
    }

    /// The physical range `[start, end)` the kernel image occupies, from the
    /// linker symbols around the image and the loader's placement of it.
    pub fn kernel_physical_range(&self) -> (u64, u64) {
        let start = &raw const __kernel_start as u64;
        let end = &raw const __kernel_end as u64;
        let to_physical = |virt: u64| {
            virt.wrapping_sub(self.kernel_virtual_base)
                .wrapping_add(self.kernel_physical_base)
        };
        (to_physical(start), to_physical(end))
    }

    /// Records a kernel that runs where it was loaded, identity mapped (virtual
    /// = physical), as a loader leaves it that does not move it to the higher
    /// half.
    pub fn set_kernel_identity_mapped(&mut self) {
        let start = &raw const __kernel_start as u64;
        self.kernel_physical_base = start;
        self.kernel_virtual_base = start;
    }

    /// The virtual address at which the kernel reaches physical address
    /// `physical` (through the HHDM).
    pub fn physical_to_virtual(&self, physical: u64) -> u64 {
        physical.wrapping_add(self.physical_memory_offset)
    }

    /// Records a memory region (empty ones are skipped, overflow is counted).
    pub fn push_memory_region(&mut self, region: MemoryRegion) {
        if region.len == 0 {
            return;
        }
        if self.memory_region_count < MAX_MEMORY_REGIONS {
            self.memory_regions[self.memory_region_count] = region;
            self.memory_region_count += 1;
        } else {
            self.memory_regions_dropped += 1;
        }
    }

    /// Gives `[start, end)` the kind `kind`, splitting the region that holds
    /// it. Changes nothing if no single region holds the whole range. Without
    /// room for the split, the range and the smaller remainder leave the map
    /// (counted in `memory_regions_dropped`): memory the map does not list is
    /// never used, so that is safe.
    pub fn set_memory_kind(&mut self, start: u64, end: u64, kind: MemoryKind) {
        let Some(index) = self
            .memory_regions()
            .iter()
            .position(|region| region.start <= start && end <= region.end() && start < end)
        else {
            return;
        };
        let region = self.memory_regions[index];
        let before = MemoryRegion {
            start: region.start,
            len: start - region.start,
            kind: region.kind,
        };
        let middle = MemoryRegion {
            start,
            len: end - start,
            kind,
        };
        let after = MemoryRegion {
            start: end,
            len: region.end() - end,
            kind: region.kind,
        };
        let mut pieces = [before, middle, after];
        let mut count = 0;
        for piece in pieces {
            if piece.len > 0 {
                pieces[count] = piece;
                count += 1;
            }
        }
        let extra = count - 1;
        if self.memory_region_count + extra > MAX_MEMORY_REGIONS {
            self.memory_regions[index] = if before.len >= after.len {
                before
            } else {
                after
            };
            self.memory_regions_dropped += 1;
            return;
        }
        // Shift the regions after `index` to make room, keeping the order.
        self.memory_regions
            .copy_within(index + 1..self.memory_region_count, index + 1 + extra);
        self.memory_regions[index..index + count].copy_from_slice(&pieces[..count]);
        self.memory_region_count += extra;
    }

    pub fn memory_regions(&self) -> &[MemoryRegion] {
        &self.memory_regions[..self.memory_region_count]
    }

    /// Records a module and takes its memory out of the usable memory
    /// ([`MemoryKind::BootModule`]). Call it after the memory map is
    /// complete: memory the map does not list yet cannot be marked.
    pub fn push_module(&mut self, module: Module) {
        self.reserve(module.start, module.end(), MemoryKind::BootModule);
        if self.module_count < MAX_MODULES {
            self.modules[self.module_count] = module;
            self.module_count += 1;
        } else {
            self.modules_dropped += 1;
        }
    }

    /// The boot modules, in the loader's order (Multiboot2's module tags,
    /// PVH's module list, Limine's module response).
    pub fn modules(&self) -> &[Module] {
        &self.modules[..self.module_count]
    }

    /// Gives every usable byte of `[start, end)` the kind `kind`, even where
    /// the range spans several regions of the map (unlike
    /// [`set_memory_kind`](Self::set_memory_kind), which needs one region to
    /// hold it all). Not-usable parts keep their kind.
    pub fn reserve(&mut self, start: u64, end: u64, kind: MemoryKind) {
        // Each pass marks one usable piece, which then is no longer usable,
        // so the loop ends. Without room to split, `set_memory_kind` drops
        // the piece (and the smaller remainder) from the map: no longer
        // usable either.
        while let Some((piece_start, piece_end)) = self.usable_piece(start, end) {
            self.set_memory_kind(piece_start, piece_end, kind);
        }
    }

    /// The first part of `[start, end)` that lies in one usable region.
    fn usable_piece(&self, start: u64, end: u64) -> Option<(u64, u64)> {
        self.memory_regions().iter().find_map(|region| {
            let piece = (region.start.max(start), region.end().min(end));
            (region.kind == MemoryKind::Usable && piece.0 < piece.1).then_some(piece)
        })
    }

    /// Total bytes of usable RAM.
    pub fn usable_memory(&self) -> u64 {
        self.memory_regions()
            .iter()
            .filter(|region| region.kind == MemoryKind::Usable)
            .map(|region| region.len)
            .sum()
    }

    /// Whether the command line contains `option` as a whole word.
    pub fn has_option(&self, option: &str) -> bool {
        self.command_line
            .as_str()
            .split_ascii_whitespace()
            .any(|word| word == option)
    }
}

unsafe extern "C" {
    // Defined in linker.ld: the (virtual) bounds of the kernel image.
    static __kernel_start: u8;
    static __kernel_end: u8;
}
