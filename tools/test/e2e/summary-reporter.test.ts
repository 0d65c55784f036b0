/**
 * The closing `vitest: N passed, N failed, N skipped` line, from real vitest runs over fixture
 * files that fail in each way a run can fail.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const fixtures = fileURLToPath(new URL('../fixtures/summary-reporter/', import.meta.url));
const reporter = fileURLToPath(new URL('../../vitest/summary-reporter.ts', import.meta.url));
const vitest = fileURLToPath(new URL('../../../node_modules/vitest/vitest.mjs', import.meta.url));

/** Runs vitest over fixture files with only our reporter; every fixture run fails, so exit status 1. */
async function summaryOf(...files: string[]): Promise<{ status: number | null; summary: string }> {
  const outcome = await promisify(execFile)(process.execPath, [vitest, 'run', '--root', fixtures, '--reporter', reporter, ...files], {
    encoding: 'utf8',
    env: { ...process.env, CI: 'true', NO_COLOR: '1' },
  }).then(
    ({ stdout }) => ({ status: 0, stdout }),
    (error: { code: number | null; stdout: string }) => ({ status: error.code, stdout: error.stdout }),
  );
  const lines = outcome.stdout.trimEnd().split('\n');
  return { status: outcome.status, summary: lines[lines.length - 1]! };
}

// Each case starts its own vitest (a few seconds on a busy machine): run them side by side.
describe.concurrent('the summary line', { timeout: 60_000 }, () => {
  it('counts passed, failed and skipped tests', async () => {
    expect(await summaryOf('plain.test.ts')).toEqual({ status: 1, summary: 'vitest: 1 passed, 1 failed, 1 skipped' });
  });

  it('counts a beforeAll that throws as a failure, not only as skipped tests', async () => {
    expect(await summaryOf('hook-fails.test.ts')).toEqual({ status: 1, summary: 'vitest: 1 passed, 1 failed, 2 skipped' });
  });

  it('counts a test file that does not import as a failure', async () => {
    expect(await summaryOf('import-fails.test.ts')).toEqual({ status: 1, summary: 'vitest: 0 passed, 1 failed, 0 skipped' });
  });

  it('adds them up over a whole run', async () => {
    expect(await summaryOf()).toEqual({ status: 1, summary: 'vitest: 2 passed, 3 failed, 3 skipped' });
  });
});
