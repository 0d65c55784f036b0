// `npm create baremetal-kernel` / `npx create-baremetal-kernel`: scaffold a kernel.
import { runCreate } from '../commands/create.js';
import { createDependencies } from '../dependencies.js';
import { processIo } from '../io.js';

const io = processIo();
process.exitCode = await runCreate(process.argv.slice(2), io, createDependencies(io));
