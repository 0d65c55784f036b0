//! The kernel's stacks, each with an unmapped guard page below it.
//!
//! A stack grows down. Without a guard, a deep recursion walks off the bottom
//! of the stack into whatever lies below (once: the boot page tables) and the
//! kernel carries on with corrupted memory. Each [`KernelStack`] starts with
//! one page that the memory setup unmaps ([`crate::memory`]), so the first
//! push past the bottom is a page fault at a known address, which the
//! exception handlers report as a "kernel stack overflow".

use core::cell::UnsafeCell;
use core::fmt;
use core::ops::Range;

use crate::sync::Once;

/// Size of a page, and of each guard (Intel SDM Vol. 3A §4.5: 4 KiB pages).
pub const PAGE_SIZE: usize = 4096;

/// Usable size of the stack the kernel runs on from its first instruction.
pub const BOOT_STACK_SIZE: usize = 64 * 1024;

/// Usable size of the stack the CPU switches to for a double fault (through
/// the TSS's interrupt stack table), so that a double fault caused by a full
/// kernel stack can still run its handler.
pub const DOUBLE_FAULT_STACK_SIZE: usize = 16 * 1024;

/// A guard page followed by `SIZE` bytes of stack, page aligned so that the
/// guard is exactly one page. Lives in `.bss`: zeroed, no file space.
#[repr(C, align(4096))]
pub struct KernelStack<const SIZE: usize> {
    guard: UnsafeCell<[u8; PAGE_SIZE]>,
    stack: UnsafeCell<[u8; SIZE]>,
}

// SAFETY: the stack's bytes are only ever touched by the CPU running on it
// (through RSP), never through references; the struct hands out addresses only.
unsafe impl<const SIZE: usize> Sync for KernelStack<SIZE> {}

impl<const SIZE: usize> KernelStack<SIZE> {
    const _PAGE_MULTIPLE: () = assert!(SIZE % PAGE_SIZE == 0, "stack size must be whole pages");

    pub const fn new() -> Self {
        let () = Self::_PAGE_MULTIPLE;
        Self {
            guard: UnsafeCell::new([0; PAGE_SIZE]),
            stack: UnsafeCell::new([0; SIZE]),
        }
    }

    /// The guard page's addresses (virtual).
    pub fn guard(&self) -> Range<u64> {
        let start = self.guard.get() as u64;
        start..start + PAGE_SIZE as u64
    }

    /// The usable stack's addresses (virtual): RSP starts at `end` and moves down.
    pub fn usable(&self) -> Range<u64> {
        let start = self.stack.get() as u64;
        start..start + SIZE as u64
    }

    /// The initial RSP: the end of the stack, 16-byte aligned (System V ABI §3.2.2).
    pub fn top(&self) -> u64 {
        self.usable().end
    }
}

impl<const SIZE: usize> Default for KernelStack<SIZE> {
    fn default() -> Self {
        Self::new()
    }
}

/// The stack `_start` switches to at once, and the kernel's stack from then on.
/// The boot assembly refers to it by symbol (`boot_stack`).
#[unsafe(export_name = "boot_stack")]
pub static BOOT_STACK: KernelStack<BOOT_STACK_SIZE> = KernelStack::new();

/// The double-fault handler's stack (TSS IST entry, see `arch::x86_64::gdt`).
pub static DOUBLE_FAULT_STACK: KernelStack<DOUBLE_FAULT_STACK_SIZE> = KernelStack::new();

/// One kernel stack, by name, for the fault reports and the backtrace walker.
pub struct StackInfo {
    pub name: &'static str,
    /// The CPU it belongs to, where each CPU has its own (the smp module's).
    pub cpu: Option<usize>,
    pub guard: Range<u64>,
    pub usable: Range<u64>,
}

impl fmt::Display for StackInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.cpu {
            Some(cpu) => write!(f, "{} of CPU {cpu}", self.name),
            None => f.write_str(self.name),
        }
    }
}

/// Finds, among the stacks a module keeps (the smp module's per-CPU ones),
/// the one whose guard page or usable range holds `address`.
pub type FindStack = fn(address: u64) -> Option<StackInfo>;

/// The module stacks [`add_stacks`] made known: read by fault handlers, so
/// set once and never locked.
static MODULE_STACKS: Once<FindStack> = Once::new();

/// Makes the stacks `find` knows known to the fault reports (an overflow
/// into one of their guard pages is named) and the backtrace walker. Once,
/// before any of them is used; a second call is ignored.
pub fn add_stacks(find: FindStack) {
    let _ = MODULE_STACKS.set(find);
}

/// The stack holding `address` for which `holds` is true: the kernel's
/// own, then a module's.
fn find_stack(address: u64, holds: impl Fn(&StackInfo) -> bool) -> Option<StackInfo> {
    all().into_iter().find(&holds).or_else(|| {
        MODULE_STACKS
            .get()
            .and_then(|find| find(address))
            .filter(&holds)
    })
}

/// Every kernel stack.
pub fn all() -> [StackInfo; 2] {
    [
        StackInfo {
            name: "kernel stack",
            cpu: None,
            guard: BOOT_STACK.guard(),
            usable: BOOT_STACK.usable(),
        },
        StackInfo {
            name: "double-fault stack",
            cpu: None,
            guard: DOUBLE_FAULT_STACK.guard(),
            usable: DOUBLE_FAULT_STACK.usable(),
        },
    ]
}

/// The stack whose guard page holds `address`, if any: a fault there is a
/// stack overflow.
pub fn guard_page_owner(address: u64) -> Option<StackInfo> {
    find_stack(address, |stack| stack.guard.contains(&address))
}

/// The usable range of the stack holding `address`, if any (the backtrace
/// walker follows frame pointers only within one stack).
pub fn stack_containing(address: u64) -> Option<Range<u64>> {
    find_stack(address, |stack| stack.usable.contains(&address)).map(|stack| stack.usable)
}
