//! The kernel console: where `print!` and `println!` go.
//!
//! Always the serial port; in addition, once the boot code attaches one, a
//! text console on the framebuffer ([`crate::framebuffer`]). Without a
//! framebuffer the output is exactly the serial output.

use core::fmt::{self, Write};

use crate::boot::{BootInfo, Framebuffer};
use crate::framebuffer::{FramebufferConsole, FramebufferError};
use crate::serial::COM1_PORT;
use crate::sync::{SpinLock, SpinLockGuard};

/// The framebuffer console, detached until the boot code attaches one. Its
/// text grid is large: it lives here, in `.bss`, never on the stack.
static SCREEN: SpinLock<FramebufferConsole> = SpinLock::new(FramebufferConsole::DETACHED);

/// Implementation detail of the macros; use [`print!`](crate::print) instead.
///
/// # Panics
/// If the console is already busy printing: see [`lock_or_panic`].
#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    // Writing to the UART cannot fail (`write_str` always returns Ok).
    let _ = lock_or_panic(&COM1_PORT, args).write_fmt(args);
    let mut screen = lock_or_panic(&SCREEN, args);
    // Nor can the framebuffer console's (a no-op while detached). It draws
    // once per print, only the cells that changed: see `framebuffer`.
    let _ = screen.write_fmt(args);
    screen.flush();
    crate::vga_text::print(args);
    // [baremetal-kernel anchor: console-outputs] `baremetal-kernel add` adds modules' console outputs above this line.
}

/// Takes a console lock, or panics with `println! while printing: ...` if it
/// is taken already.
///
/// The kernel runs on one CPU with interrupts disabled, so a taken console
/// lock is held by this very code, further up the stack: a `Display` or
/// `Debug` impl that prints while it is being printed, or an exception
/// handler (e.g. `int3`) interrupting a print. Waiting would never end; the
/// panic instead names the nested output and its backtrace shows the code
/// that printed. (The panic handler takes the locks away from the abandoned
/// print, see [`force_unlock`], so its report gets out.) With more CPUs this
/// must tell the CPU holding the lock (wait) from this one (panic).
fn lock_or_panic<'a, T>(lock: &'a SpinLock<T>, nested: fmt::Arguments) -> SpinLockGuard<'a, T> {
    match lock.try_lock() {
        Some(guard) => guard,
        None => {
            // Formatted into a buffer here: the panic handler formats its
            // message while it prints, and `nested` may be what printed.
            let mut text = TruncatedText::<NESTED_TEXT_CAPACITY>::new();
            let _ = text.write_fmt(nested);
            panic!(
                "println! while printing: {:?} was printed from inside another print (a Display/Debug impl or an exception handler that prints?)",
                text.as_str()
            )
        }
    }
}

/// How much of a nested print [`lock_or_panic`]'s message shows.
const NESTED_TEXT_CAPACITY: usize = 80;

/// A `fmt::Write` sink into a fixed buffer, for text formatted where the heap
/// must not be used (a nested print may come from the allocator; a panicking
/// test may have exhausted the heap). Output beyond `N` bytes is dropped.
pub(crate) struct TruncatedText<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> TruncatedText<N> {
    pub(crate) fn new() -> Self {
        Self {
            bytes: [0; N],
            len: 0,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match core::str::from_utf8(&self.bytes[..self.len]) {
            Ok(text) => text,
            // Truncation may have split a character: drop the partial one.
            Err(error) => core::str::from_utf8(&self.bytes[..error.valid_up_to()]).unwrap_or(""),
        }
    }
}

impl<const N: usize> Write for TruncatedText<N> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let n = s.len().min(N - self.len);
        self.bytes[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}

/// Sends all further output to the framebuffer `fb` too (it is cleared).
///
/// # Safety
/// `pixels` must be the virtual address of `fb`'s pixels, mapped and
/// writable, and nothing else may draw on it from now on.
pub unsafe fn attach_framebuffer(fb: Framebuffer, pixels: u64) -> Result<(), FramebufferError> {
    // SAFETY: forwarded contract.
    unsafe { SCREEN.lock().attach(fb, pixels) }
}

/// Sends all further output to the framebuffer the loader set up too, if
/// there is one the console can draw on (16, 24 or 32-bit RGB). Otherwise
/// output stays on serial, and kernel_main's `[framebuffer]` line says why.
///
/// # Safety
/// The framebuffer, if any, must be mapped and writable at
/// `boot_info.physical_to_virtual(address)` (`memory::init` maps it, on every
/// boot protocol), and nothing else may draw on it from now on.
pub unsafe fn attach_loader_framebuffer(boot_info: &BootInfo) {
    if let Some(fb) = boot_info.framebuffer {
        let pixels = boot_info.physical_to_virtual(fb.address);
        // SAFETY: forwarded contract. A framebuffer the console refuses is
        // left alone: the error is reported by kernel_main, not here.
        let _ = unsafe { attach_framebuffer(fb, pixels) };
    }
}

/// Stops drawing on the framebuffer: output goes to the serial port only.
pub fn detach_framebuffer() {
    SCREEN.lock().detach();
}

/// Releases the console locks, for the panic handler.
///
/// # Safety
/// See [`SpinLock::force_unlock`](crate::sync::SpinLock::force_unlock): the
/// holder must never run again.
pub unsafe fn force_unlock() {
    // SAFETY: forwarded contract.
    unsafe {
        COM1_PORT.force_unlock();
        SCREEN.force_unlock();
    }
}

/// Prints to the kernel console (COM1, and the framebuffer if there is one),
/// like `std::print!`.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::console::_print(format_args!($($arg)*))
    };
}

/// Prints a line to the kernel console (COM1, and the framebuffer if there is
/// one), like `std::println!`.
#[macro_export]
macro_rules! println {
    () => {
        $crate::print!("\n")
    };
    ($($arg:tt)*) => {
        $crate::console::_print(format_args!("{}\n", format_args!($($arg)*)))
    };
}
