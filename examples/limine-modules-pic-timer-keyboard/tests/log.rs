//! src/log.rs: which records the maximum level lets through (and that the
//! others cost no formatting), what a record looks like, and the `log=LEVEL`
//! option of the kernel command line.

#![no_std]
#![no_main]

extern crate alloc;

extern crate limine_modules_pic_timer_keyboard as kernel;

use alloc::string::String;
use core::fmt;
use core::sync::atomic::{AtomicUsize, Ordering};

use kernel::boot::{BootInfo, FixedString, Loader};
use kernel::kernel_test;
use kernel::log::{self, DEFAULT_LEVEL, Level, LevelFilter};

kernel::entry_point!(kernel::testing::test_kernel_main);

/// How often [`evaluated`] ran, and how often a [`Formatted`] was formatted
/// (the console formats a print once per output it writes to).
static EVALUATED: AtomicUsize = AtomicUsize::new(0);
static FORMATTED: AtomicUsize = AtomicUsize::new(0);

/// A macro argument with a side effect: it counts its evaluations.
fn evaluated() -> Formatted {
    EVALUATED.fetch_add(1, Ordering::Relaxed);
    Formatted
}

/// A value that counts how often it is formatted.
struct Formatted;

impl fmt::Display for Formatted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        FORMATTED.fetch_add(1, Ordering::Relaxed);
        f.write_str("(formatted)")
    }
}

/// A boot information whose command line is `command_line`.
fn boot_info_with(command_line: &str) -> BootInfo {
    let mut boot_info = BootInfo::new(Loader::Pvh, 0);
    boot_info.command_line = FixedString::from_bytes(command_line.as_bytes());
    boot_info
}

kernel_test! {
    fn the_default_level_is_info() {
        assert_eq!(DEFAULT_LEVEL, LevelFilter::Info);
        // The test kernel never calls `log::init`: the default applies.
        assert_eq!(log::max_level(), LevelFilter::Info);
        assert!(log::enabled(Level::Info));
        assert!(!log::enabled(Level::Debug));
    }
}

kernel_test! {
    fn each_level_lets_through_itself_and_the_more_severe() {
        // (maximum level, records of error, warn, info, debug, trace printed)
        let cases = [
            (LevelFilter::Off, 0),
            (LevelFilter::Error, 1),
            (LevelFilter::Warn, 2),
            (LevelFilter::Info, 3),
            (LevelFilter::Debug, 4),
            (LevelFilter::Trace, 5),
        ];
        for (filter, expected) in cases {
            log::set_max_level(filter);
            EVALUATED.store(0, Ordering::Relaxed);
            FORMATTED.store(0, Ordering::Relaxed);
            kernel::error!("error {}", evaluated());
            kernel::warn!("warn {}", evaluated());
            kernel::info!("info {}", evaluated());
            kernel::debug!("debug {}", evaluated());
            kernel::trace!("trace {}", evaluated());
            let (evaluated, formatted) = (
                EVALUATED.load(Ordering::Relaxed),
                FORMATTED.load(Ordering::Relaxed),
            );
            log::set_max_level(DEFAULT_LEVEL);
            // A filtered record neither evaluates its arguments nor formats;
            // a printed one evaluates them once.
            assert_eq!(evaluated, expected, "arguments evaluated at level {filter}");
            assert!(
                formatted >= expected && (formatted == 0) == (expected == 0),
                "{formatted} formats for {expected} records at level {filter}"
            );
        }
    }
}

kernel_test! {
    fn log_takes_the_level_as_a_value() {
        log::set_max_level(LevelFilter::Warn);
        EVALUATED.store(0, Ordering::Relaxed);
        for level in [Level::Error, Level::Warn, Level::Info, Level::Trace] {
            kernel::log!(level, "{level} {}", evaluated());
        }
        let evaluated = EVALUATED.load(Ordering::Relaxed);
        log::set_max_level(DEFAULT_LEVEL);
        assert_eq!(evaluated, 2, "error and warn pass a warn filter");
    }
}

kernel_test! {
    fn records_show_the_level_and_the_module() {
        let cases = [
            (Level::Error, "kernel::memory::paging", "[ERROR memory::paging] 3 pages\n"),
            (Level::Warn, "kernel::memory", "[WARN memory] 3 pages\n"),
            (Level::Info, "kernel", "[INFO kernel] 3 pages\n"),
            (Level::Debug, "tests", "[DEBUG tests] 3 pages\n"),
            (Level::Trace, "a::b", "[TRACE b] 3 pages\n"),
        ];
        for (level, module_path, expected) in cases {
            let mut text = String::new();
            log::write_record(&mut text, level, module_path, format_args!("{} pages", 3))
                .expect("a String takes any text");
            assert_eq!(text, expected);
        }
    }
}

kernel_test! {
    fn the_option_names_every_level_in_any_case() {
        let cases = [
            ("log=off", LevelFilter::Off),
            ("log=error", LevelFilter::Error),
            ("log=warn", LevelFilter::Warn),
            ("log=info", LevelFilter::Info),
            ("log=debug", LevelFilter::Debug),
            ("log=trace", LevelFilter::Trace),
            ("log=DEBUG", LevelFilter::Debug),
            ("log=Trace", LevelFilter::Trace),
        ];
        for (command_line, level) in cases {
            assert_eq!(log::level_option(command_line), Some(Ok(level)), "{command_line}");
        }
    }
}

kernel_test! {
    fn the_option_is_a_whole_word() {
        for command_line in ["", "exit-after-boot", "log", "catalog=debug", "--log=debug", "log:debug"] {
            assert_eq!(log::level_option(command_line), None, "{command_line:?}");
        }
        assert_eq!(
            log::level_option("exit-after-boot log=debug quiet"),
            Some(Ok(LevelFilter::Debug))
        );
    }
}

kernel_test! {
    fn the_last_option_wins() {
        assert_eq!(
            log::level_option("log=error exit-after-boot log=trace"),
            Some(Ok(LevelFilter::Trace))
        );
        assert_eq!(
            log::level_option("log=trace log=loud"),
            Some(Err("loud")),
            "the last one counts even when it is unknown"
        );
    }
}

kernel_test! {
    fn unknown_levels_are_returned_for_the_report() {
        assert_eq!(log::level_option("log=verbose"), Some(Err("verbose")));
        assert_eq!(log::level_option("log="), Some(Err("")));
        assert_eq!(log::level_option("log=4"), Some(Err("4")));
    }
}

kernel_test! {
    fn init_sets_the_level_from_the_command_line() {
        let chosen = log::init(&boot_info_with("exit-after-boot log=trace"));
        let now = log::max_level();
        log::set_max_level(DEFAULT_LEVEL);
        assert_eq!((chosen, now), (LevelFilter::Trace, LevelFilter::Trace));
    }
}

kernel_test! {
    fn init_without_the_option_sets_the_default() {
        log::set_max_level(LevelFilter::Error);
        let chosen = log::init(&boot_info_with("exit-after-boot"));
        let now = log::max_level();
        log::set_max_level(DEFAULT_LEVEL);
        assert_eq!((chosen, now), (DEFAULT_LEVEL, DEFAULT_LEVEL));
    }
}

kernel_test! {
    fn init_ignores_an_unknown_level() {
        log::set_max_level(LevelFilter::Off);
        let chosen = log::init(&boot_info_with("log=loud"));
        let now = log::max_level();
        log::set_max_level(DEFAULT_LEVEL);
        assert_eq!((chosen, now), (DEFAULT_LEVEL, DEFAULT_LEVEL));
    }
}
