// Mutation testing of the kernel checker: `node ../../tools/bench/stryker-run.mjs` here. Shared
// settings and their reasons: tools/bench/stryker.mjs.
//
// No `testFiles`: with it, Stryker 10.1 activates static mutants (module-level values such as the
// Limine request names) only after the modules are loaded, so they all "survive" whatever the
// tests assert (stryker-js issues #6144, #6209). Without it the vitest runner's `related` mode
// already runs only the fast tests that import src/.
import { strykerConfig } from '../../tools/bench/stryker.mjs';

export default strykerConfig({
  mutate: [
    'src/**/*.ts',
    // Re-exports only.
    '!src/index.ts',
  ],
});
