/** `baremetal-kernel <command>`: the commands that work on kernels and on this machine. */
import { didYouMean } from '@baremetal-kernel/target';
import { CliError } from './errors.js';
import { EXIT, type Io } from './io.js';
import { VERSION } from './version.js';

export const COMMANDS_USAGE = `Usage: baremetal-kernel <command> [options]

Commands:
  create [dir]         scaffold a kernel (the same as create-baremetal-kernel)
  add <module...>      add modules to a kernel (and the modules they need)
  list [--json]        boot protocols, CPU feature presets, modules and toolchain profiles
  doctor [--json]      check this machine for what building and booting kernels needs
  check [elf]          verify a built kernel against its boot protocol
  sysroot [--clean]    the shared sysroots (core built once per compiler and flags)

Options:
  -h, --help           show this help
  -v, --version        show the version

\`baremetal-kernel <command> --help\` says more about each command.
`;

/** The commands the help lists (and suggestions come from). */
const COMMANDS = ['create', 'add', 'list', 'doctor', 'check', 'sysroot'];

/** Runs one command; command modules load only when chosen, to keep start-up fast. */
export async function runCommand(argv: readonly string[], io: Io): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      io.stdout(COMMANDS_USAGE);
      return command === undefined ? EXIT.usage : EXIT.ok;
    case '-v':
    case '--version':
      io.stdout(`${VERSION}\n`);
      return EXIT.ok;
    case 'create': {
      const [{ runCreate }, { createDependencies }] = await Promise.all([import('./commands/create.js'), import('./dependencies.js')]);
      return runCreate(rest, io, createDependencies(io));
    }
    case 'list':
      return (await import('./commands/list.js')).runList(rest, io);
    case 'doctor':
      return (await import('./commands/doctor.js')).runDoctor(rest, io);
    case 'check':
      return (await import('./commands/check.js')).runCheck(rest, io);
    case 'sysroot':
      return (await import('./commands/sysroot.js')).runSysroot(rest, io);
    case 'add': {
      const [{ runAdd }, { addDependencies }] = await Promise.all([import('./commands/add.js'), import('./dependencies.js')]);
      return runAdd(rest, io, addDependencies());
    }
    default: {
      const suggestion = didYouMean(command, COMMANDS);
      throw new CliError('E_UNKNOWN_COMMAND', `unknown command '${command}'${suggestion ? `; did you mean '${suggestion}'?` : ''} (see --help)`, EXIT.usage);
    }
  }
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    return await runCommand(argv, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`error: ${error.message}\n`);
      return error.exitCode;
    }
    throw error;
  }
}
