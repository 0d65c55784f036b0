//! The two legacy 8259A PICs, put out of use: with the I/O APIC delivering
//! the ISA interrupts, the PICs must never deliver one too.
//!
//! They are first moved to vectors 32-47 (the BIOS leaves the master at
//! 8-15, the CPU's exception vectors), so that even an interrupt they raise
//! by mistake could not pass for an exception, then every line of both is
//! masked. Their output also goes nowhere: the local APIC's LINT0, where
//! the master's INTR is wired (the "virtual wire"), is masked
//! (`local::enable_this_cpu`). Sources: Intel 8259A datasheet (order number
//! 231468), "Programming the 8259A"; Intel MultiProcessor Specification
//! 1.4, §3.6.2.2 "Virtual Wire Mode"; OSDev wiki, "8259 PIC" ("Disabling").

use crate::arch::x86_64::port::{inb, outb};

/// Master PIC command and data ports; the slave's.
const MASTER_COMMAND: u16 = 0x20;
const MASTER_DATA: u16 = 0x21;
const SLAVE_COMMAND: u16 = 0xA0;
const SLAVE_DATA: u16 = 0xA1;
/// ICW1: initialisation (bit 4), an ICW4 follows (bit 0); cascade, edge
/// triggered (bits 1, 3 clear). 8259A datasheet, "ICW1".
const ICW1_INIT: u8 = 0x11;
/// ICW3: the master has its slave on IR2; the slave's identity is 2.
const ICW3_MASTER: u8 = 1 << 2;
const ICW3_SLAVE: u8 = 2;
/// ICW4: 8086 mode (bit 0).
const ICW4_8086: u8 = 0x01;
/// OCW1 with every line masked.
const ALL_MASKED: u8 = 0xFF;
/// Where the lines go after the remap: just above the 32 exception vectors
/// (vector bases are multiples of 8: ICW2 holds bits 7-3).
pub const MASTER_VECTOR_BASE: u8 = 32;
pub const SLAVE_VECTOR_BASE: u8 = 40;
/// Nothing decodes port 0x80 but POST code displays; a write there takes
/// about a microsecond, time an old 8259A needs between words.
const DELAY_PORT: u16 = 0x80;

/// Remaps both PICs to vectors 32-47 and masks all 16 lines. Call it with
/// interrupts disabled.
pub fn remap_and_mask() {
    let words = [
        (MASTER_COMMAND, ICW1_INIT),
        (SLAVE_COMMAND, ICW1_INIT),
        (MASTER_DATA, MASTER_VECTOR_BASE),
        (SLAVE_DATA, SLAVE_VECTOR_BASE),
        (MASTER_DATA, ICW3_MASTER),
        (SLAVE_DATA, ICW3_SLAVE),
        (MASTER_DATA, ICW4_8086),
        (SLAVE_DATA, ICW4_8086),
        // OCW1, the masks: the PICs take the next data write as the mask.
        (MASTER_DATA, ALL_MASKED),
        (SLAVE_DATA, ALL_MASKED),
    ];
    for (port, value) in words {
        // SAFETY: ports 0x20/0x21 and 0xA0/0xA1 are the two 8259As; this is
        // their initialisation sequence (ICW1-ICW4) and then the masks; the
        // PICs' output is ignored (LINT0 masked) and interrupts are off.
        unsafe {
            outb(port, value);
            outb(DELAY_PORT, 0);
        }
    }
}

/// The PICs' mask registers (bit n masks IRQ n): 0xFFFF after
/// [`remap_and_mask`].
pub fn masks() -> u16 {
    // SAFETY: reading a PIC's data port returns its mask (OCW1); no side
    // effect.
    let (master, slave) = unsafe { (inb(MASTER_DATA), inb(SLAVE_DATA)) };
    u16::from_le_bytes([master, slave])
}
