// `npm create baremetal-kernel` / `npx create-baremetal-kernel`: scaffold a kernel.
import { detectToolchainsFast } from '@baremetal-kernel/generators/node';
import { processIo } from '../io.js';

const io = processIo();
const argv = process.argv.slice(2);
// Toolchain detection waits on `rustc -vV` processes: start them first, so that they run while
// the rest of the CLI (the templates above all) loads.
const answersWithoutDetection = argv.some((arg) => ['-h', '--help', '-v', '--version'].includes(arg));
const detection = answersWithoutDetection ? undefined : detectToolchainsFast(io.env);
// Marks a rejection as handled if the command ends before it needs the result.
detection?.catch(() => undefined);

const [{ runCreate }, { createDependencies }] = await Promise.all([import('../commands/create.js'), import('../dependencies.js')]);
const dependencies = createDependencies(io);
process.exitCode = await runCreate(argv, io, detection ? { ...dependencies, detectToolchains: () => detection } : dependencies);
