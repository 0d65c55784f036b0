#!/usr/bin/env node
// The `create-baremetal-kernel` bin: runs the bundle scripts/build.mjs writes. Committed (dist/ is
// not) so that `npm ci` in the repository links the bin before anything is built. CommonJS
// (bin/package.json), as the bundle is: Node starts them without its ES module loader.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// Node 22.1 and later keep V8's compiled code of the bundle between runs (in the OS's temporary
// directory, or $NODE_COMPILE_CACHE), which makes later starts faster. Older versions skip it.
if (Number(process.versions.node.split('.')[0]) >= 22) require('node:module').enableCompileCache?.();

const bundle = join(__dirname, '..', 'dist', 'create-baremetal-kernel.cjs');
if (!existsSync(bundle)) {
  console.error('create-baremetal-kernel is not built yet: run `npm run build` at the top of the repository.');
  process.exit(1);
}
require(bundle);
