#!/usr/bin/env node
// Exports an example as a standalone git repository, ready to push:
//
//   node tools/examples/export.mjs <example> <directory>
//
// The directory gets the example's files (rendered by the generators now, which the drift test
// keeps equal to examples/), a README that says where the kernel comes from and its licence, both
// licence texts (MIT OR Apache-2.0, as the project), and one first commit on `main`. The directory
// must not exist or be empty; nothing is written otherwise. Needs `npm run build` and git.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unknownChoice } from '@baremetal-kernel/target';
import { GENERATOR_NAME, GENERATOR_VERSION, applyPlanPending, comparePaths } from '@baremetal-kernel/generators';
import { EXAMPLES, findExample, planExample, exampleTemplates } from './examples.mjs';

export const USAGE = 'usage: node tools/examples/export.mjs <example> <directory>';

/** Who the first commit is by when git has no user configured (the user's own name otherwise). */
export const FALLBACK_AUTHOR = { name: 'baremetal-kernel examples', email: 'examples@baremetal-kernel.invalid' };

const LICENCE_FILES = ['LICENSE-APACHE', 'LICENSE-MIT'];

/** The licence texts, by file name: the project's licence, MIT OR Apache-2.0. */
export function licenceTexts() {
  return new Map(LICENCE_FILES.map((name) => [name, readFileSync(fileURLToPath(new URL(`licences/${name}`, import.meta.url)), 'utf8')]));
}

/**
 * The kernel's README as a repository's README: where it comes from under the title, and the
 * licence at the end.
 */
export function standaloneReadme(example, kernelReadme) {
  const [title, ...rest] = kernelReadme.split('\n');
  const origin = [
    '',
    `> Example \`${example.name}\` of ${GENERATOR_NAME} ${GENERATOR_VERSION}, showing ${example.description}.`,
    '> Generated (`npx create-baremetal-kernel` makes kernels like it), then exported as a repository of its own.',
  ];
  const licence = [
    '',
    '## Licence',
    '',
    'Licensed under either of [Apache License, Version 2.0](LICENSE-APACHE) or [MIT license](LICENSE-MIT) at',
    'your option. Unless you explicitly state otherwise, any contribution intentionally submitted for',
    'inclusion in this work by you, as defined in the Apache-2.0 license, shall be dual licensed as above,',
    'without any additional terms or conditions.',
    '',
  ];
  return [title, ...origin, ...rest.join('\n').trimEnd().split('\n'), ...licence].join('\n');
}

/** The files of the exported repository (pure but for reading the licence texts). */
export function planExport(example, templates = exampleTemplates(), licences = licenceTexts()) {
  const files = planExample(example, templates).files.map((file) =>
    file.path === 'README.md' ? { ...file, contents: standaloneReadme(example, file.contents) } : file,
  );
  for (const [path, contents] of licences) files.push({ path, contents, mode: 0o644 });
  return { files: files.sort((a, b) => comparePaths(a.path, b.path)) };
}

/** Why an export of `name` into `directory` is refused, in one line; undefined when it may go ahead. */
export function exportRefusal(name, directory) {
  if (!findExample(name)) return unknownChoice('example', name, EXAMPLES.map((example) => example.name));
  const target = resolve(directory);
  if (!existsSync(target)) return undefined;
  if (!statSync(target).isDirectory()) return `${directory} exists and is not a directory; give a new or empty directory`;
  const entries = readdirSync(target);
  if (entries.length > 0) return `${directory} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); give a new or empty directory`;
  return undefined;
}

/** The first commit's author: the one git has configured, else the fallback. */
export function commitAuthor(configured) {
  return configured.name && configured.email ? { name: configured.name, email: configured.email } : FALLBACK_AUTHOR;
}

function git(directory, args, env = {}) {
  const result = spawnSync('git', args, { cwd: directory, encoding: 'utf8', env: { ...process.env, ...env } });
  if (result.error) throw new Error(`cannot run git: ${result.error.message}`);
  return result;
}

function gitOrFail(directory, args, env) {
  const result = git(directory, args, env);
  if (result.status !== 0) throw new Error(`git ${args[0]} failed: ${(result.stderr || result.stdout).trim().split('\n').pop()}`);
  return result.stdout;
}

/**
 * Writes the repository: refuses first (one line, nothing written), then the files through the
 * generators' all-or-nothing apply, then `git init -b main` and one commit. A failing git takes
 * everything back. Returns the files written and the commit's author.
 */
export function exportExample(name, directory) {
  const refusal = exportRefusal(name, directory);
  if (refusal) throw new Error(refusal);
  const example = findExample(name);
  const plan = planExport(example);
  const target = resolve(directory);
  const pending = applyPlanPending(plan, target, { label: directory });
  try {
    gitOrFail(target, ['init', '-q', '-b', 'main']);
    const configured = (key) => git(target, ['config', '--get', key]).stdout.trim();
    const author = commitAuthor({ name: configured('user.name'), email: configured('user.email') });
    const identity = {
      GIT_AUTHOR_NAME: author.name,
      GIT_AUTHOR_EMAIL: author.email,
      GIT_COMMITTER_NAME: author.name,
      GIT_COMMITTER_EMAIL: author.email,
    };
    // --force: a global excludes file of the user's (.vscode/, say) must not leave a file out.
    gitOrFail(target, ['add', '--all', '--force']);
    const message = `${example.name}: a kernel from ${GENERATOR_NAME} ${GENERATOR_VERSION}\n\n${example.description}.\n`;
    gitOrFail(target, ['commit', '-q', '--no-verify', '-m', message], identity);
    pending.finish();
    return { files: plan.files.map((file) => file.path), author };
  } catch (error) {
    rmSync(resolve(target, '.git'), { recursive: true, force: true });
    pending.undo();
    throw error;
  }
}

/** The command line: 0 when the repository is written, 1 (one line on stderr) when refused or failed. */
export function main(argv) {
  if (argv.length !== 2 || argv[0].startsWith('-')) {
    console.error(`${USAGE}\nexamples: ${EXAMPLES.map((example) => example.name).join(', ')}`);
    return 1;
  }
  const [name, directory] = argv;
  try {
    const { files, author } = exportExample(name, directory);
    console.log(`${directory}: the ${name} example, ${files.length} files, one commit on main by ${author.name} <${author.email}>`);
    console.log(`next: cd ${directory} && git remote add origin <url> && git push -u origin main`);
    return 0;
  } catch (error) {
    console.error(`export: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
