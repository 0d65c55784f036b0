//! Levelled logging: [`error!`](crate::error), [`warn!`](crate::warn),
//! [`info!`](crate::info), [`debug!`](crate::debug) and
//! [`trace!`](crate::trace), printed on the kernel console.
//!
//! ```ignore
//! kernel::info!("{} frames free", count);
//! kernel::debug!("mapped {virt:#x} -> {phys:#x}");
//! ```
//!
//! Each record is one line, `[LEVEL module] message`, where `module` is the
//! module path of the code that logged, without the crate name
//! (`[WARN memory] ...`; the crate root shows the crate's name).
//!
//! Records as severe as the maximum level or more are printed; the others cost one
//! comparison: the macros check the level before they format anything, so
//! their arguments are not even evaluated for display.
//!
//! # Choosing the level
//! The maximum level comes from the kernel command line: `log=LEVEL`, where
//! LEVEL is one of `off`, `error`, `warn`, `info`, `debug` or `trace` (in any
//! case). The last `log=` word wins. Without one the level is `info`
//! ([`DEFAULT_LEVEL`]); an unknown LEVEL is reported once, by [`init`], and
//! ignored. Until [`init`] runs, the default applies; code may change the
//! level at any time with [`set_max_level`].
//!
//! The runner puts `NAME=VALUE` arguments on the kernel command line (on
//! GRUB's `multiboot2` line, in limine.conf's `cmdline`, or in QEMU's
//! `-append` for a direct boot), so this boots with `log=debug`:
//!
//! ```text
//! cargo run -- log=debug
//! ```

use core::fmt::{self, Write};
use core::sync::atomic::{AtomicU8, Ordering};

use crate::boot::BootInfo;

/// The severity of a record, most severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    /// Something failed.
    Error = 1,
    /// Something is wrong but the kernel carries on.
    Warn = 2,
    /// What the kernel did, in a few lines per subsystem.
    Info = 3,
    /// Details for whoever debugs a subsystem.
    Debug = 4,
    /// Every step.
    Trace = 5,
}

impl Level {
    /// The name a record shows: `ERROR`, `WARN`, `INFO`, `DEBUG`, `TRACE`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Error => "ERROR",
            Self::Warn => "WARN",
            Self::Info => "INFO",
            Self::Debug => "DEBUG",
            Self::Trace => "TRACE",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The maximum level printed: records of a more verbose level are dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum LevelFilter {
    /// Nothing is printed.
    Off = 0,
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl LevelFilter {
    /// Every filter, least verbose first.
    pub const ALL: [Self; 6] = [
        Self::Off,
        Self::Error,
        Self::Warn,
        Self::Info,
        Self::Debug,
        Self::Trace,
    ];

    /// The value `log=` takes for it: `off`, `error`, ... `trace`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Error => "error",
            Self::Warn => "warn",
            Self::Info => "info",
            Self::Debug => "debug",
            Self::Trace => "trace",
        }
    }

    /// Whether records of `level` pass.
    pub fn allows(self, level: Level) -> bool {
        level as u8 <= self as u8
    }

    /// The filter named `name` (any case), if there is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|filter| filter.name().eq_ignore_ascii_case(name))
    }

    fn from_u8(value: u8) -> Self {
        Self::ALL
            .into_iter()
            .find(|filter| *filter as u8 == value)
            .unwrap_or(DEFAULT_LEVEL)
    }
}

impl fmt::Display for LevelFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The level without a `log=` option on the command line.
pub const DEFAULT_LEVEL: LevelFilter = LevelFilter::Info;

/// The command line option that sets the level: `log=LEVEL`.
pub const OPTION_PREFIX: &str = "log=";

/// The current maximum level, a [`LevelFilter`] as its `u8` value. One atomic
/// byte: the macros read it on every call, without a lock.
static MAX_LEVEL: AtomicU8 = AtomicU8::new(DEFAULT_LEVEL as u8);

/// The current maximum level.
pub fn max_level() -> LevelFilter {
    LevelFilter::from_u8(MAX_LEVEL.load(Ordering::Relaxed))
}

/// Changes the maximum level from now on.
pub fn set_max_level(level: LevelFilter) {
    MAX_LEVEL.store(level as u8, Ordering::Relaxed);
}

/// Whether a record of `level` would be printed now. The macros call it
/// before they format anything.
#[inline]
pub fn enabled(level: Level) -> bool {
    level as u8 <= MAX_LEVEL.load(Ordering::Relaxed)
}

/// What the kernel command line says about the level: `None` without a
/// `log=` word, `Some(Ok(level))` for a known level, `Some(Err(value))` for
/// an unknown one. The last `log=` word counts (a later option overrides an
/// earlier one, as on Linux).
pub fn level_option(command_line: &str) -> Option<Result<LevelFilter, &str>> {
    let value = command_line
        .split_ascii_whitespace()
        .filter_map(|word| word.strip_prefix(OPTION_PREFIX))
        .next_back()?;
    Some(LevelFilter::from_name(value).ok_or(value))
}

/// Sets the maximum level from the kernel command line (see the module
/// documentation), prints it, and returns it. An unknown value is reported
/// here, once, as a warning, and the default level applies.
pub fn init(boot_info: &BootInfo) -> LevelFilter {
    let (level, source) = match level_option(boot_info.command_line.as_str()) {
        None => (DEFAULT_LEVEL, "the default; log=LEVEL on the command line"),
        Some(Ok(level)) => (level, "from the command line"),
        Some(Err(value)) => {
            set_max_level(DEFAULT_LEVEL);
            crate::warn!(
                "unknown level {value:?} in {OPTION_PREFIX}{value} on the command line, ignored (levels: off, error, warn, info, debug, trace)"
            );
            (DEFAULT_LEVEL, "the default")
        }
    };
    set_max_level(level);
    crate::println!("[log] level {level} ({source})");
    level
}

/// Writes one record, `[LEVEL module] message` and a newline, to `out`.
/// `module_path` is the logging code's `module_path!()`: its first segment
/// (the crate) is left out unless it is all there is.
pub fn write_record(
    out: &mut impl Write,
    level: Level,
    module_path: &str,
    message: fmt::Arguments,
) -> fmt::Result {
    let module = module_path
        .split_once("::")
        .map_or(module_path, |(_, rest)| rest);
    writeln!(out, "[{level} {module}] {message}")
}

/// A record, formatted as it is printed (see [`write_record`]).
struct Record<'a> {
    level: Level,
    module_path: &'a str,
    message: fmt::Arguments<'a>,
}

impl fmt::Display for Record<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_record(f, self.level, self.module_path, self.message)
    }
}

/// Implementation detail of the macros; use [`log!`](crate::log!) instead.
/// The record goes out in one print, so records never interleave.
#[doc(hidden)]
pub fn _log(level: Level, module_path: &str, message: fmt::Arguments) {
    let record = Record {
        level,
        module_path,
        message,
    };
    crate::print!("{record}");
}

/// Logs a record at `level` (a [`Level`](crate::log::Level)), if the
/// maximum level lets it through; the arguments are formatted only then.
#[macro_export]
macro_rules! log {
    ($level:expr, $($arg:tt)+) => {{
        let level: $crate::log::Level = $level;
        if $crate::log::enabled(level) {
            $crate::log::_log(level, module_path!(), format_args!($($arg)+));
        }
    }};
}

/// Logs an error: something failed.
#[macro_export]
macro_rules! error {
    ($($arg:tt)+) => { $crate::log!($crate::log::Level::Error, $($arg)+) };
}

/// Logs a warning: something is wrong but the kernel carries on.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)+) => { $crate::log!($crate::log::Level::Warn, $($arg)+) };
}

/// Logs what the kernel did (printed by default).
#[macro_export]
macro_rules! info {
    ($($arg:tt)+) => { $crate::log!($crate::log::Level::Info, $($arg)+) };
}

/// Logs details for debugging (printed with `log=debug` or `log=trace`).
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => { $crate::log!($crate::log::Level::Debug, $($arg)+) };
}

/// Logs every step (printed with `log=trace`).
#[macro_export]
macro_rules! trace {
    ($($arg:tt)+) => { $crate::log!($crate::log::Level::Trace, $($arg)+) };
}
