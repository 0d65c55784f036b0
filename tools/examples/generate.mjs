#!/usr/bin/env node
// Regenerates examples/ from the list in examples.mjs (`npm run examples`; needs `npm run build`).
// The whole tree is planned in memory and written with the generators' applyPlan into a fresh
// folder beside examples/, which then takes examples/'s place by two renames: a failure leaves
// examples/ as it was, and files no longer generated are gone. What builds left in an example
// (the entries its .gitignore anchors: target/, .limine/) moves over, so a rebuild is not cold.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPlan } from '@baremetal-kernel/generators';
import { EXAMPLES, EXAMPLES_DIRECTORY, buildOutputs, planExample, planExamples, exampleTemplates } from './examples.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function filesUnder(directory, skip = () => false, base = directory) {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (skip(relative(base, path))) return [];
    return entry.isDirectory() ? filesUnder(path, skip, base) : [relative(base, path)];
  });
}

function main() {
  const destination = join(root, EXAMPLES_DIRECTORY);
  const templates = exampleTemplates();
  const plan = planExamples(EXAMPLES, templates);
  const kept = EXAMPLES.flatMap((example) => buildOutputs(planExample(example, templates)).map((entry) => `${example.name}/${entry}`));

  const staging = join(root, `.${EXAMPLES_DIRECTORY}-new-${process.pid}`);
  const previous = join(root, `.${EXAMPLES_DIRECTORY}-old-${process.pid}`);
  applyPlan(plan, staging, { label: relative(root, staging) });
  const moved = [];
  try {
    for (const entry of kept) {
      const from = join(destination, entry);
      if (!existsSync(from) || !existsSync(dirname(join(staging, entry)))) continue;
      renameSync(from, join(staging, entry));
      moved.push(entry);
    }
    if (existsSync(destination)) {
      if (!statSync(destination).isDirectory()) throw new Error(`${EXAMPLES_DIRECTORY} exists and is not a directory`);
      renameSync(destination, previous);
    }
    renameSync(staging, destination);
  } catch (error) {
    for (const entry of moved.reverse()) renameSync(join(staging, entry), join(destination, entry));
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  const planned = new Set(plan.files.map((file) => file.path));
  const removed = filesUnder(previous, (path) => kept.includes(path)).filter((path) => !planned.has(path));
  rmSync(previous, { recursive: true, force: true });
  console.log(`${EXAMPLES_DIRECTORY}/: ${EXAMPLES.length} examples, ${plan.files.length} files written`);
  for (const path of removed.sort()) console.log(`removed ${EXAMPLES_DIRECTORY}/${path} (no longer generated)`);
}

try {
  main();
} catch (error) {
  console.error(`npm run examples: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
