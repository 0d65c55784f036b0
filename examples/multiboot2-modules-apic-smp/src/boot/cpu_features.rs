//! Checking the CPU and putting it in a known state, before any Rust code runs.
//!
//! The `baseline` CPU-feature preset: the target's defaults: no SIMD, floats in software; runs on every x86_64 CPU (recommended).
//!
//! The kernel is compiled for it, so the compiler may emit its instructions
//! anywhere. The boot code calls `boot_enable_cpu_features` in 64-bit long
//! mode, on the boot stack, before the first Rust instruction. It checks
//! each CPUID bit the kernel needs, one at a time, so that a CPU without one
//! prints which one on COM1 and exits QEMU with failure (halts on real
//! hardware), instead of faulting later on an instruction it lacks (Intel
//! SDM Vol. 2A, CPUID, Tables 3-8 to 3-11). Then it writes CR0, CR4 and
//! IA32_EFER as whole values, [`CR0`], [`CR4`] and [`EFER`], rather than
//! setting bits in whatever the loader and the boot code left: loaders and
//! firmware leave different values. It keeps one bit as it finds it:
//! CR4.LA57, the paging mode long mode was entered with (4-level or 5-level
//! paging), which cannot change while long mode is active (Intel SDM Vol. 3A
//! §4.1.2: MOV to CR4 then faults).
//!
//! Order: the checks come first, since writing a bit the CPU lacks (NXE,
//! OSXSAVE) faults; CR4 and CR0 before `fninit` and `xsetbv` (FNINIT needs
//! CR0.EM clear, XSETBV needs CR4.OSXSAVE, Intel SDM Vol. 2B); IA32_EFER.NXE
//! before any page-table entry with the XD bit is used (the boot code's own
//! tables have none; those of src/memory/ do).
//!
//! The baseline preset uses nothing that every x86_64 CPU does not have, and
//! no SSE state: only no-execute pages are checked.

use core::arch::global_asm;

/// The preset the kernel was compiled for, for the boot summary.
pub const PRESET: &str = "baseline";

// CR0 bits (Intel SDM Vol. 3A §2.5, Figure 2-7). Every bit not listed in
// [`CR0`] is clear: EM (bit 2; set, every x87/SSE instruction raises #UD or
// #NM), TS (bit 3; set, the first x87/SSE instruction raises #NM: lazy FPU
// switching, which this kernel does not do, so it is clear before the first
// one), AM (bit 18; no alignment checking), NW and CD (bits 29, 30; caches on).
/// PE: protected mode (the loaders enter with it set; long mode needs it).
pub(crate) const CR0_PE: u32 = 1 << 0;
/// ET: reserved, hardwired to 1 since the Pentium; written as it reads.
pub(crate) const CR0_ET: u32 = 1 << 4;
/// NE: x87 errors raise #MF, not the PC's legacy FERR#/IRQ 13 (§2.5).
const CR0_NE: u32 = 1 << 5;
/// WP: ring 0 honours read-only pages too (§4.6), so the kernel's code and
/// constants cannot be written (src/memory/mod.rs maps them read-only).
const CR0_WP: u32 = 1 << 16;
/// PG: paging, required by long mode (§10.8.5).
pub(crate) const CR0_PG: u32 = 1 << 31;
/// The preset's CR0 bits: none.
const PRESET_CR0: u32 = 0x0;
/// CR0: exactly these bits.
pub const CR0: u32 = CR0_PE | CR0_ET | CR0_NE | CR0_WP | CR0_PG | PRESET_CR0;

// CR4 bits (Intel SDM Vol. 3A §2.5, Figure 2-8). Every bit not listed in
// [`CR4`] is clear: VME and PVI (virtual-8086 mode), TSD and PCE (no user
// mode to restrict), DE, PSE (ignored with PAE), MCE (no machine-check
// handler: a machine check shuts the CPU down), PGE (no global pages: a CR3
// reload flushes every translation), UMIP, FSGSBASE, PCIDE, SMEP, SMAP, PKE,
// CET (no user mode, no PCIDs, no keys).
/// PAE: physical address extension, required by long mode (§10.8.5).
pub(crate) const CR4_PAE: u32 = 1 << 5;
/// LA57: 5-level paging (§4.5), kept as found (see above).
const CR4_LA57: u32 = 1 << 12;
/// The preset's CR4 bits: none.
const PRESET_CR4: u32 = 0x0;
/// CR4: exactly these bits, and LA57 as found.
pub const CR4: u32 = CR4_PAE | PRESET_CR4;

/// IA32_EFER MSR, Intel SDM Vol. 4 (MSR list) / Vol. 3A §2.2.1.
pub(crate) const IA32_EFER: u32 = 0xC000_0080;
// IA32_EFER bits (Intel SDM Vol. 3A §2.2.1, Table 2-1). SCE (bit 0) is clear:
// no SYSCALL without user mode.
/// LME: long mode, active once paging is turned on.
pub(crate) const EFER_LME: u32 = 1 << 8;
/// LMA: long mode is active (read-only: written as it reads, set).
const EFER_LMA: u32 = 1 << 10;
/// NXE: page-table bit 63 (XD) means no-execute (§4.6); without it the bit
/// is reserved and the kernel's no-execute pages would fault on any access.
const EFER_NXE: u32 = 1 << 11;
/// IA32_EFER: exactly these bits.
pub const EFER: u32 = EFER_LME | EFER_LMA | EFER_NXE;

/// CPUID 0x8000_0001 EDX bit 20: NX, execute-disable pages (Intel SDM Vol.
/// 2A, CPUID, Table 3-8). The leaf exists: the CPU is in long mode, whose
/// bit is in the same leaf.
const CPUID_EXT_NX_BIT: u32 = 20;

global_asm!(
    r#"
    .section .boot.text, "ax"
    .code64
    // Clobbers rax, rbx, rcx, rdx, rdi (CPUID writes eax, ebx, ecx, edx).
    .global boot_enable_cpu_features
boot_enable_cpu_features:
    // NX: CPUID leaf 0x80000001, edx bit 20.
    mov eax, 0x80000001
    cpuid
    lea rdi, [rip + boot_feature_nx]
    bt edx, {cpuid_nx_bit}
    jnc boot_missing_feature

    // Known control registers: whole values, nothing kept but the paging
    // mode. 32-bit moves zero the upper halves (reserved, zero).
    mov rax, cr4
    and eax, {cr4_la57}
    or eax, {cr4}
    mov cr4, rax
    mov eax, {cr0}
    mov cr0, rax
    mov ecx, {ia32_efer}
    xor edx, edx
    mov eax, {efer}
    wrmsr
    ret

    // A check failed; rdi = the feature's name. One line on COM1, then the
    // end of the run (src/boot/early_serial.rs).
boot_missing_feature:
    mov rbx, rdi
    call boot_serial_init
    lea rsi, [rip + boot_msg_missing_feature]
    call boot_print
    mov rsi, rbx
    call boot_print
    lea rsi, [rip + boot_msg_missing_feature_hint]
    call boot_print
    lea rsi, [rip + boot_msg_preset_hint]
    jmp boot_fail

    .section .rodata.boot, "a"
boot_msg_missing_feature:
    .asciz "boot error: this kernel needs "
boot_msg_missing_feature_hint:
    .asciz ", which this CPU does not have; "
boot_msg_preset_hint:
    .asciz "it was built for the baseline preset"
boot_feature_nx:
    .asciz "NX (no-execute pages, CPUID 0x80000001 EDX bit 20)"
"#,
    cpuid_nx_bit = const CPUID_EXT_NX_BIT,
    cr4 = const CR4,
    cr4_la57 = const CR4_LA57,
    cr0 = const CR0,
    ia32_efer = const IA32_EFER,
    efer = const EFER,
);
