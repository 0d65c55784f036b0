/**
 * Prints `vitest: N passed, N failed, N skipped` alone on the last line of a run, a closing
 * line that CI logs (and people) can read without knowing vitest's own format.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class PassFailSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const testModule of testModules) {
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
