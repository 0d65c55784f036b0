#!/usr/bin/env node
// Regenerates examples/ from the list in examples.mjs (`npm run examples`; needs `npm run build`).
// The whole tree is planned in memory and written with the generators' applyPlan into a fresh
// folder beside examples/, which then takes examples/'s place by two renames: a failure leaves
// examples/ as it was, and files no longer generated are gone. What builds left in an example
// (the entries its .gitignore anchors: target/, .limine/) moves over, so a rebuild is not cold.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyPlan } from '@baremetal-kernel/generators';
import { EXAMPLES, EXAMPLES_DIRECTORY, buildOutputs, planExample, planExamples, exampleTemplates } from './examples.mjs';

function filesUnder(directory, skip = () => false, base = directory) {
  if (!existsSync(directory)) return [];
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (skip(relative(base, path))) return [];
    return entry.isDirectory() ? filesUnder(path, skip, base) : [relative(base, path)];
  });
}

/**
 * Writes every example into `destination` (examples/), replacing what is there. Returns the
 * number of files written and the paths (relative to `destination`) removed as no longer generated.
 */
export function regenerateExamples(destination, examples = EXAMPLES) {
  const target = resolve(destination);
  if (existsSync(target) && !statSync(target).isDirectory()) throw new Error(`${destination} exists and is not a directory`);
  const templates = exampleTemplates();
  const plan = planExamples(examples, templates);
  const kept = examples.flatMap((example) => buildOutputs(planExample(example, templates)).map((entry) => `${example.name}/${entry}`));

  const staging = join(dirname(target), `.${basename(target)}-new-${process.pid}`);
  const previous = join(dirname(target), `.${basename(target)}-old-${process.pid}`);
  applyPlan(plan, staging);
  const moved = [];
  try {
    for (const entry of kept) {
      if (!existsSync(join(target, entry))) continue;
      renameSync(join(target, entry), join(staging, entry));
      moved.push(entry);
    }
    if (existsSync(target)) renameSync(target, previous);
    renameSync(staging, target);
  } catch (error) {
    if (existsSync(previous) && !existsSync(target)) renameSync(previous, target);
    for (const entry of moved.reverse()) renameSync(join(staging, entry), join(target, entry));
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  const planned = new Set(plan.files.map((file) => file.path));
  const removed = filesUnder(previous, (path) => kept.includes(path)).filter((path) => !planned.has(path));
  rmSync(previous, { recursive: true, force: true });
  return { written: plan.files.length, removed: removed.sort() };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  try {
    const { written, removed } = regenerateExamples(join(root, EXAMPLES_DIRECTORY));
    console.log(`${EXAMPLES_DIRECTORY}/: ${EXAMPLES.length} examples, ${written} files written`);
    for (const path of removed) console.log(`removed ${EXAMPLES_DIRECTORY}/${path} (no longer generated)`);
  } catch (error) {
    console.error(`npm run examples: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
