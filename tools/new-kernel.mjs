#!/usr/bin/env node
// Scaffolds a kernel with the defaults and this machine's toolchain, straight through the
// generators package. A stand-in for the `create-baremetal-kernel` CLI until it lands.
// Usage: node tools/new-kernel.mjs <directory> [preset]
import { basename } from 'node:path';
import { detectToolchains } from '@baremetal-kernel/target';
import { nodeProbe } from '@baremetal-kernel/target/node';
import { GeneratorError, generateKernel, resolveConfig } from '@baremetal-kernel/generators';

const [directory, preset = 'baseline'] = process.argv.slice(2);
if (!directory) {
  console.error('usage: node tools/new-kernel.mjs <directory> [preset]');
  process.exit(2);
}
try {
  const config = resolveConfig(
    { name: basename(directory), preset, toolchain: 'auto' },
    { detected: detectToolchains(nodeProbe()) },
  );
  const { files } = generateKernel(config, { directory });
  console.log(`wrote ${files.length} files to ${directory} (toolchain: ${config.toolchain.name})`);
} catch (error) {
  console.error(`error: ${error instanceof GeneratorError ? error.message : error}`);
  process.exit(1);
}
