//! The framebuffer text console (`src/framebuffer.rs`), drawing on ordinary
//! RAM posing as a framebuffer, so the tests run on every boot protocol: the
//! text lands in the right cells in 16, 24 and 32 bits per pixel, scrolling
//! shows the last rows, scrolling never copies the framebuffer's pixels (it
//! does not read video memory), and 700 lines take a bounded time.
//!
//! The screen is read back cell by cell and recognised against the glyphs of
//! `src/font.rs`, as the end-to-end test does with QEMU's screendump.

#![no_std]
#![no_main]

extern crate alloc;

extern crate multiboot2_modules_apic_smp as kernel;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write;

use kernel::arch::x86_64::tsc::Instant;
use kernel::boot::{Framebuffer, PixelFormat};
use kernel::framebuffer::{self, CELL_HEIGHT, CELL_WIDTH, FramebufferConsole, FramebufferError};
use kernel::sync::SpinLock;
use kernel::{console, font, kernel_test};

kernel::entry_point!(kernel::testing::test_kernel_main);

/// The console under test: a `static`, as the kernel's is (it is too large
/// for the stack).
static CONSOLE: SpinLock<FramebufferConsole> = SpinLock::new(FramebufferConsole::DETACHED);

/// The text colour, light grey (0xAA per channel, as VGA's), packed by hand
/// for each layout below; the background is 0.
const GREY_XRGB8888: u32 = 0x00AA_AAAA;
const GREY_RGB888: u32 = 0xAA_AAAA;
/// 0xAA in 5, 6, 5 bits: 10101, 101010, 10101 = 0b10101_101010_10101.
const GREY_RGB565: u32 = 0xAD55;

/// A framebuffer in RAM: `pitch * height` bytes, 4-byte aligned.
struct RamScreen {
    words: Vec<u32>,
    fb: Framebuffer,
    grey: u32,
}

impl RamScreen {
    fn new(width: u32, height: u32, bits_per_pixel: u8, padding: u32) -> Self {
        let bytes_per_pixel = u32::from(bits_per_pixel) / 8;
        let pitch = width * bytes_per_pixel + padding;
        let (pixel_format, grey) = match bits_per_pixel {
            16 => (format(5, 11, 6, 5, 5, 0), GREY_RGB565),
            24 => (format(8, 16, 8, 8, 8, 0), GREY_RGB888),
            _ => (format(8, 16, 8, 8, 8, 0), GREY_XRGB8888),
        };
        let bytes = (pitch * height) as usize;
        Self {
            // Not 0: the console must clear the screen when attached.
            words: vec![0x5A5A_5A5A; bytes.div_ceil(4)],
            fb: Framebuffer {
                address: 0,
                pitch,
                width,
                height,
                bits_per_pixel,
                kind: 1,
                pixel_format,
            },
            grey,
        }
    }

    /// Attaches [`CONSOLE`] to this screen.
    fn attach(&mut self) {
        let pixels = self.words.as_mut_ptr() as u64;
        // SAFETY: `words` holds `pitch * height` bytes, and every test
        // detaches the console before `self` is dropped.
        let attached = unsafe { CONSOLE.lock().attach(self.fb, pixels) };
        attached.expect("a 16/24/32-bit RGB framebuffer is accepted");
    }

    fn byte(&self, offset: usize) -> u8 {
        (self.words[offset / 4] >> (8 * (offset % 4))) as u8
    }

    fn pixel(&self, x: usize, y: usize) -> u32 {
        let size = usize::from(self.fb.bits_per_pixel / 8);
        let offset = y * self.fb.pitch as usize + x * size;
        (0..size).fold(0, |value, i| {
            value | u32::from(self.byte(offset + i)) << (8 * i)
        })
    }

    fn set_pixel(&mut self, x: usize, y: usize, value: u32) {
        let size = usize::from(self.fb.bits_per_pixel / 8);
        let offset = y * self.fb.pitch as usize + x * size;
        for i in 0..size {
            let (word, shift) = ((offset + i) / 4, 8 * ((offset + i) % 4));
            self.words[word] &= !(0xFF << shift);
            self.words[word] |= ((value >> (8 * i)) & 0xFF) << shift;
        }
    }

    /// The character whose glyph cell (`column`, `row`) shows (8x8 glyphs,
    /// each row drawn twice), or `None` if it shows no glyph exactly.
    fn cell(&self, column: usize, row: usize) -> Option<char> {
        let (x0, y0) = (column * CELL_WIDTH, row * CELL_HEIGHT);
        let mut seen = [0u8; font::HEIGHT];
        for y in 0..CELL_HEIGHT {
            let mut bits = 0u8;
            for x in 0..CELL_WIDTH {
                match self.pixel(x0 + x, y0 + y) {
                    0 => {}
                    lit if lit == self.grey => bits |= 1 << x,
                    _ => return None,
                }
            }
            if y % 2 == 1 && bits != seen[y / 2] {
                return None;
            }
            seen[y / 2] = bits;
        }
        (font::FIRST..=font::LAST)
            .find(|&byte| *font::glyph(byte) == seen)
            .map(char::from)
    }

    /// Text row `row` as recognised, trailing blanks removed; `?` for a cell
    /// that shows no glyph.
    fn line(&self, row: usize) -> String {
        let columns = self.fb.width as usize / CELL_WIDTH;
        let text: String = (0..columns)
            .map(|column| self.cell(column, row).unwrap_or('?'))
            .collect();
        String::from(text.trim_end())
    }
}

impl Drop for RamScreen {
    fn drop(&mut self) {
        CONSOLE.lock().detach();
    }
}

fn format(rs: u8, rsh: u8, gs: u8, gsh: u8, bs: u8, bsh: u8) -> PixelFormat {
    PixelFormat {
        red_size: rs,
        red_shift: rsh,
        green_size: gs,
        green_shift: gsh,
        blue_size: bs,
        blue_shift: bsh,
    }
}

/// Prints as `console::_print` does: the text, then one flush.
fn print(args: core::fmt::Arguments) {
    let mut console = CONSOLE.lock();
    let _ = console.write_fmt(args);
    console.flush();
}

/// Writes "Hi!", a second line and a wrapped one; checks every cell of them.
fn text_lands_in_cells(bits_per_pixel: u8, padding: u32) {
    // 10 columns, 4 rows; the padding makes the pitch wider than a row.
    let mut screen = RamScreen::new(80, 64, bits_per_pixel, padding);
    screen.attach();
    print(format_args!("Hi!\n~(0)\n"));
    print(format_args!("0123456789wrap"));
    assert_eq!(screen.line(0), "Hi!", "{bits_per_pixel} bpp");
    assert_eq!(screen.line(1), "~(0)", "{bits_per_pixel} bpp");
    assert_eq!(screen.line(2), "0123456789", "{bits_per_pixel} bpp");
    assert_eq!(screen.line(3), "wrap", "{bits_per_pixel} bpp");
    // Blank cells are background, not left-over memory.
    assert_eq!(screen.cell(9, 3), Some(' '));
}

kernel_test! {
    fn text_lands_in_its_cells_32bpp() {
        text_lands_in_cells(32, 0);
        text_lands_in_cells(32, 12);
        // A pitch that is not a multiple of 4: no u32 writes, pixel by pixel.
        text_lands_in_cells(32, 2);
    }
}

kernel_test! {
    fn text_lands_in_its_cells_24bpp() {
        // 3-byte pixels, and a pitch that is not a multiple of 4.
        text_lands_in_cells(24, 0);
        text_lands_in_cells(24, 2);
    }
}

kernel_test! {
    fn text_lands_in_its_cells_16bpp() {
        text_lands_in_cells(16, 0);
        text_lands_in_cells(16, 6);
        // An odd pitch: no u16 writes, pixel by pixel.
        text_lands_in_cells(16, 1);
    }
}

kernel_test! {
    fn scrolling_shows_the_last_rows() {
        // 5 rows of 12 columns.
        let mut screen = RamScreen::new(96, 80, 32, 0);
        screen.attach();
        // One line per print, then many lines in a single print.
        for i in 0..12 {
            print(format_args!("line {i}\n"));
        }
        assert_eq!(screen.line(0), "line 8");
        assert_eq!(screen.line(3), "line 11");
        assert_eq!(screen.line(4), "", "the cursor's row is blank");
        print(format_args!("a\nb\nc\nd\ne\nf\ng\nhh"));
        let rows: Vec<String> = (0..5).map(|row| screen.line(row)).collect();
        assert_eq!(rows, ["d", "e", "f", "g", "hh"]);
    }
}

kernel_test! {
    fn scrolling_does_not_copy_the_framebuffer() {
        let mut screen = RamScreen::new(96, 80, 32, 0);
        screen.attach();
        for i in 0..5 {
            print(format_args!("row {i}\n"));
        }
        // A pixel the console did not draw, in the last cell of row 2. Code
        // that scrolls by copying video memory moves it to row 1.
        const POISON: u32 = 0x00FF_0000;
        let (x, y) = (11 * CELL_WIDTH + 3, 2 * CELL_HEIGHT + 5);
        screen.set_pixel(x, y, POISON);
        print(format_args!("row 5\n"));
        assert_ne!(screen.pixel(x, y - CELL_HEIGHT), POISON, "scrolled by copying pixels");
        assert_eq!(screen.line(0), "row 2");
        assert_eq!(screen.line(3), "row 5");
    }
}

/// Upper bound for 700 boot-log lines on a 1280x800 screen, one print each
/// (the reviewer's case: a long boot log timed out on Limine where serial
/// alone took 1.2 s). Measured in a debug build under QEMU (TCG) on a 2-core
/// machine with a load average of 6 to 9: the old console, which scrolled by
/// copying the framebuffer (reading it back), took 146 s; this one 0.7 s. A
/// console that redrew every cell on each scroll would take minutes too. Lines
/// that change every cell of the screen on every scroll (the worst case) take
/// 8 to 10 s there: not tested here, to keep `cargo test` quick.
const SEVEN_HUNDRED_LINES_MAX_MICROS: u64 = 5_000_000;

kernel_test! {
    fn seven_hundred_lines_are_fast() {
        let mut screen = RamScreen::new(1280, 800, 32, 0);
        screen.attach();
        let start = Instant::now();
        for i in 0..700 {
            print(format_args!("[boot] step {i:3}: the quick brown fox jumps over the lazy dog\n"));
            // Checked as it goes: the old code would take minutes.
            let micros = start.elapsed_micros().expect("the TSC is calibrated");
            assert!(
                micros < SEVEN_HUNDRED_LINES_MAX_MICROS,
                "{} lines took {micros} us: 700 must take less than {SEVEN_HUNDRED_LINES_MAX_MICROS}",
                i + 1
            );
        }
        // 50 rows: the last line, then the cursor's blank row.
        assert_eq!(
            screen.line(48),
            "[boot] step 699: the quick brown fox jumps over the lazy dog"
        );
        assert_eq!(
            screen.line(0),
            "[boot] step 651: the quick brown fox jumps over the lazy dog"
        );
    }
}

kernel_test! {
    fn println_draws_on_the_attached_framebuffer() {
        let mut screen = RamScreen::new(320, 32, 32, 0);
        let pixels = screen.words.as_mut_ptr() as u64;
        // SAFETY: as in `RamScreen::attach`; detached below, before `screen`
        // is dropped.
        unsafe { console::attach_framebuffer(screen.fb, pixels) }.expect("RGB is accepted");
        // No newline: the print itself draws (it shows on serial too).
        kernel::print!("(drawn on a RAM framebuffer) ");
        let shown = screen.line(0);
        console::detach_framebuffer();
        assert_eq!(shown, "(drawn on a RAM framebuffer)");
    }
}

kernel_test! {
    fn framebuffers_without_rgb_pixels_are_refused() {
        // Multiboot2 §3.6.12 framebuffer_type: 0 indexed colour, 2 EGA text;
        // and direct RGB at 8 bits per pixel.
        let cases = [
            (0, 8, FramebufferError::NotRgb),
            (2, 16, FramebufferError::NotRgb),
            (1, 8, FramebufferError::UnsupportedDepth(8)),
        ];
        for (kind, bits_per_pixel, error) in cases {
            let mut screen = RamScreen::new(80, 32, 32, 0);
            screen.fb.kind = kind;
            screen.fb.bits_per_pixel = bits_per_pixel;
            assert_eq!(framebuffer::check(&screen.fb), Err(error));
            let pixels = screen.words.as_mut_ptr() as u64;
            // SAFETY: as in `RamScreen::attach`.
            let attached = unsafe { CONSOLE.lock().attach(screen.fb, pixels) };
            assert_eq!(attached, Err(error));
            // Detached: printing leaves the memory alone.
            print(format_args!("text\n"));
            assert!(screen.words.iter().all(|&word| word == 0x5A5A_5A5A));
        }
    }
}
