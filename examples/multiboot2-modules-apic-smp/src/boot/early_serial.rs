//! Printing a boot error on COM1 before any Rust code can run, and ending the
//! run: the boot code's only output until `src/serial.rs` takes over.
//!
//! One copy of each routine serves 32-bit protected mode and 64-bit long
//! mode alike: a CPU without long mode calls it from 32-bit code, a CPU
//! without a feature of the preset from 64-bit code. Every instruction below
//! is encoded the same way in both modes and does the same there: in 64-bit
//! mode the default operand size stays 32 bits and only the address size
//! grows to 64 (Intel SDM Vol. 1 §3.6.1), so `lodsb` reads at ESI or RSI,
//! whichever the caller's mode uses and set, and `call`/`ret` push and pop a
//! return address of the caller's width. Keep it that way: no REX prefix
//! (Vol. 2A §2.2.1: no 64-bit register, no r8-r15), no `push`/`pop`, and no
//! memory operand but `lodsb`'s (a displacement-only address is absolute in
//! 32-bit mode and RIP-relative in 64-bit mode, Vol. 2A §2.2.1.6).
//!
//! Intel syntax; numeric local labels start at 2 because `0b`/`1b` would read
//! as binary numbers.

use core::arch::global_asm;

use crate::serial::COM1;

// 16550 UART registers, by their offset from the base (PC16550D datasheet,
// "Register Summary"), and the values written: the same setup as
// `SerialPort::init` in src/serial.rs (115200 baud, 8N1, FIFOs on), without
// its loopback self-test.
/// THR (write); DLL, the divisor's low byte, when LCR.DLAB is set.
const DATA: u16 = COM1;
/// IER; DLM, the divisor's high byte, when LCR.DLAB is set.
const INTERRUPT_ENABLE: u16 = COM1 + 1;
/// FCR (write).
const FIFO_CONTROL: u16 = COM1 + 2;
/// LCR.
const LINE_CONTROL: u16 = COM1 + 3;
/// MCR.
const MODEM_CONTROL: u16 = COM1 + 4;
/// LSR.
const LINE_STATUS: u16 = COM1 + 5;
/// LCR bit 7, DLAB: offsets 0 and 1 address the baud-rate divisor.
const LCR_DLAB: u8 = 1 << 7;
/// LCR: 8 data bits (bits 0-1 = 0b11), 1 stop bit, no parity; DLAB clear.
const LCR_8N1: u8 = 0b0000_0011;
/// Baud rate = 115200 / divisor (1.8432 MHz input clock / 16).
const BAUD_DIVISOR: u8 = 1;
/// FCR: FIFOs on (bit 0), both cleared (bits 1, 2), receive trigger 14 (bits 6-7).
const FCR_ENABLE_CLEAR_14: u8 = 0b1100_0111;
/// MCR: DTR (bit 0), RTS (bit 1), OUT2 (bit 3).
const MCR_DTR_RTS_OUT2: u8 = 0b0000_1011;
/// LSR bit 5: the transmitter holding register is empty (a byte may be written).
const LSR_THR_EMPTY: u8 = 1 << 5;
/// ASCII carriage return, then line feed: the end of the message's line.
const ASCII_CR: u8 = b'\r';
/// ASCII line feed.
const ASCII_LF: u8 = b'\n';

global_asm!(
    r#"
    .section .boot.text, "ax"
    .code64                         // and the same bytes in 32-bit mode: see above

    // COM1 setup, so that the message also appears on real hardware.
    // Clobbers eax, edx.
    .global boot_serial_init
boot_serial_init:
    mov dx, {interrupt_enable}
    xor al, al
    out dx, al                      // IER: no interrupts
    mov dx, {line_control}
    mov al, {lcr_dlab}
    out dx, al                      // LCR: DLAB on
    mov dx, {data}
    mov al, {baud_divisor}
    out dx, al                      // divisor low byte
    mov dx, {interrupt_enable}
    xor al, al
    out dx, al                      // divisor high byte
    mov dx, {line_control}
    mov al, {lcr_8n1}
    out dx, al                      // LCR: 8N1, DLAB off
    mov dx, {fifo_control}
    mov al, {fcr}
    out dx, al                      // FCR: FIFOs on and cleared
    mov dx, {modem_control}
    mov al, {mcr}
    out dx, al                      // MCR: DTR, RTS, OUT2
    ret

    // Prints the NUL-terminated string at esi (32-bit caller) or rsi
    // (64-bit caller) on COM1, after `boot_serial_init`. Clobbers eax, edx
    // and esi/rsi.
    .global boot_print
boot_print:
    lodsb
    test al, al
    jz 3f
    call boot_serial_write
    jmp boot_print
3:  ret

    // Sends the byte in al once the transmitter can take it. Clobbers ah, edx.
boot_serial_write:
    mov ah, al
    mov dx, {line_status}
2:  in al, dx
    test al, {lsr_thr_empty}
    jz 2b
    mov al, ah
    mov dx, {data}
    out dx, al
    ret

    // Prints the NUL-terminated string at esi/rsi and a line end on COM1,
    // after `boot_serial_init`; then ends the run under QEMU with the failure
    // status (the isa-debug-exit device, src/qemu.rs: QEMU exits at once
    // instead of waiting for the runner's timeout) and otherwise (real
    // hardware: nothing at that port) halts for good. Never returns.
    .global boot_fail
boot_fail:
    call boot_print
    mov al, {cr}
    call boot_serial_write
    mov al, {lf}
    call boot_serial_write
    mov dx, {debug_exit_port}
    mov eax, {debug_exit_failed}
    out dx, eax
2:  cli
    hlt
    jmp 2b
"#,
    data = const DATA,
    interrupt_enable = const INTERRUPT_ENABLE,
    fifo_control = const FIFO_CONTROL,
    line_control = const LINE_CONTROL,
    modem_control = const MODEM_CONTROL,
    line_status = const LINE_STATUS,
    lcr_dlab = const LCR_DLAB,
    lcr_8n1 = const LCR_8N1,
    baud_divisor = const BAUD_DIVISOR,
    fcr = const FCR_ENABLE_CLEAR_14,
    mcr = const MCR_DTR_RTS_OUT2,
    lsr_thr_empty = const LSR_THR_EMPTY,
    cr = const ASCII_CR,
    lf = const ASCII_LF,
    debug_exit_port = const crate::qemu::ISA_DEBUG_EXIT_PORT,
    debug_exit_failed = const crate::qemu::ExitCode::Failed as u32,
);
