//! The APs' stacks: per AP a kernel stack and a double-fault stack, each
//! with an unmapped guard page below it, as the BSP's own
//! (`memory::stacks`). A stack overflow on an AP is then a page fault in the
//! guard page, which the CPU cannot deliver on the full stack; it becomes a
//! double fault on the AP's IST stack ([`super::gdt`]), which reports it.
//!
//! They are statics in `.bss`, which `memory::init` maps with 4 KiB pages
//! (W^X), so unmapping a guard page needs no new page table.

use core::ops::Range;

use super::MAX_CPUS;
use crate::boot::BootInfo;
use crate::memory::paging::{FrameSource, PAGE_SIZE, PageTables};
use crate::memory::stacks::{BOOT_STACK, KernelStack, StackInfo};

/// Usable size of each AP's kernel stack: the BSP's (`BOOT_STACK_SIZE`).
pub const AP_STACK_SIZE: usize = crate::memory::stacks::BOOT_STACK_SIZE;
/// Usable size of each AP's double-fault stack: the BSP's.
pub const AP_DOUBLE_FAULT_STACK_SIZE: usize = crate::memory::stacks::DOUBLE_FAULT_STACK_SIZE;

/// AP `n`'s stacks are entry `n - 1` (the BSP keeps `memory::stacks`').
static STACKS: [KernelStack<AP_STACK_SIZE>; MAX_CPUS - 1] =
    [const { KernelStack::new() }; MAX_CPUS - 1];
static DOUBLE_FAULT_STACKS: [KernelStack<AP_DOUBLE_FAULT_STACK_SIZE>; MAX_CPUS - 1] =
    [const { KernelStack::new() }; MAX_CPUS - 1];

/// The usable part of CPU `cpu`'s kernel stack (the BSP's is `BOOT_STACK`).
pub fn usable(cpu: usize) -> Range<u64> {
    match cpu {
        0 => BOOT_STACK.usable(),
        _ => STACKS[cpu - 1].usable(),
    }
}

/// The initial RSP of AP `cpu`.
pub fn stack_top(cpu: usize) -> u64 {
    STACKS[cpu - 1].top()
}

/// The initial RSP of AP `cpu`'s double-fault handler (its TSS's IST1).
pub fn double_fault_stack_top(cpu: usize) -> u64 {
    DOUBLE_FAULT_STACKS[cpu - 1].top()
}

/// The guard page below AP `cpu`'s kernel stack.
pub fn guard(cpu: usize) -> Range<u64> {
    STACKS[cpu - 1].guard()
}

/// The AP whose kernel stack's guard page holds `address`, if any.
pub fn guard_page_owner(address: u64) -> Option<usize> {
    (1..MAX_CPUS).find(|&cpu| guard(cpu).contains(&address))
}

/// The AP stack (kernel or double-fault) whose guard page or usable range
/// holds `address`: what `memory::stacks` asks to name an overflow and to
/// walk a backtrace on an AP ([`crate::memory::stacks::add_stacks`]).
pub fn find(address: u64) -> Option<StackInfo> {
    (1..MAX_CPUS).find_map(|cpu| {
        let (stack, fault) = (&STACKS[cpu - 1], &DOUBLE_FAULT_STACKS[cpu - 1]);
        [
            ("kernel stack", stack.guard(), stack.usable()),
            ("double-fault stack", fault.guard(), fault.usable()),
        ]
        .into_iter()
        .find(|(_, guard, usable)| guard.contains(&address) || usable.contains(&address))
        .map(|(name, guard, usable)| StackInfo {
            name,
            cpu: Some(cpu),
            guard,
            usable,
        })
    })
}

/// A frame source with no frames: unmapping a 4 KiB page of the kernel
/// image needs no new table, so asking for one is a bug, reported as
/// `PagingError::OutOfFrames`.
pub(super) struct NoFrames;

impl FrameSource for NoFrames {
    fn allocate_frame(&mut self, _tables: &PageTables) -> Option<u64> {
        None
    }
}

/// Unmaps the guard page of every AP stack. On the BSP, before any AP runs.
pub(super) fn unmap_guard_pages(boot_info: &BootInfo) {
    // SAFETY: memory::init keeps every paging structure mapped at `physical
    // + physical_memory_offset`; the APs do not run yet, so nothing else
    // changes the page tables meanwhile.
    let mut tables = unsafe { PageTables::active(boot_info.physical_memory_offset) };
    let guards = STACKS
        .iter()
        .map(|stack| stack.guard())
        .chain(DOUBLE_FAULT_STACKS.iter().map(|stack| stack.guard()));
    for guard in guards {
        let mut page = guard.start;
        while page < guard.end {
            // `unmap` invalidates the page's TLB entry itself.
            if let Err(error) = tables.unmap(page, &mut NoFrames) {
                panic!("smp: cannot unmap the stack guard page at {page:#x}: {error:?}");
            }
            page += PAGE_SIZE;
        }
    }
}
