//! src/pic_timer: the PICs deliver IRQ 0 at vector 32 and only the timer is
//! unmasked, the PIT ticks at TICK_HZ (checked against the TSC), sleep_ms
//! sleeps at least as long as asked and not much longer, registered handlers
//! run, and spurious IRQ 7 and 15 are recognised.

#![no_std]
#![no_main]

extern crate multiboot2_modules_pic_timer_keyboard as kernel;

use core::sync::atomic::{AtomicU64, Ordering};

use kernel::arch::x86_64::tsc::{self, Instant};
use kernel::boot::BootInfo;
use kernel::kernel_test;
use kernel::pic_timer::{self, pic};
use kernel::sync::Once;

kernel::entry_point!(main);

/// The mask registers as the PICs reported them right after init.
static MASKS_AFTER_INIT: Once<u16> = Once::new();
/// The TSC just before init started the timer.
static INIT_TIME: Once<Instant> = Once::new();

fn main(boot_info: &'static BootInfo) -> ! {
    // Calibrated first, so that `Instant::now` works.
    tsc::calibrate().expect("QEMU's CPUs have a TSC");
    let _ = INIT_TIME.set(Instant::now());
    pic_timer::init();
    let _ = MASKS_AFTER_INIT.set(pic::masks());
    kernel::testing::test_kernel_main(boot_info)
}

/// Calibrates the TSC (10 ms against PIT channel 2) until a measurement is
/// within 1% of the lowest of several. An emulator descheduled while the
/// calibration polls the PIT overshoots the window, which only ever makes the
/// frequency look higher, and durations shorter, than they are.
fn calibrate_tsc() {
    const SAMPLES: usize = 5;
    const ATTEMPTS: usize = 30;
    let measure = || tsc::calibrate().expect("QEMU's CPUs have a TSC");
    let lowest = (0..SAMPLES).map(|_| measure()).min().unwrap_or(u64::MAX);
    // `tsc` keeps the last measurement: make it a good one.
    for _ in 0..ATTEMPTS {
        if measure() <= lowest + lowest / 100 {
            return;
        }
    }
    panic!("the TSC's frequency never measured within 1% of {lowest} Hz again");
}

kernel_test! {
    fn only_the_timer_is_unmasked_after_init() {
        // OCW1 read back from both PICs' data ports: bit 0 (IRQ 0) clear,
        // all others set; the slave is off entirely (cascade IRQ 2 masked).
        assert_eq!(MASKS_AFTER_INIT.get(), Some(&0xFFFE));
        assert_eq!(pic_timer::INITIAL_MASKS, 0xFFFE);
    }
}

kernel_test! {
    fn ticks_advance_while_sleeping() {
        // IRQ 0 reaches vector 32's gate (stub 0) and gets its EOI: with the
        // PICs elsewhere or no EOI, the count would stay put.
        assert!(pic_timer::interrupts_enabled());
        let before = pic_timer::ticks();
        pic_timer::sleep_ms(20);
        let after = pic_timer::ticks();
        assert!(after >= before + 20, "{before} -> {after} ticks in 20 ms");
    }
}

kernel_test! {
    fn ticks_never_run_ahead_of_the_tsc() {
        // An emulator that was not scheduled for a while delivers the ticks
        // it owes in a burst, so over a short window the count may run ahead
        // of real time; since init, it never can: at most 1000.15 ticks per
        // TSC second, plus 10% for the TSC calibration's error.
        calibrate_tsc();
        let start = INIT_TIME.get().expect("main sets it");
        let ticks = pic_timer::ticks();
        let micros = start.elapsed_micros().expect("calibrated");
        let most = micros * u64::from(pic_timer::TICK_HZ) / 1_000_000 * 110 / 100 + 2;
        assert!(ticks <= most, "{ticks} ticks in {micros} us, expected at most {most}");
        assert!(ticks > 0, "no tick in {micros} us");
    }
}

kernel_test! {
    fn sleep_ms_takes_about_as_long_as_asked() {
        // About 200 ms of TSC time: more than 140 ms (the emulator may deliver
        // ticks it owes from before the sleep in a burst, and the TSC's
        // calibration has an error) and less than 1 s (a busy machine running
        // the emulator loses ticks). A sleep that returns at once, or a PIT at
        // twice or a tenth of the rate, fails.
        const SLEEP_MS: u64 = 200;
        calibrate_tsc();
        let start = Instant::now();
        pic_timer::sleep_ms(SLEEP_MS);
        let micros = start.elapsed_micros().expect("calibrated");
        assert!(micros >= SLEEP_MS * 1000 * 70 / 100, "sleep_ms({SLEEP_MS}) took {micros} us");
        assert!(micros <= SLEEP_MS * 1000 * 5, "sleep_ms({SLEEP_MS}) took {micros} us");
    }
}

kernel_test! {
    fn ticks_for_ms_rounds_up() {
        // 8254 datasheet: the IRQ rate is 1 193 182 Hz / divisor, here 1193.
        assert_eq!(pic_timer::PIT_DIVISOR, 1193);
        assert_eq!(pic_timer::ticks_for_ms(0), 0);
        for ms in [1, 7, 1000, 3_600_000] {
            let ticks = pic_timer::ticks_for_ms(ms);
            // ticks * 1193 / 1 193 182 s >= ms / 1000 s, and one tick fewer is not.
            assert!(ticks * 1193 * 1000 >= ms * 1_193_182, "{ms} ms: {ticks} ticks");
            assert!((ticks - 1) * 1193 * 1000 < ms * 1_193_182, "{ms} ms: {ticks} ticks");
        }
    }
}

static IRQ7_CALLS: AtomicU64 = AtomicU64::new(0);
static IRQ13_CALLS: AtomicU64 = AtomicU64::new(0);
static IRQ15_CALLS: AtomicU64 = AtomicU64::new(0);

kernel_test! {
    fn handlers_run_and_spurious_irqs_are_recognised() {
        // `int 32 + n` enters IRQ n's stub as the PIC would, but no PIC has
        // the line in service: on IRQ 7 and 15 that is exactly what a
        // spurious interrupt looks like, so their handlers must not run.
        pic_timer::set_handler(7, || {
            IRQ7_CALLS.fetch_add(1, Ordering::Relaxed);
        });
        pic_timer::set_handler(13, || {
            IRQ13_CALLS.fetch_add(1, Ordering::Relaxed);
        });
        pic_timer::set_handler(15, || {
            IRQ15_CALLS.fetch_add(1, Ordering::Relaxed);
        });
        // IRQ 7, 13 and 15 unmasked, and IRQ 2 for the slave's.
        let unmasked: u16 = (1 << 0) | (1 << 2) | (1 << 7) | (1 << 13) | (1 << 15);
        assert_eq!(pic::masks(), !unmasked);

        let spurious = pic_timer::spurious_interrupts();
        // SAFETY: vectors 39, 45 and 47 are IRQ 7, 13 and 15's gates; their
        // stubs return with every register intact.
        unsafe {
            core::arch::asm!("int 45");
            core::arch::asm!("int 39");
            core::arch::asm!("int 47");
        }
        assert_eq!(IRQ13_CALLS.load(Ordering::Relaxed), 1, "IRQ 13's handler");
        assert_eq!(IRQ7_CALLS.load(Ordering::Relaxed), 0, "a spurious IRQ 7 reached its handler");
        assert_eq!(IRQ15_CALLS.load(Ordering::Relaxed), 0, "a spurious IRQ 15 reached its handler");
        assert_eq!(pic_timer::spurious_interrupts(), spurious + 2);
        // The PICs still work: nothing left in service, the timer ticks.
        assert_eq!(pic::in_service(), 0);
        let before = pic_timer::ticks();
        pic_timer::sleep_ms(5);
        assert!(pic_timer::ticks() > before);
    }
}

kernel_test! {
    fn irq_entry_preserves_registers() {
        // The stub saves the caller-saved registers the Rust handler may
        // clobber; the others the handler's own code preserves.
        let values: [u64; 9] = core::array::from_fn(|i| 0x0101_0101_0101_0101 * (i as u64 + 3));
        let mut after = values;
        // SAFETY: vector 32 + 13 is IRQ 13's gate (a handler or none), which
        // returns; the asm only moves values through registers.
        unsafe {
            core::arch::asm!(
                "int 45",
                inout("rax") after[0],
                inout("rcx") after[1],
                inout("rdx") after[2],
                inout("rsi") after[3],
                inout("rdi") after[4],
                inout("r8") after[5],
                inout("r9") after[6],
                inout("r10") after[7],
                inout("r11") after[8],
            );
        }
        assert_eq!(after, values);
    }
}

kernel_test! {
    // Named to run last: the panic leaves interrupts disabled.
    #[should_panic(expected = "sleep_ms with interrupts disabled")]
    fn without_interrupts_sleep_ms_panics_instead_of_hanging() {
        pic_timer::without_interrupts(|| pic_timer::sleep_ms(1));
    }
}
