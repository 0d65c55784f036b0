import { KERNEL_OPTIONS, renderOptionsHelp, splitList, type CreateOption } from '@baremetal-kernel/generators';
import { HELP_OPTION, parseArguments } from './arguments.js';
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

/** How this command runs, beside what the kernel is (those rows are {@link KERNEL_OPTIONS}). */
export const COMMAND_OPTIONS = [
  { key: 'yes', flag: 'yes', short: 'y', type: 'boolean', default: false, help: 'use the defaults for everything not given; never prompt' },
  { key: 'dryRun', flag: 'dry-run', type: 'boolean', default: false, help: 'list the files that would be written; write nothing' },
  { key: 'force', flag: 'force', type: 'boolean', default: false, help: 'add the kernel to a directory that is not empty, replacing the files it names' },
  HELP_OPTION,
  { key: 'version', flag: 'version', short: 'v', type: 'boolean', default: false, help: 'show the version' },
] as const satisfies readonly CreateOption[];

const CREATE_OPTIONS: readonly CreateOption[] = [...KERNEL_OPTIONS, ...COMMAND_OPTIONS];

/** Options npm has too: npm keeps them for itself without `--`, and nothing tells whose they were. */
const NPM_OWN_FLAGS: ReadonlySet<string> = new Set(['yes', 'dry-run', 'force', 'help', 'version']);

export const CREATE_USAGE = `Usage: npm create baremetal-kernel [dir] -- [options]
       create-baremetal-kernel [dir] [options]

Writes a bootable no_std Rust kernel for x86_64-unknown-none into dir.

Options:
${renderOptionsHelp(CREATE_OPTIONS)}

Through npm create, options go after \`--\` (npm keeps the ones before it for itself).
Without a terminal, or with --yes, nothing is asked. \`baremetal-kernel list\` shows every choice.
`;

/**
 * Options npm took for itself: `npm create baremetal-kernel os --boot limine` runs us with `os limine`
 * and `npm_config_boot=true` in the environment. Said before anything else, because the arguments
 * that reach us are then wrong in ways that would mislead (`limine` becomes a second directory).
 */
function optionsNpmKept(argv: readonly string[], env: NodeJS.ProcessEnv): CliError | undefined {
  if (env.npm_command === undefined) return undefined;
  const kept = CREATE_OPTIONS.filter(
    (option) =>
      !NPM_OWN_FLAGS.has(option.flag) &&
      env[`npm_config_${option.flag.replaceAll('-', '_')}`] !== undefined &&
      !argv.some((arg) => arg === `--${option.flag}` || arg.startsWith(`--${option.flag}=`)),
  ).map((option) => `--${option.flag}`);
  if (kept.length === 0) return undefined;
  return new CliError(
    'E_NPM_KEPT_OPTIONS',
    `npm kept ${kept.join(', ')} for itself: put the kernel's options after --, as in: npm create baremetal-kernel my-os -- ${kept[0]} ...`,
    EXIT.usage,
  );
}

export function parseCreateArguments(argv: readonly string[], env: NodeJS.ProcessEnv = {}): CreateArguments {
  const kept = optionsNpmKept(argv, env);
  if (kept) throw kept;
  const { values, positionals } = parseArguments(argv, CREATE_OPTIONS, { maxPositionals: Number.POSITIVE_INFINITY });
  if (positionals.length > 1) {
    throw new CliError('E_USAGE', `one directory only, got ${positionals.length}: ${positionals.join(' ')} (see --help)`, EXIT.usage);
  }
  if (positionals[0] === '') {
    throw new CliError('E_USAGE', "the directory argument is empty: name a directory, e.g. 'my-os' (see --help)", EXIT.usage);
  }
  const text = (flag: string) => values[flag] as string | undefined;
  const flag = (name: string) => values[name] === true;
  const modules = text('modules');
  return {
    directory: positionals[0],
    name: text('name'),
    boot: text('boot'),
    preset: text('preset'),
    modules: modules === undefined ? undefined : splitList(modules),
    toolchain: text('toolchain'),
    yes: flag('yes'),
    dryRun: flag('dry-run'),
    force: flag('force'),
    help: flag('help'),
    version: flag('version'),
  };
}
