//! The kernel's Global Descriptor Table and Task State Segment.
//!
//! In 64-bit mode segmentation is mostly gone (bases and limits are ignored),
//! but the CPU still needs a code segment with the L bit set, and a TSS: it is
//! where the CPU finds the Interrupt Stack Table (IST), the known-good stacks
//! it switches to for selected exceptions. The double-fault handler runs on
//! IST entry [`DOUBLE_FAULT_IST_INDEX`], [`DOUBLE_FAULT_STACK`], so that a
//! double fault caused by an overflowing kernel stack can still be reported.
//!
//! This table replaces whatever GDT the loader left (the boot code's own, or
//! Limine's, which lives in memory the kernel may reuse).

use core::arch::asm;
use core::mem::size_of;
use core::sync::atomic::{AtomicU64, Ordering};

use crate::memory::stacks::DOUBLE_FAULT_STACK;
use crate::sync::Once;

/// Segment selectors: the byte offset of the descriptor in the GDT, with the
/// table indicator (TI = 0: GDT) and the requested privilege level (RPL = 0)
/// in the low three bits (Intel SDM Vol. 3A §3.4.2, "Segment Selectors").
pub const KERNEL_CODE_SELECTOR: u16 = 0x08;
pub const KERNEL_DATA_SELECTOR: u16 = 0x10;
/// The TSS descriptor is 16 bytes in 64-bit mode: it takes slots 3 and 4.
pub const TSS_SELECTOR: u16 = 0x18;

/// The IST entry (1-7) the double-fault handler runs on. 0 in an IDT gate
/// means "no stack switch", so the entries are numbered from 1 (Intel SDM
/// Vol. 3A §6.14.5, "Interrupt Stack Table").
pub const DOUBLE_FAULT_IST_INDEX: u8 = 1;

// Code and data segment descriptors, Intel SDM Vol. 3A §3.4.5 ("Segment
// Descriptors", Figure 3-8) and §5.2.1 ("Code-Segment Descriptor in 64-bit
// Mode"). Base and limit are ignored in 64-bit mode.
//   0x00AF_9B00_0000_FFFF: present, DPL 0, code, execute/read, accessed,
//                          L = 1 (64-bit code), G = 1
//   0x00CF_9300_0000_FFFF: present, DPL 0, data, read/write, accessed,
//                          D/B = 1, G = 1
// The accessed bit is preset so that the CPU never needs to write it.
const CODE64_DESCRIPTOR: u64 = 0x00AF_9B00_0000_FFFF;
const DATA_DESCRIPTOR: u64 = 0x00CF_9300_0000_FFFF;

// TSS descriptor fields, Intel SDM Vol. 3A §7.2.3 ("TSS Descriptor in 64-bit
// mode", Figure 7-4): bits 40-43 type, bit 47 present.
/// Type 0b1001: available 64-bit TSS. `ltr` changes it to 0b1011 (busy).
const TSS_TYPE_AVAILABLE: u64 = 0b1001 << 40;
const DESCRIPTOR_PRESENT: u64 = 1 << 47;

/// A 64-bit Task State Segment (Intel SDM Vol. 3A §7.7, Figure 7-11). Its
/// 64-bit fields sit at offsets 4 mod 8, hence `packed(4)`.
#[repr(C, packed(4))]
struct TaskStateSegment {
    _reserved0: u32,
    /// Stacks for privilege changes to rings 0-2 (unused: no user mode yet).
    privilege_stacks: [u64; 3],
    _reserved1: u64,
    /// IST1..IST7: `interrupt_stacks[0]` is IST1.
    interrupt_stacks: [u64; 7],
    _reserved2: u64,
    _reserved3: u16,
    /// Offset of the I/O permission bitmap; pointing past the limit means
    /// "no bitmap" (only relevant outside ring 0).
    io_map_base: u16,
}

/// The architectural size of a 64-bit TSS (its descriptor's limit is one less).
const TSS_SIZE: usize = 104;
const _: () = assert!(size_of::<TaskStateSegment>() == TSS_SIZE);

/// Null, code, data, TSS (two slots). Atomics, because the CPU writes to the
/// table: `ltr` sets the busy bit of the TSS descriptor (Intel SDM Vol. 3A
/// §7.2.3), so the table must not be treated as immutable memory.
const GDT_ENTRIES: usize = 5;

#[repr(C, align(8))]
struct GlobalDescriptorTable([AtomicU64; GDT_ENTRIES]);

static GDT: GlobalDescriptorTable = GlobalDescriptorTable([
    AtomicU64::new(0), // the null descriptor (selector 0 must not be used)
    AtomicU64::new(CODE64_DESCRIPTOR),
    AtomicU64::new(DATA_DESCRIPTOR),
    AtomicU64::new(0), // TSS, filled in by `init` (its address is only known at run time)
    AtomicU64::new(0),
]);

/// Written once by [`init`]; the CPU only ever reads the TSS in 64-bit mode.
static TSS: Once<TaskStateSegment> = Once::new();

/// The operand of `lgdt` and `lidt`: limit (size - 1), then the 64-bit linear
/// base address (Intel SDM Vol. 3A §3.5.1, Figure 3-11; in 64-bit mode the
/// base is 8 bytes, so a higher-half table needs nothing special).
#[repr(C, packed(2))]
pub struct DescriptorTablePointer {
    pub limit: u16,
    pub base: u64,
}

/// The two 8-byte halves of a TSS descriptor for a TSS at `base`.
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

/// Loads the GDT, reloads every segment register from it, and loads the TSS.
///
/// Must run once, first thing in `rust_entry`, with interrupts disabled.
pub fn init() {
    let tss = match TSS.set(TaskStateSegment {
        _reserved0: 0,
        privilege_stacks: [0; 3],
        _reserved1: 0,
        interrupt_stacks: {
            let mut stacks = [0; 7];
            stacks[usize::from(DOUBLE_FAULT_IST_INDEX) - 1] = DOUBLE_FAULT_STACK.top();
            stacks
        },
        _reserved2: 0,
        _reserved3: 0,
        io_map_base: TSS_SIZE as u16,
    }) {
        Ok(tss) => tss,
        Err(_) => panic!("gdt::init runs once"),
    };
    let [low, high] = tss_descriptor(tss as *const TaskStateSegment as u64);
    let tss_slot = usize::from(TSS_SELECTOR / 8);
    GDT.0[tss_slot].store(low, Ordering::Relaxed);
    GDT.0[tss_slot + 1].store(high, Ordering::Relaxed);

    let pointer = DescriptorTablePointer {
        limit: (size_of::<GlobalDescriptorTable>() - 1) as u16,
        base: &raw const GDT as u64,
    };
    // SAFETY: `pointer` describes a valid, 'static GDT whose code and data
    // descriptors are the flat 64-bit segments the kernel already runs with.
    // The far return reloads CS (a `mov` cannot: Intel SDM Vol. 3A §3.4.3);
    // it pops RIP then CS, both 8 bytes in 64-bit mode. The data segment
    // registers must hold a selector of this table before the old one goes.
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
            pointer = in(reg) &raw const pointer,
            code = in(reg) u64::from(KERNEL_CODE_SELECTOR),
            data = in(reg) u64::from(KERNEL_DATA_SELECTOR),
            scratch = lateout(reg) _,
            options(preserves_flags),
        );
    }
    // SAFETY: TSS_SELECTOR names the present, available 64-bit TSS descriptor
    // written above, for a 'static TSS (Intel SDM Vol. 2A, LTR).
    unsafe { asm!("ltr {0:x}", in(reg) TSS_SELECTOR, options(nostack, preserves_flags)) };
}
