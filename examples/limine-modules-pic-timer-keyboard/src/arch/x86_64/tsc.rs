//! A clock for measuring durations: the CPU's time-stamp counter (TSC),
//! calibrated once against the legacy PIT's channel 2.
//!
//! The TSC counts at a fixed rate on every CPU of the last fifteen years
//! ("invariant TSC"), but nothing tells a kernel that rate portably. The PIT
//! (Intel 8254) counts at a known frequency, so the kernel lets it count down a
//! known number of ticks and reads the TSC before and after. Channel 2 is the
//! one whose output a program can poll (port 0x61, bit 5) without interrupts;
//! its gate is bit 0 of the same port. The method is Linux's
//! `pit_calibrate_tsc` and OSDev's "Programmable Interval Timer" article.

use core::arch::x86_64::{__cpuid, _rdtsc};
use core::sync::atomic::{AtomicU64, Ordering};

use super::port::{inb, outb};

/// The PIT's input clock: 1.193182 MHz (Intel 8254 datasheet; OSDev wiki,
/// "Programmable Interval Timer": 3.579545 MHz / 3).
const PIT_FREQUENCY_HZ: u64 = 1_193_182;
/// PIT channel 2 data port (8254: counter 2).
const PIT_CHANNEL2_DATA: u16 = 0x42;
/// PIT mode/command register (8254: control word register).
const PIT_COMMAND: u16 = 0x43;
/// Control word: channel 2 (bits 7-6 = 10), low byte then high byte (bits 5-4
/// = 11), mode 0 "interrupt on terminal count" (bits 3-1 = 000), binary
/// counting (bit 0 = 0). 8254 datasheet, "Control Word Format".
const PIT_CHANNEL2_MODE0: u8 = 0b1011_0000;
/// PC/AT system control port B (the "NMI status and control" port of Intel's
/// PCH datasheets): bit 0 gates PIT channel 2, bit 1 connects it to the
/// speaker, bit 5 reads channel 2's output.
const SYSTEM_CONTROL_PORT_B: u16 = 0x61;
const GATE2: u8 = 1 << 0;
const SPEAKER_DATA: u8 = 1 << 1;
const OUT2: u8 = 1 << 5;
/// Calibrate over 10 ms: 11 932 PIT ticks (1 193 182 / 100), below the
/// 16-bit counter's limit of 65 535.
const CALIBRATION_TICKS: u16 = (PIT_FREQUENCY_HZ / 100) as u16;
/// CPUID leaf 1, EDX bit 4: the time-stamp counter exists (Intel SDM Vol. 2A,
/// CPUID, "Feature Information", Table 3-11).
const CPUID_FEATURES_LEAF: u32 = 1;
const CPUID_EDX_TSC: u32 = 1 << 4;

/// TSC ticks per second, once measured: 0 before, or if there is no TSC.
static TSC_HZ: AtomicU64 = AtomicU64::new(0);

/// Measures the TSC's frequency against the PIT (takes 10 ms). Returns the
/// frequency in Hz, or `None` if the CPU has no TSC or the PIT never counted.
pub fn calibrate() -> Option<u64> {
    // `__cpuid` is a safe function since Rust 1.89 and unsafe before.
    #[allow(unused_unsafe)]
    // SAFETY: CPUID and its leaf 1 exist on every x86_64 CPU.
    let features = unsafe { __cpuid(CPUID_FEATURES_LEAF) };
    if features.edx & CPUID_EDX_TSC == 0 {
        return None;
    }
    let ticks = measure_calibration_window()?;
    let hz = ticks * PIT_FREQUENCY_HZ / u64::from(CALIBRATION_TICKS);
    TSC_HZ.store(hz, Ordering::Relaxed);
    Some(hz)
}

/// TSC ticks during `CALIBRATION_TICKS` PIT ticks, or `None` if the PIT's
/// output never rose (no PIT, e.g. a machine without legacy devices).
fn measure_calibration_window() -> Option<u64> {
    // Give up after far longer than 10 ms at any plausible TSC rate.
    const GIVE_UP_AFTER_TSC_TICKS: u64 = 10_000_000_000;
    // SAFETY: ports 0x61, 0x42 and 0x43 are the PC's system control port and
    // PIT; only channel 2 (the speaker's, unused by this kernel) and the
    // speaker gate are touched, and the speaker stays disconnected.
    unsafe {
        let control = inb(SYSTEM_CONTROL_PORT_B);
        // Gate low and speaker off while programming the counter.
        outb(SYSTEM_CONTROL_PORT_B, control & !(GATE2 | SPEAKER_DATA));
        outb(PIT_COMMAND, PIT_CHANNEL2_MODE0);
        let [low, high] = CALIBRATION_TICKS.to_le_bytes();
        outb(PIT_CHANNEL2_DATA, low);
        outb(PIT_CHANNEL2_DATA, high);
        // Gate high: the count starts; OUT2 rises when it reaches zero.
        outb(SYSTEM_CONTROL_PORT_B, (control & !SPEAKER_DATA) | GATE2);
    }
    let start = read();
    loop {
        // SAFETY: reading port 0x61 has no side effects.
        let status = unsafe { inb(SYSTEM_CONTROL_PORT_B) };
        let elapsed = read().wrapping_sub(start);
        if status & OUT2 != 0 {
            return Some(elapsed);
        }
        if elapsed > GIVE_UP_AFTER_TSC_TICKS {
            return None;
        }
    }
}

/// The time-stamp counter now (only call it once the TSC is known to exist).
#[inline]
fn read() -> u64 {
    // SAFETY: `rdtsc` only reads the counter; the callers checked CPUID for
    // it, and the kernel leaves CR4.TSD clear, so it is allowed in ring 0.
    unsafe { _rdtsc() }
}

/// A point in time, for measuring how long something took.
#[derive(Clone, Copy, Debug)]
pub struct Instant(u64);

impl Instant {
    /// A placeholder for statics, before any measurement.
    pub const ZERO: Self = Self(0);

    /// Now; meaningless (but harmless) before [`calibrate`] succeeded.
    pub fn now() -> Self {
        if TSC_HZ.load(Ordering::Relaxed) == 0 {
            Self(0)
        } else {
            Self(read())
        }
    }

    /// Microseconds since `self`, or `None` if the clock is not calibrated.
    pub fn elapsed_micros(self) -> Option<u64> {
        let hz = TSC_HZ.load(Ordering::Relaxed);
        if hz == 0 {
            return None;
        }
        let ticks = u128::from(read().wrapping_sub(self.0));
        u64::try_from(ticks * 1_000_000 / u128::from(hz)).ok()
    }
}
