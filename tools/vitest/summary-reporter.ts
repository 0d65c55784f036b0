/**
 * Prints `vitest: N passed, N failed, N skipped` alone on the last line of a run, a closing
 * line that CI logs (and people) can read without knowing vitest's own format.
 *
 * A failure is anything that makes the run red, not only a failed test: a test file that does not
 * import, a `beforeAll`/`afterAll` hook that throws (vitest then marks the suite's tests skipped,
 * and they must not read as skips), and an error thrown outside any test. Each counts once.
 */
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

export default class PassFailSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const counts = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
    for (const testModule of testModules) {
      // The module's own errors (it did not import, or a top-level hook threw) and each suite's
      // (one of its hooks threw).
      for (const container of [testModule, ...testModule.children.allSuites()]) {
        if (container.errors().length > 0) counts.failed++;
      }
      for (const test of testModule.children.allTests()) {
        const { state } = test.result();
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
      }
    }
    process.stdout.write(`vitest: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
