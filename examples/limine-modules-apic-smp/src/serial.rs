//! Driver for the 16550 UART on COM1, the kernel's first and most reliable
//! output channel (QEMU's `-serial stdio` connects it to the terminal).
//!
//! Register map: National Semiconductor PC16550D datasheet, "Register
//! Summary"; offsets are relative to the port base.

use core::fmt;
use core::sync::atomic::{AtomicBool, Ordering};

use crate::arch::x86_64::port::{inb, outb};
use crate::sync::SpinLock;

/// I/O base of COM1, fixed by the PC architecture.
pub const COM1: u16 = 0x3F8;

// Register offsets. With DLAB (divisor latch access bit, LCR bit 7) set,
// offsets 0 and 1 address the baud-rate divisor instead.
const DATA: u16 = 0; // THR (write) / RBR (read); DLL when DLAB = 1
const INTERRUPT_ENABLE: u16 = 1; // IER; DLM when DLAB = 1
const FIFO_CONTROL: u16 = 2; // FCR (write)
const LINE_CONTROL: u16 = 3; // LCR
const MODEM_CONTROL: u16 = 4; // MCR
const LINE_STATUS: u16 = 5; // LSR

const LCR_DLAB: u8 = 1 << 7;
/// 8 data bits, no parity, 1 stop bit ("8N1"): LCR bits 0-1 = 0b11 (8 bits),
/// bit 2 = 0 (1 stop bit), bits 3-5 = 0 (no parity).
const LCR_8N1: u8 = 0b0000_0011;
/// FCR: enable FIFOs (bit 0), clear receive (bit 1) and transmit (bit 2) FIFOs,
/// receive interrupt threshold 14 bytes (bits 6-7 = 0b11).
const FCR_ENABLE_CLEAR_14: u8 = 0b1100_0111;
/// MCR: DTR (bit 0), RTS (bit 1), OUT2 (bit 3; gates the IRQ line on PCs).
const MCR_DTR_RTS_OUT2: u8 = 0b0000_1011;
/// MCR bit 4: loopback mode, used for the self-test.
const MCR_LOOPBACK: u8 = 1 << 4;
/// LSR bit 0: data ready, a received byte waits in RBR (or the receive FIFO).
const LSR_DATA_READY: u8 = 1 << 0;
/// LSR bit 5: transmitter holding register empty, i.e. we may write a byte.
const LSR_THR_EMPTY: u8 = 1 << 5;

/// How many times the self-test reads LSR for the looped-back byte before it
/// gives up. In loopback mode the byte still goes through the transmit and
/// receive shift registers at the baud rate (PC16550D datasheet, "Loopback"):
/// one character of 10 bits (start, 8 data, stop) takes 10 / 115200 s = 87 us.
/// A port access to a legacy (ISA/LPC) device takes on the order of a
/// microsecond (OSDev wiki, "Inline Assembly/Examples", `io_wait`: 1 to 4 us
/// for port 0x80), so this waits about 10 ms, over a hundred character
/// times. Under QEMU the byte is there at once.
const LOOPBACK_POLLS: u32 = 10_000;

/// The UART's input clock is 1.8432 MHz / 16 = 115200 Hz; the divisor picks
/// the baud rate as 115200 / divisor. 1 = 115200 baud.
const BAUD_DIVISOR: u16 = 1;

/// Why [`SerialPort::init`] failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerialError {
    /// The loopback self-test read back the wrong byte: no working UART here.
    LoopbackFailed,
    /// The loopback self-test's byte never arrived (LSR.DR stayed clear for
    /// about 10 ms): no working UART here.
    LoopbackTimeout,
}

/// A 16550-compatible UART at an I/O port base.
pub struct SerialPort {
    base: u16,
}

impl SerialPort {
    /// A handle to the UART at `base`. Does not touch the hardware.
    pub const fn new(base: u16) -> Self {
        Self { base }
    }

    fn write_reg(&self, offset: u16, value: u8) {
        // SAFETY: `base` is a 16550 UART (the constructor's contract, and COM1
        // on every PC); writing its registers only configures/feeds the UART.
        unsafe { outb(self.base + offset, value) }
    }

    fn read_reg(&self, offset: u16) -> u8 {
        // SAFETY: as in `write_reg`; reading LSR/RBR only reports UART state.
        unsafe { inb(self.base + offset) }
    }

    /// Programs the UART: no interrupts, 115200 baud, 8N1, FIFOs on; then
    /// checks in loopback mode that a UART actually answers.
    pub fn init(&mut self) -> Result<(), SerialError> {
        self.write_reg(INTERRUPT_ENABLE, 0x00); // we poll; no UART interrupts
        self.write_reg(LINE_CONTROL, LCR_DLAB); // expose the divisor latch
        let [low, high] = BAUD_DIVISOR.to_le_bytes();
        self.write_reg(DATA, low); // DLL
        self.write_reg(INTERRUPT_ENABLE, high); // DLM
        self.write_reg(LINE_CONTROL, LCR_8N1); // also clears DLAB
        self.write_reg(FIFO_CONTROL, FCR_ENABLE_CLEAR_14);

        // Self-test: in loopback mode what we send comes straight back.
        self.write_reg(MODEM_CONTROL, MCR_DTR_RTS_OUT2 | MCR_LOOPBACK);
        const PROBE: u8 = 0xAE;
        self.write_reg(DATA, PROBE);
        let arrived = (0..LOOPBACK_POLLS).any(|_| self.read_reg(LINE_STATUS) & LSR_DATA_READY != 0);
        let echoed = self.read_reg(DATA);

        self.write_reg(MODEM_CONTROL, MCR_DTR_RTS_OUT2); // normal operation
        match (arrived, echoed == PROBE) {
            (true, true) => Ok(()),
            (true, false) => Err(SerialError::LoopbackFailed),
            (false, _) => Err(SerialError::LoopbackTimeout),
        }
    }

    /// Sends one byte, waiting until the transmitter can take it.
    pub fn write_byte(&mut self, byte: u8) {
        while self.read_reg(LINE_STATUS) & LSR_THR_EMPTY == 0 {
            core::hint::spin_loop();
        }
        self.write_reg(DATA, byte);
    }
}

impl fmt::Write for SerialPort {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for byte in s.bytes() {
            // Serial terminals expect CR LF; Rust strings use LF alone.
            if byte == b'\n' {
                self.write_byte(b'\r');
            }
            self.write_byte(byte);
        }
        Ok(())
    }
}

/// COM1, shared by the whole kernel. The lock keeps lines from interleaving.
pub static COM1_PORT: SpinLock<SerialPort> = SpinLock::new(SerialPort::new(COM1));

/// Set once [`init`] has programmed COM1 and its self-test passed.
static INITIALISED: AtomicBool = AtomicBool::new(false);

/// Initialises COM1, unless an earlier call did already: then it does nothing
/// and returns `Ok`. The panic and exception handlers call it in case they
/// came before `kernel_main` did; programming the UART again would clear its
/// transmit FIFO (FCR bit 2) and lose the last bytes printed before them. To
/// program the UART again regardless, lock [`COM1_PORT`] and call
/// [`SerialPort::init`].
pub fn init() -> Result<(), SerialError> {
    let mut port = COM1_PORT.lock();
    // The lock orders this with other callers: only one of them programs it.
    if INITIALISED.load(Ordering::Relaxed) {
        return Ok(());
    }
    port.init()?;
    INITIALISED.store(true, Ordering::Relaxed);
    Ok(())
}
