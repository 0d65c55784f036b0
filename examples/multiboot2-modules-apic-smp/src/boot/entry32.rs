//! The 32-bit entry point: from protected mode to 64-bit Rust.
//!
//! Both loaders enter `_start` in 32-bit protected mode with paging off, flat
//! 4 GiB segments and interrupts disabled (Multiboot2 spec §3.2, Xen
//! docs/misc/pvh.pandoc). Rust code cannot run yet: the target is 64-bit. This
//! code, in order:
//!
//! 1. zeroes `.bss`, saves the loader's registers and switches to the kernel's stack,
//!    [`BOOT_STACK`] (in `.bss`, with a guard page below it that
//!    [`crate::memory::init`] unmaps later),
//! 2. works out which loader started us (or prints an error and exits QEMU
//!    with failure; halts on real hardware),
//! 3. checks that the CPU supports 64-bit long mode (a CPU without it gets
//!    its message from here, in 32-bit code),
//! 4. identity-maps the first 4 GiB with 2 MiB pages (the code, the stacks,
//!    the loader's information and, below 4 GiB, the framebuffer;
//!    [`crate::memory::init`] maps the rest of RAM, wherever it lies, and
//!    then maps the kernel image W^X with 4 KiB pages),
//! 5. loads a GDT with a 64-bit code segment,
//! 6. writes what entering long mode needs, and no more: CR4 = PAE,
//!    IA32_EFER = LME, CR0 = PE, ET and PG, each as a whole value (Intel SDM
//!    Vol. 3A §10.8.5), and jumps to 64-bit code,
//! 7. checks the CPU features the kernel needs (no-execute pages and the
//!    preset's) and writes CR0, CR4 and IA32_EFER as whole known values
//!    ([`super::cpu_features`], the same 64-bit code for every boot
//!    protocol),
//! 8. calls `super::rust_entry(loader, boot info address)`.
//!
//! The page tables of step 4 set no XD bit, so paging can start before
//! step 7 sets IA32_EFER.NXE (without it, XD is a reserved bit). Error
//! messages go to COM1 through [`super::early_serial`], whose routines run
//! in both modes.
//!
//! Intel syntax; numeric local labels start at 2 because `0b`/`1b` would read
//! as binary numbers.

use core::arch::global_asm;

use super::cpu_features::{CR0_ET, CR0_PE, CR0_PG, CR4_PAE, EFER_LME, IA32_EFER};
use super::{Loader, multiboot2, pvh};
use crate::memory::stacks::{BOOT_STACK, BOOT_STACK_SIZE, KernelStack};

/// The boot stack's end, from its start (the `boot_stack` symbol): the guard
/// page plus the usable stack. RSP starts there.
const BOOT_STACK_END: usize = core::mem::size_of::<KernelStack<BOOT_STACK_SIZE>>();

// Page table entry flags, Intel SDM Vol. 3A §4.5 (4-level paging), Table 4-15ff.
const PAGE_PRESENT: u32 = 1 << 0;
const PAGE_WRITABLE: u32 = 1 << 1;
/// PS bit in a page-directory entry: the entry maps a 2 MiB page directly.
const PAGE_HUGE: u32 = 1 << 7;
/// 4 page directories x 512 entries x 2 MiB = the first 4 GiB, which includes
/// the MMIO hole below 4 GiB where QEMU's framebuffer lives (0xFD000000).
const PAGE_DIRECTORIES: u32 = 4;

/// CR4 while entering long mode: PAE, which long mode requires, and nothing
/// the loader left (LA57 in particular: these are 4-level tables).
const CR4_ENTRY: u32 = CR4_PAE;
/// IA32_EFER while entering long mode: LME only (no XD bit in these tables).
const EFER_ENTRY: u32 = EFER_LME;
/// CR0 while entering long mode: protected mode and paging, nothing the
/// loader left (no CD/NW, no TS/EM); [`super::cpu_features`] writes the final
/// value.
const CR0_ENTRY: u32 = CR0_PE | CR0_ET | CR0_PG;

/// CPUID 0x8000_0001 EDX bit 29: long mode (Intel SDM Vol. 2A, CPUID).
const CPUID_EXT_LONG_MODE_BIT: u32 = 29;

// GDT descriptors, Intel SDM Vol. 3A §3.4.5 (segment descriptors) and §5.2.1
// (code segments in IA-32e mode). Base and limit are ignored in 64-bit mode.
//   0x00AF_9B00_0000_FFFF: present, DPL 0, code, execute/read, accessed,
//                          L = 1 (64-bit), G = 1
//   0x00CF_9300_0000_FFFF: present, DPL 0, data, read/write, accessed,
//                          D/B = 1, G = 1
// The accessed bit is preset so the CPU never needs to write to the GDT.
const GDT_CODE64: u64 = 0x00AF_9B00_0000_FFFF;
const GDT_DATA: u64 = 0x00CF_9300_0000_FFFF;
/// Selectors = byte offset in the GDT (entry 0 must be the null descriptor).
const KERNEL_CODE_SELECTOR: u16 = 0x08;
const KERNEL_DATA_SELECTOR: u16 = 0x10;

global_asm!(
    r#"
    .section .boot.text, "ax"
    .code32
    .global _start
_start:
    cli
    cld
    // Multiboot2: eax = magic, ebx = boot information. PVH: ebx = start info.
    // Keep them in registers while .bss is zeroed (they are stored in .bss).
    mov edx, eax

    // --- 1. Zero .bss, [__bss_start, __bss_end) from linker.ld ---------------
    // Neither Multiboot2 (for ELF images) nor PVH promises a zeroed .bss,
    // and Rust's zero-initialised statics (locks, `Once` cells) must start
    // out zero: a lock left at a stale non-zero value would hang the first
    // println!. Nothing has used .bss yet (no stack until below). Clobbers
    // eax, ecx, edi; keeps ebx and edx.
    mov edi, offset __bss_start
    mov ecx, offset __bss_end
    sub ecx, edi
    xor eax, eax
    rep stosb

    mov dword ptr [boot_saved_eax], edx
    mov dword ptr [boot_info_address], ebx
    mov esp, offset {boot_stack} + {boot_stack_end}

    // --- 2. Which loader? ----------------------------------------------------
    // PVH first: its start info begins with a magic number, while eax is not
    // defined on a PVH entry and could by chance hold the Multiboot2 magic.
    // (Reading through a bogus ebx is harmless: paging is off and segments are
    // flat, so any 32-bit address can be read.)
    cmp dword ptr [ebx], {pvh_magic}
    jne 2f
    mov dword ptr [boot_loader], {loader_pvh}
    jmp 3f
2:  cmp dword ptr [boot_saved_eax], {multiboot2_magic}
    jne boot_unknown_loader
    mov dword ptr [boot_loader], {loader_multiboot2}
3:

    // --- 3. Can this CPU run 64-bit code? ------------------------------------
    mov eax, 0x80000000             // CPUID: highest extended leaf
    cpuid
    cmp eax, 0x80000001
    jb boot_no_long_mode
    mov eax, 0x80000001             // CPUID: extended feature flags
    cpuid
    bt edx, {cpuid_long_mode_bit}
    jnc boot_no_long_mode

    // --- 4. Page tables: identity map 0..4 GiB with 2 MiB pages --------------
    // Clear all table pages first (PML4, PDPT, 4 page directories); never
    // assume the loader zeroed .bss.
    mov edi, offset boot_pml4
    xor eax, eax
    mov ecx, (2 + {page_directories}) * 1024
    rep stosd
    // PML4[0] -> PDPT (covers 0..512 GiB).
    mov eax, offset boot_pdpt
    or eax, {present_writable}
    mov dword ptr [boot_pml4], eax
    // PDPT[i] -> page directory i (1 GiB each).
    xor ecx, ecx
2:  mov eax, ecx
    shl eax, 12
    add eax, offset boot_page_directories
    or eax, {present_writable}
    mov dword ptr [boot_pdpt + ecx * 8], eax
    inc ecx
    cmp ecx, {page_directories}
    jb 2b
    // Page directory entry i maps physical i * 2 MiB as one huge page. The four
    // directories are contiguous, so one loop fills all 2048 entries.
    xor ecx, ecx
2:  mov eax, ecx
    shl eax, 21
    or eax, {present_writable_huge}
    mov dword ptr [boot_page_directories + ecx * 8], eax
    inc ecx
    cmp ecx, {page_directories} * 512
    jb 2b

    // --- 5. GDT with a 64-bit code segment ------------------------------------
    lgdt [boot_gdt_pointer]

    // --- 6. Enter long mode (Intel SDM Vol. 3A §10.8.5, "Initializing IA-32e Mode")
    mov eax, {cr4_entry}            // the whole of CR4: PAE
    mov cr4, eax
    mov eax, offset boot_pml4
    mov cr3, eax
    mov ecx, {ia32_efer}            // the whole of IA32_EFER: LME
    xor edx, edx
    mov eax, {efer_entry}
    wrmsr
    mov eax, {cr0_entry}            // the whole of CR0: PE, ET and PG
    mov cr0, eax                    // now in IA-32e compatibility mode
    // A far return loads cs with the 64-bit code segment: push cs, then eip.
    mov eax, {code_selector}
    push eax
    mov eax, offset boot_long_mode
    push eax
    retf

    // --- Error paths (32-bit) ----------------------------------------------------
    // One line on COM1, then the end of the run (src/boot/early_serial.rs).
boot_unknown_loader:
    mov esi, offset boot_msg_unknown_loader
    jmp 2f
boot_no_long_mode:
    mov esi, offset boot_msg_no_long_mode
2:  call boot_serial_init
    jmp boot_fail

    // --- 64-bit code --------------------------------------------------------------
    .code64
boot_long_mode:
    // Data segment registers must hold a valid selector (or null).
    mov ax, {data_selector}
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    // Set the full 64-bit stack pointer with a 64-bit instruction: do not rely
    // on the upper halves of registers written in 32-bit mode.
    lea rsp, [rip + {boot_stack} + {boot_stack_end}]
    xor ebp, ebp                    // terminates frame-pointer chains

    // --- 7. CPU features of the compile-time preset (src/boot/cpu_features.rs)
    call boot_enable_cpu_features

    // --- 8. Rust ---------------------------------------------------------------------
    // rust_entry(loader: u32, info_address: u32), System V ABI: edi, esi.
    // 32-bit moves zero the upper halves.
    mov edi, dword ptr [rip + boot_loader]
    mov esi, dword ptr [rip + boot_info_address]
    call {rust_entry}
2:  cli                             // rust_entry never returns
    hlt
    jmp 2b

    // --- Data -----------------------------------------------------------------------
    .section .rodata.boot, "a"
    .balign 8
boot_gdt:
    .quad 0                         // the null descriptor
    .quad {gdt_code64}              // selector 0x08
    .quad {gdt_data}                // selector 0x10
boot_gdt_end:
boot_gdt_pointer:                   // operand of lgdt: limit, then base
    .word boot_gdt_end - boot_gdt - 1
    .quad boot_gdt

boot_msg_unknown_loader:
    .asciz "boot error: not started by a Multiboot2 or PVH loader (no PVH start info magic in ebx, no Multiboot2 magic in eax); boot this kernel with GRUB (multiboot2) or qemu -kernel"
boot_msg_no_long_mode:
    .asciz "boot error: this CPU does not support 64-bit long mode"

    .section .bss.boot, "aw", @nobits
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt:
    .skip 4096
boot_page_directories:
    .skip 4096 * {page_directories}
boot_loader:
    .skip 4
boot_info_address:
    .skip 4
boot_saved_eax:
    .skip 4
"#,
    pvh_magic = const pvh::START_INFO_MAGIC,
    multiboot2_magic = const multiboot2::BOOTLOADER_MAGIC,
    loader_pvh = const Loader::Pvh as u32,
    loader_multiboot2 = const Loader::Multiboot2 as u32,
    cpuid_long_mode_bit = const CPUID_EXT_LONG_MODE_BIT,
    page_directories = const PAGE_DIRECTORIES,
    present_writable = const PAGE_PRESENT | PAGE_WRITABLE,
    present_writable_huge = const PAGE_PRESENT | PAGE_WRITABLE | PAGE_HUGE,
    cr4_entry = const CR4_ENTRY,
    ia32_efer = const IA32_EFER,
    efer_entry = const EFER_ENTRY,
    cr0_entry = const CR0_ENTRY,
    code_selector = const KERNEL_CODE_SELECTOR,
    data_selector = const KERNEL_DATA_SELECTOR,
    gdt_code64 = const GDT_CODE64,
    gdt_data = const GDT_DATA,
    boot_stack = sym BOOT_STACK,
    boot_stack_end = const BOOT_STACK_END,
    rust_entry = sym super::rust_entry,
);
