//! Starting an AP on Limine: the loader has started every CPU already and
//! parked it (PROTOCOL.md, "MP (Multiprocessor) Feature"), because the
//! kernel image holds an MP request ([`MP_REQUEST`]). Each CPU's
//! `limine_mp_info` has a `goto_address`: an atomic write of an address
//! there makes the parked CPU jump to it, in 64-bit mode on the loader's
//! page tables (the ones the kernel runs on: `memory::init` changed them in
//! place) and on a stack of the loader's, with interrupts disabled and
//! IA32_EFER.NXE set (PROTOCOL.md: the CPU state is "the same as described
//! for the bootstrap processor" in "Machine State at Entry"), so the
//! kernel's no-execute mappings hold from its first instruction on.
//!
//! The address written is `smp_limine_ap_entry`, which takes the AP's own
//! stack, enables the BSP's CPU features (`boot_enable_cpu_features`) and
//! calls `smp::ap_main`. APs start one at a time, so one set of variables
//! ([`STARTING_CPU`], [`STARTING_STACK`]) tells the AP starting who it is.
//!
//! The request leaves x2APIC off (flags = 0; the loader then keeps or puts
//! every CPU in xAPIC mode): the apic module chooses the mode, on every CPU.

use core::arch::global_asm;
use core::cell::UnsafeCell;
use core::ptr;
use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering, fence};

use super::StartError;
use crate::boot::BootInfo;

/// How this protocol starts APs, for the boot log.
pub const METHOD: &str = "Limine MP request";

/// The MP request (PROTOCOL.md: `struct limine_mp_request`): `id[4]`,
/// `revision`, `response`, `flags`.
#[repr(C, align(8))]
pub struct MpRequest {
    id: [u64; 4],
    revision: u64,
    /// Null until the loader answers; left null if it does not support the
    /// request.
    response: UnsafeCell<*const MpResponse>,
    flags: u64,
}

// SAFETY: the loader writes `response` once, before the kernel runs; the
// kernel only reads it.
unsafe impl Sync for MpRequest {}

/// `struct limine_mp_response` (x86-64).
#[repr(C)]
pub struct MpResponse {
    pub revision: u64,
    /// Bit 0: x2APIC enabled (never here: the request does not ask).
    pub flags: u32,
    pub bsp_lapic_id: u32,
    pub cpu_count: u64,
    /// `cpu_count` pointers to each CPU's [`MpInfo`] (HHDM addresses).
    cpus: *const *const MpInfo,
}

/// `struct limine_mp_info` (x86-64).
#[repr(C)]
pub struct MpInfo {
    /// The ACPI processor UID, as in the MADT.
    pub processor_id: u32,
    /// The local APIC ID, as in the MADT.
    pub lapic_id: u32,
    _reserved: u64,
    /// Written (atomically) to start the CPU; it gets this structure's
    /// address in RDI.
    goto_address: AtomicU64,
    /// Free for the kernel's use (unused: see [`STARTING_CPU`]).
    pub extra_argument: u64,
}

/// PROTOCOL.md, "Features": the first two words of every request ID.
const COMMON_MAGIC: [u64; 2] = [0xc7b1_dd30_df4c_8b88, 0x0a82_e883_a194_f07b];

/// The request, between the loader's request markers
/// (`.limine_requests`, see `boot::limine`).
#[used]
#[unsafe(link_section = ".limine_requests")]
pub static MP_REQUEST: MpRequest = MpRequest {
    id: [
        COMMON_MAGIC[0],
        COMMON_MAGIC[1],
        0x95a6_7b81_9a1b_857e,
        0xa0b6_1b72_3b6a_73e0,
    ],
    revision: 0,
    response: UnsafeCell::new(ptr::null()),
    flags: 0,
};

impl MpRequest {
    /// The loader's response, if it gave one.
    pub fn response(&self) -> Option<&'static MpResponse> {
        // SAFETY: the field is valid and aligned. Volatile: the loader wrote
        // it before entry, which the compiler cannot see.
        let response = unsafe { ptr::read_volatile(self.response.get()) };
        // SAFETY: a non-null response is the loader's, in bootloader-
        // reclaimable memory (HHDM address), which the kernel never reuses.
        unsafe { response.as_ref() }
    }
}

impl MpResponse {
    /// Every CPU's entry, the BSP's included.
    pub fn cpus(&self) -> impl Iterator<Item = &'static MpInfo> + '_ {
        (0..self.cpu_count as usize).filter_map(|index| {
            // SAFETY: `cpus` holds `cpu_count` pointers (PROTOCOL.md), each
            // to an `MpInfo` in bootloader-reclaimable memory, never reused.
            unsafe { (*self.cpus.add(index)).as_ref() }
        })
    }
}

/// The AP being started: its number, and its stack's top.
static STARTING_CPU: AtomicUsize = AtomicUsize::new(0);
static STARTING_STACK: AtomicU64 = AtomicU64::new(0);

global_asm!(
    r#"
    // Where a parked AP jumps: 64-bit mode, the loader's GDT and stack,
    // RDI = its MpInfo (unused).
    .pushsection .text.smp_limine_ap_entry, "ax"
    .global smp_limine_ap_entry
smp_limine_ap_entry:
    mov rsp, [rip + {stack}]
    xor ebp, ebp                    // ends frame-pointer chains
    call boot_enable_cpu_features   // CR0, CR4, IA32_EFER as on the BSP
    mov rdi, [rip + {cpu}]          // ap_main(cpu)
    call {ap_main}
    ud2                             // ap_main never returns
    .popsection
"#,
    stack = sym STARTING_STACK,
    cpu = sym STARTING_CPU,
    ap_main = sym super::ap_main,
);

unsafe extern "C" {
    // The entry above; only its address is used.
    fn smp_limine_ap_entry();
}

/// Checks that the loader answered the MP request.
pub(super) fn prepare(_boot_info: &BootInfo) -> Result<(), StartError> {
    MP_REQUEST
        .response()
        .map(|_| ())
        .ok_or(StartError::NotOfferedByLoader)
}

/// Sends the parked AP with local APIC ID `apic_id` to
/// `smp_limine_ap_entry`; it comes up as CPU `cpu` on the stack whose top is
/// `stack_top`.
pub(super) fn start_ap(cpu: usize, apic_id: u32, stack_top: u64) -> Result<(), StartError> {
    let response = MP_REQUEST
        .response()
        .ok_or(StartError::NotOfferedByLoader)?;
    let info = response
        .cpus()
        .find(|info| info.lapic_id == apic_id)
        .ok_or(StartError::NotOfferedByLoader)?;
    STARTING_CPU.store(cpu, Ordering::Relaxed);
    STARTING_STACK.store(stack_top, Ordering::Relaxed);
    // The AP reads them after it sees the new `goto_address`.
    fence(Ordering::SeqCst);
    let entry = smp_limine_ap_entry as *const () as u64;
    info.goto_address.store(entry, Ordering::SeqCst);
    Ok(())
}

/// Nothing to undo: the loader's trampoline is its own.
pub(super) fn finish(_boot_info: &BootInfo) {}
