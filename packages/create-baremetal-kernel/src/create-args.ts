import { parseArgs } from 'node:util';
import { CliError } from './errors.js';
import { EXIT } from './io.js';

/** What `create-baremetal-kernel [dir] [options]` was asked, before any validation of values. */
export interface CreateArguments {
  readonly directory: string | undefined;
  readonly name: string | undefined;
  readonly boot: string | undefined;
  readonly preset: string | undefined;
  readonly modules: readonly string[] | undefined;
  readonly toolchain: string | undefined;
  readonly yes: boolean;
  readonly dryRun: boolean;
  readonly force: boolean;
  readonly help: boolean;
  readonly version: boolean;
}

export const CREATE_USAGE = `Usage: create-baremetal-kernel [dir] [options]

Writes a bootable no_std Rust kernel for x86_64-unknown-none into dir.

Options:
  --name <name>          package name (default: the directory's name, or my-kernel)
  --boot <protocol>      boot protocol: multiboot2 (default)
  --preset <name>        CPU feature preset: baseline (default), x86-64-v2, x86-64-v3
  --modules <a,b>        kernel modules to add
  --toolchain <profile>  auto (default: what this machine has), rustup-stable, rustup-nightly, system
  -y, --yes              use the defaults for everything not given; never prompt
  --dry-run              list the files that would be written; write nothing
  --force                write into a directory that is not empty
  -h, --help             show this help
  -v, --version          show the version

Without a terminal, or with --yes, nothing is asked. \`baremetal-kernel list\` shows every choice.
`;

function splitList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function parseCreateArguments(argv: readonly string[]): CreateArguments {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        boot: { type: 'string' },
        preset: { type: 'string' },
        modules: { type: 'string' },
        toolchain: { type: 'string' },
        yes: { type: 'boolean', short: 'y', default: false },
        'dry-run': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    // parseArgs messages are one line already ("Unknown option '--bot'. ...").
    throw new CliError('E_USAGE', `${(error as Error).message.split('\n')[0]} (see --help)`, EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) {
    throw new CliError('E_USAGE', `one directory only, got ${positionals.length}: ${positionals.join(' ')}`, EXIT.usage);
  }
  return {
    directory: positionals[0],
    name: values.name,
    boot: values.boot,
    preset: values.preset,
    modules: splitList(values.modules),
    toolchain: values.toolchain,
    yes: values.yes,
    dryRun: values['dry-run'],
    force: values.force,
    help: values.help,
    version: values.version,
  };
}
