//! Hardware interrupts from the legacy PC devices, and a clock: the 8259A
//! PICs are moved to vectors 32-47 ([`pic`]), the PIT raises IRQ 0
//! [`TICK_HZ`] times a second ([`pit`]), and each tick is counted, which
//! [`sleep_ms`] waits on. IRQ 1-15 go to the handlers other modules register
//! with [`set_handler`] (the keyboard's, for one).
//!
//! Each IRQ enters through a stub of [`entry`]; the IDT gates to them are set
//! in `arch::x86_64::idt::init`. The gates are interrupt gates: a handler runs
//! with interrupts disabled, so handlers never nest, and a lock a handler
//! takes must be taken elsewhere inside [`without_interrupts`].

pub mod entry;
pub mod pic;
pub mod pit;

use core::arch::asm;
use core::ops::Range;
use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};

pub use entry::entry_stub;

use crate::arch::x86_64::cpu;
use crate::arch::x86_64::exceptions::EXCEPTION_VECTORS;
use crate::sync::SpinLock;

/// Timer interrupts per second: 1 ms resolution for [`sleep_ms`]. The PIT
/// divides its input by 1193, so a tick is 0.99985 ms (1000.15 Hz).
pub const TICK_HZ: u32 = 1000;
/// The PIT divisor for [`TICK_HZ`].
pub const PIT_DIVISOR: u32 = pit::divisor(TICK_HZ);

/// IRQ lines: 8 per PIC, two PICs.
pub const IRQ_LINES: usize = 2 * pic::LINES_PER_PIC as usize;
/// IRQ 0-15 take the vectors right after the 32 the CPU reserves for
/// exceptions (Intel SDM Vol. 3A §6.2): 32-39 the master's, 40-47 the slave's.
pub const IRQ_VECTORS: Range<usize> = EXCEPTION_VECTORS..EXCEPTION_VECTORS + IRQ_LINES;

/// IRQ 0: PIT channel 0.
pub const TIMER_IRQ: u8 = 0;
/// IR7 of each PIC: where it delivers its spurious interrupts.
const SPURIOUS_MASTER_IRQ: u8 = 7;
const SPURIOUS_SLAVE_IRQ: u8 = 15;

/// The interrupt masks after [`init`]: every line masked but the timer's.
pub const INITIAL_MASKS: u16 = !(1 << TIMER_IRQ);

/// RFLAGS bit 9, IF: maskable interrupts enabled (Intel SDM Vol. 1 §3.4.3.3).
const RFLAGS_IF: u64 = 1 << 9;

/// An IRQ handler (see [`set_handler`]).
pub type Handler = fn();

/// Timer interrupts since [`init`].
static TICKS: AtomicU64 = AtomicU64::new(0);
/// Spurious IRQ 7 and 15 interrupts seen (and not acknowledged).
static SPURIOUS: AtomicU64 = AtomicU64::new(0);
/// The interrupt mask registers as last written (bit n masks IRQ n).
static MASKS: AtomicU16 = AtomicU16::new(u16::MAX);
/// The handler of each IRQ line; the timer's (IRQ 0) is built in.
static HANDLERS: SpinLock<[Option<Handler>; IRQ_LINES]> = SpinLock::new([None; IRQ_LINES]);
static INITIALISED: AtomicBool = AtomicBool::new(false);

/// Remaps and masks the PICs, starts the PIT at [`TICK_HZ`] and enables
/// interrupts. Runs once (a second call panics).
pub fn init() {
    assert!(
        !INITIALISED.swap(true, Ordering::Relaxed),
        "pic_timer::init runs once"
    );
    cpu::disable_interrupts();
    pic::remap(IRQ_VECTORS.start as u8, (IRQ_VECTORS.start + 8) as u8);
    pit::start_periodic(PIT_DIVISOR);
    MASKS.store(INITIAL_MASKS, Ordering::Relaxed);
    pic::set_masks(INITIAL_MASKS);
    enable_interrupts();
}

/// Timer interrupts since [`init`], [`TICK_HZ`] a second.
pub fn ticks() -> u64 {
    TICKS.load(Ordering::Relaxed)
}

/// Spurious interrupts seen on IRQ 7 and 15 (see [`pic::is_spurious`]).
pub fn spurious_interrupts() -> u64 {
    SPURIOUS.load(Ordering::Relaxed)
}

/// Ticks that last at least `ms` milliseconds at the PIT's real rate
/// (`INPUT_HZ / PIT_DIVISOR` a second), rounded up.
pub const fn ticks_for_ms(ms: u64) -> u64 {
    (ms * pit::INPUT_HZ as u64).div_ceil(PIT_DIVISOR as u64 * 1000)
}

/// Sleeps at least `ms` milliseconds, halting the CPU between ticks. The
/// timer may be late (an emulator that is not scheduled loses ticks), never
/// early. Needs interrupts enabled: without them no tick would wake it.
pub fn sleep_ms(ms: u64) {
    assert!(
        interrupts_enabled(),
        "sleep_ms with interrupts disabled would never wake up"
    );
    // The tick in progress may end at once: wait one more.
    let until = ticks() + ticks_for_ms(ms) + 1;
    while ticks() < until {
        // An interrupt between the check and `hlt` only delays the wake-up
        // to the next tick.
        halt_until_interrupt();
    }
}

/// Handles IRQ `irq` (1-15) with `handler`, and unmasks the line (and the
/// cascade line for the slave's). The handler runs with interrupts disabled:
/// it must be short and must not print (the interrupted code may hold the
/// console) nor take a lock that code elsewhere holds with interrupts on.
pub fn set_handler(irq: u8, handler: Handler) {
    assert!(
        irq != TIMER_IRQ && usize::from(irq) < IRQ_LINES,
        "IRQ {irq}: only 1-15 take handlers"
    );
    without_interrupts(|| {
        HANDLERS.lock()[usize::from(irq)] = Some(handler);
        let mut unmask = 1 << irq;
        if irq >= pic::LINES_PER_PIC {
            unmask |= 1 << pic::CASCADE_IRQ;
        }
        let masks = MASKS.load(Ordering::Relaxed) & !unmask;
        MASKS.store(masks, Ordering::Relaxed);
        pic::set_masks(masks);
    });
}

/// Called by the entry stubs with interrupts disabled.
extern "C" fn dispatch(irq: u64) {
    let irq = irq as u8;
    match irq {
        SPURIOUS_MASTER_IRQ if pic::is_spurious(irq) => {
            SPURIOUS.fetch_add(1, Ordering::Relaxed);
            return;
        }
        SPURIOUS_SLAVE_IRQ if pic::is_spurious(irq) => {
            SPURIOUS.fetch_add(1, Ordering::Relaxed);
            pic::end_of_spurious_slave_interrupt();
            return;
        }
        TIMER_IRQ => {
            TICKS.fetch_add(1, Ordering::Relaxed);
        }
        _ => {
            // Copied out, so the handler runs without the lock held.
            let handler = HANDLERS.lock()[usize::from(irq)];
            if let Some(handler) = handler {
                handler();
            }
        }
    }
    pic::end_of_interrupt(irq);
}

/// Whether maskable interrupts are enabled (RFLAGS.IF).
pub fn interrupts_enabled() -> bool {
    let rflags: u64;
    // SAFETY: pushes RFLAGS and pops it into a register; nothing else changes.
    unsafe { asm!("pushfq", "pop {}", out(reg) rflags, options(nomem, preserves_flags)) };
    rflags & RFLAGS_IF != 0
}

/// Enables maskable interrupts (`sti`).
pub fn enable_interrupts() {
    // SAFETY: every IRQ vector has a gate to a handler (idt::init), and the
    // PICs send only the vectors 32-47 of those gates. Not `nomem`: handlers
    // may change memory from here on, so the compiler must not cache it.
    unsafe { asm!("sti", options(nostack)) };
}

/// Runs `f` with interrupts disabled, then restores the interrupt flag.
pub fn without_interrupts<R>(f: impl FnOnce() -> R) -> R {
    let enabled = interrupts_enabled();
    if enabled {
        cpu::disable_interrupts();
    }
    let result = f();
    if enabled {
        enable_interrupts();
    }
    result
}

/// Waits for the next interrupt (`hlt`); with interrupts enabled, the
/// timer's comes within a tick.
pub fn halt_until_interrupt() {
    // SAFETY: `hlt` only waits; with IF set an interrupt wakes the CPU. Not
    // `nomem`: the interrupt handler changes memory (the tick count).
    unsafe { asm!("hlt", options(nostack, preserves_flags)) };
}
