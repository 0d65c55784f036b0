import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The end-to-end tests compile kernels and boot QEMU: on two cores, one file at a time is
    // faster than several fighting over the CPU, and keeps QEMU's timeouts meaningful.
    fileParallelism: false,
    reporters: ['default', '../../tools/vitest/summary-reporter.ts'],
  },
});
