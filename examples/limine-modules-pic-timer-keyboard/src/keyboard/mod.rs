//! The PS/2 keyboard: IRQ 1 takes each byte from the 8042 controller
//! ([`ps2`]), decodes it ([`scancode`]) and queues the key event; the kernel
//! takes events with [`pop_event`] or [`wait_event`].
//!
//! The queue holds [`QUEUE_CAPACITY`] events; when nobody takes them, newer
//! ones are dropped (and counted), as a keyboard's own buffer does.

pub mod ps2;
pub mod scancode;

use core::sync::atomic::{AtomicU64, Ordering};

pub use scancode::{Decoder, KeyCode, KeyEvent, Modifiers};

use crate::pic_timer;
use crate::sync::SpinLock;

/// The keyboard's IRQ line (IBM PC/AT wiring).
pub const KEYBOARD_IRQ: u8 = 1;
/// Events kept until taken: a few seconds of fast typing.
pub const QUEUE_CAPACITY: usize = 64;

/// A ring buffer of events.
struct EventQueue {
    events: [Option<KeyEvent>; QUEUE_CAPACITY],
    /// Index of the oldest event.
    head: usize,
    len: usize,
}

impl EventQueue {
    const fn new() -> Self {
        Self {
            events: [None; QUEUE_CAPACITY],
            head: 0,
            len: 0,
        }
    }

    /// Appends `event`; returns `false` (and drops it) when full.
    fn push(&mut self, event: KeyEvent) -> bool {
        if self.len == QUEUE_CAPACITY {
            return false;
        }
        self.events[(self.head + self.len) % QUEUE_CAPACITY] = Some(event);
        self.len += 1;
        true
    }

    fn pop(&mut self) -> Option<KeyEvent> {
        if self.len == 0 {
            return None;
        }
        let event = self.events[self.head].take();
        self.head = (self.head + 1) % QUEUE_CAPACITY;
        self.len -= 1;
        event
    }
}

/// Only the IRQ 1 handler decodes (interrupts are off there), so this lock
/// is never contended.
static DECODER: SpinLock<Decoder> = SpinLock::new(Decoder::new());
/// Filled by the IRQ 1 handler; emptied with interrupts off (see
/// [`pop_event`]), so that the handler never waits for this lock.
static QUEUE: SpinLock<EventQueue> = SpinLock::new(EventQueue::new());
/// Events dropped because the queue was full.
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Sets up the PS/2 controller and keyboard (see [`ps2::init`]) and handles
/// IRQ 1 from then on. Needs `pic_timer::init` first.
pub fn init() -> Result<(), ps2::Error> {
    ps2::init()?;
    pic_timer::set_handler(KEYBOARD_IRQ, on_interrupt);
    Ok(())
}

/// The oldest key event not taken yet.
pub fn pop_event() -> Option<KeyEvent> {
    pic_timer::without_interrupts(|| QUEUE.lock().pop())
}

/// The next key event, halting the CPU until one comes. Needs interrupts
/// enabled: without them no key would wake it.
pub fn wait_event() -> KeyEvent {
    assert!(
        pic_timer::interrupts_enabled(),
        "wait_event with interrupts disabled would never wake up"
    );
    loop {
        if let Some(event) = pop_event() {
            return event;
        }
        // A key pressed between the check and the halt wakes the CPU no
        // later than the next timer tick.
        pic_timer::halt_until_interrupt();
    }
}

/// Events dropped because the queue was full.
pub fn dropped_events() -> u64 {
    DROPPED.load(Ordering::Relaxed)
}

/// IRQ 1: one byte from the keyboard.
fn on_interrupt() {
    let Some(byte) = ps2::read_data_if_full() else {
        return;
    };
    let Some(event) = DECODER.lock().feed(byte) else {
        return;
    };
    if !QUEUE.lock().push(event) {
        DROPPED.fetch_add(1, Ordering::Relaxed);
    }
}
