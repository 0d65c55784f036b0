//! src/keyboard: the scan code set 1 decoder on byte sequences from the
//! OSDev wiki's table ("PS/2 Keyboard", "Scan Code Set 1"), then the whole
//! path: bytes the 8042 delivers as if typed (its command 0xD2) raise IRQ 1
//! and come out of the event queue. `echoes_typed_keys` (ignored) prints what
//! is typed until Enter, for the end-to-end test that types into QEMU.

#![no_std]
#![no_main]

extern crate alloc;

extern crate limine_modules_pic_timer_keyboard as kernel;

use alloc::string::String;
use alloc::vec::Vec;

use kernel::boot::BootInfo;
use kernel::keyboard::scancode::ascii;
use kernel::keyboard::{self, Decoder, KeyCode, KeyEvent, Modifiers, ps2};
use kernel::pic_timer::{self, pic};
use kernel::{kernel_test, println};

kernel::entry_point!(main);

fn main(boot_info: &'static BootInfo) -> ! {
    pic_timer::init();
    if let Err(error) = keyboard::init() {
        panic!("keyboard::init: {error}");
    }
    kernel::testing::test_kernel_main(boot_info)
}

/// Every event the bytes give, in order.
fn decode(bytes: &[u8]) -> Vec<KeyEvent> {
    let mut decoder = Decoder::new();
    bytes
        .iter()
        .filter_map(|&byte| decoder.feed(byte))
        .collect()
}

/// (pressed, code) of each event.
fn keys(events: &[KeyEvent]) -> Vec<(bool, KeyCode)> {
    events
        .iter()
        .map(|event| (event.pressed, event.code))
        .collect()
}

/// What the presses type.
fn typed(events: &[KeyEvent]) -> String {
    events.iter().filter_map(|event| event.ascii).collect()
}

const PRESS: bool = true;
const RELEASE: bool = false;

kernel_test! {
    fn letters_press_and_release() {
        // A: make 0x1E, break 0x9E; Z: 0x2C, 0xAC.
        let events = decode(&[0x1E, 0x9E, 0x2C, 0xAC]);
        assert_eq!(
            keys(&events),
            [(PRESS, KeyCode::KeyA), (RELEASE, KeyCode::KeyA), (PRESS, KeyCode::KeyZ), (RELEASE, KeyCode::KeyZ)]
        );
        assert_eq!(typed(&events), "az");
        assert_eq!(events[1].ascii, None, "a release types nothing");
        assert!(events.iter().all(|event| event.modifiers == Modifiers::NONE));
    }
}

kernel_test! {
    fn shift_gives_capitals_and_symbols() {
        // Left Shift (0x2A) down, H (0x23), 1 (0x02), / (0x35), Shift up
        // (0xAA); then Right Shift (0x36) with ; (0x27) and ' (0x28).
        let events = decode(&[
            0x2A, 0x23, 0xA3, 0x02, 0x82, 0x35, 0xB5, 0xAA, 0x23, 0xA3, 0x36, 0x27, 0xA7, 0x28, 0xA8, 0xB6,
        ]);
        assert_eq!(typed(&events), "H!?h:\"");
        assert_eq!((events[0].code, events[0].modifiers.left_shift), (KeyCode::ShiftLeft, true));
        assert!(events[1].modifiers.shift());
        let release = events.iter().position(|e| e.code == KeyCode::ShiftLeft && !e.pressed);
        assert!(!events[release.expect("Shift released")].modifiers.shift());
        assert!(!events.last().expect("events").modifiers.shift(), "Right Shift released");
    }
}

kernel_test! {
    fn caps_lock_toggles_letters_only() {
        // Caps Lock (0x3A/0xBA) on: a -> A, 1 stays 1, Shift+a -> a; off again.
        let events = decode(&[
            0x3A, 0xBA, 0x1E, 0x9E, 0x02, 0x82, 0x2A, 0x1E, 0x9E, 0xAA, 0x3A, 0xBA, 0x1E, 0x9E,
        ]);
        assert_eq!(typed(&events), "A1aa");
        assert!(events[0].modifiers.caps_lock, "on at the press");
        assert!(events[1].modifiers.caps_lock, "the release does not toggle it");
        assert!(!events.last().expect("events").modifiers.caps_lock);
    }
}

kernel_test! {
    fn ctrl_and_alt_left_and_right() {
        // Left Ctrl 0x1D + C 0x2E; Right Ctrl E0 1D; Left Alt 0x38; Right Alt
        // (AltGr) E0 38; each released again.
        let events = decode(&[
            0x1D, 0x2E, 0xAE, 0x9D, 0xE0, 0x1D, 0xE0, 0x9D, 0x38, 0xB8, 0xE0, 0x38, 0x23, 0xE0, 0xB8,
        ]);
        assert_eq!(
            keys(&events),
            [
                (PRESS, KeyCode::ControlLeft),
                (PRESS, KeyCode::KeyC),
                (RELEASE, KeyCode::KeyC),
                (RELEASE, KeyCode::ControlLeft),
                (PRESS, KeyCode::ControlRight),
                (RELEASE, KeyCode::ControlRight),
                (PRESS, KeyCode::AltLeft),
                (RELEASE, KeyCode::AltLeft),
                (PRESS, KeyCode::AltRight),
                (PRESS, KeyCode::KeyH),
                (RELEASE, KeyCode::AltRight),
            ]
        );
        assert!(events[1].modifiers.ctrl() && events[1].modifiers.left_ctrl);
        assert_eq!(events[1].ascii, Some('c'), "Ctrl does not change the character");
        assert!(!events[3].modifiers.ctrl());
        assert!(events[4].modifiers.right_ctrl && !events[4].modifiers.left_ctrl);
        assert!(events[6].modifiers.left_alt);
        assert!(events[9].modifiers.right_alt && events[9].modifiers.alt());
        assert!(!events[10].modifiers.alt());
    }
}

kernel_test! {
    fn extended_keys_differ_from_their_unprefixed_twins() {
        // E0 48 is the arrow up, 0x48 keypad 8; E0 1C keypad Enter, 0x1C
        // Enter; E0 35 keypad /, 0x35 the / key; E0 53 Delete, 0x53 keypad .
        let events = decode(&[
            0xE0, 0x48, 0xE0, 0xC8, 0x48, 0xC8, 0xE0, 0x1C, 0x1C, 0xE0, 0x35, 0x35, 0xE0, 0x53, 0x53,
        ]);
        assert_eq!(
            keys(&events),
            [
                (PRESS, KeyCode::ArrowUp),
                (RELEASE, KeyCode::ArrowUp),
                (PRESS, KeyCode::Numpad8),
                (RELEASE, KeyCode::Numpad8),
                (PRESS, KeyCode::NumpadEnter),
                (PRESS, KeyCode::Enter),
                (PRESS, KeyCode::NumpadDivide),
                (PRESS, KeyCode::Slash),
                (PRESS, KeyCode::Delete),
                (PRESS, KeyCode::NumpadDecimal),
            ]
        );
        // Num Lock is off: keypad 8 and . type nothing.
        assert_eq!(typed(&events), "\n\n//");
    }
}

kernel_test! {
    fn fake_shifts_and_pause_give_one_event_each() {
        // Print Screen: E0 2A E0 37 pressed, E0 B7 E0 AA released; the E0 2A
        // and E0 AA are no Shift. Pause: E1 1D 45 E1 9D C5, with no Ctrl in it.
        let events = decode(&[0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA, 0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5, 0x1E]);
        assert_eq!(
            keys(&events),
            [
                (PRESS, KeyCode::PrintScreen),
                (RELEASE, KeyCode::PrintScreen),
                (PRESS, KeyCode::Pause),
                (PRESS, KeyCode::KeyA),
            ]
        );
        assert!(events.iter().all(|event| event.modifiers == Modifiers::NONE));
    }
}

kernel_test! {
    fn bytes_of_no_key_are_skipped() {
        // ACK 0xFA, resend 0xFE, errors 0x00 and 0xFF, unused code 0x55.
        let events = decode(&[0xFA, 0xFE, 0x00, 0xFF, 0x55, 0x10, 0x90]);
        assert_eq!(keys(&events), [(PRESS, KeyCode::KeyQ), (RELEASE, KeyCode::KeyQ)]);
    }
}

kernel_test! {
    fn num_lock_turns_the_keypad_into_digits() {
        // Num Lock 0x45, then keypad 7 (0x47), 0 (0x52), . (0x53), + (0x4E).
        let events = decode(&[0x45, 0xC5, 0x47, 0x52, 0x53, 0x4E]);
        assert_eq!(typed(&events), "70.+");
        let shifted = Modifiers { left_shift: true, ..Modifiers::NONE };
        // Every digit row key with and without Shift (US layout).
        let digits = [
            KeyCode::Digit1, KeyCode::Digit2, KeyCode::Digit3, KeyCode::Digit4, KeyCode::Digit5,
            KeyCode::Digit6, KeyCode::Digit7, KeyCode::Digit8, KeyCode::Digit9, KeyCode::Digit0,
        ];
        let plain: String = digits.iter().filter_map(|&code| ascii(code, Modifiers::NONE)).collect();
        let with_shift: String = digits.iter().filter_map(|&code| ascii(code, shifted)).collect();
        assert_eq!(plain, "1234567890");
        assert_eq!(with_shift, "!@#$%^&*()");
    }
}

kernel_test! {
    fn the_controller_is_set_up_for_irq1_and_set_1() {
        // The configuration byte: IRQ 1 on, translation to set 1 on, the
        // first port's clock on, the mouse's IRQ 12 off; IRQ 1 unmasked at
        // the PIC beside the timer.
        let config = pic_timer::without_interrupts(ps2::read_config).expect("config byte");
        assert_eq!(config & ps2::CONFIG_PORT1_INTERRUPT, ps2::CONFIG_PORT1_INTERRUPT, "{config:#x}");
        assert_eq!(config & ps2::CONFIG_PORT1_TRANSLATION, ps2::CONFIG_PORT1_TRANSLATION, "{config:#x}");
        assert_eq!(config & ps2::CONFIG_PORT1_CLOCK_DISABLED, 0, "{config:#x}");
        assert_eq!(config & ps2::CONFIG_PORT2_INTERRUPT, 0, "{config:#x}");
        assert_eq!(pic::masks(), 0xFFFC);
    }
}

kernel_test! {
    fn bytes_from_the_controller_reach_the_event_queue() {
        // Shift+H, I, Enter as a keyboard in set 1 sends them; each byte
        // raises IRQ 1, whose handler decodes and queues.
        const BYTES: [u8; 8] = [0x2A, 0x23, 0xA3, 0xAA, 0x17, 0x97, 0x1C, 0x9C];
        while keyboard::pop_event().is_some() {}
        for byte in BYTES {
            ps2::inject_keyboard_byte(byte).expect("the 8042 takes command 0xD2");
            // One byte at a time: the output buffer holds one.
            pic_timer::sleep_ms(2);
        }
        let mut events = Vec::new();
        for _ in 0..100 {
            while let Some(event) = keyboard::pop_event() {
                events.push(event);
            }
            if events.len() >= BYTES.len() {
                break;
            }
            pic_timer::sleep_ms(1);
        }
        assert_eq!(
            keys(&events),
            [
                (PRESS, KeyCode::ShiftLeft),
                (PRESS, KeyCode::KeyH),
                (RELEASE, KeyCode::KeyH),
                (RELEASE, KeyCode::ShiftLeft),
                (PRESS, KeyCode::KeyI),
                (RELEASE, KeyCode::KeyI),
                (PRESS, KeyCode::Enter),
                (RELEASE, KeyCode::Enter),
            ]
        );
        assert_eq!(typed(&events), "Hi\n");
        assert_eq!(keyboard::dropped_events(), 0);
    }
}

kernel_test! {
    // Typed into QEMU by the end-to-end suite (packages/generators/test/e2e/
    // keyboard.test.ts) through its monitor's `sendkey`.
    #[ignore = "waits for keys typed into QEMU (its monitor's sendkey)"]
    fn echoes_typed_keys() {
        while keyboard::pop_event().is_some() {}
        println!("keyboard: ready, type; Enter ends");
        loop {
            let event = keyboard::wait_event();
            let modifiers = event.modifiers;
            let held = [
                (modifiers.shift(), "shift"),
                (modifiers.ctrl(), "ctrl"),
                (modifiers.alt(), "alt"),
                (modifiers.caps_lock, "caps"),
            ];
            let mut names = String::new();
            for (_, name) in held.iter().filter(|(on, _)| *on) {
                if !names.is_empty() {
                    names.push(',');
                }
                names.push_str(name);
            }
            println!(
                "key: {} {:?} {:?} [{names}]",
                if event.pressed { "press" } else { "release" },
                event.code,
                event.ascii
            );
            if event.pressed && event.code == KeyCode::Enter {
                break;
            }
        }
    }
}
