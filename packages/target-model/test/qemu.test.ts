/**
 * The QEMU facts the kernel, the runners and the tests share, pinned against QEMU itself rather than
 * against our own output: isa-debug-exit turns a write of `value` into `exit((value << 1) | 1)`
 * (QEMU, hw/misc/debugexit.c, debug_exit_write).
 */
import { describe, expect, it } from 'vitest';
import { DEBUG_EXIT, QEMU, debugExitDevice, debugExitStatus } from '../src/index.js';

/** Statuses the runner must tell apart from a kernel's report (see the runners' exit-code `case`). */
const TRIPLE_FAULT_STATUS = 0; // -no-reboot: QEMU exits 0 on a guest reset
const QEMU_ERROR_STATUS = 1; // QEMU's own failures (bad arguments, missing firmware)
const TIMEOUT_STATUSES = [124, 137]; // coreutils timeout: timed out; killed after --kill-after

describe('isa-debug-exit', () => {
  it('maps a written value to (value << 1) | 1, as QEMU does', () => {
    for (const value of [0, 1, 0x10, 0x11, 0x3f, 0x7f]) expect(debugExitStatus(value)).toBe(value * 2 + 1);
    expect(debugExitStatus(0)).toBe(1);
    expect(debugExitStatus(0x10)).toBe(0x21);
  });

  it('has the kernel write 0x10 for success and 0x11 for failure, so QEMU exits 0x21 and 0x23', () => {
    expect(DEBUG_EXIT.successValue).toBe(0x10);
    expect(DEBUG_EXIT.failureValue).toBe(0x11);
    expect(QEMU.successStatus).toBe(0x21);
    expect(QEMU.failureStatus).toBe(0x23);
  });

  it('gives success and failure exit statuses no other outcome of a QEMU run can produce', () => {
    const others = [TRIPLE_FAULT_STATUS, QEMU_ERROR_STATUS, ...TIMEOUT_STATUSES];
    for (const status of [QEMU.successStatus, QEMU.failureStatus]) {
      // A process exit status is 8 bits: anything wider would be truncated into another value.
      expect(status).toBeLessThan(256);
      expect(others).not.toContain(status);
    }
    expect(QEMU.successStatus).not.toBe(QEMU.failureStatus);
  });

  it('puts the device at the port the kernel writes to, 4 bytes wide', () => {
    expect(debugExitDevice()).toBe('isa-debug-exit,iobase=0xf4,iosize=0x04');
  });
});

describe('QEMU options the runners take from the model', () => {
  it('waits for GDB on port 1234 with -s -S', () => {
    // qemu(1): "-s  Shorthand for -gdb tcp::1234"; "-S  Do not start CPU at startup".
    expect(QEMU.gdbArgs).toEqual(['-s', '-S']);
    expect(QEMU.gdbPort).toBe(1234);
  });

  it('uses KVM only through -accel kvm', () => {
    expect(QEMU.kvmArgs).toEqual(['-accel', 'kvm']);
  });
});
