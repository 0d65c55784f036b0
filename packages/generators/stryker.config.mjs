// Mutation testing of the planner: `npm run mutation` at the top (tools/bench/mutation.mjs), or
// `node ../../tools/bench/stryker-run.mjs` here. Shared settings and their reasons:
// tools/bench/stryker.mjs.
import { strykerConfig } from '../../tools/bench/stryker.mjs';

export default strykerConfig({
  mutate: [
    'src/**/*.ts',
    // The plop generator: prompts built from the model's tables and one action calling
    // generateKernel with the real machine's toolchains (nodeProbe). Glue over node-plop and the
    // machine; test/plopfile.test.ts checks it writes what generateKernel plans.
    '!src/plopfile.ts',
    // The probe over the real machine (child processes, the file system, rustup's files on disk):
    // its tests run the real rustc and compare with the model's `detectToolchains`, in the slow
    // layer (test/e2e/node-probe.test.ts), which Stryker does not run. The logic it feeds is the
    // model's toolchains.ts, mutated there.
    '!src/node-probe.ts',
    // Re-exports only.
    '!src/index.ts',
  ],
  // The fast layer less snapshots.test.ts and runner.test.ts: why in vitest.stryker.config.ts.
  vitestConfig: 'vitest.stryker.config.ts',
});
