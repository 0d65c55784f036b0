//! The local APIC timer: a 32-bit counter that counts down at the APIC's
//! clock (the bus or core crystal clock) divided by a power of two, and
//! raises its LVT vector when it reaches zero; in periodic mode it reloads
//! the initial count and goes on (Intel SDM Vol. 3A §10.5.4).
//!
//! Nothing tells the kernel that clock's rate portably (CPUID leaf 0x15 does
//! on recent Intel CPUs only), so [`calibrate`] measures it: PIT channel 2
//! counts down a known stretch of its 1.193182 MHz clock while the APIC
//! timer counts from its maximum; what the APIC timer counted in that time
//! gives its rate. Channel 2 is the one whose output a program can poll
//! (port 0x61 bit 5), with interrupts off. The same method as Linux's
//! `calibrate_APIC_clock` against the PIT, and the base kernel's TSC
//! calibration (`arch::x86_64::tsc`), which the tests then use as the
//! independent clock.

use core::sync::atomic::{AtomicU64, Ordering};

use super::local::{
    self, LVT_MASKED, LVT_TIMER, TIMER_CURRENT_COUNT, TIMER_DIVIDE, TIMER_INITIAL_COUNT,
};
use crate::arch::x86_64::port::{inb, outb};

/// The PIT's input clock: 1.193182 MHz (Intel 8254 datasheet; OSDev wiki,
/// "Programmable Interval Timer": 3.579545 MHz / 3).
pub const PIT_HZ: u64 = 1_193_182;
/// PIT channel 2 data port and the mode/command register (8254: counter 2,
/// control word register).
const PIT_CHANNEL2_DATA: u16 = 0x42;
const PIT_COMMAND: u16 = 0x43;
/// Control word: channel 2 (bits 7-6 = 10), low byte then high byte (bits
/// 5-4 = 11), mode 0 "interrupt on terminal count" (bits 3-1 = 000): OUT
/// goes high when the count reaches zero; binary (bit 0 = 0). 8254
/// datasheet, "Control Word Format", "Mode 0".
const PIT_CHANNEL2_MODE0: u8 = 0b1011_0000;
/// System control port B: bit 0 gates channel 2, bit 1 sends it to the
/// speaker, bit 5 reads its output (IBM PC/AT Technical Reference, port
/// 0x61; Intel PCH datasheets, "NMI Status and Control Register").
const PORT_B: u16 = 0x61;
const GATE2: u8 = 1 << 0;
const SPEAKER: u8 = 1 << 1;
const OUT2: u8 = 1 << 5;
/// Each measurement lasts 10 ms of the PIT: 11 932 of its ticks, within its
/// 16-bit counter.
const WINDOW_PIT_TICKS: u16 = (PIT_HZ / 100) as u16;
/// Measurements taken; the shortest wins. A measurement can only come out
/// long (the emulator or an SMI held the CPU up between starting the two
/// counters or before it saw OUT2 rise), never short, so the least APIC
/// ticks are the truest.
const SAMPLES: usize = 8;
/// Give up on a window after this many polls of port B (a PIT that never
/// counts: a machine without legacy devices). Each poll is an I/O port
/// access, about a microsecond or more, so this is seconds.
const MAX_POLLS: u32 = 20_000_000;

/// Divide configuration register value for "divide by 16": bits 3, 1, 0 =
/// 0, 1, 1 (§10.5.4, Figure 10-10).
const DIVIDE_BY_16: u32 = 0b0011;
/// The divisor it selects.
pub const DIVISOR: u64 = 16;
/// LVT timer bits 18-17: 01 = periodic, 00 = one-shot (§10.5.1, Figure 10-8).
const LVT_PERIODIC: u32 = 0b01 << 17;

/// What [`calibrate`] measured, for [`super::init`] and the other CPUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calibration {
    /// Timer counts per second (the APIC clock divided by [`DIVISOR`]).
    pub counts_per_second: u64,
    /// The initial count for one tick of `apic::TICK_HZ`.
    pub initial_count: u32,
}

/// Why the timer could not be calibrated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalibrationError {
    /// PIT channel 2's output never rose.
    NoPit,
    /// The APIC timer did not count during the window (or ran out).
    TimerStopped,
    /// The timer is too slow for a tick of that rate (initial count 0) or too
    /// fast for its 32-bit counter.
    OutOfRange,
}

/// Counts per second, 0 before [`calibrate`].
static COUNTS_PER_SECOND: AtomicU64 = AtomicU64::new(0);
/// The initial count of a tick, 0 before [`calibrate`].
static INITIAL_COUNT: AtomicU64 = AtomicU64::new(0);

/// Measures the timer's rate against the PIT (about 80 ms: [`SAMPLES`] ×
/// 10 ms) and derives the initial count for `tick_hz` ticks a second.
/// Interrupts must be disabled; the timer is left masked and stopped.
pub fn calibrate(tick_hz: u64) -> Result<Calibration, CalibrationError> {
    local::write(TIMER_DIVIDE, DIVIDE_BY_16);
    let mut least = u64::MAX;
    for _ in 0..SAMPLES {
        least = least.min(measure_window()?);
    }
    stop();
    if least == 0 {
        return Err(CalibrationError::TimerStopped);
    }
    let counts_per_second = least * PIT_HZ / u64::from(WINDOW_PIT_TICKS);
    let initial_count = (counts_per_second + tick_hz / 2) / tick_hz;
    let initial_count = match u32::try_from(initial_count) {
        Ok(0) | Err(_) => return Err(CalibrationError::OutOfRange),
        Ok(count) => count,
    };
    COUNTS_PER_SECOND.store(counts_per_second, Ordering::Relaxed);
    INITIAL_COUNT.store(u64::from(initial_count), Ordering::Relaxed);
    Ok(Calibration {
        counts_per_second,
        initial_count,
    })
}

/// The last calibration, or `None` before [`calibrate`].
pub fn calibration() -> Option<Calibration> {
    let counts_per_second = COUNTS_PER_SECOND.load(Ordering::Relaxed);
    let initial_count = INITIAL_COUNT.load(Ordering::Relaxed) as u32;
    (counts_per_second != 0).then_some(Calibration {
        counts_per_second,
        initial_count,
    })
}

/// APIC timer counts during [`WINDOW_PIT_TICKS`] of PIT channel 2.
fn measure_window() -> Result<u64, CalibrationError> {
    // SAFETY: ports 0x61 and 0x43 are the PC's system control port B and the
    // PIT's command register; only channel 2 (the speaker's, which nothing
    // else uses meanwhile: interrupts are off) and its gate are touched, and
    // the speaker stays off.
    let control = unsafe {
        let control = inb(PORT_B);
        outb(PORT_B, control & !(GATE2 | SPEAKER));
        outb(PIT_COMMAND, PIT_CHANNEL2_MODE0);
        control
    };
    // The APIC timer first (one-shot, masked, from the top), then the PIT's
    // count and gate: a real 8254 starts a mode 0 count when the gate rises,
    // QEMU's as soon as the count is written (hw/timer/i8254.c,
    // `pit_set_channel_gate` ignores the gate in mode 0). Either way the
    // PIT's window lies inside the APIC timer's, so a measurement can only
    // come out long.
    start_one_shot_masked(u32::MAX);
    let [low, high] = WINDOW_PIT_TICKS.to_le_bytes();
    // SAFETY: as above: channel 2's count, then its gate.
    unsafe {
        outb(PIT_CHANNEL2_DATA, low);
        outb(PIT_CHANNEL2_DATA, high);
        outb(PORT_B, (control & !SPEAKER) | GATE2);
    }
    for _ in 0..MAX_POLLS {
        // SAFETY: reading port B has no side effects.
        if unsafe { inb(PORT_B) } & OUT2 != 0 {
            // At 0 the one-shot count ran out: the clock is too fast to tell.
            return match current_count() {
                0 => Err(CalibrationError::OutOfRange),
                left => Ok(u64::from(u32::MAX - left)),
            };
        }
    }
    Err(CalibrationError::NoPit)
}

/// Starts the timer counting down from `count` once, its interrupt masked:
/// a stopwatch read through [`current_count`].
pub fn start_one_shot_masked(count: u32) {
    local::write(TIMER_DIVIDE, DIVIDE_BY_16);
    local::write(LVT_TIMER, LVT_MASKED);
    local::write(TIMER_INITIAL_COUNT, count);
}

/// Starts the timer raising `vector` every `initial_count` counts.
pub fn start_periodic(initial_count: u32, vector: u8) {
    local::write(TIMER_DIVIDE, DIVIDE_BY_16);
    local::write(LVT_TIMER, LVT_PERIODIC | u32::from(vector));
    // Writing the initial count starts it (§10.5.4).
    local::write(TIMER_INITIAL_COUNT, initial_count);
}

/// Stops the timer (an initial count of 0 stops it, §10.5.4) and masks it.
pub fn stop() {
    local::write(LVT_TIMER, LVT_MASKED);
    local::write(TIMER_INITIAL_COUNT, 0);
}

/// The timer's current count.
pub fn current_count() -> u32 {
    local::read(TIMER_CURRENT_COUNT)
}

/// The timer's LVT entry (vector, mask, mode).
pub fn lvt() -> u32 {
    local::read(LVT_TIMER)
}
