#!/usr/bin/env node
// `create-baremetal-kernel <dir> --yes` against `create-vite <dir> --template vanilla-ts`, side by
// side in one run: runs alternate (so a change in machine load hits both alike), and the table
// gives medians and the ratio to create-vite. `node -e 0` is the floor every CLI pays.
//
// Usage: node tools/bench/create.mjs [--runs N]   (after `npm run build`)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`bench: error: --runs must be a positive integer, not '${values.runs}'`);
  process.exit(1);
}

const contenders = [
  { label: 'node -e 0 (start-up floor)', argv: (_dir) => ['-e', '0'] },
  {
    label: 'create-baremetal-kernel --yes',
    argv: (dir) => [join(repoRoot, 'packages/create-baremetal-kernel/bin/create-baremetal-kernel.js'), dir, '--yes'],
  },
  {
    label: 'create-vite --template vanilla-ts',
    argv: (dir) => [join(repoRoot, 'node_modules/create-vite/index.js'), dir, '--template', 'vanilla-ts'],
  },
];

function countFiles(directory) {
  try {
    return readdirSync(directory, { recursive: true }).filter((entry) => statSync(join(directory, entry)).isFile()).length;
  } catch {
    return 0;
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const workspace = mkdtempSync(join(tmpdir(), 'bench-create-'));
const samples = contenders.map(() => []);
const files = contenders.map(() => 0);
try {
  for (let run = 0; run < runs + 1; run++) {
    contenders.forEach((contender, index) => {
      // Relative: create-vite nests an absolute path under the working directory.
      const name = `project-${index}-${run}`;
      const directory = join(workspace, name);
      const start = process.hrtime.bigint();
      // No terminal on stdin: neither tool may wait for input.
      const result = spawnSync(process.execPath, contender.argv(name), { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'] });
      const milliseconds = Number(process.hrtime.bigint() - start) / 1e6;
      if (result.status !== 0) {
        throw new Error(`${contender.label} failed (${result.status}): ${result.stderr.toString().trim().split('\n').pop()}`);
      }
      files[index] = countFiles(directory);
      // The first round warms the file system cache and is not counted.
      if (run > 0) samples[index].push(milliseconds);
      rmSync(directory, { recursive: true, force: true });
    });
  }
} finally {
  rmSync(workspace, { recursive: true, force: true });
}

const vite = median(samples[2]);
console.log(`create benchmark: ${runs} runs each, alternating; node ${process.version}\n`);
console.log(`${'command'.padEnd(36)} ${'files'.padStart(5)} ${'median'.padStart(9)} ${'min'.padStart(9)} ${'max'.padStart(9)}  vs create-vite`);
contenders.forEach((contender, index) => {
  const values = samples[index];
  const format = (ms) => `${ms.toFixed(1)} ms`.padStart(9);
  console.log(
    `${contender.label.padEnd(36)} ${String(files[index]).padStart(5)} ${format(median(values))} ${format(Math.min(...values))} ${format(Math.max(...values))}  ${(median(values) / vite).toFixed(2)}x`,
  );
});
