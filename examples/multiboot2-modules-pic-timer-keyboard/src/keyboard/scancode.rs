//! Scan code set 1 (the PC/XT's, which the 8042 translates every keyboard's
//! set 2 into) decoded into key events, and US-layout ASCII for them.
//!
//! A key sends its make code when pressed (again while held, by typematic
//! repeat) and its make code | 0x80 when released. Keys added after the
//! PC/XT send 0xE0 first ("extended": the right Ctrl and Alt, the arrows,
//! keypad Enter and /), and Pause sends the six bytes E1 1D 45 E1 9D C5 when
//! pressed and nothing when released. Some extended keys also send "fake"
//! Shift codes (E0 2A, E0 AA, ...) around theirs, which are dropped here.
//! Source: OSDev wiki, "PS/2 Keyboard", "Scan Code Set 1"; key names are the
//! W3C UI Events KeyboardEvent `code` values.
//!
//! [`Decoder`] is a pure state machine: bytes in, events out; the interrupt
//! handler feeds it, and tests can too.

/// A physical key, named by its place on a US keyboard (W3C UI Events
/// KeyboardEvent `code` values).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyCode {
    Escape,
    Digit1,
    Digit2,
    Digit3,
    Digit4,
    Digit5,
    Digit6,
    Digit7,
    Digit8,
    Digit9,
    Digit0,
    Minus,
    Equal,
    Backspace,
    Tab,
    KeyQ,
    KeyW,
    KeyE,
    KeyR,
    KeyT,
    KeyY,
    KeyU,
    KeyI,
    KeyO,
    KeyP,
    BracketLeft,
    BracketRight,
    Enter,
    ControlLeft,
    KeyA,
    KeyS,
    KeyD,
    KeyF,
    KeyG,
    KeyH,
    KeyJ,
    KeyK,
    KeyL,
    Semicolon,
    Quote,
    Backquote,
    ShiftLeft,
    Backslash,
    KeyZ,
    KeyX,
    KeyC,
    KeyV,
    KeyB,
    KeyN,
    KeyM,
    Comma,
    Period,
    Slash,
    ShiftRight,
    NumpadMultiply,
    AltLeft,
    Space,
    CapsLock,
    F1,
    F2,
    F3,
    F4,
    F5,
    F6,
    F7,
    F8,
    F9,
    F10,
    NumLock,
    ScrollLock,
    Numpad7,
    Numpad8,
    Numpad9,
    NumpadSubtract,
    Numpad4,
    Numpad5,
    Numpad6,
    NumpadAdd,
    Numpad1,
    Numpad2,
    Numpad3,
    Numpad0,
    NumpadDecimal,
    /// The extra key left of Z on ISO (102-key) keyboards.
    IntlBackslash,
    F11,
    F12,
    // Extended (0xE0) keys.
    NumpadEnter,
    ControlRight,
    NumpadDivide,
    PrintScreen,
    AltRight,
    Home,
    ArrowUp,
    PageUp,
    ArrowLeft,
    ArrowRight,
    End,
    ArrowDown,
    PageDown,
    Insert,
    Delete,
    MetaLeft,
    MetaRight,
    ContextMenu,
    Pause,
}

use KeyCode::*;

/// Set 1 make codes 0x00-0x58 without prefix (OSDev wiki, "PS/2 Keyboard",
/// "Scan Code Set 1"); `None` where no key sends the code.
const BASE_CODES: [Option<KeyCode>; 0x59] = [
    None,                 // 0x00: key detection error
    Some(Escape),         // 0x01
    Some(Digit1),         // 0x02
    Some(Digit2),         // 0x03
    Some(Digit3),         // 0x04
    Some(Digit4),         // 0x05
    Some(Digit5),         // 0x06
    Some(Digit6),         // 0x07
    Some(Digit7),         // 0x08
    Some(Digit8),         // 0x09
    Some(Digit9),         // 0x0A
    Some(Digit0),         // 0x0B
    Some(Minus),          // 0x0C
    Some(Equal),          // 0x0D
    Some(Backspace),      // 0x0E
    Some(Tab),            // 0x0F
    Some(KeyQ),           // 0x10
    Some(KeyW),           // 0x11
    Some(KeyE),           // 0x12
    Some(KeyR),           // 0x13
    Some(KeyT),           // 0x14
    Some(KeyY),           // 0x15
    Some(KeyU),           // 0x16
    Some(KeyI),           // 0x17
    Some(KeyO),           // 0x18
    Some(KeyP),           // 0x19
    Some(BracketLeft),    // 0x1A
    Some(BracketRight),   // 0x1B
    Some(Enter),          // 0x1C
    Some(ControlLeft),    // 0x1D
    Some(KeyA),           // 0x1E
    Some(KeyS),           // 0x1F
    Some(KeyD),           // 0x20
    Some(KeyF),           // 0x21
    Some(KeyG),           // 0x22
    Some(KeyH),           // 0x23
    Some(KeyJ),           // 0x24
    Some(KeyK),           // 0x25
    Some(KeyL),           // 0x26
    Some(Semicolon),      // 0x27
    Some(Quote),          // 0x28
    Some(Backquote),      // 0x29
    Some(ShiftLeft),      // 0x2A
    Some(Backslash),      // 0x2B
    Some(KeyZ),           // 0x2C
    Some(KeyX),           // 0x2D
    Some(KeyC),           // 0x2E
    Some(KeyV),           // 0x2F
    Some(KeyB),           // 0x30
    Some(KeyN),           // 0x31
    Some(KeyM),           // 0x32
    Some(Comma),          // 0x33
    Some(Period),         // 0x34
    Some(Slash),          // 0x35
    Some(ShiftRight),     // 0x36
    Some(NumpadMultiply), // 0x37
    Some(AltLeft),        // 0x38
    Some(Space),          // 0x39
    Some(CapsLock),       // 0x3A
    Some(F1),             // 0x3B
    Some(F2),             // 0x3C
    Some(F3),             // 0x3D
    Some(F4),             // 0x3E
    Some(F5),             // 0x3F
    Some(F6),             // 0x40
    Some(F7),             // 0x41
    Some(F8),             // 0x42
    Some(F9),             // 0x43
    Some(F10),            // 0x44
    Some(NumLock),        // 0x45
    Some(ScrollLock),     // 0x46
    Some(Numpad7),        // 0x47
    Some(Numpad8),        // 0x48
    Some(Numpad9),        // 0x49
    Some(NumpadSubtract), // 0x4A
    Some(Numpad4),        // 0x4B
    Some(Numpad5),        // 0x4C
    Some(Numpad6),        // 0x4D
    Some(NumpadAdd),      // 0x4E
    Some(Numpad1),        // 0x4F
    Some(Numpad2),        // 0x50
    Some(Numpad3),        // 0x51
    Some(Numpad0),        // 0x52
    Some(NumpadDecimal),  // 0x53
    None,                 // 0x54: Alt+PrintScreen (SysRq)
    None,                 // 0x55
    Some(IntlBackslash),  // 0x56
    Some(F11),            // 0x57
    Some(F12),            // 0x58
];

/// The key an 0xE0-prefixed make code stands for (OSDev wiki, "PS/2
/// Keyboard", "Scan Code Set 1", the E0 rows). 0x2A and 0x36 are the fake
/// Shifts: `None`, like codes no key sends.
const fn extended_code(make: u8) -> Option<KeyCode> {
    Some(match make {
        0x1C => NumpadEnter,
        0x1D => ControlRight,
        0x35 => NumpadDivide,
        0x37 => PrintScreen,
        0x38 => AltRight,
        0x47 => Home,
        0x48 => ArrowUp,
        0x49 => PageUp,
        0x4B => ArrowLeft,
        0x4D => ArrowRight,
        0x4F => End,
        0x50 => ArrowDown,
        0x51 => PageDown,
        0x52 => Insert,
        0x53 => Delete,
        0x5B => MetaLeft,
        0x5C => MetaRight,
        0x5D => ContextMenu,
        _ => return None,
    })
}

/// Prefix of the extended keys' codes.
const EXTENDED_PREFIX: u8 = 0xE0;
/// Prefix of Pause's sequence, E1 1D 45 E1 9D C5.
const PAUSE_PREFIX: u8 = 0xE1;
/// Bytes of Pause's sequence after its first E1.
const PAUSE_SEQUENCE_REST: u8 = 5;
/// Bit 7 of a code: the key was released ("break code").
const BREAK_BIT: u8 = 0x80;

/// The modifier keys held, and the lock keys' states, after an event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Modifiers {
    pub left_shift: bool,
    pub right_shift: bool,
    pub left_ctrl: bool,
    pub right_ctrl: bool,
    pub left_alt: bool,
    pub right_alt: bool,
    /// Toggled by each press of Caps Lock.
    pub caps_lock: bool,
    /// Toggled by each press of Num Lock.
    pub num_lock: bool,
}

impl Modifiers {
    pub const NONE: Self = Self {
        left_shift: false,
        right_shift: false,
        left_ctrl: false,
        right_ctrl: false,
        left_alt: false,
        right_alt: false,
        caps_lock: false,
        num_lock: false,
    };

    pub fn shift(&self) -> bool {
        self.left_shift || self.right_shift
    }

    pub fn ctrl(&self) -> bool {
        self.left_ctrl || self.right_ctrl
    }

    pub fn alt(&self) -> bool {
        self.left_alt || self.right_alt
    }

    /// Records a press (`pressed`) or release of `code` if it is a modifier
    /// or lock key.
    fn update(&mut self, code: KeyCode, pressed: bool) {
        match code {
            ShiftLeft => self.left_shift = pressed,
            ShiftRight => self.right_shift = pressed,
            ControlLeft => self.left_ctrl = pressed,
            ControlRight => self.right_ctrl = pressed,
            AltLeft => self.left_alt = pressed,
            AltRight => self.right_alt = pressed,
            CapsLock if pressed => self.caps_lock = !self.caps_lock,
            NumLock if pressed => self.num_lock = !self.num_lock,
            _ => {}
        }
    }
}

/// One key pressed or released.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyEvent {
    pub code: KeyCode,
    /// `true` for a press (or a typematic repeat), `false` for a release.
    pub pressed: bool,
    /// The modifiers with this event applied (a Shift press has Shift held).
    pub modifiers: Modifiers,
    /// What a press of a printable key types on a US layout, with Shift and
    /// Caps Lock (and Num Lock for the keypad) applied; Enter gives '\n',
    /// Tab '\t', Backspace '\u{8}'. `None` for releases and other keys. Ctrl
    /// and Alt do not change it: check `modifiers`.
    pub ascii: Option<char>,
}

enum State {
    Ready,
    /// After 0xE0.
    Extended,
    /// Inside Pause's sequence: this many bytes still to skip.
    Pause(u8),
}

/// Scan code set 1 bytes to [`KeyEvent`]s; keeps the modifier state.
pub struct Decoder {
    state: State,
    modifiers: Modifiers,
}

impl Decoder {
    pub const fn new() -> Self {
        Self {
            state: State::Ready,
            modifiers: Modifiers::NONE,
        }
    }

    /// The modifiers after the bytes fed so far.
    pub fn modifiers(&self) -> Modifiers {
        self.modifiers
    }

    /// Takes the next byte from the keyboard; returns an event when the byte
    /// completes one. Bytes of no key (the keyboard's ACK 0xFA, errors 0x00
    /// and 0xFF) give nothing.
    pub fn feed(&mut self, byte: u8) -> Option<KeyEvent> {
        let extended = match self.state {
            State::Pause(1) => {
                self.state = State::Ready;
                return Some(self.event(Pause, true));
            }
            State::Pause(left) => {
                self.state = State::Pause(left - 1);
                return None;
            }
            State::Extended => {
                self.state = State::Ready;
                true
            }
            State::Ready => false,
        };
        if !extended {
            match byte {
                EXTENDED_PREFIX => {
                    self.state = State::Extended;
                    return None;
                }
                PAUSE_PREFIX => {
                    self.state = State::Pause(PAUSE_SEQUENCE_REST);
                    return None;
                }
                _ => {}
            }
        }
        let pressed = byte & BREAK_BIT == 0;
        let make = byte & !BREAK_BIT;
        let code = if extended {
            extended_code(make)?
        } else {
            BASE_CODES.get(usize::from(make)).copied().flatten()?
        };
        self.modifiers.update(code, pressed);
        Some(self.event(code, pressed))
    }

    fn event(&self, code: KeyCode, pressed: bool) -> KeyEvent {
        KeyEvent {
            code,
            pressed,
            modifiers: self.modifiers,
            ascii: if pressed {
                ascii(code, self.modifiers)
            } else {
                None
            },
        }
    }
}

impl Default for Decoder {
    fn default() -> Self {
        Self::new()
    }
}

/// What `code` types on a US layout with `modifiers` (see [`KeyEvent::ascii`]).
pub fn ascii(code: KeyCode, modifiers: Modifiers) -> Option<char> {
    let shift = modifiers.shift();
    // Letters: Caps Lock inverts Shift.
    if let Some(letter) = letter(code) {
        let upper = shift != modifiers.caps_lock;
        return Some(if upper {
            letter.to_ascii_uppercase()
        } else {
            letter
        });
    }
    // Keypad digits and point: only with Num Lock on (else they are the
    // arrows, Home, ...).
    let keypad = match code {
        Numpad0 => Some('0'),
        Numpad1 => Some('1'),
        Numpad2 => Some('2'),
        Numpad3 => Some('3'),
        Numpad4 => Some('4'),
        Numpad5 => Some('5'),
        Numpad6 => Some('6'),
        Numpad7 => Some('7'),
        Numpad8 => Some('8'),
        Numpad9 => Some('9'),
        NumpadDecimal => Some('.'),
        _ => None,
    };
    if keypad.is_some() {
        return keypad.filter(|_| modifiers.num_lock);
    }
    // The rest: (unshifted, shifted) on a US keyboard.
    let (plain, shifted) = match code {
        Digit1 => ('1', '!'),
        Digit2 => ('2', '@'),
        Digit3 => ('3', '#'),
        Digit4 => ('4', '$'),
        Digit5 => ('5', '%'),
        Digit6 => ('6', '^'),
        Digit7 => ('7', '&'),
        Digit8 => ('8', '*'),
        Digit9 => ('9', '('),
        Digit0 => ('0', ')'),
        Minus => ('-', '_'),
        Equal => ('=', '+'),
        BracketLeft => ('[', '{'),
        BracketRight => (']', '}'),
        Semicolon => (';', ':'),
        Quote => ('\'', '"'),
        Backquote => ('`', '~'),
        Backslash | IntlBackslash => ('\\', '|'),
        Comma => (',', '<'),
        Period => ('.', '>'),
        Slash => ('/', '?'),
        Space => (' ', ' '),
        Tab => ('\t', '\t'),
        Enter | NumpadEnter => ('\n', '\n'),
        Backspace => ('\u{8}', '\u{8}'),
        NumpadMultiply => ('*', '*'),
        NumpadSubtract => ('-', '-'),
        NumpadAdd => ('+', '+'),
        NumpadDivide => ('/', '/'),
        _ => return None,
    };
    Some(if shift { shifted } else { plain })
}

/// The lowercase letter a letter key types.
fn letter(code: KeyCode) -> Option<char> {
    Some(match code {
        KeyA => 'a',
        KeyB => 'b',
        KeyC => 'c',
        KeyD => 'd',
        KeyE => 'e',
        KeyF => 'f',
        KeyG => 'g',
        KeyH => 'h',
        KeyI => 'i',
        KeyJ => 'j',
        KeyK => 'k',
        KeyL => 'l',
        KeyM => 'm',
        KeyN => 'n',
        KeyO => 'o',
        KeyP => 'p',
        KeyQ => 'q',
        KeyR => 'r',
        KeyS => 's',
        KeyT => 't',
        KeyU => 'u',
        KeyV => 'v',
        KeyW => 'w',
        KeyX => 'x',
        KeyY => 'y',
        KeyZ => 'z',
        _ => return None,
    })
}
