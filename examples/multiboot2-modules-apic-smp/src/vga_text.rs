//! The VGA text buffer console: what `print!` writes goes to the screen of a
//! PC in text mode too, as well as to the serial port.
//!
//! In text mode the VGA card shows a grid of character cells (80x25 in the
//! BIOS's mode 03h) stored at physical 0xB8000, one 16-bit word per cell, row
//! by row: the low byte is the character in code page 437, the high byte its
//! attribute, the background colour in bits 4-6 and the foreground colour in
//! bits 0-3 (OSDev wiki, "Printing To Screen" and "Text UI"). The card draws
//! the characters with its own font: the kernel writes no pixels.
//!
//! Where text mode comes from:
//! * GRUB on BIOS, when grub.cfg says `set gfxpayload=text` between the
//!   `multiboot2` line (which sets gfxpayload to the mode the kernel's
//!   framebuffer header tag asks for, grub-core/loader/multiboot.c) and
//!   `boot`: GRUB then reports EGA text in its framebuffer tag (Multiboot2
//!   §3.6.12, framebuffer_type 2), 80x25 at 0xB8000. Without that line GRUB
//!   sets the graphics mode the header asks for, and [`init`] says so;
//! * QEMU's direct boot through PVH (`cargo test`, `--direct`): SeaBIOS left
//!   the card in mode 03h, which the VGA registers show ([`probe`]).
//!
//! Not on UEFI, whose graphics output protocol (GOP) has graphics modes only:
//! there [`init`] says why, and the console stays on serial and the
//! framebuffer. Nor on Limine, which sets up a graphics framebuffer on BIOS
//! too (its protocol's framebuffers are RGB only): `baremetal-kernel add`
//! refuses the module for Limine kernels.
//!
//! [`init`] starts it (in `kernel_main`); from then on every print goes here
//! too. The screen keeps a copy of its cells in RAM and never reads video
//! memory back (slow on real hardware). It moves the blinking hardware cursor
//! to where the next character goes.

use core::fmt::{self, Write};

use crate::arch::x86_64::port::{inb, outb};
use crate::boot::{BootInfo, Firmware};
use crate::sync::SpinLock;

/// Physical address of the text buffer in the colour text modes (OSDev wiki,
/// "Printing To Screen"; the VGA memory map select of 11b, see [`probe`]).
pub const BUFFER_ADDRESS: u64 = 0xB8000;
/// Multiboot2 §3.6.12: framebuffer_type 2, EGA text.
pub const FRAMEBUFFER_TYPE_EGA_TEXT: u8 = 2;
/// The largest grid kept: 132x60 is the largest VESA text mode (mode 10Ch).
pub const MAX_COLUMNS: usize = 132;
pub const MAX_ROWS: usize = 60;
/// A tab moves to the next column that is a multiple of this.
const TAB_WIDTH: usize = 8;
/// Shown for a character code page 437 lacks or that is a control
/// character: 0xFE, a small square.
const REPLACEMENT: u8 = 0xFE;

/// The 16 colours of the text attribute (OSDev wiki, "Printing To Screen").
/// Backgrounds use the first 8 (bit 7 of the attribute blinks by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Color {
    Black = 0,
    Blue = 1,
    Green = 2,
    Cyan = 3,
    Red = 4,
    Magenta = 5,
    Brown = 6,
    LightGray = 7,
    DarkGray = 8,
    LightBlue = 9,
    LightGreen = 10,
    LightCyan = 11,
    LightRed = 12,
    LightMagenta = 13,
    Yellow = 14,
    White = 15,
}

/// The attribute byte's background field: 3 bits (bit 7 above it blinks).
const BACKGROUND_MASK: u8 = 0b111;
/// Where the background field starts in the attribute byte.
const BACKGROUND_SHIFT: u8 = 4;

/// The attribute byte of a cell: background in bits 4-6, foreground in bits
/// 0-3.
pub const fn attribute(foreground: Color, background: Color) -> u8 {
    ((background as u8 & BACKGROUND_MASK) << BACKGROUND_SHIFT) | foreground as u8
}

/// Light grey on black, the BIOS's own attribute.
pub const DEFAULT_ATTRIBUTE: u8 = attribute(Color::LightGray, Color::Black);

/// The word of one cell: attribute high, character low.
pub const fn cell(character: u8, attribute: u8) -> u16 {
    ((attribute as u16) << 8) | character as u16
}

/// A text grid the console writes to: its size and where its cells are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextMode {
    /// Virtual address of the first cell.
    pub address: u64,
    pub columns: usize,
    pub rows: usize,
}

/// Why there is no text console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VgaTextError {
    /// UEFI firmware: GOP has no text mode, and the card is in graphics mode.
    Uefi,
    /// The loader set up a graphics framebuffer (Multiboot2 framebuffer_type
    /// 0 or 1): `width`x`height` pixels.
    Graphics { width: u32, height: u32 },
    /// The VGA registers show a graphics mode, or text at another address.
    NotTextMode,
    /// A grid of zero cells, or larger than [`MAX_COLUMNS`]x[`MAX_ROWS`].
    UnsupportedSize { columns: usize, rows: usize },
}

impl fmt::Display for VgaTextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Uefi => f.write_str("UEFI firmware has no VGA text mode (GOP is graphics only)"),
            Self::Graphics { width, height } => write!(
                f,
                "the loader set up a {width}x{height} graphics framebuffer (GRUB needs `set gfxpayload=text` after the multiboot2 line)"
            ),
            Self::NotTextMode => f.write_str("the VGA card is not in text mode at 0xb8000"),
            Self::UnsupportedSize { columns, rows } => write!(
                f,
                "a {columns}x{rows} text mode (at most {MAX_COLUMNS}x{MAX_ROWS})"
            ),
        }
    }
}

/// A text console on a grid of cells: a cursor, wrapping at the right edge,
/// scrolling at the bottom.
pub struct TextScreen {
    /// Where the cells are, `None` while detached.
    mode: Option<TextMode>,
    column: usize,
    row: usize,
    attribute: u8,
    /// What the cells hold, row by row: scrolling reads this, never video
    /// memory.
    shadow: [u16; MAX_COLUMNS * MAX_ROWS],
}

impl TextScreen {
    /// A console that is not attached to any cells: writing does nothing.
    pub const DETACHED: Self = Self {
        mode: None,
        column: 0,
        row: 0,
        attribute: DEFAULT_ATTRIBUTE,
        shadow: [0; MAX_COLUMNS * MAX_ROWS],
    };

    /// Writes to `mode`'s cells from now on, from the top left corner; clears
    /// them.
    ///
    /// # Safety
    /// `mode.address` must point to `mode.columns * mode.rows` writable
    /// `u16` cells (video memory or RAM), used by nothing else while attached.
    pub unsafe fn attach(&mut self, mode: TextMode) -> Result<(), VgaTextError> {
        if mode.columns == 0 || mode.rows == 0 || mode.columns > MAX_COLUMNS || mode.rows > MAX_ROWS
        {
            return Err(VgaTextError::UnsupportedSize {
                columns: mode.columns,
                rows: mode.rows,
            });
        }
        self.mode = Some(mode);
        self.column = 0;
        self.row = 0;
        self.clear();
        Ok(())
    }

    /// Stops writing to the cells (they keep what they show).
    pub fn detach(&mut self) {
        self.mode = None;
    }

    /// The grid written to, if attached.
    pub fn mode(&self) -> Option<TextMode> {
        self.mode
    }

    /// The attribute of the characters written from now on.
    pub fn set_attribute(&mut self, attribute: u8) {
        self.attribute = attribute;
    }

    /// Where the next character goes: (column, row).
    pub fn cursor(&self) -> (usize, usize) {
        (self.column, self.row)
    }

    /// Blanks every cell with the current attribute.
    pub fn clear(&mut self) {
        let Some(mode) = self.mode else { return };
        let blank = cell(b' ', self.attribute);
        for index in 0..mode.columns * mode.rows {
            self.put(mode, index, blank);
        }
    }

    /// Writes one code page 437 character at the cursor (or acts on `\n`,
    /// `\r`, `\t`).
    pub fn write_byte(&mut self, byte: u8) {
        let Some(mode) = self.mode else { return };
        match byte {
            b'\n' => self.new_line(mode),
            b'\r' => self.column = 0,
            // To the next tab stop, leaving the cells passed over as they
            // are (as a terminal does); at most to the end of the row.
            b'\t' => self.column = ((self.column / TAB_WIDTH + 1) * TAB_WIDTH).min(mode.columns),
            _ => {
                if self.column == mode.columns {
                    self.new_line(mode);
                }
                let index = self.row * mode.columns + self.column;
                self.put(mode, index, cell(byte, self.attribute));
                self.column += 1;
            }
        }
    }

    /// Cell `index` of the grid becomes `value`, in the copy and on screen.
    fn put(&mut self, mode: TextMode, index: usize, value: u16) {
        self.shadow[index] = value;
        let cell = (mode.address as *mut u16).wrapping_add(index);
        // SAFETY: `attach`'s contract: `index < columns * rows` cells are
        // writable. Volatile: video memory is read by the card, not by us,
        // so the compiler must not drop or merge the writes.
        unsafe { cell.write_volatile(value) };
    }

    /// Moves the cursor to the start of the next row, scrolling the text up
    /// one row when it is on the last row.
    fn new_line(&mut self, mode: TextMode) {
        self.column = 0;
        if self.row + 1 < mode.rows {
            self.row += 1;
            return;
        }
        let columns = mode.columns;
        for index in 0..columns * (mode.rows - 1) {
            let below = self.shadow[index + columns];
            if self.shadow[index] != below {
                self.put(mode, index, below);
            }
        }
        let blank = cell(b' ', self.attribute);
        for index in columns * (mode.rows - 1)..columns * mode.rows {
            self.put(mode, index, blank);
        }
    }
}

impl Write for TextScreen {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for character in s.chars() {
            let byte = match character {
                '\n' | '\r' | '\t' | ' '..='~' => character as u8,
                // Code page 437 differs from Unicode above 0x7E: one square
                // for everything else.
                _ => REPLACEMENT,
            };
            self.write_byte(byte);
        }
        Ok(())
    }
}

/// The console on the card's text buffer, detached until [`init`] finds one.
static SCREEN: SpinLock<TextScreen> = SpinLock::new(TextScreen::DETACHED);

/// Finds the text buffer (see the module documentation), clears it and sends
/// all further output there too. Prints one line saying what it did.
pub fn init(boot_info: &BootInfo) -> Result<TextMode, VgaTextError> {
    let result = find(boot_info).and_then(|mode| {
        // SAFETY: `find` returned the text buffer of the card in text mode,
        // which memory::init left mapped (the first 4 GiB are identity
        // mapped on Multiboot2 and PVH); only this console writes to it.
        unsafe { SCREEN.lock().attach(mode) }?;
        Ok(mode)
    });
    match result {
        Ok(mode) => {
            move_hardware_cursor(&SCREEN.lock());
            crate::println!(
                "[vga-text] {}x{} text at {:#x}",
                mode.columns,
                mode.rows,
                mode.address
            );
        }
        Err(error) => crate::println!("[vga-text] not started: {error}"),
    }
    result
}

/// Where the text buffer is, from the boot information or the VGA registers.
pub fn find(boot_info: &BootInfo) -> Result<TextMode, VgaTextError> {
    if matches!(boot_info.firmware, Firmware::Uefi32 | Firmware::Uefi64) {
        return Err(VgaTextError::Uefi);
    }
    match boot_info.framebuffer {
        Some(fb) if fb.kind == FRAMEBUFFER_TYPE_EGA_TEXT => Ok(TextMode {
            address: boot_info.physical_to_virtual(fb.address),
            columns: fb.width as usize,
            rows: fb.height as usize,
        }),
        Some(fb) => Err(VgaTextError::Graphics {
            width: fb.width,
            height: fb.height,
        }),
        None => probe().map(|(columns, rows)| TextMode {
            address: boot_info.physical_to_virtual(BUFFER_ADDRESS),
            columns,
            rows,
        }),
    }
}

// VGA registers (FreeVGA, "Graphics Registers" and "CRT Controller
// Registers"): each group is an index port and a data port.
/// Graphics Controller address and data ports.
const GC_INDEX: u16 = 0x3CE;
const GC_DATA: u16 = 0x3CF;
/// Graphics Controller: Miscellaneous Graphics Register.
const GC_MISC: u8 = 0x06;
/// Its bit 0: graphics mode (1) or alphanumeric (text) mode (0).
const GC_MISC_GRAPHICS: u8 = 1 << 0;
/// Its bits 2-3: where the card maps its memory; 11b = B8000h-BFFFFh.
const GC_MISC_MAP_MASK: u8 = 0b11 << 2;
const GC_MISC_MAP_B8000: u8 = 0b11 << 2;
/// CRT Controller address and data ports (colour modes: 0x3Dx).
const CRTC_INDEX: u16 = 0x3D4;
const CRTC_DATA: u16 = 0x3D5;
/// CRTC: End Horizontal Display, the last character column.
const CRTC_HORIZONTAL_DISPLAY_END: u8 = 0x01;
/// CRTC: Overflow, with bit 8 (in its bit 1) and bit 9 (in its bit 6) of the
/// vertical display end.
const CRTC_OVERFLOW: u8 = 0x07;
const OVERFLOW_DISPLAY_END_BIT_8: u8 = 1;
const OVERFLOW_DISPLAY_END_BIT_9: u8 = 6;
/// CRTC: Maximum Scan Line, bits 0-4: scan lines per character row, minus 1.
const CRTC_MAX_SCAN_LINE: u8 = 0x09;
const MAX_SCAN_LINE_MASK: u8 = 0x1F;
/// CRTC: Cursor Location High and Low, the cell index of the cursor.
const CRTC_CURSOR_HIGH: u8 = 0x0E;
const CRTC_CURSOR_LOW: u8 = 0x0F;
/// CRTC: Vertical Display End, bits 0-7 of the last displayed scan line.
const CRTC_VERTICAL_DISPLAY_END: u8 = 0x12;

/// Reads VGA register `index` of the group at `index_port`/`data_port`.
fn read_register(index_port: u16, data_port: u16, index: u8) -> u8 {
    // SAFETY: the VGA index/data ports: selecting a register and reading it
    // changes nothing on the card (on a machine without VGA the reads return
    // 0xFF, which `probe` rejects as graphics).
    unsafe {
        outb(index_port, index);
        inb(data_port)
    }
}

/// Whether the card shows text from 0xB8000, and the grid's size if it does:
/// `(columns, rows)`, from the CRT controller's timing (characters per row,
/// displayed scan lines over scan lines per row).
pub fn probe() -> Result<(usize, usize), VgaTextError> {
    let misc = read_register(GC_INDEX, GC_DATA, GC_MISC);
    if misc & GC_MISC_GRAPHICS != 0 || misc & GC_MISC_MAP_MASK != GC_MISC_MAP_B8000 {
        return Err(VgaTextError::NotTextMode);
    }
    let columns = usize::from(read_register(
        CRTC_INDEX,
        CRTC_DATA,
        CRTC_HORIZONTAL_DISPLAY_END,
    )) + 1;
    // The last displayed scan line (0-based), 10 bits: 8 in their own
    // register, 2 in the overflow register.
    let overflow = read_register(CRTC_INDEX, CRTC_DATA, CRTC_OVERFLOW);
    let overflow_bit = |bit: u8| usize::from((overflow >> bit) & 1);
    let low_bits = read_register(CRTC_INDEX, CRTC_DATA, CRTC_VERTICAL_DISPLAY_END);
    let display_end = usize::from(low_bits)
        | overflow_bit(OVERFLOW_DISPLAY_END_BIT_8) << 8
        | overflow_bit(OVERFLOW_DISPLAY_END_BIT_9) << 9;
    let max_scan_line = read_register(CRTC_INDEX, CRTC_DATA, CRTC_MAX_SCAN_LINE);
    let scan_lines_per_row = usize::from(max_scan_line & MAX_SCAN_LINE_MASK) + 1;
    Ok((columns, (display_end + 1) / scan_lines_per_row))
}

/// Moves the card's blinking cursor to `screen`'s cursor (OSDev wiki, "Text
/// Mode Cursor").
fn move_hardware_cursor(screen: &TextScreen) {
    let Some(mode) = screen.mode() else { return };
    let (column, row) = screen.cursor();
    // After a full last row the cursor waits past its end: show it on the
    // last cell.
    let index = (row * mode.columns + column).min(mode.columns * mode.rows - 1);
    // SAFETY: the CRT controller's cursor location registers only move the
    // cursor; the card is in text mode (`init` attached this screen).
    unsafe {
        outb(CRTC_INDEX, CRTC_CURSOR_HIGH);
        outb(CRTC_DATA, (index >> 8) as u8);
        outb(CRTC_INDEX, CRTC_CURSOR_LOW);
        outb(CRTC_DATA, index as u8);
    }
}

/// Where the card's cursor is: the cell index in its CRT controller.
pub fn hardware_cursor() -> usize {
    let high = read_register(CRTC_INDEX, CRTC_DATA, CRTC_CURSOR_HIGH);
    let low = read_register(CRTC_INDEX, CRTC_DATA, CRTC_CURSOR_LOW);
    usize::from(high) << 8 | usize::from(low)
}

/// Writes `args` to the screen, if [`init`] attached one. The console
/// (`crate::console::_print`) calls it for every print, with its own lock
/// held, so prints never interleave here. If the lock is taken all the same,
/// its holder is a print abandoned by a panic or a CPU exception: the output
/// is skipped rather than waiting forever (the serial port still has it).
pub fn print(args: fmt::Arguments) {
    let Some(mut screen) = SCREEN.try_lock() else {
        return;
    };
    if screen.mode().is_some() {
        let _ = screen.write_fmt(args);
        move_hardware_cursor(&screen);
    }
}

/// Stops writing to the screen (what it shows stays).
pub fn detach() {
    SCREEN.lock().detach();
}

/// Sets the attribute (colours) of the text printed from now on.
pub fn set_attribute(attribute: u8) {
    SCREEN.lock().set_attribute(attribute);
}
