/** The score tools/bench/mutation.mjs reads from Stryker's JSON report. */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module without types
import { scoreLine, scoreReport } from '../bench/mutation.mjs';

/** A report in mutation-testing-report-schema's shape, with mutants of the given statuses. */
function report(...files: string[][]) {
  return {
    schemaVersion: '2',
    thresholds: { high: 90, low: 80 },
    files: Object.fromEntries(
      files.map((statuses, index) => [`src/file${index}.ts`, { language: 'typescript', source: '', mutants: statuses.map((status, id) => ({ id: `${index}-${id}`, status })) }]),
    ),
  };
}

describe('scoreReport', () => {
  it("counts timeouts as detected and mutants no test reaches as undetected, as Stryker's score does", () => {
    const counts = scoreReport(report(['Killed', 'Killed', 'Timeout', 'Survived'], ['NoCoverage', 'Killed', 'Killed', 'Killed']));
    expect(counts).toEqual({ killed: 5, survived: 1, timeout: 1, noCoverage: 1, score: 75 });
  });

  it('leaves out mutants that did not compile, crashed or were ignored', () => {
    const counts = scoreReport(report(['Killed', 'CompileError', 'RuntimeError', 'Ignored', 'Survived']));
    expect(counts.score).toBe(50);
  });

  it('prints one line per package', () => {
    expect(scoreLine('target', { score: 87.25, killed: 80, survived: 10, timeout: 2, noCoverage: 1 })).toBe(
      'mutation score target: 87.3% (killed 80, survived 10, timeout 2, no coverage 1)',
    );
  });
});
