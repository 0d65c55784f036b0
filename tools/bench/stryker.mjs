// The Stryker settings every package shares; each package's stryker.config.mjs adds what it
// mutates (and why it leaves files out). Run by tools/bench/mutation.mjs, or by hand in a package:
//   node ../../tools/bench/stryker-run.mjs [--incremental]     (cwd: packages/<name>)
// (not `npx stryker run`, which refuses Node.js 20: see stryker-run.mjs).
//
// - Runner: vitest, on the `fast` layer only (tools/vitest/stryker.config.ts): no compiler, no
//   QEMU, so a mutant costs about a second.
// - coverageAnalysis perTest: each mutant runs only the tests that reach it. Code a test file runs
//   while it is collected (in a `describe` body) is credited to no test: call the code under test
//   inside `it`. Mutants of module-level data ("static" mutants: the model's tables) run every
//   test, with the modules loaded afresh.
// - Concurrency 2 by default (the machines have 2 cores); STRYKER_CONCURRENCY=1 on a busy one.
// - Reports: clear text on stdout, and JSON in reports/mutation/mutation.json (gitignored), which
//   mutation.mjs reads.
// - The sandbox (Stryker's copy of the package, where mutants are written) is a sibling of
//   packages/ at the top of the repository, `.stryker-tmp-<package>/sandbox-XXXX`: at the same
//   depth as the package itself, so that the relative paths the package uses to reach the rest of
//   the repository (`../../tools/vitest/`, the generators' `../../../templates/`) still land there.
//   The default (`.stryker-tmp` inside the package) would break them. Gitignored too.
//   For the same reason `tsconfigFile` names the root tsconfig.base.json: Stryker rewrites the
//   `extends` of the tsconfig it copies as if the sandbox were at its default depth (turning a
//   correct `../../tsconfig.base.json` into a wrong `../../../../`); it leaves files it did not
//   copy alone, and the option has no other use without Stryker's TypeScript checker.
import { basename } from 'node:path';

/**
 * @param {{ mutate: string[], vitestConfig?: string }} options `mutate`: globs relative to the
 *   package (`!glob` leaves files out); `vitestConfig`: a vitest config of the package's own, when
 *   Stryker should run fewer tests than the whole fast layer. Not Stryker's `testFiles` option:
 *   with it, Stryker 10.1 activates static mutants (module-level data, such as the model's tables)
 *   only after the modules are loaded, so they all "survive" untested.
 * @returns {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export function strykerConfig({ mutate, vitestConfig = '../../tools/vitest/stryker.config.ts' }) {
  const name = basename(process.cwd());
  const concurrency = Number(process.env.STRYKER_CONCURRENCY ?? 2);
  return {
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: vitestConfig },
    coverageAnalysis: 'perTest',
    mutate,
    concurrency: Number.isInteger(concurrency) && concurrency >= 1 ? Math.min(concurrency, 2) : 2,
    tempDirName: `../../.stryker-tmp-${name}`,
    tsconfigFile: '../../tsconfig.base.json',
    cleanTempDir: 'always',
    // A busy shared machine slows every run down; an infinite loop still times out.
    timeoutMS: 10_000,
    reporters: ['clear-text', 'json', 'progress'],
    clearTextReporter: { reportTests: false, logTests: false, allowEmojis: false },
    jsonReporter: { fileName: 'reports/mutation/mutation.json' },
    thresholds: { high: 90, low: 80, break: null },
  };
}
