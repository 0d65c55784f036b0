//! The panic handler: report (message, location, backtrace), then leave QEMU
//! with the failure code.

use core::panic::PanicInfo;

use crate::qemu::{self, ExitCode};
use crate::{backtrace, console, println, serial, testing};

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    // The panicking code may hold the console lock (e.g. a panic inside a
    // `Display` impl being printed). It will never run again - there is no
    // unwinding - so taking the lock away from it is sound and avoids a
    // deadlock right when we most need output.
    // SAFETY: the lock holder, if any, is the code that panicked and is abandoned.
    unsafe { console::force_unlock() };
    // The panic may have happened before kernel_main set up the UART. If it
    // did, this leaves the UART alone: programming it again would clear its
    // transmit FIFO and lose the last bytes printed.
    let _ = serial::init();

    // Inside a test binary the test runner decides what a panic means (an
    // expected panic is a pass). It does not return if a test is running.
    testing::on_panic(info);

    print_panic(info);
    qemu::exit(ExitCode::Failed)
}

/// Prints `panicked at <file>:<line>:<column>: <message>`, then the
/// backtrace of the code that panicked (its first frames are the panic
/// machinery: the handler and `core::panicking`).
pub fn print_panic(info: &PanicInfo) {
    match info.location() {
        Some(location) => println!("panicked at {location}: {}", info.message()),
        None => println!("panicked at <unknown location>: {}", info.message()),
    }
    backtrace::print_here();
}
