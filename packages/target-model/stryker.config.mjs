// Mutation testing of the target model: `npm run mutation` at the top (tools/bench/mutation.mjs),
// or `node ../../tools/bench/stryker-run.mjs` here. Shared settings and their reasons:
// tools/bench/stryker.mjs.
import { strykerConfig } from '../../tools/bench/stryker.mjs';

export default strykerConfig({
  mutate: [
    'src/**/*.ts',
    // Re-exports only.
    '!src/index.ts',
  ],
});
