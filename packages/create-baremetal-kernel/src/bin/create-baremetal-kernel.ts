// `npm create baremetal-kernel` / `npx create-baremetal-kernel`: scaffold a kernel. Bundled into one
// CommonJS file (scripts/build.mjs), so the imports below cost no module loading.
import { detectToolchainsFast } from '@baremetal-kernel/generators/node';
import { runCreate } from '../commands/create.js';
import { createDependencies } from '../dependencies.js';
import { processIo } from '../io.js';

const io = processIo();
const argv = process.argv.slice(2);
// Toolchain detection may wait on `rustc -vV` processes: start them before anything else.
const answersWithoutDetection = argv.some((arg) => ['-h', '--help', '-v', '--version'].includes(arg));
const detection = answersWithoutDetection ? undefined : detectToolchainsFast(io.env);
// Marks a rejection as handled if the command ends before it needs the result.
detection?.catch(() => undefined);

const dependencies = createDependencies(io);
// No top-level await: a CommonJS bundle cannot have one.
void runCreate(argv, io, detection ? { ...dependencies, detectToolchains: () => detection } : dependencies).then((status) => {
  process.exitCode = status;
});
