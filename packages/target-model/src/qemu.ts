import { qemuCpuModel, type FeaturePreset } from './presets.js';

/**
 * QEMU's isa-debug-exit device: a write of `value` to its port makes QEMU exit with status
 * `(value << 1) | 1`, so no value can produce 0. A triple fault under `-no-reboot` also exits 0,
 * which is why status 0 counts as a failure.
 */
export const DEBUG_EXIT = {
  /** A port the PC platform leaves free (0xf4 is unused on the ISA bus of QEMU's PC machines). */
  ioBase: 0xf4,
  ioSize: 0x04,
  successValue: 0x10,
  failureValue: 0x11,
} as const;

export function debugExitStatus(value: number): number {
  return (value << 1) | 1;
}

export const QEMU = {
  binary: 'qemu-system-x86_64',
  memory: '128M',
  /** `-s`: GDB stub on tcp::1234; `-S`: wait for the debugger before the first instruction. */
  gdbArgs: ['-s', '-S'],
  gdbPort: 1234,
  /**
   * Opt-in only: KVM is not available (or hangs) on many CI machines, TCG always works. The
   * preset's CPU model stays: the guest sees the preset's features, not all of the host's.
   */
  kvmArgs: ['-accel', 'kvm'],
  successStatus: debugExitStatus(DEBUG_EXIT.successValue),
  failureStatus: debugExitStatus(DEBUG_EXIT.failureValue),
} as const;

/** The `-device` value that adds the exit device at its port. */
export function debugExitDevice(): string {
  const hex = (value: number) => `0x${value.toString(16).padStart(2, '0')}`;
  return `isa-debug-exit,iobase=${hex(DEBUG_EXIT.ioBase)},iosize=${hex(DEBUG_EXIT.ioSize)}`;
}

/** The arguments every boot path shares: CPU, memory, serial on stdio, the exit device. */
export function qemuCommonArgs(preset: FeaturePreset): string[] {
  return [
    '-cpu',
    qemuCpuModel(preset),
    '-m',
    QEMU.memory,
    '-serial',
    'stdio',
    '-display',
    'none',
    '-no-reboot',
    '-device',
    debugExitDevice(),
  ];
}
