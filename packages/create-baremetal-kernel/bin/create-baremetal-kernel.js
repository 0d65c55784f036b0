#!/usr/bin/env node
// The `create-baremetal-kernel` bin: loads the bundle scripts/build.mjs writes. Committed (dist/ is not) so that
// `npm ci` in the repository links the bin before anything is built.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/create-baremetal-kernel.js', import.meta.url);
if (!existsSync(bundle)) {
  console.error('create-baremetal-kernel is not built yet: run `npm run build` at the top of the repository.');
  process.exit(1);
}
await import(bundle.href);
