//! A test harness for in-kernel tests, without `#![feature(custom_test_frameworks)]`.
//!
//! How it works:
//!
//! * [`kernel_test!`](crate::kernel_test) defines a test function and a
//!   [`TestCase`] static for it in the linker section `.kernel_tests`.
//! * linker.ld gathers all those statics into one array between the symbols
//!   `__kernel_tests_start` and `__kernel_tests_end`: a registry that needs no
//!   code to build.
//! * Each test binary (tests/*.rs, `harness = false`) is a full kernel whose
//!   main function is [`test_kernel_main`]: it initialises the kernel, runs the
//!   tests in name order and exits QEMU with success or failure.
//!
//! Panics and faults: there is no unwinding, so a test that panics or causes
//! a CPU exception never returns. The panic handler calls [`on_panic`], the
//! exception handler [`on_fault`]; each records the result (a pass if the test
//! expected it) and carries on with the next test on a fresh stack (the top of
//! the boot stack). The failed test's stack frames are abandoned: whatever it
//! allocated is leaked and any lock it held stays held, so later tests may be
//! affected.

use core::fmt::{self, Write};
use core::mem::size_of;
use core::panic::PanicInfo;

use crate::arch::x86_64::tsc::{self, Instant};
use crate::boot::BootInfo;
use crate::console::TruncatedText;
use crate::qemu::{self, ExitCode};
use crate::sync::SpinLock;
use crate::{allocator, println, serial};

/// One registered test.
pub struct TestCase {
    pub name: &'static str,
    pub function: fn(),
    /// `None`: the test must not panic. `Some(text)`: it must panic with a
    /// message containing `text` (`""` accepts any panic).
    pub should_panic: Option<&'static str>,
    /// `None`: the test must not cause a CPU exception. `Some(text)`: it must
    /// cause one whose report line contains `text` (e.g. "page fault").
    pub should_fault: Option<&'static str>,
    /// `Some(reason)`: skipped unless the run asks for ignored tests
    /// (`cargo test -- --ignored`); `""` when no reason was given.
    pub ignore: Option<&'static str>,
}

impl TestCase {
    /// A test that must return normally; the builders below change that.
    pub const fn new(name: &'static str, function: fn()) -> Self {
        Self {
            name,
            function,
            should_panic: None,
            should_fault: None,
            ignore: None,
        }
    }

    pub const fn should_panic(self, expected: &'static str) -> Self {
        Self {
            should_panic: Some(expected),
            ..self
        }
    }

    pub const fn should_fault(self, expected: &'static str) -> Self {
        Self {
            should_fault: Some(expected),
            ..self
        }
    }

    pub const fn ignore(self, reason: &'static str) -> Self {
        Self {
            ignore: Some(reason),
            ..self
        }
    }
}

/// Defines an in-kernel test. Attributes, in any order and combination:
/// `#[should_panic]`, `#[should_panic(expected = "text")]`,
/// `#[should_fault(expected = "text")]`, `#[ignore]`, `#[ignore = "reason"]`;
/// any other attribute (a doc comment, `#[allow(...)]`) goes on the function.
///
/// ```ignore
/// kernel_test! {
///     fn adds() {
///         assert_eq!(1 + 1, 2);
///     }
/// }
///
/// kernel_test! {
///     #[should_panic(expected = "memory allocation")]
///     fn runs_out_of_memory() { /* ... */ }
/// }
///
/// kernel_test! {
///     #[should_fault(expected = "page fault")]
///     fn writes_to_unmapped_memory() { /* ... */ }
/// }
///
/// kernel_test! {
///     // Runs only with `cargo test -- --ignored` (or `--include-ignored`).
///     #[ignore = "takes a minute under emulation"]
///     fn fills_all_memory() { /* ... */ }
/// }
/// ```
#[macro_export]
macro_rules! kernel_test {
    // Each test attribute becomes a builder call on the `TestCase`; other
    // attributes are kept for the function.
    (@munch [$($calls:tt)*] [$($attrs:tt)*] #[should_panic(expected = $expected:literal)] $($rest:tt)*) => {
        $crate::kernel_test!(@munch [$($calls)* .should_panic($expected)] [$($attrs)*] $($rest)*);
    };
    (@munch [$($calls:tt)*] [$($attrs:tt)*] #[should_panic] $($rest:tt)*) => {
        $crate::kernel_test!(@munch [$($calls)* .should_panic("")] [$($attrs)*] $($rest)*);
    };
    (@munch [$($calls:tt)*] [$($attrs:tt)*] #[should_fault(expected = $expected:literal)] $($rest:tt)*) => {
        $crate::kernel_test!(@munch [$($calls)* .should_fault($expected)] [$($attrs)*] $($rest)*);
    };
    (@munch [$($calls:tt)*] [$($attrs:tt)*] #[ignore = $reason:literal] $($rest:tt)*) => {
        $crate::kernel_test!(@munch [$($calls)* .ignore($reason)] [$($attrs)*] $($rest)*);
    };
    (@munch [$($calls:tt)*] [$($attrs:tt)*] #[ignore] $($rest:tt)*) => {
        $crate::kernel_test!(@munch [$($calls)* .ignore("")] [$($attrs)*] $($rest)*);
    };
    (@munch [$($calls:tt)*] [$($attrs:tt)*] #[$attr:meta] $($rest:tt)*) => {
        $crate::kernel_test!(@munch [$($calls)*] [$($attrs)* #[$attr]] $($rest)*);
    };
    (@munch [$($calls:tt)*] [$($attrs:tt)*] fn $name:ident() $body:block) => {
        $($attrs)*
        fn $name() $body

        const _: () = {
            // `#[used]`: nothing refers to the static; keep it anyway.
            // `link_section`: linker.ld collects the section into the registry.
            #[used]
            #[unsafe(link_section = ".kernel_tests")]
            static TEST_CASE: $crate::testing::TestCase =
                $crate::testing::TestCase::new(stringify!($name), $name) $($calls)*;
        };
    };
    ($($test:tt)*) => {
        $crate::kernel_test!(@munch [] [] $($test)*);
    };
}

unsafe extern "C" {
    // Defined in linker.ld around the `.kernel_tests` section. Only their
    // addresses matter; `u8` is a placeholder type.
    static __kernel_tests_start: u8;
    static __kernel_tests_end: u8;
}

/// All tests registered in this binary, in link order.
pub fn registered_tests() -> &'static [TestCase] {
    let start = (&raw const __kernel_tests_start).cast::<TestCase>();
    let end = (&raw const __kernel_tests_end).cast::<TestCase>();
    let len = (end as usize - start as usize) / size_of::<TestCase>();
    // SAFETY: the linker placed `len` TestCase statics contiguously between the
    // two symbols (each is 8-aligned and a multiple of 8 bytes, so no padding).
    unsafe { core::slice::from_raw_parts(start, len) }
}

/// Most tests one binary may hold (the run order is kept in a fixed array:
/// the heap may be exhausted by the time we need it).
const MAX_TESTS: usize = 256;
/// Most name filters (and, separately, `--skip` filters) one run may give.
const MAX_FILTERS: usize = 16;

struct Runner {
    /// The selected tests, in name order.
    order: [Option<&'static TestCase>; MAX_TESTS],
    count: usize,
    next: usize,
    current: Option<&'static TestCase>,
    /// Run ignored tests too (`--ignored` or `--include-ignored`).
    run_ignored: bool,
    passed: usize,
    failed: usize,
    ignored: usize,
    filtered_out: usize,
    failures: [Option<&'static str>; MAX_TESTS],
    suite_start: Instant,
    test_start: Instant,
}

static RUNNER: SpinLock<Runner> = SpinLock::new(Runner {
    order: [None; MAX_TESTS],
    count: 0,
    next: 0,
    current: None,
    run_ignored: false,
    passed: 0,
    failed: 0,
    ignored: 0,
    filtered_out: 0,
    failures: [None; MAX_TESTS],
    suite_start: Instant::ZERO,
    test_start: Instant::ZERO,
});

/// Main function of every test binary: initialise, run the tests the kernel
/// command line selects, exit.
///
/// Use it with `kernel::entry_point!(kernel::testing::test_kernel_main);`, after
/// `extern crate multiboot2_modules_pic_timer_keyboard as kernel;` (as every test in `tests/` does).
pub fn test_kernel_main(boot_info: &'static BootInfo) -> ! {
    let _ = serial::init();
    if let Err(error) = allocator::init(boot_info) {
        panic!("heap initialisation failed: {error:?}");
    }
    // Test times need a clock; without one (no TSC) they are left out.
    let _ = tsc::calibrate();
    run_tests(boot_info.command_line.as_str())
}

/// Which ignored tests run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RunIgnored {
    No,
    Only,
    Also,
}

/// What the command line asks for: libtest's arguments, which the runner
/// passes on from `cargo test [NAME] [-- ARGS]`.
struct Arguments {
    filters: [&'static str; MAX_FILTERS],
    filter_count: usize,
    skips: [&'static str; MAX_FILTERS],
    skip_count: usize,
    exact: bool,
    list: bool,
    run_ignored: RunIgnored,
}

impl Arguments {
    /// Parses libtest's options; accepts and ignores those that change
    /// nothing here (output is never captured, tests run one at a time).
    fn parse(command_line: &'static str) -> Result<Self, (&'static str, &'static str)> {
        let mut arguments = Self {
            filters: [""; MAX_FILTERS],
            filter_count: 0,
            skips: [""; MAX_FILTERS],
            skip_count: 0,
            exact: false,
            list: false,
            run_ignored: RunIgnored::No,
        };
        let mut words = command_line.split_whitespace();
        while let Some(word) = words.next() {
            let (option, inline_value) = match word.split_once('=') {
                Some((option, value)) if option.starts_with("--") => (option, Some(value)),
                _ => (word, None),
            };
            match option {
                "--exact" => arguments.exact = true,
                "--list" => arguments.list = true,
                "--ignored" => arguments.run_ignored = RunIgnored::Only,
                "--include-ignored" => arguments.run_ignored = RunIgnored::Also,
                "--nocapture" | "--no-capture" | "--show-output" | "--quiet" | "-q" => {}
                "--skip" | "--test-threads" | "--color" => {
                    let Some(value) = inline_value.or_else(|| words.next()) else {
                        return Err(("missing value for option", option));
                    };
                    if option == "--skip" {
                        push(&mut arguments.skips, &mut arguments.skip_count, value)?;
                    }
                }
                _ if option.starts_with('-') => return Err(("unrecognized option", word)),
                _ => push(&mut arguments.filters, &mut arguments.filter_count, word)?,
            }
        }
        Ok(arguments)
    }

    /// libtest's rule: a test runs if it matches any filter (all do when
    /// there is none) and no `--skip`; `--exact` compares whole names.
    fn selects(&self, test: &TestCase) -> bool {
        let matches = |pattern: &&str| {
            if self.exact {
                test.name == *pattern
            } else {
                test.name.contains(*pattern)
            }
        };
        let filters = &self.filters[..self.filter_count];
        (filters.is_empty() || filters.iter().any(matches))
            && !self.skips[..self.skip_count].iter().any(matches)
            && (self.run_ignored != RunIgnored::Only || test.ignore.is_some())
    }
}

fn push(
    list: &mut [&'static str; MAX_FILTERS],
    count: &mut usize,
    value: &'static str,
) -> Result<(), (&'static str, &'static str)> {
    let slot = list.get_mut(*count).ok_or(("too many filters at", value))?;
    *slot = value;
    *count += 1;
    Ok(())
}

/// Runs the registered tests that `command_line` selects, in name order,
/// and exits QEMU: success if none failed.
pub fn run_tests(command_line: &'static str) -> ! {
    let arguments = match Arguments::parse(command_line) {
        Ok(arguments) => arguments,
        Err((problem, word)) => {
            println!("error: {problem} '{word}' (in the kernel command line '{command_line}')");
            qemu::exit(ExitCode::Failed)
        }
    };
    let tests = registered_tests();
    assert!(tests.len() <= MAX_TESTS, "more than {MAX_TESTS} tests");
    let count = {
        let mut runner = RUNNER.lock();
        let mut count = 0;
        for test in tests.iter().filter(|test| arguments.selects(test)) {
            runner.order[count] = Some(test);
            count += 1;
        }
        runner.count = count;
        runner.filtered_out = tests.len() - count;
        runner.run_ignored = arguments.run_ignored != RunIgnored::No;
        // Insertion sort by name: stable output regardless of link order.
        for i in 1..count {
            let mut j = i;
            while j > 0 && runner.order[j - 1].map(|t| t.name) > runner.order[j].map(|t| t.name) {
                runner.order.swap(j - 1, j);
                j -= 1;
            }
        }
        count
    };
    if arguments.list {
        list_tests()
    }
    println!();
    let plural = if count == 1 { "" } else { "s" };
    println!("running {count} test{plural}");
    RUNNER.lock().suite_start = Instant::now();
    run_remaining()
}

/// `--list`: prints the selected tests as libtest does and exits.
fn list_tests() -> ! {
    let runner = RUNNER.lock();
    for test in runner.order[..runner.count].iter().flatten() {
        println!("{}: test", test.name);
    }
    if runner.count != 0 {
        println!();
    }
    let plural = if runner.count == 1 { "" } else { "s" };
    println!("{} test{plural}, 0 benchmarks", runner.count);
    qemu::exit(ExitCode::Success)
}

/// Runs the tests that have not run yet, then prints the summary and exits.
fn run_remaining() -> ! {
    loop {
        let (test, skip) = {
            let mut runner = RUNNER.lock();
            if runner.next >= runner.count {
                break;
            }
            let test = runner.order[runner.next].expect("filled by run_tests");
            runner.next += 1;
            let skip = test.ignore.is_some() && !runner.run_ignored;
            if skip {
                runner.ignored += 1;
            } else {
                runner.current = Some(test);
            }
            (test, skip)
        };

        // The name goes out before the test runs: if it hangs, the runner's
        // timeout message can say which test it was.
        crate::print!("test {} ... ", test.name);
        if skip {
            match test.ignore {
                Some("") | None => println!("ignored"),
                Some(reason) => println!("ignored, {reason}"),
            }
            continue;
        }
        RUNNER.lock().test_start = Instant::now();
        (test.function)();

        // The test returned: it did not panic or fault.
        RUNNER.lock().current = None;
        if test.should_panic.is_some() {
            finish_test(test, false, format_args!(""));
            println!("note: test did not panic as expected");
        } else if test.should_fault.is_some() {
            finish_test(test, false, format_args!(""));
            println!("note: test did not cause the expected CPU exception");
        } else {
            finish_test(test, true, format_args!(""));
        }
    }

    let runner = RUNNER.lock();
    let failed = runner.failed;
    if failed != 0 {
        println!();
        println!("failures:");
        for name in runner.failures[..failed.min(MAX_TESTS)].iter().flatten() {
            println!("    {name}");
        }
    }
    let verdict = if failed == 0 { "ok" } else { "FAILED" };
    println!();
    crate::print!(
        "test result: {verdict}. {} passed; {failed} failed; {} ignored; 0 measured; {} filtered out",
        runner.passed,
        runner.ignored,
        runner.filtered_out
    );
    match runner.suite_start.elapsed_micros() {
        Some(micros) => println!("; finished in {}", Seconds::<2>(micros)),
        None => println!(),
    }
    println!();
    qemu::exit(if failed == 0 {
        ExitCode::Success
    } else {
        ExitCode::Failed
    })
}

/// Prints a test's result as libtest does with `--report-time` (`ok <0.012s>`
/// or `FAILED <0.012s>`, then `detail`) and counts it.
fn finish_test(test: &'static TestCase, passed: bool, detail: fmt::Arguments<'_>) {
    let elapsed = RUNNER.lock().test_start.elapsed_micros();
    let verdict = if passed { "ok" } else { "FAILED" };
    match elapsed {
        Some(micros) => println!("{verdict} <{}>{detail}", Seconds::<3>(micros)),
        None => println!("{verdict}{detail}"),
    }
    let mut runner = RUNNER.lock();
    if passed {
        runner.passed += 1;
    } else {
        let failed = runner.failed;
        if let Some(slot) = runner.failures.get_mut(failed) {
            *slot = Some(test.name);
        }
        runner.failed += 1;
    }
}

/// A duration in microseconds, shown as libtest shows durations: seconds
/// with `DECIMALS` decimals (3 for a test, 2 for the whole run).
struct Seconds<const DECIMALS: u32>(u64);

impl<const DECIMALS: u32> fmt::Display for Seconds<DECIMALS> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = 10u64.pow(6 - DECIMALS);
        let scale = 10u64.pow(DECIMALS);
        let rounded = (self.0 + unit / 2) / unit;
        let width = DECIMALS as usize;
        write!(f, "{}.{:0width$}s", rounded / scale, rounded % scale)
    }
}

/// Called by the panic handler. Returns only if no test is running (a panic
/// outside a test, e.g. during initialisation); otherwise records the result
/// and continues with the next test.
pub fn on_panic(info: &PanicInfo) {
    // SAFETY: the panicking code may hold the runner lock; it never resumes.
    unsafe { RUNNER.force_unlock() };
    let Some(test) = RUNNER.lock().current.take() else {
        return;
    };

    let mut message = TruncatedText::<256>::new();
    let _ = write!(message, "{}", info.message());
    let expected_panic = match test.should_panic {
        Some(expected) => message.as_str().contains(expected),
        None => false,
    };

    if expected_panic {
        let message = message.as_str();
        finish_test(
            test,
            true,
            format_args!(" (panicked as expected: {message})"),
        );
    } else {
        finish_test(test, false, format_args!(""));
        crate::panic::print_panic(info);
        if let Some(expected) = test.should_panic {
            println!("note: panic did not contain expected string \"{expected}\"");
        }
    }
    continue_on_fresh_stack()
}

/// Called by the exception handler with the report's first line (e.g.
/// `page fault (#PF, vector 14)`) and a function printing the whole report.
/// Returns only if no test is running; otherwise records the result (a pass
/// if the test expected this exception) and continues with the next test.
pub fn on_fault(report: &str, print_report: &dyn Fn()) {
    // SAFETY: the faulting code may hold the runner lock; it never resumes.
    unsafe { RUNNER.force_unlock() };
    let Some(test) = RUNNER.lock().current.take() else {
        return;
    };
    let expected_fault = match test.should_fault {
        Some(expected) => report.contains(expected),
        None => false,
    };
    if expected_fault {
        finish_test(test, true, format_args!(" (faulted as expected: {report})"));
    } else {
        finish_test(test, false, format_args!(""));
        print_report();
        if let Some(expected) = test.should_fault {
            println!("note: the exception was not the expected \"{expected}\"");
        }
    }
    continue_on_fresh_stack()
}

/// Runs the remaining tests on an empty boot stack, abandoning the current
/// stack: the failed test's frames and the panic or exception handler's
/// (which may be the double-fault stack, or a nearly full boot stack).
fn continue_on_fresh_stack() -> ! {
    extern "C" fn continue_tests() -> ! {
        run_remaining()
    }
    let top = crate::memory::stacks::BOOT_STACK.top();
    // SAFETY: nothing on the current stack is used again (this function never
    // returns, and the new stack's only user is `continue_tests`, which never
    // returns either). `top` is 16-byte aligned, so after `call` pushes the
    // return address the callee sees the stack alignment the System V ABI
    // expects (§3.2.2); RBP = 0 ends backtraces there.
    unsafe {
        core::arch::asm!(
            "mov rsp, {top}",
            "xor ebp, ebp",
            "call {continue_tests}",
            top = in(reg) top,
            continue_tests = sym continue_tests,
            options(noreturn),
        )
    }
}
