// Mutation testing of the target model: `npm run mutation` at the top (tools/bench/mutation.mjs),
// or `node ../../tools/bench/stryker-run.mjs` here. Shared settings and their reasons:
// tools/bench/stryker.mjs.
import { strykerConfig } from '../../tools/bench/stryker.mjs';

export default strykerConfig({
  mutate: [
    'src/**/*.ts',
    // The probe over the real machine (child processes, the file system, rustup's files on disk):
    // its tests run the real rustc and compare with `detectToolchains`, in the slow layer
    // (test/e2e/compiler.test.ts), which Stryker does not run. The logic it feeds is in
    // toolchains.ts, mutated here.
    '!src/node-probe.ts',
    // Re-exports only.
    '!src/index.ts',
  ],
});
