#!/usr/bin/env node
// Runs Stryker on the package in the working directory, with its stryker.config.mjs, through
// Stryker's API. Usage (in packages/<name>):
//   node ../../tools/bench/stryker-run.mjs [--incremental] [--mutate <glob>]...
// --incremental reuses reports/stryker-incremental.json: only mutants whose code or tests changed
// run again (for the loop of writing tests; a full run is the one to report).
//
// Why not `npx stryker run`: Stryker 10 refuses to start on Node.js < 22 (a check of
// `process.version` when its CLI module loads), while this project's machines run Node.js 20.19+.
// Nothing else in it needs Node 22 (no Node 22 API is used on the paths we run; measured: runs
// complete on Node 20.20). So the version is presented as 22 while the module loads, and
// restored at once: the test runners Stryker starts, and everything after the import, see the
// real version. Stryker 9.6 supports Node 20 officially; with it (or on Node 22) this shim does
// nothing that matters.
import { parseArgs } from 'node:util';

const realVersion = Object.getOwnPropertyDescriptor(process, 'version');
Object.defineProperty(process, 'version', { ...realVersion, value: 'v22.0.0' });
let Stryker;
try {
  ({ Stryker } = await import('@stryker-mutator/core'));
} finally {
  Object.defineProperty(process, 'version', realVersion);
}

const { values } = parseArgs({
  options: { incremental: { type: 'boolean', default: false }, mutate: { type: 'string', multiple: true } },
});
await new Stryker({
  configFile: 'stryker.config.mjs',
  ...(values.incremental ? { incremental: true } : {}),
  ...(values.mutate ? { mutate: values.mutate } : {}),
}).runMutationTest();
