/**
 * The two test layers every package has, as vitest projects:
 * - `fast`: the model, planning, rendering, the CLI and the checker on data, in-process: no compiler,
 *   no QEMU, no child processes, seconds in all, so it can run on every save (`npm run test:fast`).
 * - `slow`: everything under `test/e2e/`, which runs programs: the real tools (rustc, cargo, QEMU,
 *   GRUB, GCC), the rendered runners under bash with stand-ins, ShellCheck, vitest itself.
 *   One file at a time: on two cores, kernel builds and QEMU boots fighting over the CPU are slower
 *   in total and make QEMU's timeouts meaningless.
 */
import type { ViteUserConfig } from 'vitest/config';

const SLOW_FILES = 'test/e2e/**/*.test.ts';

export const summaryReporter = new URL('./summary-reporter.ts', import.meta.url).pathname;

export function testLayers(): ViteUserConfig {
  return {
    test: {
      reporters: ['default', summaryReporter],
      projects: [
        { extends: true, test: { name: 'fast', include: ['test/**/*.test.ts'], exclude: [SLOW_FILES, 'test/fixtures/**'] } },
        { extends: true, test: { name: 'slow', include: [SLOW_FILES], fileParallelism: false } },
      ],
    },
  };
}
