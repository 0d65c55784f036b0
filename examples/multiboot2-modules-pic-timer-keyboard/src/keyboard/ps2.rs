//! The 8042 PS/2 controller: its first port, where the keyboard is.
//!
//! The controller has a data port (0x60) and a status/command port (0x64).
//! Bytes from the keyboard arrive in its output buffer and raise IRQ 1; bytes
//! for the controller or the keyboard go through its input buffer, which must
//! be empty before each write. The controller translates the keyboard's scan
//! code set 2 into the PC/XT's set 1 when its configuration says so, which
//! [`init`] makes sure of. Sources: OSDev wiki, "8042 PS/2 Controller" and
//! "PS/2 Keyboard"; IBM PS/2 Hardware Interface Technical Reference,
//! "Keyboard/Auxiliary Device Controller".

use core::fmt;

use crate::arch::x86_64::port::{inb, outb};

/// Data port: bytes from the output buffer, bytes to the device or the
/// argument of a controller command.
const DATA: u16 = 0x60;
/// Read: the status register. Write: a controller command.
const STATUS_COMMAND: u16 = 0x64;

/// Status bit 0: the output buffer holds a byte for us.
const STATUS_OUTPUT_FULL: u8 = 1 << 0;
/// Status bit 1: the input buffer still holds our last byte.
const STATUS_INPUT_FULL: u8 = 1 << 1;

// Controller commands (OSDev wiki, "8042 PS/2 Controller", "PS/2 Controller
// Commands").
const COMMAND_READ_CONFIG: u8 = 0x20;
const COMMAND_WRITE_CONFIG: u8 = 0x60;
const COMMAND_DISABLE_PORT2: u8 = 0xA7;
const COMMAND_DISABLE_PORT1: u8 = 0xAD;
const COMMAND_ENABLE_PORT1: u8 = 0xAE;
/// The next byte written to the data port appears in the output buffer as if
/// the first port's device had sent it (raising IRQ 1): a loopback for tests.
const COMMAND_WRITE_PORT1_OUTPUT: u8 = 0xD2;

/// Configuration byte bit 0: IRQ 1 when a byte from the first port arrives.
pub const CONFIG_PORT1_INTERRUPT: u8 = 1 << 0;
/// Bit 1: IRQ 12 for the second port (the mouse): kept off.
pub const CONFIG_PORT2_INTERRUPT: u8 = 1 << 1;
/// Bit 4: the first port's clock is disabled.
pub const CONFIG_PORT1_CLOCK_DISABLED: u8 = 1 << 4;
/// Bit 6: translate scan code set 2 to set 1.
pub const CONFIG_PORT1_TRANSLATION: u8 = 1 << 6;

// Keyboard commands and answers (OSDev wiki, "PS/2 Keyboard", "Commands").
const KEYBOARD_SET_SCAN_CODE_SET: u8 = 0xF0;
/// Scan code set 2: what every keyboard supports, and what the controller's
/// translation expects.
const SCAN_CODE_SET_2: u8 = 2;
const KEYBOARD_ENABLE_SCANNING: u8 = 0xF4;
const KEYBOARD_ACK: u8 = 0xFA;
const KEYBOARD_RESEND: u8 = 0xFE;
/// A keyboard asks for a byte again at most this often before we give up.
const RESEND_ATTEMPTS: usize = 3;

/// Status reads before a wait counts as failed: well over the few
/// milliseconds a keyboard takes to answer, at about a microsecond a read.
const POLL_LIMIT: usize = 1_000_000;

/// Why the controller or the keyboard could not be set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The controller never took a byte (no 8042: the port reads as 0xFF).
    NoController,
    /// No answer from the keyboard (none plugged in).
    NoAnswer,
    /// The keyboard answered a command with something else than ACK.
    Refused { command: u8, answer: u8 },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoController => write!(f, "no 8042 PS/2 controller answers at port 0x64"),
            Self::NoAnswer => write!(f, "no keyboard answers on the first PS/2 port"),
            Self::Refused { command, answer } => {
                write!(
                    f,
                    "the keyboard answered command {command:#04x} with {answer:#04x}"
                )
            }
        }
    }
}

/// Sets up the controller for the keyboard: the first port enabled with its
/// interrupt and translation to set 1, the second port (mouse) off, and the
/// keyboard in scan code set 2 (firmware may leave another) with scanning on.
/// IRQ 1 must be masked at the PIC meanwhile: the answers are polled.
pub fn init() -> Result<(), Error> {
    // Both ports off, so that no byte arrives while the configuration
    // changes, then drop whatever the firmware left in the output buffer.
    command(COMMAND_DISABLE_PORT1)?;
    command(COMMAND_DISABLE_PORT2)?;
    flush();
    let config = read_config()?;
    let config = (config | CONFIG_PORT1_INTERRUPT | CONFIG_PORT1_TRANSLATION)
        & !(CONFIG_PORT2_INTERRUPT | CONFIG_PORT1_CLOCK_DISABLED);
    command(COMMAND_WRITE_CONFIG)?;
    write_data(config)?;
    command(COMMAND_ENABLE_PORT1)?;
    keyboard_command(KEYBOARD_SET_SCAN_CODE_SET)?;
    keyboard_command(SCAN_CODE_SET_2)?;
    keyboard_command(KEYBOARD_ENABLE_SCANNING)?;
    flush();
    Ok(())
}

/// The controller's configuration byte (`CONFIG_*` bits). Call it with
/// interrupts disabled: the answer would go to the IRQ 1 handler otherwise.
pub fn read_config() -> Result<u8, Error> {
    command(COMMAND_READ_CONFIG)?;
    read_data()
}

/// The byte in the output buffer, if there is one.
pub fn read_data_if_full() -> Option<u8> {
    // SAFETY: reading the 8042's status register has no side effect; reading
    // its data port takes the byte out of the output buffer, which is what
    // every caller wants.
    unsafe { (inb(STATUS_COMMAND) & STATUS_OUTPUT_FULL != 0).then(|| inb(DATA)) }
}

/// Makes the controller deliver `byte` as if the keyboard had sent it
/// (command 0xD2), raising IRQ 1: for testing the whole interrupt path.
pub fn inject_keyboard_byte(byte: u8) -> Result<(), Error> {
    command(COMMAND_WRITE_PORT1_OUTPUT)?;
    write_data(byte)
}

fn command(command: u8) -> Result<(), Error> {
    wait_input_empty()?;
    // SAFETY: a write to port 0x64 is a command to the 8042; the callers send
    // only the documented ones above.
    unsafe { outb(STATUS_COMMAND, command) };
    Ok(())
}

fn write_data(byte: u8) -> Result<(), Error> {
    wait_input_empty()?;
    // SAFETY: a write to port 0x60 goes to the 8042 (the argument of the
    // command before) or to the keyboard.
    unsafe { outb(DATA, byte) };
    Ok(())
}

fn read_data() -> Result<u8, Error> {
    for _ in 0..POLL_LIMIT {
        if let Some(byte) = read_data_if_full() {
            return Ok(byte);
        }
        core::hint::spin_loop();
    }
    Err(Error::NoAnswer)
}

/// Sends a byte to the keyboard and waits for its ACK, sending it again when
/// the keyboard asks (RESEND).
fn keyboard_command(byte: u8) -> Result<(), Error> {
    let mut answer = KEYBOARD_RESEND;
    for _ in 0..RESEND_ATTEMPTS {
        write_data(byte)?;
        answer = read_data()?;
        if answer != KEYBOARD_RESEND {
            break;
        }
    }
    match answer {
        KEYBOARD_ACK => Ok(()),
        answer => Err(Error::Refused {
            command: byte,
            answer,
        }),
    }
}

fn wait_input_empty() -> Result<(), Error> {
    for _ in 0..POLL_LIMIT {
        // SAFETY: reading the 8042's status register has no side effect.
        if unsafe { inb(STATUS_COMMAND) } & STATUS_INPUT_FULL == 0 {
            return Ok(());
        }
        core::hint::spin_loop();
    }
    Err(Error::NoController)
}

/// Drops every byte waiting in the output buffer.
fn flush() {
    for _ in 0..POLL_LIMIT {
        if read_data_if_full().is_none() {
            return;
        }
    }
}
