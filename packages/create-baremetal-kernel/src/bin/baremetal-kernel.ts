// `baremetal-kernel <command>`.
import { processIo } from '../io.js';
import { main } from '../router.js';

process.exitCode = await main(process.argv.slice(2), processIo());
