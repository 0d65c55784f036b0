//! Starting an AP on Multiboot2/PVH: the INIT-SIPI-SIPI sequence (Intel SDM
//! Vol. 3A §9.4.4.1, "Typical BSP Initialization Sequence"; §11.6.1,
//! "Interrupt Command Register") and a real-mode trampoline.
//!
//! An AP starts in real mode at `VV000h`, where `VV` is the start-up IPI's
//! vector (§9.4.4.1; §11.6.1: the vector is the page number), so its first
//! code must lie in a page below 1 MiB. [`prepare`] copies the trampoline
//! (the `global_asm!` below) to the highest page below 640 KiB that the
//! memory map calls usable (the heap and the frame allocator never take
//! memory below 1 MiB), fills in its addresses, and makes the page
//! executable and read-only in the kernel's page tables (the AP turns
//! paging on while it runs there). The trampoline goes:
//!
//! 1. real mode: `lgdt` of its own GDT, CR0.PE: 32-bit protected mode;
//! 2. CR4.PAE, CR3 = the kernel's own PML4 (identity-mapped low memory:
//!    `boot::entry32`'s tables, which `memory::init` extended), IA32_EFER =
//!    LME and NXE (the kernel's tables use the XD bit, which is reserved
//!    without NXE), CR0.PG: long mode (§10.8.5), then a far jump to its
//!    64-bit code segment;
//! 3. 64-bit mode: a jump to `smp_ap_entry64` in the kernel's code, which
//!    takes the AP's stack, enables the BSP's CPU features
//!    (`boot_enable_cpu_features`) and calls `smp::ap_main`.
//!
//! APs start one at a time, so one set of variables ([`STARTING_CPU`],
//! [`STARTING_STACK`]) tells the AP starting who it is. [`finish`] makes the
//! page plain writable, no-execute memory again.

use core::arch::global_asm;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering, fence};

use super::StartError;
use super::stacks::NoFrames;
use crate::apic;
use crate::arch::x86_64::cpu;
use crate::boot::cpu_features::{CR0_ET, CR0_PE, CR0_PG, CR4_PAE, EFER_LME, IA32_EFER};
use crate::boot::{BootInfo, MemoryKind};
use crate::memory::paging::{self, Access, PAGE_SIZE, PageTables};

/// How this protocol starts APs, for the boot log.
pub const METHOD: &str = "INIT-SIPI-SIPI";

/// IA32_EFER.NXE (bit 11): XD in page-table entries means no-execute
/// (Intel SDM Vol. 3A §2.2.1, Table 2-1); without it XD is a reserved bit.
const EFER_NXE: u32 = 1 << 11;
/// The trampoline page must lie below 640 KiB: the start-up IPI's vector
/// names a page below 1 MiB (Intel SDM Vol. 3A §11.6.1), and 0xA0000-0xFFFFF
/// is video memory and ROM (its vectors 0xA0-0xBF are reserved, §9.4.4.1).
const TRAMPOLINE_LIMIT: u64 = 0xA_0000;
/// Page 0 holds the real-mode interrupt vector table and the BIOS data
/// area, and the kernel leaves it unmapped (null pointers): never used.
const TRAMPOLINE_LOWEST: u64 = PAGE_SIZE;
/// The 10 ms wait after INIT and the 200 us wait after each start-up IPI
/// (Intel SDM Vol. 3A §9.4.4.1); 1 ms is the timer's resolution.
const INIT_DELAY_MS: u64 = 10;
const STARTUP_DELAY_MS: u64 = 1;
/// CR3 is loaded in 32-bit mode: the PML4 must lie below 4 GiB.
const FOUR_GIB: u64 = 1 << 32;

// The trampoline's layout: offsets from the start of its page. Each part
// starts at a fixed offset (`.org`: the assembler refuses to go back, i.e.
// a part too long for its room).
const CODE32_OFFSET: usize = 0x40;
const CODE64_OFFSET: usize = 0x80;
/// Its GDT: null, 64-bit code (0x08), data (0x10), 32-bit code (0x18).
const GDT_OFFSET: usize = 0xC0;
/// The `lgdt` operand: limit (2 bytes), base (4 bytes, written by `prepare`).
const GDTR_OFFSET: usize = 0xE0;
/// Far pointers (`jmp m16:32`): offset (4 bytes, written by `prepare`),
/// then the selector.
const FAR32_OFFSET: usize = 0xE8;
const FAR64_OFFSET: usize = 0xF0;
/// The kernel's PML4 (8 bytes, written by `prepare`).
const CR3_OFFSET: usize = 0xF8;
/// `smp_ap_entry64`'s address (8 bytes, written by `prepare`).
const ENTRY64_OFFSET: usize = 0x100;
const TRAMPOLINE_SIZE: usize = 0x108;

/// Selectors of the trampoline's GDT. The 64-bit code and data ones are
/// the kernel's (`arch::x86_64::gdt`), so the AP needs no reload before
/// `smp::gdt::load_for_ap`.
const CODE64_SELECTOR: u16 = 0x08;
const DATA_SELECTOR: u16 = 0x10;
const CODE32_SELECTOR: u16 = 0x18;
// Descriptors, Intel SDM Vol. 3A §3.4.5 (Figure 3-8) and §5.2.1; base 0,
// limit 4 GiB, present, DPL 0, accessed (so the CPU never writes them):
//   0x00AF_9B00_0000_FFFF: code, execute/read, L = 1 (64-bit), G = 1
//   0x00CF_9300_0000_FFFF: data, read/write, D/B = 1, G = 1
//   0x00CF_9B00_0000_FFFF: code, execute/read, D = 1 (32-bit), G = 1
const GDT_CODE64: u64 = 0x00AF_9B00_0000_FFFF;
const GDT_DATA: u64 = 0x00CF_9300_0000_FFFF;
const GDT_CODE32: u64 = 0x00CF_9B00_0000_FFFF;

/// The AP being started: its number, and its stack's top.
static STARTING_CPU: AtomicUsize = AtomicUsize::new(0);
static STARTING_STACK: AtomicU64 = AtomicU64::new(0);
/// The trampoline's page (physical = virtual), once prepared.
static TRAMPOLINE_PAGE: AtomicU64 = AtomicU64::new(0);

global_asm!(
    r#"
    // The trampoline: copied to its page by `prepare`, never run in place.
    .pushsection .rodata.smp_trampoline, "a"
    .balign 16
    .global smp_trampoline_start
smp_trampoline_start:
    .code16
    cli
    cld
    mov ax, cs                      // CS = the page number * 256, IP = 0
    mov ds, ax
    xor esi, esi
    mov si, ax
    shl esi, 4                      // esi = the page's address, for later
    lgdt [{gdtr}]                   // 24-bit base: enough below 1 MiB
    mov eax, cr0
    or eax, {cr0_pe}
    mov cr0, eax
    // jmp far m16:32 (66 FF /5 with a 16-bit displacement): CS = the
    // 32-bit code segment, EIP = the page's 32-bit code.
    .byte 0x66, 0xFF, 0x2E
    .word {far32}

    .org smp_trampoline_start + {code32}
    .code32
    mov ax, {data_selector}
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov eax, {cr4_pae}
    mov cr4, eax
    mov eax, [esi + {cr3}]
    mov cr3, eax
    mov ecx, {ia32_efer}
    mov eax, {efer}
    xor edx, edx
    wrmsr
    mov eax, {cr0}
    mov cr0, eax                    // paging on: compatibility mode
    jmp fword ptr [esi + {far64}]

    .org smp_trampoline_start + {code64}
    .code64
    mov esi, esi                    // the upper half is undefined here
    jmp qword ptr [rsi + {entry64}]

    .org smp_trampoline_start + {gdt}
    .quad 0
    .quad {gdt_code64}
    .quad {gdt_data}
    .quad {gdt_code32}
    .org smp_trampoline_start + {gdtr}
    .word 4 * 8 - 1
    .long 0                         // base: prepare
    .org smp_trampoline_start + {far32}
    .long 0                         // offset: prepare
    .word {code32_selector}
    .org smp_trampoline_start + {far64}
    .long 0                         // offset: prepare
    .word {code64_selector}
    .org smp_trampoline_start + {cr3}
    .quad 0                         // prepare
    .org smp_trampoline_start + {entry64}
    .quad 0                         // prepare
    .org smp_trampoline_start + {size}
    .popsection

    // Where the trampoline jumps: 64-bit code in the kernel, on the
    // trampoline's GDT (selectors equal to the kernel's), no stack yet.
    .pushsection .text.smp_ap_entry64, "ax"
    .global smp_ap_entry64
smp_ap_entry64:
    mov rsp, [rip + {stack}]
    xor ebp, ebp                    // ends frame-pointer chains
    call boot_enable_cpu_features   // CR0, CR4, IA32_EFER as on the BSP
    mov rdi, [rip + {cpu}]          // ap_main(cpu)
    call {ap_main}
    ud2                             // ap_main never returns
    .popsection
"#,
    gdtr = const GDTR_OFFSET,
    far32 = const FAR32_OFFSET,
    far64 = const FAR64_OFFSET,
    code32 = const CODE32_OFFSET,
    code64 = const CODE64_OFFSET,
    gdt = const GDT_OFFSET,
    cr3 = const CR3_OFFSET,
    entry64 = const ENTRY64_OFFSET,
    size = const TRAMPOLINE_SIZE,
    cr0_pe = const CR0_PE,
    data_selector = const DATA_SELECTOR,
    code32_selector = const CODE32_SELECTOR,
    code64_selector = const CODE64_SELECTOR,
    cr4_pae = const CR4_PAE,
    ia32_efer = const IA32_EFER,
    efer = const EFER_LME | EFER_NXE,
    cr0 = const CR0_PE | CR0_ET | CR0_PG,
    gdt_code64 = const GDT_CODE64,
    gdt_data = const GDT_DATA,
    gdt_code32 = const GDT_CODE32,
    stack = sym STARTING_STACK,
    cpu = sym STARTING_CPU,
    ap_main = sym super::ap_main,
);

unsafe extern "C" {
    // The trampoline's image and the 64-bit entry, in the `global_asm!`
    // above; only their addresses are used.
    static smp_trampoline_start: u8;
    fn smp_ap_entry64();
}

/// The highest 4 KiB page in `[TRAMPOLINE_LOWEST, TRAMPOLINE_LIMIT)` that
/// lies wholly in usable memory.
fn trampoline_page(boot_info: &BootInfo) -> Option<u64> {
    boot_info
        .memory_regions()
        .iter()
        .filter(|region| region.kind == MemoryKind::Usable)
        .filter_map(|region| {
            let start = region
                .start
                .max(TRAMPOLINE_LOWEST)
                .next_multiple_of(PAGE_SIZE);
            let end = region.end().min(TRAMPOLINE_LIMIT) & !(PAGE_SIZE - 1);
            (end >= start + PAGE_SIZE).then(|| end - PAGE_SIZE)
        })
        .max()
}

/// Copies the trampoline to its page, fills in its addresses and makes the
/// page read-only and executable. On the BSP, before [`start_ap`].
pub(super) fn prepare(boot_info: &BootInfo) -> Result<(), StartError> {
    let pml4 = cpu::read_cr3() & !(PAGE_SIZE - 1);
    if pml4 >= FOUR_GIB {
        return Err(StartError::PageTablesAbove4GiB);
    }
    let page = trampoline_page(boot_info).ok_or(StartError::NoTrampolinePage)?;
    // The AP runs the page at its physical address once paging is on:
    // Multiboot2/PVH kernels identity-map low memory (`boot::entry32`).
    assert_eq!(
        crate::memory::translate(page),
        Some(page),
        "smp: low memory is not identity mapped"
    );
    let image = &raw const smp_trampoline_start;
    let target = page as *mut u8;
    let patch = |offset: usize, value: u64, bytes: usize| {
        let value = value.to_le_bytes();
        // SAFETY: `offset + bytes` lies within the copied trampoline, on
        // the page, which is usable RAM nobody else uses, mapped writable.
        unsafe { core::ptr::copy_nonoverlapping(value.as_ptr(), target.add(offset), bytes) };
    };
    // SAFETY: the image is TRAMPOLINE_SIZE bytes (the `.org` at its end);
    // the page is usable RAM below 1 MiB, which neither the heap nor the
    // frame allocator hands out, identity mapped and writable (no-execute).
    unsafe { core::ptr::copy_nonoverlapping(image, target, TRAMPOLINE_SIZE) };
    patch(GDTR_OFFSET + 2, page + GDT_OFFSET as u64, 4);
    patch(FAR32_OFFSET, page + CODE32_OFFSET as u64, 4);
    patch(FAR64_OFFSET, page + CODE64_OFFSET as u64, 4);
    patch(CR3_OFFSET, pml4, 8);
    patch(ENTRY64_OFFSET, smp_ap_entry64 as *const () as u64, 8);
    set_access(boot_info, page, Access::ReadExecute);
    TRAMPOLINE_PAGE.store(page, Ordering::Relaxed);
    Ok(())
}

/// Gives the page at `page` (4 KiB-mapped: `memory::init` split low
/// memory to unmap page 0) the rights `access`, and flushes the TLB.
fn set_access(boot_info: &BootInfo, page: u64, access: Access) {
    // SAFETY: memory::init keeps the paging structures mapped at `physical +
    // physical_memory_offset`; only the BSP runs kernel code that changes
    // page tables, and it is here.
    let mut tables = unsafe { PageTables::active(boot_info.physical_memory_offset) };
    match tables.protect(page, access, &mut NoFrames) {
        Ok(true) => {}
        Ok(false) => panic!("smp: the trampoline page {page:#x} is not mapped"),
        Err(error) => panic!("smp: cannot change the trampoline page {page:#x}: {error:?}"),
    }
    paging::flush_tlb();
}

/// Sends AP `apic_id` INIT, then two start-up IPIs to the trampoline
/// (Intel SDM Vol. 3A §9.4.4.1); it comes up as CPU `cpu` on the stack
/// whose top is `stack_top`.
pub(super) fn start_ap(cpu: usize, apic_id: u32, stack_top: u64) -> Result<(), StartError> {
    let page = TRAMPOLINE_PAGE.load(Ordering::Relaxed);
    STARTING_CPU.store(cpu, Ordering::Relaxed);
    STARTING_STACK.store(stack_top, Ordering::Relaxed);
    // The AP reads them after the IPIs, which are writes to the local APIC.
    fence(Ordering::SeqCst);
    let vector = (page / PAGE_SIZE) as u8;
    apic::local::send_init(apic_id);
    apic::sleep_ms(INIT_DELAY_MS);
    // Two start-up IPIs, as the SDM's sequence sends; an AP already running
    // from the first ignores the second (it is no longer waiting for one).
    for _ in 0..2 {
        apic::local::send_startup(apic_id, vector);
        apic::sleep_ms(STARTUP_DELAY_MS);
    }
    Ok(())
}

/// Makes the trampoline page ordinary memory again: writable, no-execute.
pub(super) fn finish(boot_info: &BootInfo) {
    let page = TRAMPOLINE_PAGE.swap(0, Ordering::Relaxed);
    if page != 0 {
        set_access(boot_info, page, Access::ReadWrite);
    }
}
