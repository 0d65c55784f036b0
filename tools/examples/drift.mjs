// How examples/ on disk differs from what the generators produce today, file by file and both
// ways: a file missing, a file no example has, other bytes, another executable bit (the part of a
// mode git keeps). Read-only; tools/test/examples.test.ts reports what it finds.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function filesUnder(directory, skip, prefix = '') {
  let entries;
  try {
    entries = readdirSync(directory, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const path = `${prefix}${entry.name}`;
    if (skip(path)) return [];
    return entry.isDirectory() ? filesUnder(join(directory, entry.name), skip, `${path}/`) : [path];
  });
}

const isExecutable = (mode) => (mode & 0o111) !== 0;

/**
 * The differences between `plan` (paths relative to `directory`) and the files under `directory`,
 * leaving out the paths `ignored` says are build outputs. Each: { path, problem }.
 */
export function planDifferences(plan, directory, ignored = () => false) {
  const differences = [];
  const planned = new Map(plan.files.map((file) => [file.path, file]));
  for (const file of plan.files) {
    let stats;
    try {
      stats = lstatSync(join(directory, file.path));
    } catch {
      differences.push({ path: file.path, problem: 'missing' });
      continue;
    }
    if (!stats.isFile()) {
      differences.push({ path: file.path, problem: 'not a regular file' });
      continue;
    }
    if (!readFileSync(join(directory, file.path)).equals(Buffer.from(file.contents, 'utf8'))) {
      differences.push({ path: file.path, problem: 'contents differ' });
    }
    if (isExecutable(stats.mode) !== isExecutable(file.mode)) {
      differences.push({ path: file.path, problem: isExecutable(file.mode) ? 'not executable, should be' : 'executable, should not be' });
    }
  }
  for (const path of filesUnder(directory, ignored)) {
    if (!planned.has(path)) differences.push({ path, problem: 'not generated (an extra file)' });
  }
  return differences.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
