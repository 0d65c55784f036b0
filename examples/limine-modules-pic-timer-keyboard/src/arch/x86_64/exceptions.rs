//! CPU exception handlers: an assembly entry stub per vector, and one Rust
//! function that reports the exception and fails.
//!
//! On an exception the CPU pushes SS, RSP, RFLAGS, CS and RIP (and for some
//! vectors an error code) on the handler's stack, after aligning it to 16
//! bytes (Intel SDM Vol. 3A §6.14.2, "64-Bit Mode Stack Frame"). Each stub
//! pushes a dummy error code 0 where the CPU pushes none, so every frame has
//! the same layout, then its vector number, and jumps to a common entry that
//! saves the general-purpose registers and calls `exception_handler` with a
//! pointer to the resulting [`ExceptionFrame`]. Everything is stable Rust: no
//! `x86-interrupt` ABI.
//!
//! Every exception except `int3` (#BP) is fatal: the report goes to serial and
//! the screen, then the kernel exits QEMU with failure (inside a test binary
//! the test harness decides, see [`crate::testing::on_fault`]). `int3`
//! prints a note and resumes with every register intact.
//!
//! SSE/AVX and x87 state is not saved: this kernel's target ABI is soft-float
//! and no preset lets the compiler use those registers, so the handler's own
//! Rust code never touches them and `int3` returns with them unchanged.
//! Code compiled to use them would need FXSAVE/XSAVE here.

use core::arch::{asm, global_asm};
use core::fmt::Write;

use crate::memory::stacks;
use crate::qemu::{self, ExitCode};
use crate::{backtrace, console, println, serial, testing};

/// Vectors 0-31 are reserved for exceptions (Intel SDM Vol. 3A §6.2).
pub const EXCEPTION_VECTORS: usize = 32;

// Vector numbers, Intel SDM Vol. 3A §6.3.1, Table 6-1.
const BREAKPOINT: u64 = 3;
const DOUBLE_FAULT: u64 = 8;
const INVALID_TSS: u64 = 10;
const GENERAL_PROTECTION: u64 = 13;
const PAGE_FAULT: u64 = 14;

/// One exception vector, named as in Intel SDM Vol. 3A §6.3.1, Table 6-1
/// (vectors 28-30 are AMD's, AMD64 APM Vol. 2 §8.2).
pub struct Exception {
    /// `name (#MNEMONIC, vector N)`: the first line of the report.
    pub headline: &'static str,
}

macro_rules! exception {
    ($vector:literal, $name:literal, $mnemonic:literal) => {
        Exception {
            headline: concat!($name, " (", $mnemonic, ", vector ", $vector, ")"),
        }
    };
}

/// The 32 exception vectors, indexed by vector number.
pub static EXCEPTIONS: [Exception; EXCEPTION_VECTORS] = [
    exception!(0, "divide error", "#DE"),
    exception!(1, "debug", "#DB"),
    exception!(2, "non-maskable interrupt", "NMI"),
    exception!(3, "breakpoint", "#BP"),
    exception!(4, "overflow", "#OF"),
    exception!(5, "BOUND range exceeded", "#BR"),
    exception!(6, "invalid opcode", "#UD"),
    exception!(7, "device not available", "#NM"),
    exception!(8, "double fault", "#DF"),
    exception!(9, "coprocessor segment overrun", "reserved"),
    exception!(10, "invalid TSS", "#TS"),
    exception!(11, "segment not present", "#NP"),
    exception!(12, "stack-segment fault", "#SS"),
    exception!(13, "general protection fault", "#GP"),
    exception!(14, "page fault", "#PF"),
    exception!(15, "reserved exception", "reserved"),
    exception!(16, "x87 floating-point error", "#MF"),
    exception!(17, "alignment check", "#AC"),
    exception!(18, "machine check", "#MC"),
    exception!(19, "SIMD floating-point exception", "#XM"),
    exception!(20, "virtualization exception", "#VE"),
    exception!(21, "control protection exception", "#CP"),
    exception!(22, "reserved exception", "reserved"),
    exception!(23, "reserved exception", "reserved"),
    exception!(24, "reserved exception", "reserved"),
    exception!(25, "reserved exception", "reserved"),
    exception!(26, "reserved exception", "reserved"),
    exception!(27, "reserved exception", "reserved"),
    exception!(28, "hypervisor injection exception", "#HV"),
    exception!(29, "VMM communication exception", "#VC"),
    exception!(30, "security exception", "#SX"),
    exception!(31, "reserved exception", "reserved"),
];

// The entry stubs. `exception_stub`'s second argument says whether the CPU
// pushes an error code for the vector: #DF, #TS, #NP, #SS, #GP, #PF, #AC, #CP
// (Intel SDM Vol. 3A §6.3.1, Table 6-1, "Error Code" column) and AMD's #VC
// and #SX. Stub N is at `exception_stubs + 16 * N` ([`entry_stub`]).
global_asm!(
    r#"
    .macro exception_stub vector, cpu_pushes_error_code
    // Stub N starts exactly at exception_stubs + 16 * N (padded with int3);
    // the assembler refuses to go backwards, i.e. a stub longer than 16 bytes.
    .org exception_stubs + {stub_size} * \vector, 0xCC
    .if \cpu_pushes_error_code == 0
    push 0                          // dummy error code: the same frame for all
    .endif
    push \vector
    jmp exception_entry_common
    .endm

    .section .text.exception_stubs, "ax"
    .balign 16
    .global exception_stubs
exception_stubs:
    exception_stub 0, 0
    exception_stub 1, 0
    exception_stub 2, 0
    exception_stub 3, 0
    exception_stub 4, 0
    exception_stub 5, 0
    exception_stub 6, 0
    exception_stub 7, 0
    exception_stub 8, 1
    exception_stub 9, 0
    exception_stub 10, 1
    exception_stub 11, 1
    exception_stub 12, 1
    exception_stub 13, 1
    exception_stub 14, 1
    exception_stub 15, 0
    exception_stub 16, 0
    exception_stub 17, 1
    exception_stub 18, 0
    exception_stub 19, 0
    exception_stub 20, 0
    exception_stub 21, 1
    exception_stub 22, 0
    exception_stub 23, 0
    exception_stub 24, 0
    exception_stub 25, 0
    exception_stub 26, 0
    exception_stub 27, 0
    exception_stub 28, 0
    exception_stub 29, 1
    exception_stub 30, 1
    exception_stub 31, 0

    // Stack here: vector, error code, then the CPU's frame (RIP ... SS).
    // Saves the 15 general-purpose registers in the order of ExceptionFrame:
    // 22 quadwords after the CPU's 16-byte alignment, so RSP is 16-byte
    // aligned again at the call, as the System V ABI requires.
exception_entry_common:
    push rax
    push rcx
    push rdx
    push rbx
    push rbp
    push rsi
    push rdi
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    mov rdi, rsp                    // exception_handler(frame: &mut ExceptionFrame)
    cld                             // the ABI expects DF = 0 at a call
    call {handler}
    // Only a returning exception (#BP) gets here: restore everything.
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rdi
    pop rsi
    pop rbp
    pop rbx
    pop rdx
    pop rcx
    pop rax
    add rsp, 16                     // vector and error code
    iretq                           // RIP, CS, RFLAGS, RSP, SS (Intel SDM Vol. 2A, IRET)
"#,
    handler = sym exception_handler,
    stub_size = const STUB_SIZE,
);

/// Bytes between two entry stubs (`.balign 16` above).
const STUB_SIZE: usize = 16;

/// The address of vector `vector`'s entry stub, for its IDT gate.
pub fn entry_stub(vector: usize) -> u64 {
    unsafe extern "C" {
        // The first stub, in the `global_asm!` above. A function only in name:
        // only its address is used.
        fn exception_stubs();
    }
    exception_stubs as *const () as u64 + (vector * STUB_SIZE) as u64
}

/// What the stack holds when `exception_handler` runs: the registers the
/// common entry saved (last pushed first), the stub's vector and error code,
/// and the frame the CPU pushed (Intel SDM Vol. 3A §6.14.2, Figure 6-9).
#[repr(C)]
pub struct ExceptionFrame {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rdi: u64,
    pub rsi: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub rdx: u64,
    pub rcx: u64,
    pub rax: u64,
    pub vector: u64,
    /// The CPU's error code, or 0 for vectors without one.
    pub error_code: u64,
    pub rip: u64,
    pub cs: u64,
    pub rflags: u64,
    pub rsp: u64,
    pub ss: u64,
}

/// Called by every entry stub. Returns only for `int3`.
extern "C" fn exception_handler(frame: &mut ExceptionFrame) {
    if frame.vector == BREAKPOINT {
        // A trap: RIP already points after the one-byte `int3` (Intel SDM
        // Vol. 3A §6.5, "Exception Classifications"), so returning resumes
        // with the next instruction. If the interrupted code was printing,
        // this panics ("println! while printing"): no `int3` inside a print.
        println!(
            "note: breakpoint (#BP, vector 3) at {:#x}, continuing",
            frame.rip - 1
        );
        return;
    }
    fatal(frame)
}

/// Reports a fatal exception and fails: the test, or the whole run.
fn fatal(frame: &ExceptionFrame) -> ! {
    // The interrupted code may hold the console lock. It will never run
    // again, so taking the lock away from it is sound and avoids a deadlock.
    // SAFETY: the lock holder, if any, is the interrupted code, abandoned.
    unsafe { console::force_unlock() };
    // The exception may have come before kernel_main set up the UART. If it
    // did, this leaves the UART alone: programming it again would clear its
    // transmit FIFO and lose the last bytes printed.
    let _ = serial::init();

    let exception = &EXCEPTIONS[(frame.vector as usize) % EXCEPTION_VECTORS];
    // A kernel stack overflow is a page fault in a guard page; the CPU then
    // fails to push the page fault's frame on the same full stack, which
    // turns it into a double fault (Intel SDM Vol. 3A §6.15, Interrupt 8).
    let cr2 = matches!(frame.vector, PAGE_FAULT | DOUBLE_FAULT).then(read_cr2);
    let overflowed_stack = cr2.and_then(stacks::guard_page_owner);
    // For a double fault CR2 matters only when a page fault caused it.
    let shown_cr2 = match frame.vector {
        PAGE_FAULT => cr2,
        _ => overflowed_stack.as_ref().and(cr2),
    };
    // A page fault's headline names its cause too (a write to a read-only
    // page, an instruction fetch from a no-execute one), so that a test can
    // expect exactly that fault.
    let mut page_fault_headline = console::TruncatedText::<PAGE_FAULT_HEADLINE_CAPACITY>::new();
    let headline = match overflowed_stack {
        Some(_) => "kernel stack overflow",
        None if frame.vector == PAGE_FAULT => {
            let cause = PageFaultCause(frame.error_code);
            let _ = write!(page_fault_headline, "{}: {cause}", exception.headline);
            page_fault_headline.as_str()
        }
        None => exception.headline,
    };

    let print_report = || {
        if let (Some(stack), Some(address)) = (&overflowed_stack, cr2) {
            println!(
                "EXCEPTION: kernel stack overflow: the {stack} ran into its guard page at {address:#x}"
            );
        }
        println!("EXCEPTION: {}", exception.headline);
        print_error_code(frame);
        if let Some(address) = shown_cr2 {
            print_cr2(address);
        }
        print_registers(frame);
        backtrace::print_exception(frame.rip, frame.rbp);
    };
    testing::on_fault(headline, &print_report);
    print_report();
    qemu::exit(ExitCode::Failed)
}

/// Room for `page fault (#PF, vector 14): ` and the longest
/// [`PageFaultCause`] (about 110 bytes in all).
const PAGE_FAULT_HEADLINE_CAPACITY: usize = 128;

/// The error code, decoded where its format is known.
fn print_error_code(frame: &ExceptionFrame) {
    let code = frame.error_code;
    match frame.vector {
        PAGE_FAULT => println!("  error code: {code:#x} ({})", PageFaultCause(code)),
        // #TS, #NP, #SS, #GP: a selector error code (Intel SDM Vol. 3A §6.13,
        // Figure 6-7), 0 when no segment or gate is involved.
        INVALID_TSS..=GENERAL_PROTECTION if code != 0 => {
            println!("  error code: {code:#x} ({})", SelectorCause(code))
        }
        GENERAL_PROTECTION => println!(
            "  error code: 0x0 (no segment involved: e.g. a non-canonical address or a privileged instruction)"
        ),
        _ => println!("  error code: {code:#x}"),
    }
}

/// CR2 and what it points into.
fn print_cr2(address: u64) {
    /// Page 0 is never mapped, so that null pointer accesses fault
    /// (including those to a field of a struct behind a null pointer).
    const PAGE_SIZE: u64 = stacks::PAGE_SIZE as u64;
    match stacks::guard_page_owner(address) {
        Some(stack) => println!("  CR2: {address:#018x} (in the guard page of the {stack})"),
        None if address < PAGE_SIZE => {
            println!("  CR2: {address:#018x} (null pointer: the address is in page 0)")
        }
        None => println!("  CR2: {address:#018x}"),
    }
}

fn print_registers(frame: &ExceptionFrame) {
    println!("  RIP: {:#018x}  CS: {:#x}", frame.rip, frame.cs);
    println!("  RSP: {:#018x}  SS: {:#x}", frame.rsp, frame.ss);
    println!("  RFLAGS: {:#x}", frame.rflags);
    println!(
        "  RAX: {:#018x}  RBX: {:#018x}  RCX: {:#018x}  RDX: {:#018x}",
        frame.rax, frame.rbx, frame.rcx, frame.rdx
    );
    println!(
        "  RSI: {:#018x}  RDI: {:#018x}  RBP: {:#018x}  R8:  {:#018x}",
        frame.rsi, frame.rdi, frame.rbp, frame.r8
    );
    println!(
        "  R9:  {:#018x}  R10: {:#018x}  R11: {:#018x}  R12: {:#018x}",
        frame.r9, frame.r10, frame.r11, frame.r12
    );
    println!(
        "  R13: {:#018x}  R14: {:#018x}  R15: {:#018x}",
        frame.r13, frame.r14, frame.r15
    );
}

/// A page fault's error code in words (Intel SDM Vol. 3A §4.7, "Page-Fault
/// Exceptions", Figure 4-12).
struct PageFaultCause(u64);

impl core::fmt::Display for PageFaultCause {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        /// P: 0 = the page is not present, 1 = a protection violation.
        const PRESENT: u64 = 1 << 0;
        /// W/R: the access was a write.
        const WRITE: u64 = 1 << 1;
        /// U/S: the access came from user mode (CPL 3).
        const USER: u64 = 1 << 2;
        /// RSVD: a paging-structure entry has a reserved bit set.
        const RESERVED_BIT: u64 = 1 << 3;
        /// I/D: the access was an instruction fetch.
        const INSTRUCTION_FETCH: u64 = 1 << 4;

        let code = self.0;
        let present = if code & PRESENT != 0 {
            "protection violation"
        } else {
            "page not present"
        };
        let access = if code & INSTRUCTION_FETCH != 0 {
            "instruction fetch"
        } else if code & WRITE != 0 {
            "write"
        } else {
            "read"
        };
        let mode = if code & USER != 0 { "user" } else { "kernel" };
        write!(f, "{present}, {access}, {mode} mode")?;
        if code & RESERVED_BIT != 0 {
            write!(f, ", reserved bit set in a page table entry")?;
        }
        Ok(())
    }
}

/// A selector error code in words (Intel SDM Vol. 3A §6.13, Figure 6-7).
struct SelectorCause(u64);

impl core::fmt::Display for SelectorCause {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        /// EXT: an event external to the program (an interrupt) caused it.
        const EXTERNAL: u64 = 1 << 0;
        /// IDT: the index refers to an IDT gate (else a GDT/LDT descriptor).
        const IDT: u64 = 1 << 1;
        /// TI: with IDT clear, the index refers to the LDT (else the GDT).
        const LDT: u64 = 1 << 2;
        /// Bits 3-15: the descriptor's index.
        const INDEX_SHIFT: u64 = 3;

        let code = self.0;
        let index = (code & 0xFFFF) >> INDEX_SHIFT;
        if code & IDT != 0 {
            write!(f, "IDT vector {index}")?;
        } else if code & LDT != 0 {
            write!(f, "LDT selector {:#x}", index << INDEX_SHIFT)?;
        } else {
            write!(f, "GDT selector {:#x}", index << INDEX_SHIFT)?;
        }
        if code & EXTERNAL != 0 {
            write!(f, ", during delivery of an external event")?;
        }
        Ok(())
    }
}

/// Reads CR2: the linear address of the last page fault (Intel SDM Vol. 3A
/// §2.5, §4.7).
fn read_cr2() -> u64 {
    let value: u64;
    // SAFETY: reading CR2 has no side effects (we run in ring 0).
    unsafe { asm!("mov {}, cr2", out(reg) value, options(nomem, nostack, preserves_flags)) };
    value
}
