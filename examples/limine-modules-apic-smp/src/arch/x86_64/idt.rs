//! The Interrupt Descriptor Table: where the CPU finds the handler of each
//! exception and interrupt vector.
//!
//! Every one of the 32 exception vectors gets a gate to its entry stub in
//! [`super::exceptions`]; vectors 32-255 (external interrupts) have no
//! handler yet: their gates are not present, so one arriving is reported as a
//! segment-not-present fault naming the vector.

use core::arch::asm;
use core::mem::size_of;

use super::exceptions::{self, EXCEPTION_VECTORS};
use super::gdt::{DOUBLE_FAULT_IST_INDEX, DescriptorTablePointer, KERNEL_CODE_SELECTOR};
use crate::sync::Once;

/// Vectors 0-255 (Intel SDM Vol. 3A §6.2, "Exception and Interrupt Vectors").
const VECTORS: usize = 256;

/// Vector 8, #DF: the only handler that switches stacks (to IST1), so that it
/// runs even when the kernel stack is full.
const DOUBLE_FAULT_VECTOR: usize = 8;

/// Gate type 0b1110: 64-bit interrupt gate. Unlike a trap gate it clears
/// RFLAGS.IF on entry (Intel SDM Vol. 3A §6.12.1.3), so nothing interrupts a
/// handler halfway (Intel SDM Vol. 3A §6.14.1, Figure 6-8).
const GATE_TYPE_INTERRUPT: u8 = 0b1110;
/// P (bit 7 of the attribute byte): the gate is present. DPL (bits 5-6) is 0:
/// an `int n` from user mode cannot reach these handlers.
const GATE_PRESENT: u8 = 1 << 7;

/// A 16-byte 64-bit IDT gate descriptor (Intel SDM Vol. 3A §6.14.1, Figure 6-8).
#[derive(Clone, Copy)]
#[repr(C)]
struct Gate {
    offset_low: u16,
    selector: u16,
    /// Bits 0-2: IST index (0 = stay on the current stack).
    ist: u8,
    attributes: u8,
    offset_middle: u16,
    offset_high: u32,
    _reserved: u32,
}

const _: () = assert!(size_of::<Gate>() == 16);

impl Gate {
    const MISSING: Self = Self {
        offset_low: 0,
        selector: 0,
        ist: 0,
        attributes: 0,
        offset_middle: 0,
        offset_high: 0,
        _reserved: 0,
    };

    /// An interrupt gate to `handler` in the kernel code segment.
    fn interrupt(handler: u64, ist: u8) -> Self {
        Self {
            offset_low: handler as u16,
            selector: KERNEL_CODE_SELECTOR,
            ist,
            attributes: GATE_PRESENT | GATE_TYPE_INTERRUPT,
            offset_middle: (handler >> 16) as u16,
            offset_high: (handler >> 32) as u32,
            _reserved: 0,
        }
    }
}

#[repr(C, align(16))]
struct InterruptDescriptorTable([Gate; VECTORS]);

/// Written once by [`init`]; the CPU only reads it.
static IDT: Once<InterruptDescriptorTable> = Once::new();

/// Builds the IDT and loads it (`lidt`). Needs the GDT and TSS of
/// [`super::gdt::init`] for its code selector and IST entry.
pub fn init() {
    let mut gates = [Gate::MISSING; VECTORS];
    for (vector, gate) in gates.iter_mut().enumerate().take(EXCEPTION_VECTORS) {
        let ist = if vector == DOUBLE_FAULT_VECTOR {
            DOUBLE_FAULT_IST_INDEX
        } else {
            0
        };
        *gate = Gate::interrupt(exceptions::entry_stub(vector), ist);
    }
    // The APIC's vectors (src/apic): ISA IRQ 0-15 from the I/O APIC, the local
    // APIC timer's, its error vector and its spurious vector.
    for (vector, stub) in crate::apic::entry::gates() {
        gates[vector] = Gate::interrupt(stub, 0);
    }
    // The wake-up IPI of src/smp (smp::run_on): ends the interrupt, nothing more.
    gates[crate::smp::call::WAKE_VECTOR] = Gate::interrupt(crate::smp::call::wake_entry(), 0);
    // [baremetal-kernel anchor: idt-gates] `baremetal-kernel add` sets modules' interrupt gates above this line.
    let idt = match IDT.set(InterruptDescriptorTable(gates)) {
        Ok(idt) => idt,
        Err(_) => panic!("idt::init runs once"),
    };
    let pointer = DescriptorTablePointer {
        limit: (size_of::<InterruptDescriptorTable>() - 1) as u16,
        base: idt as *const InterruptDescriptorTable as u64,
    };
    // SAFETY: `pointer` describes a 'static IDT whose present gates all lead
    // to the entry stubs, in the code segment loaded by `gdt::init`.
    unsafe {
        asm!("lidt [{}]", in(reg) &raw const pointer, options(readonly, nostack, preserves_flags))
    };
}
