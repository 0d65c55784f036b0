//! The programmable interval timer (Intel 8253/8254), channel 0: the one
//! wired to IRQ 0. It counts its 1.193182 MHz input down from a divisor and
//! pulses its output each time the count wraps, so the IRQ rate is
//! 1 193 182 / divisor. Sources: Intel 8254 datasheet (order number 231164),
//! "Control Word Format", "Mode 2"; OSDev wiki, "Programmable Interval Timer".
//! (The base kernel's `arch::x86_64::tsc` uses channel 2, which is independent.)

use crate::arch::x86_64::port::outb;

/// The PIT's input clock: 1.193182 MHz (a third of the 3.579545 MHz NTSC
/// colour burst crystal of the original PC; 8254 datasheet, OSDev wiki).
pub const INPUT_HZ: u32 = 1_193_182;
/// Channel 0 data port (8254: counter 0).
const CHANNEL0_DATA: u16 = 0x40;
/// Mode/command register (8254: control word register).
const COMMAND: u16 = 0x43;
/// Control word: channel 0 (bits 7-6 = 00), low byte then high byte (bits 5-4
/// = 11), mode 2 "rate generator" (bits 3-1 = 010: a pulse every `divisor`
/// input clocks, forever), binary counting (bit 0 = 0).
const CHANNEL0_RATE_GENERATOR: u8 = 0b0011_0100;

/// The divisor for about `hz` interrupts per second: rounded to the nearest
/// whole divisor, at least 2 (mode 2 does not allow 1) and at most 65 536
/// (written as 0).
pub const fn divisor(hz: u32) -> u32 {
    let divisor = (INPUT_HZ + hz / 2) / hz;
    if divisor < 2 {
        2
    } else if divisor > 0x1_0000 {
        0x1_0000
    } else {
        divisor
    }
}

/// Starts channel 0 as a rate generator dividing the input by `divisor`
/// (see [`divisor`]).
pub fn start_periodic(divisor: u32) {
    // 65 536 is written as 0 (8254 datasheet: "the maximum count is 0").
    let [low, high] = (divisor as u16).to_le_bytes();
    // SAFETY: ports 0x40 and 0x43 are the PIT's channel 0 and command
    // register; channel 0 only drives IRQ 0, which the caller handles.
    unsafe {
        outb(COMMAND, CHANNEL0_RATE_GENERATOR);
        outb(CHANNEL0_DATA, low);
        outb(CHANNEL0_DATA, high);
    }
}
