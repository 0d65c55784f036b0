//! src/vga_text.rs: the text console on RAM posing as the text buffer
//! (characters and attributes in the right cells, wrapping, scrolling), then
//! on the card itself: `cargo test` boots through PVH, which SeaBIOS leaves
//! in text mode 03h (80x25 at 0xB8000).

#![no_std]
#![no_main]

extern crate alloc;

extern crate multiboot2_modules_apic_smp as kernel;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write;

use kernel::arch::x86_64::tsc::Instant;
use kernel::boot::{BootInfo, Framebuffer, Loader, PixelFormat};
use kernel::kernel_test;
use kernel::sync::SpinLock;
use kernel::vga_text::{
    self, Color, DEFAULT_ATTRIBUTE, TextMode, TextScreen, VgaTextError, attribute, cell,
};

kernel::entry_point!(kernel::testing::test_kernel_main);

/// What the RAM cells hold before the console touches them.
const POISON: u16 = 0x5A5A;
/// A blank cell in the BIOS's attribute: a space (0x20), light grey (7) on
/// black (0).
const BLANK: u16 = 0x0720;

/// The console under test: 16 KiB, too large for the stack of a test.
static SCREEN: SpinLock<TextScreen> = SpinLock::new(TextScreen::DETACHED);

/// RAM cells of a `columns` x `rows` grid, with the console attached.
struct RamCells {
    cells: Vec<u16>,
    columns: usize,
}

impl RamCells {
    fn attach(columns: usize, rows: usize) -> Self {
        let mut cells = vec![POISON; columns * rows];
        let mode = TextMode {
            address: cells.as_mut_ptr() as u64,
            columns,
            rows,
        };
        // SAFETY: `cells` holds `columns * rows` cells and lives until the
        // next `attach` (the tests use one at a time), which replaces it.
        unsafe { SCREEN.lock().attach(mode) }.expect("a supported size");
        Self { cells, columns }
    }

    /// The characters of `row`, without trailing blanks.
    fn line(&self, row: usize) -> String {
        let cells = &self.cells[row * self.columns..(row + 1) * self.columns];
        let text: String = cells.iter().map(|&word| char::from(word as u8)).collect();
        String::from(text.trim_end_matches(' '))
    }
}

fn print(text: &str) {
    SCREEN
        .lock()
        .write_str(text)
        .expect("the text console never fails");
}

kernel_test! {
    fn attributes_hold_background_and_foreground() {
        // OSDev "Printing To Screen": background in bits 4-6, foreground in
        // bits 0-3; Color numbers are the VGA palette's.
        assert_eq!(DEFAULT_ATTRIBUTE, 0x07);
        assert_eq!(attribute(Color::Yellow, Color::Blue), 0x1E);
        assert_eq!(attribute(Color::White, Color::Red), 0x4F);
        // Bit 7 means blink: a bright background is cut to its dark colour.
        assert_eq!(attribute(Color::Black, Color::White), 0x70);
        assert_eq!(cell(b'A', 0x1E), 0x1E41);
    }
}

kernel_test! {
    fn attach_clears_every_cell() {
        let ram = RamCells::attach(80, 25);
        assert!(ram.cells.iter().all(|&word| word == BLANK));
        assert_eq!(SCREEN.lock().cursor(), (0, 0));
    }
}

kernel_test! {
    fn characters_land_in_their_cells_with_the_attribute() {
        let ram = RamCells::attach(80, 25);
        print("Hi");
        SCREEN.lock().set_attribute(attribute(Color::Yellow, Color::Blue));
        print("!");
        SCREEN.lock().set_attribute(DEFAULT_ATTRIBUTE);
        assert_eq!(&ram.cells[..4], &[0x0748, 0x0769, 0x1E21, BLANK]);
        assert_eq!(SCREEN.lock().cursor(), (3, 0));
    }
}

kernel_test! {
    fn control_characters_move_the_cursor() {
        let ram = RamCells::attach(20, 4);
        print("ab\ncd\rX\tY\n\tZ\t\t\tW");
        assert_eq!(ram.line(0), "ab");
        // The tab passes over the 'd' without erasing it.
        assert_eq!(ram.line(1), "Xd      Y");
        // Tab stops every 8 columns; the last one is the end of the row.
        assert_eq!(ram.line(2), "        Z");
        assert_eq!(ram.line(3), "W");
        assert_eq!(ram.cells[2 * 20 + 9], BLANK, "tabs write no cells");
        assert_eq!(SCREEN.lock().cursor(), (1, 3));
    }
}

kernel_test! {
    fn characters_outside_ascii_show_as_a_square() {
        let ram = RamCells::attach(20, 4);
        print("é\u{7}x");
        // Code page 437's 0xFE (a small square), then 'x'.
        assert_eq!(&ram.cells[..3], &[0x07FE, 0x07FE, 0x0778]);
    }
}

kernel_test! {
    fn long_lines_wrap() {
        let ram = RamCells::attach(10, 4);
        print("abcdefghijklmnopqrstuvwxy");
        assert_eq!(ram.line(0), "abcdefghij");
        assert_eq!(ram.line(1), "klmnopqrst");
        assert_eq!(ram.line(2), "uvwxy");
        // A line of exactly one row: its newline does not add a blank row
        // (X lands on the row below it, after one scroll).
        print("\n0123456789\nX");
        assert_eq!(ram.line(1), "uvwxy");
        assert_eq!(ram.line(2), "0123456789");
        assert_eq!(ram.line(3), "X");
        assert_eq!(SCREEN.lock().cursor(), (1, 3));
    }
}

kernel_test! {
    fn scrolling_moves_rows_up_and_blanks_the_last() {
        let ram = RamCells::attach(10, 3);
        SCREEN.lock().set_attribute(attribute(Color::White, Color::Red));
        print("a\nb\nc\nd\n");
        SCREEN.lock().set_attribute(DEFAULT_ATTRIBUTE);
        assert_eq!(ram.line(0), "c");
        assert_eq!(ram.line(1), "d");
        assert_eq!(ram.line(2), "");
        // The rows keep their attributes when they move; the new row is blank
        // in the current one.
        assert_eq!(ram.cells[0], 0x4F63);
        assert_eq!(ram.cells[20], 0x4F20);
        assert_eq!(SCREEN.lock().cursor(), (0, 2));
    }
}

kernel_test! {
    fn scrolling_does_not_read_video_memory() {
        let mut ram = RamCells::attach(10, 3);
        print("row 0\nrow 1\nrow 2");
        // A cell the console did not write, in row 2. Code that scrolls by
        // copying video memory moves it to row 1.
        ram.cells[29] = cell(b'#', 0x07);
        print("\nrow 3");
        assert_eq!(ram.line(0), "row 1");
        assert_eq!(ram.line(1), "row 2");
        assert_eq!(ram.line(2), "row 3");
    }
}

kernel_test! {
    fn sizes_beyond_the_grid_are_refused() {
        SCREEN.lock().detach();
        // Room for the largest size tried, so that a console that accepted
        // one would write only here (and be caught below).
        let mut cells = vec![POISON; 133 * 61];
        for (columns, rows) in [(0, 25), (80, 0), (133, 25), (80, 61)] {
            let mode = TextMode {
                address: cells.as_mut_ptr() as u64,
                columns,
                rows,
            };
            let mut screen = SCREEN.lock();
            // SAFETY: `cells` holds every cell of each size tried.
            let attached = unsafe { screen.attach(mode) };
            assert_eq!(attached, Err(VgaTextError::UnsupportedSize { columns, rows }));
            assert_eq!(screen.mode(), None);
        }
        assert!(cells.iter().all(|&word| word == POISON));
    }
}

/// A Multiboot2 boot information whose framebuffer is `fb`.
fn multiboot2_with(fb: Option<Framebuffer>) -> BootInfo {
    let mut boot_info = BootInfo::new(Loader::Multiboot2, 0);
    boot_info.framebuffer = fb;
    boot_info
}

kernel_test! {
    fn grub_text_mode_is_found_in_the_framebuffer_tag() {
        // What GRUB passes for EGA text (grub-core/loader/multiboot_mbi2.c,
        // retrieve_video_parameters): 0xB8000, pitch 2 * width, 16 bpp, type 2.
        let text = Framebuffer {
            address: 0xB8000,
            pitch: 160,
            width: 80,
            height: 25,
            bits_per_pixel: 16,
            kind: 2,
            pixel_format: PixelFormat::default(),
        };
        let expected = TextMode {
            address: 0xB8000,
            columns: 80,
            rows: 25,
        };
        assert_eq!(vga_text::find(&multiboot2_with(Some(text))), Ok(expected));
        let graphics = Framebuffer {
            pitch: 4096,
            width: 1024,
            height: 768,
            bits_per_pixel: 32,
            kind: 1,
            ..text
        };
        assert_eq!(
            vga_text::find(&multiboot2_with(Some(graphics))),
            Err(VgaTextError::Graphics { width: 1024, height: 768 })
        );
        let mut uefi = multiboot2_with(Some(text));
        uefi.firmware = kernel::boot::Firmware::Uefi64;
        assert_eq!(vga_text::find(&uefi), Err(VgaTextError::Uefi));
    }
}

kernel_test! {
    fn pvh_boots_leave_the_card_in_80x25_text_mode() {
        // SeaBIOS sets mode 03h before QEMU's PVH boot jumps to the kernel.
        assert_eq!(vga_text::probe(), Ok((80, 25)));
        let pvh = BootInfo::new(Loader::Pvh, 0);
        let expected = TextMode {
            address: vga_text::BUFFER_ADDRESS,
            columns: 80,
            rows: 25,
        };
        assert_eq!(vga_text::find(&pvh), Ok(expected));
    }
}

/// The cells of row `row` of the real text buffer, as text.
fn screen_line(row: usize) -> String {
    let base = vga_text::BUFFER_ADDRESS as *const u16;
    let text: String = (0..80)
        .map(|column| {
            // SAFETY: the text buffer of the card in mode 03h (80x25 cells),
            // identity mapped (Multiboot2 and PVH: the first 4 GiB).
            let word = unsafe { base.add(row * 80 + column).read_volatile() };
            char::from(word as u8)
        })
        .collect();
    String::from(text.trim_end_matches(' '))
}

kernel_test! {
    fn println_reaches_the_text_buffer_and_moves_the_cursor() {
        let pvh = BootInfo::new(Loader::Pvh, 0);
        vga_text::init(&pvh).expect("text mode under PVH");
        // init cleared the screen and printed its line on row 0.
        kernel::println!("(on the VGA screen)");
        kernel::print!("next ");
        let rows = (screen_line(0), screen_line(1), screen_line(2));
        let cursor = vga_text::hardware_cursor();
        vga_text::detach();
        assert_eq!(
            rows,
            (
                String::from("[vga-text] 80x25 text at 0xb8000"),
                String::from("(on the VGA screen)"),
                String::from("next")
            )
        );
        assert_eq!(cursor, 2 * 80 + 5, "the cursor follows the text");
    }
}

/// Upper bound for 700 boot-log lines on the card, one print each, serial
/// included. Measured in a debug build under QEMU (TCG) on a 2-core machine
/// with a load average of about 4: 0.93 s, of which serial alone took 0.49 s
/// (each scroll rewrites the 1920 cells that change, never reading video
/// memory back).
const SEVEN_HUNDRED_LINES_MAX_MICROS: u64 = 5_000_000;

kernel_test! {
    fn seven_hundred_lines_on_the_card_are_fast() {
        let pvh = BootInfo::new(Loader::Pvh, 0);
        vga_text::init(&pvh).expect("text mode under PVH");
        let start = Instant::now();
        let mut micros = 0;
        for i in 0..700 {
            kernel::println!("[boot] step {i:3}: the quick brown fox jumps over the lazy dog");
            micros = start.elapsed_micros().expect("the TSC is calibrated");
            if micros >= SEVEN_HUNDRED_LINES_MAX_MICROS {
                break;
            }
        }
        let last = screen_line(23);
        vga_text::detach();
        assert!(
            micros < SEVEN_HUNDRED_LINES_MAX_MICROS,
            "700 lines took more than {SEVEN_HUNDRED_LINES_MAX_MICROS} us"
        );
        // 25 rows: the last line, then the cursor's blank row.
        assert_eq!(
            last,
            "[boot] step 699: the quick brown fox jumps over the lazy dog"
        );
    }
}
