#!/usr/bin/env node
// The `create-baremetal-kernel` bin: loads the bundle scripts/build.mjs writes. Committed (dist/ is not) so that
// `npm ci` in the repository links the bin before anything is built.
import { existsSync } from 'node:fs';

// Node 22.1 and later keep V8's compiled code of the bundle between runs (in the OS's temporary
// directory, or $NODE_COMPILE_CACHE), which makes later starts faster. Older versions skip it, and
// do not load node:module (and its source-map support) for nothing.
if (Number(process.versions.node.split('.')[0]) >= 22) process.getBuiltinModule?.('node:module').enableCompileCache?.();

const bundle = new URL('../dist/create-baremetal-kernel.js', import.meta.url);
if (!existsSync(bundle)) {
  console.error('create-baremetal-kernel is not built yet: run `npm run build` at the top of the repository.');
  process.exit(1);
}
await import(bundle.href);
