/**
 * The `fast` layer alone, for Stryker's vitest runner: it starts vitest with a config file and no
 * `--project`, so with the packages' own configs it would run the `slow` layer (rustc, QEMU) for
 * every mutant too. The include and exclude patterns are the fast project's, taken from
 * ./layers.ts so that the two cannot drift apart. Vitest's root is the working directory: the
 * package being mutated (in practice, Stryker's copy of it; see tools/bench/stryker.mjs).
 */
import { defineConfig } from 'vitest/config';
import { testLayers } from './layers.ts';

const fast = testLayers().test?.projects?.find(
  (project) => typeof project === 'object' && 'test' in project && project.test?.name === 'fast',
);
if (typeof fast !== 'object' || !('test' in fast) || !fast.test) {
  throw new Error('tools/vitest/layers.ts has no `fast` project');
}

export default defineConfig({
  test: {
    include: fast.test.include,
    exclude: fast.test.exclude,
    // Instrumented code runs slower, beside Stryker's other test runner on a shared machine; a mutant
    // that loops forever is stopped by Stryker's own timeout (timeoutMS in tools/bench/stryker.mjs).
    testTimeout: 30_000,
  },
});
