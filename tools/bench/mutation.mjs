#!/usr/bin/env node
// Mutation testing of the model, the planner and the checker: runs Stryker in each package that
// has a stryker.config.mjs (packages/target-model, packages/generators, packages/check),
// one after the other, then prints one line per package from Stryker's JSON report:
//
//   mutation score <package>: NN.N% (killed K, survived S, timeout T, no coverage N)
//
// and exits non-zero when a score is below 80% (or a run fails). Not part of `npm test`: it takes
// tens of minutes on two cores. Shared Stryker settings: tools/bench/stryker.mjs.
//
// Usage: npm run mutation [-- [package...] [--concurrency 1|2] [--quiet]]
//   package        directory names under packages/ (default: all three)
//   --concurrency  Stryker's test runner processes (default 2; 1 on a machine others are using)
//   --quiet        Stryker's own output goes to packages/<name>/reports/mutation/stryker.log
// Needs `npm run build` first: a package's tests import the others through their dist/.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PACKAGES = ['target-model', 'generators', 'check'];
const MINIMUM_SCORE = 80;
const REPORT = join('reports', 'mutation', 'mutation.json');
const RUNNER = join(repoRoot, 'tools', 'bench', 'stryker-run.mjs');

function parseOptions() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { concurrency: { type: 'string', default: '2' }, quiet: { type: 'boolean', default: false } },
  });
  const unknown = positionals.filter((name) => !PACKAGES.includes(name));
  if (unknown.length > 0) throw new Error(`unknown package ${unknown.join(', ')} (known: ${PACKAGES.join(', ')})`);
  if (!['1', '2'].includes(values.concurrency)) throw new Error(`--concurrency must be 1 or 2, not '${values.concurrency}'`);
  return { packages: positionals.length > 0 ? positionals : PACKAGES, concurrency: values.concurrency, quiet: values.quiet };
}

/**
 * Counts mutants by status in a mutation-testing-report-schema JSON report. The score is
 * Stryker's: detected (killed or timed out) over every mutant that ran or had no test reaching it;
 * compile and run-time errors and ignored mutants do not count.
 */
export function scoreReport(report) {
  const counts = { Killed: 0, Survived: 0, Timeout: 0, NoCoverage: 0 };
  for (const file of Object.values(report.files)) {
    for (const mutant of file.mutants) {
      if (mutant.status in counts) counts[mutant.status]++;
    }
  }
  const detected = counts.Killed + counts.Timeout;
  const valid = detected + counts.Survived + counts.NoCoverage;
  return {
    killed: counts.Killed,
    survived: counts.Survived,
    timeout: counts.Timeout,
    noCoverage: counts.NoCoverage,
    score: valid === 0 ? 100 : (detected / valid) * 100,
  };
}

export function scoreLine(name, { score, killed, survived, timeout, noCoverage }) {
  return `mutation score ${name}: ${score.toFixed(1)}% (killed ${killed}, survived ${survived}, timeout ${timeout}, no coverage ${noCoverage})`;
}

function runPackage(name, { concurrency, quiet }) {
  const directory = join(repoRoot, 'packages', name);
  if (!existsSync(join(directory, 'stryker.config.mjs'))) {
    return { line: `mutation score ${name}: skipped (no stryker.config.mjs)`, ok: true };
  }
  // A stale report must not pass for this run's.
  const report = join(directory, REPORT);
  rmSync(report, { force: true });
  mkdirSync(dirname(report), { recursive: true });
  const output = quiet ? openSync(join(directory, 'reports', 'mutation', 'stryker.log'), 'w') : 'inherit';
  process.stderr.write(`mutation: running Stryker in packages/${name}\n`);
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [RUNNER], {
    cwd: directory,
    env: { ...process.env, STRYKER_CONCURRENCY: concurrency },
    stdio: ['ignore', output, output],
  });
  const minutes = Number(process.hrtime.bigint() - start) / 1e9 / 60;
  const took = `${minutes.toFixed(1)} min`;
  process.stderr.write(`mutation: Stryker in packages/${name} took ${took}\n`);
  if (result.error || result.status !== 0 || !existsSync(report)) {
    const why = result.error?.message ?? `exit status ${result.status}`;
    return { line: `mutation score ${name}: FAILED (Stryker ${why}, after ${took})`, ok: false };
  }
  const counts = scoreReport(JSON.parse(readFileSync(report, 'utf8')));
  return { line: scoreLine(name, counts), ok: counts.score >= MINIMUM_SCORE };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options = parseOptions();
  const results = options.packages.map((name) => {
    const result = runPackage(name, options);
    process.stderr.write(`${result.line}\n`);
    return result;
  });
  process.stdout.write(`\n${results.map((result) => result.line).join('\n')}\n`);
  const failing = results.filter((result) => !result.ok).length;
  if (failing > 0) {
    process.stdout.write(`${failing} package(s) below ${MINIMUM_SCORE}% or not run\n`);
    process.exitCode = 1;
  }
}
