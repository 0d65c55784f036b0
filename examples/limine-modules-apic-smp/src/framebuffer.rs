//! A text console on a linear framebuffer: characters from [`crate::font`]
//! (8x8 glyphs drawn twice as tall, so 8x16 cells), light grey on black,
//! scrolling up when the screen is full.
//!
//! Protocol-neutral: it draws on any direct-RGB [`Framebuffer`] from the boot
//! information, at the virtual address the boot code maps it at. The console
//! ([`crate::console`]) feeds it the same text as the serial port.
//!
//! It never reads video memory: reads from a framebuffer are very slow (it is
//! uncached or write-combined on real hardware), and scrolling by copying the
//! pixels up reads and rewrites the whole screen per line (tens of
//! milliseconds per line at 1280x800 under QEMU). Instead the console keeps
//! the text in a grid of cells, a ring of rows (scrolling moves the ring's
//! start and blanks one row), plus the character currently drawn in each
//! cell. [`FramebufferConsole::flush`], which the console calls once per
//! print, redraws only the cells whose character changed, writing whole
//! pixels.

use core::fmt;
use core::ptr;

use crate::boot::{Framebuffer, PixelFormat};
use crate::font;

/// Glyph rows are drawn this many times: 8x8 glyphs in 8x16 cells.
const SCALE_Y: usize = 2;
// `Target::draw_glyph` writes each glyph row out twice.
const _: () = assert!(SCALE_Y == 2);
/// A character cell, in pixels.
pub const CELL_WIDTH: usize = font::WIDTH;
pub const CELL_HEIGHT: usize = font::HEIGHT * SCALE_Y;
/// Capacity of the text grid: a 4K UHD screen (3840x2160 pixels) in 8x16
/// cells, 480 columns by 135 rows. Larger screens use the top-left part.
/// The grid and its drawn copy take 2 x 480 x 135 bytes (127 KiB) of `.bss`,
/// the console 137 KiB in all with the glyph-row patterns.
pub const MAX_COLUMNS: usize = 3840 / CELL_WIDTH;
pub const MAX_ROWS: usize = 2160 / CELL_HEIGHT;
/// Pixels written at once: one scan line of a cell.
const PIXELS_PER_WRITE: usize = CELL_WIDTH;
/// `Framebuffer::kind` for direct RGB.
const KIND_RGB: u8 = 1;
/// Channel value (0 to 255) of the text, light grey as on a VGA text screen,
/// and of the background.
const FOREGROUND_GREY: u32 = 0xAA;
const BACKGROUND_GREY: u32 = 0x00;
/// What an empty cell holds: the space glyph is all background.
const BLANK: u8 = b' ';

/// Why a framebuffer cannot carry a text console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramebufferError {
    /// Not direct RGB (indexed colour or EGA text).
    NotRgb,
    /// A pixel size other than 16, 24 or 32 bits.
    UnsupportedDepth(u8),
    /// Smaller than one character cell.
    TooSmall,
}

impl fmt::Display for FramebufferError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotRgb => f.write_str("not direct RGB (indexed colour or EGA text)"),
            Self::UnsupportedDepth(bits) => {
                write!(f, "{bits} bits per pixel (16, 24 or 32 needed)")
            }
            Self::TooSmall => f.write_str("smaller than one character cell"),
        }
    }
}

/// How pixels are stored: a glyph's scan line (8 pixels) goes out as one
/// volatile write of whole pixels, `[u32; 8]`, `[u16; 8]` or 24 bytes, where
/// the pixel size and alignment allow it; pixel by pixel, byte by byte,
/// otherwise.
#[derive(Clone, Copy)]
enum PixelStore {
    U32,
    U16,
    U24,
    Bytes,
}

/// 24-bit pixels: bytes per pixel.
const RGB24_BYTES: usize = 3;

/// The framebuffer the console draws on.
#[derive(Clone, Copy)]
struct Target {
    pixels: *mut u8,
    pitch: usize,
    bytes_per_pixel: usize,
    store: PixelStore,
    /// Pixels, for clearing the whole screen once.
    width: usize,
    height: usize,
    background: u32,
}

/// The 8 pixels of every glyph row: bit `x` of the index set means pixel `x`
/// is in the text colour. Precomputed, so drawing a glyph is 16 writes and no
/// per-pixel work.
type Patterns = [[u32; PIXELS_PER_WRITE]; 256];

/// The state of the text console. Large (the text grid is inline): keep it
/// in a `static` (see [`FramebufferConsole::DETACHED`]), not on the stack.
pub struct FramebufferConsole {
    /// Whether [`attach`](Self::attach) succeeded: `target` is valid.
    attached: bool,
    target: Target,
    columns: usize,
    rows: usize,
    column: usize,
    /// Screen row of the cursor, `0 .. rows`.
    row: usize,
    /// Index in `text` of the top screen row: screen row `r` is text row
    /// `(top + r) % rows`.
    top: usize,
    /// The characters, a ring of rows.
    text: [[u8; MAX_COLUMNS]; MAX_ROWS],
    /// How many cells of each text row were written since it was blanked
    /// (the rest are blank): flushing looks no further.
    text_lengths: [usize; MAX_ROWS],
    /// The character drawn in each cell, by screen row.
    drawn: [[u8; MAX_COLUMNS]; MAX_ROWS],
    /// How many cells of each screen row may show something other than
    /// blank.
    drawn_lengths: [usize; MAX_ROWS],
    patterns: Patterns,
}

// SAFETY: the console owns the framebuffer memory exclusively (the
// `attach` contract); moving it to another core does not change that.
unsafe impl Send for FramebufferConsole {}

/// `value` (0 to 255) scaled into a channel of `size` bits at `shift`.
fn channel(value: u32, size: u8, shift: u8) -> u32 {
    if size == 0 || size > 8 || shift >= 32 {
        return 0;
    }
    (value >> (8 - size)) << shift
}

fn colour(format: PixelFormat, grey: u32) -> u32 {
    channel(grey, format.red_size, format.red_shift)
        | channel(grey, format.green_size, format.green_shift)
        | channel(grey, format.blue_size, format.blue_shift)
}

/// Checks that the console can draw on `fb`; returns its bytes per pixel.
pub fn check(fb: &Framebuffer) -> Result<usize, FramebufferError> {
    if fb.kind != KIND_RGB {
        return Err(FramebufferError::NotRgb);
    }
    let bytes_per_pixel = match fb.bits_per_pixel {
        16 => 2,
        24 => 3,
        32 => 4,
        other => return Err(FramebufferError::UnsupportedDepth(other)),
    };
    if (fb.width as usize) < CELL_WIDTH || (fb.height as usize) < CELL_HEIGHT {
        return Err(FramebufferError::TooSmall);
    }
    Ok(bytes_per_pixel)
}

impl FramebufferConsole {
    /// A console with no framebuffer: prints are dropped until
    /// [`attach`](Self::attach). All zero, so a `static` of it is in `.bss`
    /// rather than 137 KiB of the kernel file.
    pub const DETACHED: Self = Self {
        attached: false,
        target: Target::NONE,
        columns: 0,
        rows: 0,
        column: 0,
        row: 0,
        top: 0,
        text: [[0; MAX_COLUMNS]; MAX_ROWS],
        text_lengths: [0; MAX_ROWS],
        drawn: [[0; MAX_COLUMNS]; MAX_ROWS],
        drawn_lengths: [0; MAX_ROWS],
        patterns: [[0; PIXELS_PER_WRITE]; 256],
    };

    /// Draws from now on on `fb`, whose pixels are at virtual address
    /// `pixels`: clears the screen and puts the cursor top left. On error the
    /// console is detached.
    ///
    /// # Safety
    /// `pixels .. pixels + fb.pitch * fb.height` must be mapped, writable
    /// framebuffer memory that nothing else uses while the console draws on
    /// it (until the next `attach` or [`detach`](Self::detach)).
    pub unsafe fn attach(&mut self, fb: Framebuffer, pixels: u64) -> Result<(), FramebufferError> {
        self.detach();
        let bytes_per_pixel = check(&fb)?;
        let pitch = fb.pitch as usize;
        let aligned = |size: usize| pixels as usize % size == 0 && pitch % size == 0;
        let store = match bytes_per_pixel {
            4 if aligned(4) => PixelStore::U32,
            2 if aligned(2) => PixelStore::U16,
            RGB24_BYTES => PixelStore::U24,
            _ => PixelStore::Bytes,
        };
        let target = Target {
            pixels: pixels as *mut u8,
            pitch,
            bytes_per_pixel,
            store,
            width: fb.width as usize,
            height: fb.height as usize,
            background: colour(fb.pixel_format, BACKGROUND_GREY),
        };
        let foreground = colour(fb.pixel_format, FOREGROUND_GREY);
        for (bits, pattern) in self.patterns.iter_mut().enumerate() {
            for (x, pixel) in pattern.iter_mut().enumerate() {
                *pixel = if bits & (1 << x) != 0 {
                    foreground
                } else {
                    target.background
                };
            }
        }
        self.columns = (target.width / CELL_WIDTH).min(MAX_COLUMNS);
        self.rows = (target.height / CELL_HEIGHT).min(MAX_ROWS);
        (self.column, self.row, self.top) = (0, 0, 0);
        for (text, drawn) in self.text.iter_mut().zip(self.drawn.iter_mut()) {
            text.fill(BLANK);
            drawn.fill(BLANK);
        }
        self.text_lengths.fill(0);
        self.drawn_lengths.fill(0);
        // Every cell now shows BLANK, and the margins stay background.
        target.clear();
        self.target = target;
        self.attached = true;
        Ok(())
    }

    /// Stops drawing (the screen keeps what it shows).
    pub fn detach(&mut self) {
        self.attached = false;
        (self.columns, self.rows) = (0, 0);
    }

    /// Text columns and rows (0 x 0 while detached).
    pub fn size(&self) -> (usize, usize) {
        (self.columns, self.rows)
    }

    fn new_line(&mut self) {
        self.column = 0;
        if self.row + 1 < self.rows {
            self.row += 1;
        } else {
            // Scroll: the old top row becomes the new, blank, bottom row.
            let bottom = self.top;
            self.top = (self.top + 1) % self.rows;
            self.text[bottom][..self.text_lengths[bottom]].fill(BLANK);
            self.text_lengths[bottom] = 0;
        }
    }

    /// Adds one byte to the text (drawn at the next [`flush`](Self::flush)):
    /// printable ASCII, `\n`, `\r`; anything else shows as a box.
    pub fn write_byte(&mut self, byte: u8) {
        if !self.attached {
            return;
        }
        match byte {
            b'\n' => self.new_line(),
            b'\r' => self.column = 0,
            _ => {
                if self.column >= self.columns {
                    self.new_line();
                }
                let line = (self.top + self.row) % self.rows;
                self.text[line][self.column] = byte;
                self.column += 1;
                self.text_lengths[line] = self.text_lengths[line].max(self.column);
            }
        }
    }

    /// Draws the cells whose character changed since the last flush.
    pub fn flush(&mut self) {
        if !self.attached {
            return;
        }
        let target = self.target;
        for row in 0..self.rows {
            let line = (self.top + row) % self.rows;
            // Beyond both lengths, the text and the screen are blank.
            let length = self.text_lengths[line].max(self.drawn_lengths[row]);
            self.drawn_lengths[row] = self.text_lengths[line];
            let text = &self.text[line][..length];
            let drawn = &mut self.drawn[row][..length];
            if text == drawn {
                continue;
            }
            // A plain loop: this runs for every cell of every changed row,
            // and iterator adaptors are slow in unoptimised builds.
            let mut column = 0;
            while column < length {
                let wanted = text[column];
                if wanted != drawn[column] {
                    target.draw_glyph(&self.patterns, column, row, wanted);
                    drawn[column] = wanted;
                }
                column += 1;
            }
        }
    }
}

impl Target {
    /// No framebuffer (all zero, like the rest of
    /// [`FramebufferConsole::DETACHED`]).
    const NONE: Self = Self {
        pixels: ptr::null_mut(),
        pitch: 0,
        bytes_per_pixel: 0,
        store: PixelStore::U32,
        width: 0,
        height: 0,
        background: 0,
    };

    /// Writes `pixels` at (`x`, `y`) onwards.
    ///
    /// # Safety
    /// `y < height` and `x + pixels.len() <= width`.
    #[inline(always)]
    unsafe fn put_pixels(&self, x: usize, y: usize, pixels: &[u32; PIXELS_PER_WRITE]) {
        let line = self.pixels.wrapping_add(y * self.pitch);
        // Volatile: this is device memory. Each arm but the last is one write
        // of whole pixels. The caller's contract and `attach`'s put every
        // pixel inside the framebuffer.
        match self.store {
            PixelStore::U32 => {
                let at = line.cast::<u32>().wrapping_add(x);
                // SAFETY: inside the framebuffer; U32 is only chosen where
                // the framebuffer and its pitch are 4-byte aligned.
                unsafe { ptr::write_volatile(at.cast::<[u32; PIXELS_PER_WRITE]>(), *pixels) };
            }
            PixelStore::U16 => {
                let at = line.cast::<u16>().wrapping_add(x);
                let value = pixels.map(|pixel| pixel as u16);
                // SAFETY: inside the framebuffer; U16 is only chosen where
                // the framebuffer and its pitch are 2-byte aligned.
                unsafe { ptr::write_volatile(at.cast::<[u16; PIXELS_PER_WRITE]>(), value) };
            }
            PixelStore::U24 => {
                let mut bytes = [0u8; PIXELS_PER_WRITE * RGB24_BYTES];
                for (chunk, pixel) in bytes.chunks_exact_mut(RGB24_BYTES).zip(pixels) {
                    chunk.copy_from_slice(&pixel.to_le_bytes()[..RGB24_BYTES]);
                }
                let at = line.wrapping_add(x * RGB24_BYTES);
                // SAFETY: inside the framebuffer; a byte array needs no
                // alignment.
                unsafe {
                    ptr::write_volatile(at.cast::<[u8; PIXELS_PER_WRITE * RGB24_BYTES]>(), bytes)
                };
            }
            PixelStore::Bytes => {
                let size = self.bytes_per_pixel;
                for (i, pixel) in pixels.iter().enumerate() {
                    let at = line.wrapping_add((x + i) * size);
                    for (j, byte) in pixel.to_le_bytes().iter().take(size).enumerate() {
                        // SAFETY: byte `j` of a pixel inside the framebuffer.
                        unsafe { ptr::write_volatile(at.wrapping_add(j), *byte) };
                    }
                }
            }
        }
    }

    /// Fills the whole framebuffer with the background.
    fn clear(&self) {
        let blank = [self.background; PIXELS_PER_WRITE];
        for y in 0..self.height {
            // Whole groups of 8 pixels, then the last group overlapping the
            // one before (`width` is at least one cell, 8 pixels, wide).
            let last = self.width - PIXELS_PER_WRITE;
            for x in (0..last).step_by(PIXELS_PER_WRITE).chain([last]) {
                // SAFETY: y < height and x + 8 <= width.
                unsafe { self.put_pixels(x, y, &blank) };
            }
        }
    }

    /// Draws `byte`'s glyph in cell (`column`, `row`).
    fn draw_glyph(&self, patterns: &Patterns, column: usize, row: usize, byte: u8) {
        let glyph = font::glyph(byte);
        let x = column * CELL_WIDTH;
        let mut y = row * CELL_HEIGHT;
        // A plain loop, as in `flush`.
        let mut glyph_row = 0;
        while glyph_row < font::HEIGHT {
            let pixels = &patterns[usize::from(glyph[glyph_row])];
            // SAFETY: column < columns and row < rows, so the cell lies
            // inside width x height. Each glyph row is drawn twice
            // (SCALE_Y), written out: this runs for every changed cell.
            unsafe {
                self.put_pixels(x, y, pixels);
                self.put_pixels(x, y + 1, pixels);
            }
            y += SCALE_Y;
            glyph_row += 1;
        }
    }
}

impl fmt::Write for FramebufferConsole {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            // One cell per character: non-ASCII characters become a box.
            let byte = if c.is_ascii() { c as u8 } else { 0x7F };
            self.write_byte(byte);
        }
        Ok(())
    }
}
