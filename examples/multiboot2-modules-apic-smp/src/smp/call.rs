//! Running a function on another CPU: each CPU's [`Mailbox`] holds at most
//! one function to run; the caller posts it and sends the CPU an IPI at
//! [`WAKE_VECTOR`], which wakes it from `hlt`; the CPU runs the function
//! and counts it finished, which the caller waits for ([`Call::wait`]).
//!
//! An idle AP halts with interrupts enabled, so it costs the machine (or
//! the emulator's host) nothing while it waits. It checks its mailbox with
//! interrupts disabled and halts with `sti; hlt`: STI delays interrupts by
//! one instruction (Intel SDM Vol. 2B, STI), so an IPI sent after the
//! check is taken on `hlt` and wakes it, never lost between the two.

use core::arch::{asm, global_asm};
use core::sync::atomic::{AtomicU64, Ordering};

use super::{MAX_CPUS, PerCpu, cpu_count, cpu_local, this_cpu};
use crate::apic;
use crate::arch::x86_64::cpu;
use crate::sync::SpinLock;

/// The vector of the wake-up IPI: the top of the range, with the other
/// inter-processor vectors (Linux uses 0xFB-0xFD), above the device
/// interrupts, whose priority class it outranks (Intel SDM Vol. 3A
/// §11.8.3.1: the class is the vector's upper 4 bits).
pub const WAKE_VECTOR: usize = 0xFC;

/// The function a CPU is asked to run next, and how many it has been given.
struct Slot {
    function: Option<fn()>,
    posted: u64,
}

/// One CPU's incoming work (see the module documentation).
pub(super) struct Mailbox {
    slot: SpinLock<Slot>,
    /// Functions run to the end, of the `posted` ones.
    finished: AtomicU64,
}

impl Mailbox {
    pub(super) const fn new() -> Self {
        Self {
            slot: SpinLock::new(Slot {
                function: None,
                posted: 0,
            }),
            finished: AtomicU64::new(0),
        }
    }
}

/// A function started on another CPU with [`start_on`].
#[must_use = "a call that is not waited for may still be running"]
#[derive(Clone, Copy, Debug)]
pub struct Call {
    cpu: usize,
    ticket: u64,
}

impl Call {
    /// The CPU the function runs on.
    pub fn cpu(&self) -> usize {
        self.cpu
    }

    /// Whether the function has returned.
    pub fn is_done(&self) -> bool {
        cpu_local::cpu(self.cpu)
            .mailbox
            .finished
            .load(Ordering::Acquire)
            >= self.ticket
    }

    /// Waits until the function has returned (everything it wrote is
    /// visible after this).
    pub fn wait(self) {
        while !self.is_done() {
            core::hint::spin_loop();
        }
    }
}

/// Starts `f` on CPU `cpu` (another online CPU) and returns at once; the
/// [`Call`] tells when it is done. Waits first for the CPU's previous
/// function, if any, to finish.
pub fn start_on(cpu: usize, f: fn()) -> Call {
    assert!(cpu < cpu_count(), "cpu {cpu} is not online");
    assert!(
        cpu != this_cpu().index(),
        "start_on(cpu {cpu}) from cpu {cpu} itself: call the function instead"
    );
    let target = cpu_local::cpu(cpu);
    let ticket = loop {
        let mut slot = target.mailbox.slot.lock();
        let idle = target.mailbox.finished.load(Ordering::Acquire) == slot.posted;
        if slot.function.is_none() && idle {
            slot.function = Some(f);
            slot.posted += 1;
            break slot.posted;
        }
        drop(slot);
        core::hint::spin_loop();
    };
    apic::local::send_ipi(target.apic_id(), WAKE_VECTOR as u8);
    Call { cpu, ticket }
}

/// Runs `f` on CPU `cpu` and waits until it returns (on the calling CPU
/// itself, just calls it).
pub fn run_on(cpu: usize, f: fn()) {
    if cpu == this_cpu().index() {
        f();
    } else {
        start_on(cpu, f).wait();
    }
}

/// Runs `f` on every online CPU at the same time (the others started first,
/// then the calling one) and waits until every one has returned.
pub fn run_on_all(f: fn()) {
    let me = this_cpu().index();
    let mut calls = [None; MAX_CPUS];
    for (cpu, call) in calls.iter_mut().enumerate().take(cpu_count()) {
        if cpu != me {
            *call = Some(start_on(cpu, f));
        }
    }
    f();
    for call in calls.into_iter().flatten() {
        call.wait();
    }
}

/// An AP's life after start-up: run what arrives in its mailbox, halt
/// in between.
pub(super) fn serve(block: &'static PerCpu) -> ! {
    loop {
        cpu::disable_interrupts();
        let work = block.mailbox.slot.lock().function.take();
        match work {
            Some(f) => {
                enable_interrupts();
                f();
                block.mailbox.finished.fetch_add(1, Ordering::Release);
            }
            None => {
                // SAFETY: STI then HLT (see the module documentation); the
                // AP's IDT (the BSP's) has gates for what may arrive: the
                // wake-up IPI and the apic module's vectors.
                unsafe { asm!("sti", "hlt", options(nomem, nostack)) };
            }
        }
    }
}

/// Enables maskable interrupts on this AP (`sti`).
fn enable_interrupts() {
    // SAFETY: as in `serve`: every vector that may arrive has a gate. Not
    // `nomem`: handlers change memory.
    unsafe { asm!("sti", options(nostack)) };
}

/// The wake-up IPI's handler: nothing to do but end the interrupt at the
/// local APIC (the CPU is awake now, which was the point).
extern "C" fn wake_interrupt() {
    apic::local::eoi();
}

// The IPI's entry stub. The CPU aligns RSP to 16 bytes and pushes 5
// quadwords (no error code for an interrupt; Intel SDM Vol. 3A §6.14.2);
// the stub saves the 9 registers the System V ABI lets a called function
// clobber (§3.2.1): 14 quadwords, so the call sees a 16-byte aligned stack.
global_asm!(
    r#"
    .pushsection .text.smp_wake_entry, "ax"
    .balign 16
    .global smp_wake_entry
smp_wake_entry:
    push rax
    push rcx
    push rdx
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    cld                             // the ABI expects DF = 0 at a call
    call {handler}
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rax
    iretq
    .popsection
"#,
    handler = sym wake_interrupt,
);

/// The address of the wake-up IPI's entry stub, for its IDT gate.
pub fn wake_entry() -> u64 {
    unsafe extern "C" {
        // The stub above; only its address is used.
        fn smp_wake_entry();
    }
    smp_wake_entry as *const () as u64
}
