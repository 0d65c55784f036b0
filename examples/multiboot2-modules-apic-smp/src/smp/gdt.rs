//! Each AP's descriptor tables: a GDT and TSS of its own, and the BSP's IDT.
//!
//! The GDT cannot be shared as is: `ltr` marks the TSS descriptor busy, and
//! a second CPU's `ltr` of a busy TSS faults (Intel SDM Vol. 3A §7.2.3); and
//! each CPU needs its own TSS anyway, for an interrupt stack table (IST)
//! whose double-fault stack is its own: two CPUs double-faulting at once on
//! one stack would overwrite each other's frames. The code and data
//! descriptors are copied from the BSP's GDT (`arch::x86_64::gdt`), so the
//! kernel's selectors mean the same on every CPU. The IDT only holds gate
//! descriptors, which the CPUs read and never write: all share the BSP's.

use core::arch::asm;
use core::mem::size_of;
use core::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, Ordering};

use super::{MAX_CPUS, stacks};
use crate::arch::x86_64::gdt::{
    DOUBLE_FAULT_IST_INDEX, DescriptorTablePointer, KERNEL_CODE_SELECTOR, KERNEL_DATA_SELECTOR,
    TSS_SELECTOR,
};

/// Null, code, data, TSS (two slots), as in the BSP's GDT.
const GDT_ENTRIES: usize = 5;
/// The descriptors copied from the BSP's GDT: null, code and data.
const COPIED_ENTRIES: usize = 3;

/// The architectural size of a 64-bit TSS (Intel SDM Vol. 3A §7.7, Figure
/// 7-11); its descriptor's limit is one less.
const TSS_SIZE: usize = 104;
/// The TSS as 32-bit words: its 64-bit fields sit at offsets 4 mod 8.
const TSS_WORDS: usize = TSS_SIZE / 4;
/// Byte offset of IST1 in the TSS (Figure 7-11); ISTn is 8 bytes further
/// per n.
const TSS_IST1_OFFSET: usize = 0x24;
/// The word holding the I/O map base address (Figure 7-11: bits 31:16 of
/// the last word). Pointing past the TSS's limit means "no bitmap".
const TSS_IO_MAP_WORD: usize = TSS_WORDS - 1;

// TSS descriptor fields, Intel SDM Vol. 3A §7.2.3 ("TSS Descriptor in
// 64-bit mode", Figure 7-4): bits 40-43 type, bit 47 present.
/// Type 0b1001: available 64-bit TSS. `ltr` changes it to 0b1011 (busy).
const TSS_TYPE_AVAILABLE: u64 = 0b1001 << 40;
const DESCRIPTOR_PRESENT: u64 = 1 << 47;

/// One CPU's GDT. Atomics, because the CPU writes to it (`ltr` sets the
/// TSS descriptor's busy bit).
#[repr(C, align(8))]
struct Gdt([AtomicU64; GDT_ENTRIES]);

/// One CPU's TSS, as 32-bit words. 128-byte aligned, so it never straddles
/// a page boundary.
#[repr(C, align(128))]
struct Tss([AtomicU32; TSS_WORDS]);

const _: () = assert!(size_of::<Tss>() == 128 && TSS_SIZE <= 128);

/// Entry `n` is CPU `n`'s (entry 0 is unused: the BSP keeps its own).
static GDTS: [Gdt; MAX_CPUS] =
    [const { Gdt([const { AtomicU64::new(0) }; GDT_ENTRIES]) }; MAX_CPUS];
static TSSS: [Tss; MAX_CPUS] = [const { Tss([const { AtomicU32::new(0) }; TSS_WORDS]) }; MAX_CPUS];

/// The BSP's GDT and IDT, as `sgdt` and `sidt` stored them.
static BSP_GDT_BASE: AtomicU64 = AtomicU64::new(0);
static BSP_IDT_BASE: AtomicU64 = AtomicU64::new(0);
static BSP_IDT_LIMIT: AtomicU16 = AtomicU16::new(0);

/// Notes where the BSP's GDT and IDT are, for [`load_for_ap`]. On the BSP,
/// after `arch::x86_64::init`.
pub(super) fn save_bsp_tables() {
    let gdt = stored_table(Table::Gdt);
    let idt = stored_table(Table::Idt);
    BSP_GDT_BASE.store(gdt.base, Ordering::Relaxed);
    BSP_IDT_BASE.store(idt.base, Ordering::Relaxed);
    BSP_IDT_LIMIT.store(idt.limit, Ordering::Release);
}

#[derive(Clone, Copy)]
enum Table {
    Gdt,
    Idt,
}

/// The running CPU's GDTR or IDTR (`sgdt`/`sidt`: limit, then base).
fn stored_table(table: Table) -> DescriptorTablePointer {
    let mut pointer = DescriptorTablePointer { limit: 0, base: 0 };
    let target = &raw mut pointer;
    // SAFETY: SGDT and SIDT store 10 bytes (in 64-bit mode) at the operand,
    // exactly a `DescriptorTablePointer`.
    unsafe {
        match table {
            Table::Gdt => asm!("sgdt [{}]", in(reg) target, options(nostack, preserves_flags)),
            Table::Idt => asm!("sidt [{}]", in(reg) target, options(nostack, preserves_flags)),
        }
    }
    pointer
}

/// The running CPU's GDT base and TSS selector (`str`), for the tests.
pub fn current_gdt_and_tss() -> (u64, u16) {
    let selector: u16;
    // SAFETY: STR only reads the task register's selector.
    unsafe { asm!("str {0:x}", out(reg) selector, options(nomem, nostack, preserves_flags)) };
    (stored_table(Table::Gdt).base, selector)
}

/// The running CPU's IDT base, for the tests.
pub fn current_idt() -> u64 {
    stored_table(Table::Idt).base
}

/// The two 8-byte halves of a TSS descriptor for a TSS at `base` (Intel SDM
/// Vol. 3A §7.2.3, Figure 7-4).
fn tss_descriptor(base: u64) -> [u64; 2] {
    let limit = (TSS_SIZE - 1) as u64;
    let low = (limit & 0xFFFF)
        | ((base & 0xFF_FFFF) << 16)
        | TSS_TYPE_AVAILABLE
        | DESCRIPTOR_PRESENT
        | (((limit >> 16) & 0xF) << 48)
        | (((base >> 24) & 0xFF) << 56);
    [low, base >> 32]
}

/// Builds AP `cpu`'s GDT and TSS (IST1: its own double-fault stack) and loads
/// them, reloads every segment register, and loads the BSP's IDT. On AP
/// `cpu`, first thing in `ap_main`.
pub(super) fn load_for_ap(cpu: usize) {
    assert!(cpu != 0 && cpu < MAX_CPUS, "cpu {cpu} is not an AP");
    let tss = &TSSS[cpu].0;
    let ist = TSS_IST1_OFFSET / 4 + 2 * (usize::from(DOUBLE_FAULT_IST_INDEX) - 1);
    let top = stacks::double_fault_stack_top(cpu);
    tss[ist].store(top as u32, Ordering::Relaxed);
    tss[ist + 1].store((top >> 32) as u32, Ordering::Relaxed);
    tss[TSS_IO_MAP_WORD].store((TSS_SIZE as u32) << 16, Ordering::Relaxed);

    let gdt = &GDTS[cpu].0;
    let bsp_gdt = BSP_GDT_BASE.load(Ordering::Relaxed) as *const u64;
    for (slot, entry) in gdt.iter().enumerate().take(COPIED_ENTRIES) {
        // SAFETY: the BSP's GDT ('static, `arch::x86_64::gdt`) has these
        // first three entries, which nothing writes after boot.
        let descriptor = unsafe { bsp_gdt.add(slot).read_volatile() };
        entry.store(descriptor, Ordering::Relaxed);
    }
    let [low, high] = tss_descriptor(&raw const TSSS[cpu] as u64);
    let tss_slot = usize::from(TSS_SELECTOR / 8);
    gdt[tss_slot].store(low, Ordering::Relaxed);
    gdt[tss_slot + 1].store(high, Ordering::Relaxed);

    let gdt_pointer = DescriptorTablePointer {
        limit: (size_of::<Gdt>() - 1) as u16,
        base: &raw const GDTS[cpu] as u64,
    };
    let idt_pointer = DescriptorTablePointer {
        limit: BSP_IDT_LIMIT.load(Ordering::Acquire),
        base: BSP_IDT_BASE.load(Ordering::Relaxed),
    };
    // SAFETY: as `arch::x86_64::gdt::init` does on the BSP: the new GDT has
    // the same flat code and data descriptors as the one the AP's start code
    // left; the far return reloads CS (pops RIP, then CS), the data segment
    // registers get a selector of the new table before the old one goes.
    unsafe {
        asm!(
            "lgdt [{pointer}]",
            "push {code}",
            "lea {scratch}, [rip + 2f]",
            "push {scratch}",
            "retfq",
            "2:",
            "mov ds, {data:x}",
            "mov es, {data:x}",
            "mov ss, {data:x}",
            "mov fs, {data:x}",
            "mov gs, {data:x}",
            pointer = in(reg) &raw const gdt_pointer,
            code = in(reg) u64::from(KERNEL_CODE_SELECTOR),
            data = in(reg) u64::from(KERNEL_DATA_SELECTOR),
            scratch = lateout(reg) _,
            options(preserves_flags),
        );
    }
    // SAFETY: TSS_SELECTOR names this CPU's present, available TSS
    // descriptor, written above, for a 'static TSS (Intel SDM Vol. 2A, LTR).
    unsafe { asm!("ltr {0:x}", in(reg) TSS_SELECTOR, options(nostack, preserves_flags)) };
    // SAFETY: the BSP's IDT is 'static and complete (idt::init ran before
    // smp::init); its gates lead to code every CPU may run.
    unsafe {
        asm!("lidt [{}]", in(reg) &raw const idt_pointer, options(readonly, nostack, preserves_flags))
    };
}
