#!/usr/bin/env node
// Builds, lints, checks, boots and tests every example through the Nx plugin's inferred targets
// (`npm run test:examples`; `npm test` runs it with --skip-nx-cache, as CI must). Two Nx runs: the
// targets every example can run here (clippy, the ELF check), then the ones that boot QEMU (run,
// test) for the examples whose loader is at hand: a loader the runner fetches from the network
// (its protocol row's loaderReleaseVariable, LIMINE_DIR) boots only where that variable names a
// copy; the others are listed as skipped, with why. Arguments are passed on to `nx run-many`.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHARED_SYSROOT } from '@baremetal-kernel/target';
import { EXAMPLES, exampleConfig } from './examples.mjs';

/** The plugin entry of nx.json whose targets this runs. */
export const KERNEL_PLUGIN = '@baremetal-kernel/nx/plugin';

/** The plugin's own Nx project, whose build the check executor runs from. */
export const PLUGIN_PROJECT = '@baremetal-kernel/nx';

/** The inferred target names this workspace gives the plugin (nx.json), by the plugin's option names. */
export function kernelTargetNames(nxJson) {
  const entry = (nxJson.plugins ?? []).find((plugin) => (typeof plugin === 'string' ? plugin : plugin.plugin) === KERNEL_PLUGIN);
  if (entry === undefined) throw new Error(`nx.json does not load ${KERNEL_PLUGIN}: the examples are no Nx projects`);
  const options = typeof entry === 'string' ? {} : (entry.options ?? {});
  const name = (option, fallback) => options[option] ?? fallback;
  return {
    clippy: name('clippyTargetName', 'clippy'),
    check: name('checkTargetName', 'check'),
    run: name('runTargetName', 'run'),
    test: name('testTargetName', 'test'),
  };
}

/**
 * The two `nx run-many` runs over `examples` under `environment`, and the boots skipped with why.
 * Pure: what to run, decided from the examples' configurations and their protocols' rows.
 */
export function examplesRuns(examples, targets, environment) {
  const all = examples.map((example) => example.name);
  const bootable = [];
  const skipped = [];
  for (const example of examples) {
    const protocol = exampleConfig(example).boot;
    const variable = protocol.loaderReleaseVariable;
    if (variable === undefined || environment[variable]) bootable.push(example.name);
    else skipped.push({ example: example.name, reason: `${protocol.loader} is fetched by the runner; set ${variable} to a release to boot it` });
  }
  // The check target's executor is the plugin's built code (its executors.json names dist/).
  const runs = [
    { targets: ['build'], projects: [PLUGIN_PROJECT] },
    { targets: [targets.clippy, targets.check], projects: all },
  ];
  if (bootable.length > 0) runs.push({ targets: [targets.run, targets.test], projects: bootable });
  return { runs, skipped };
}

/** The arguments of `nx run-many` for one run, then the caller's own (e.g. --skip-nx-cache). */
export function runManyArguments(run, extra) {
  return ['nx', 'run-many', '-t', ...run.targets, `--projects=${run.projects.join(',')}`, '--parallel=1', '--output-style=static', ...extra];
}

function main() {
  const nxJson = JSON.parse(readFileSync(new URL('../../nx.json', import.meta.url), 'utf8'));
  const { runs, skipped } = examplesRuns(EXAMPLES, kernelTargetNames(nxJson), process.env);
  const root = fileURLToPath(new URL('../..', import.meta.url));
  // The examples use the system toolchain profile, Debian's rustc in /usr/bin: a rustup proxy
  // earlier in PATH (~/.cargo/bin) would pick another toolchain.
  const env = { ...process.env, PATH: `/usr/bin:${process.env.PATH ?? ''}` };
  // The slow tests' shared sysroots (TEST_SYSROOT_DIRECTORY of packages/generators/test/e2e/support.ts,
  // under tools/vitest/test-cache.ts's root), so that after them in `npm test` no example compiles
  // core again; a sysroot's key covers everything that could differ.
  const testCache = process.env.BAREMETAL_KERNEL_TEST_CACHE || join(tmpdir(), 'baremetal-kernel-test-cache');
  env[SHARED_SYSROOT.directoryVariable] ??= join(testCache, 'sysroots');
  for (const run of runs) {
    const result = spawnSync('npx', runManyArguments(run, process.argv.slice(2)), { cwd: root, env, stdio: 'inherit' });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
  for (const { example, reason } of skipped) console.log(`examples: skipped booting ${example}: ${reason}`);
  console.log(`examples: ${EXAMPLES.length} linted and checked, ${EXAMPLES.length - skipped.length} booted and tested, ${skipped.length} boots skipped`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
