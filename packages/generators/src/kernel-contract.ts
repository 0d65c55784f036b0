/**
 * What the generated kernel, its runner and our tests agree on. The kernel prints these markers
 * on the serial port; the runner passes these command-line options.
 */

export const GENERATOR_NAME = 'baremetal-kernel';
/** Kept equal to package.json's version (a test checks). */
export const GENERATOR_VERSION = '0.1.0';

export const KERNEL_COMMAND_LINE = {
  /** Asks the kernel to exit QEMU with success once its boot sequence is done. */
  exitAfterBoot: 'exit-after-boot',
  /**
   * Bytes of the command line the kernel keeps (BootInfo::command_line); the runner refuses test
   * arguments that would not fit rather than let the kernel cut them.
   */
  capacity: 256,
} as const;
