//! The two legacy 8259A programmable interrupt controllers (PICs) of the PC:
//! the master takes IRQ 0-7, the slave IRQ 8-15 and signals the master on
//! its IR2 line ("cascade").
//!
//! The BIOS leaves the master at vectors 8-15, over the CPU's exception
//! vectors (a timer tick would look like a double fault), so [`remap`] moves
//! them to 32-47, just above the 32 exception vectors. Sources: Intel 8259A
//! datasheet (order number 231468), "Programming the 8259A"; OSDev wiki,
//! "8259 PIC".

use crate::arch::x86_64::port::{inb, outb};

/// Master PIC command port (A0 = 0) and data port (A0 = 1).
const MASTER_COMMAND: u16 = 0x20;
const MASTER_DATA: u16 = 0x21;
/// Slave PIC command and data ports.
const SLAVE_COMMAND: u16 = 0xA0;
const SLAVE_DATA: u16 = 0xA1;

/// ICW1: bit 4 set starts initialisation; bit 0 (IC4) says an ICW4 follows.
/// Bit 1 clear: cascade mode (two PICs); bit 3 clear: edge-triggered, as the
/// ISA bus is (8259A datasheet, "Initialization Command Word 1").
const ICW1_INIT_WITH_ICW4: u8 = 0x11;
/// ICW3 of the master: a bit per IR line with a slave on it, here IR2.
const ICW3_MASTER_SLAVE_ON_IR2: u8 = 1 << CASCADE_IRQ;
/// ICW3 of the slave: its cascade identity, the master line it is on (2).
const ICW3_SLAVE_IDENTITY: u8 = CASCADE_IRQ;
/// ICW4: bit 0 (uPM) selects 8086/8088 mode (the vector number, not an 8080
/// CALL instruction); normal (not automatic) EOI, not buffered.
const ICW4_8086_MODE: u8 = 0x01;
/// OCW2: non-specific end of interrupt (EOI), bits 7-5 = 001: clears the
/// highest-priority bit of the in-service register.
const OCW2_EOI: u8 = 0x20;
/// OCW3: bits 4-3 = 01 mark an OCW3; bits 1-0 = 10 read the interrupt request
/// register (IRR) at the next read of the command port, 11 the in-service
/// register (ISR).
const OCW3_READ_IRR: u8 = 0x0A;
const OCW3_READ_ISR: u8 = 0x0B;

/// The master's IR line the slave is wired to.
pub const CASCADE_IRQ: u8 = 2;
/// IRQ lines per PIC.
pub const LINES_PER_PIC: u8 = 8;

/// POST diagnostic port: writing to it does nothing but takes about a
/// microsecond on real hardware, which gives an old PIC time to take each
/// initialisation word (OSDev wiki, "8259 PIC", `io_wait`; Linux does the same).
const POST_PORT: u16 = 0x80;

/// Moves IRQ 0-7 to vectors `master_base`.. and IRQ 8-15 to `slave_base`..,
/// and leaves every line masked (see [`set_masks`]). Call it with interrupts
/// disabled.
pub fn remap(master_base: u8, slave_base: u8) {
    // The 8259A takes the vector's top five bits from ICW2: the bases must be
    // multiples of 8 (datasheet, "Initialization Command Word 2").
    assert!(master_base % 8 == 0 && slave_base % 8 == 0);
    // SAFETY: ports 0x20/0x21 and 0xA0/0xA1 are the PC's two 8259A PICs; the
    // sequence below is their initialisation (ICW1-ICW4, datasheet,
    // "Initialization Command Words"). Interrupts are disabled meanwhile
    // (the caller's job), and every line is masked afterwards.
    unsafe {
        outb(MASTER_COMMAND, ICW1_INIT_WITH_ICW4);
        io_wait();
        outb(SLAVE_COMMAND, ICW1_INIT_WITH_ICW4);
        io_wait();
        outb(MASTER_DATA, master_base); // ICW2: vector base
        io_wait();
        outb(SLAVE_DATA, slave_base);
        io_wait();
        outb(MASTER_DATA, ICW3_MASTER_SLAVE_ON_IR2);
        io_wait();
        outb(SLAVE_DATA, ICW3_SLAVE_IDENTITY);
        io_wait();
        outb(MASTER_DATA, ICW4_8086_MODE);
        io_wait();
        outb(SLAVE_DATA, ICW4_8086_MODE);
        io_wait();
    }
    set_masks(u16::MAX);
}

/// Sets the interrupt mask registers (OCW1): bit n set masks IRQ n (bits 0-7
/// the master's lines, 8-15 the slave's).
pub fn set_masks(masks: u16) {
    let [master, slave] = masks.to_le_bytes();
    // SAFETY: a write to a PIC's data port outside initialisation is OCW1,
    // the mask; it only changes which lines may interrupt.
    unsafe {
        outb(MASTER_DATA, master);
        outb(SLAVE_DATA, slave);
    }
}

/// The interrupt mask registers as the PICs report them (bit n: IRQ n).
pub fn masks() -> u16 {
    // SAFETY: reading a PIC's data port returns its mask register (OCW1) and
    // has no side effect.
    let (master, slave) = unsafe { (inb(MASTER_DATA), inb(SLAVE_DATA)) };
    u16::from_le_bytes([master, slave])
}

/// The in-service registers (bit n: IRQ n is being handled, EOI pending).
pub fn in_service() -> u16 {
    read_register(OCW3_READ_ISR)
}

/// The interrupt request registers (bit n: IRQ n is raised, not yet taken).
pub fn requested() -> u16 {
    read_register(OCW3_READ_IRR)
}

fn read_register(ocw3: u8) -> u16 {
    // SAFETY: OCW3 selects which register the next read of the command port
    // returns; reading it has no side effect.
    let (master, slave) = unsafe {
        outb(MASTER_COMMAND, ocw3);
        outb(SLAVE_COMMAND, ocw3);
        (inb(MASTER_COMMAND), inb(SLAVE_COMMAND))
    };
    u16::from_le_bytes([master, slave])
}

/// Ends the handling of IRQ `irq`: a slave line needs an EOI at both PICs
/// (the master has its cascade line in service too), a master line at the
/// master only.
pub fn end_of_interrupt(irq: u8) {
    // SAFETY: a non-specific EOI clears the in-service bit of the IRQ being
    // handled (the highest-priority one, as handlers do not nest here).
    unsafe {
        if irq >= LINES_PER_PIC {
            outb(SLAVE_COMMAND, OCW2_EOI);
        }
        outb(MASTER_COMMAND, OCW2_EOI);
    }
}

/// Whether IRQ 7 or 15 (the lowest priority line of each PIC, where the PIC
/// signals spurious interrupts) really is in service. When an IRQ line drops
/// before the CPU acknowledges it, the PIC still delivers a vector, that of
/// its IR7, without setting the in-service bit; such an interrupt must not
/// get an EOI (OSDev wiki, "8259 PIC", "Spurious IRQs"; 8259A datasheet,
/// "Interrupt Sequence", step 4).
pub fn is_spurious(irq: u8) -> bool {
    in_service() & (1 << irq) == 0
}

/// The master alone gets an EOI for a spurious IRQ 15: the slave did not set
/// an in-service bit, but the master did for its cascade line.
pub fn end_of_spurious_slave_interrupt() {
    // SAFETY: as in `end_of_interrupt`; the master's cascade bit is in service.
    unsafe { outb(MASTER_COMMAND, OCW2_EOI) };
}

#[inline]
fn io_wait() {
    // SAFETY: nothing listens on port 0x80 but POST code displays.
    unsafe { outb(POST_PORT, 0) };
}
