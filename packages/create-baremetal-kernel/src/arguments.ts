/**
 * Command-line parsing for every command, from rows in the one shape the create options use
 * ({@link CreateOption}): one wording for every mistake, exit status 2 for all of them.
 */
import { parseArgs } from 'node:util';
import { didYouMean } from '@baremetal-kernel/target';
import { parseArgsOptions, type CreateOption } from '@baremetal-kernel/generators';
import { CliError } from './errors.js';
import { EXIT } from './io.js';

/** `-h, --help`, which every command takes. */
export const HELP_OPTION = { key: 'help', flag: 'help', short: 'h', type: 'boolean', default: false, help: 'show this help' } as const satisfies CreateOption;

export interface ParsedArguments {
  /** By flag: a string for a valued option, true for a boolean one given, undefined otherwise. */
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * Parses `argv` against `rows`, allowing at most `maxPositionals` arguments that are not options.
 * Every mistake is a {@link CliError} with exit status 2, naming what is wrong, followed by
 * `(see --help)` or the given hint.
 */
export function parseArguments(
  argv: readonly string[],
  rows: readonly CreateOption[],
  options: { readonly maxPositionals: number; readonly hint?: string },
): ParsedArguments {
  const hint = options.hint ?? 'see --help';
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: parseArgsOptions(rows) });
  } catch (error) {
    throw new CliError('E_USAGE', `${usageProblem(error as NodeJS.ErrnoException, argv, rows)} (${hint})`, EXIT.usage);
  }
  const positionals = parsed.positionals;
  if (positionals.length > options.maxPositionals) {
    const extra = positionals.slice(options.maxPositionals);
    const problem =
      options.maxPositionals === 0
        ? `unexpected argument '${extra[0]}'`
        : `too many arguments: ${positionals.join(' ')} (at most ${options.maxPositionals})`;
    throw new CliError('E_USAGE', `${problem} (${hint})`, EXIT.usage);
  }
  return { values: parsed.values as ParsedArguments['values'], positionals };
}

/** parseArgs' error, in our words: the option, what is wrong with it, and what to type instead. */
function usageProblem(error: NodeJS.ErrnoException, argv: readonly string[], rows: readonly CreateOption[]): string {
  const option = /'(-{1,2}[^' ,]+)/.exec(error.message)?.[1] ?? '';
  const name = option.replace(/^-+/, '');
  const row = rows.find((candidate) => (option.startsWith('--') ? candidate.flag === name : candidate.short === name));
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const suggestion = option.startsWith('--') ? didYouMean(name, rows.map((candidate) => candidate.flag)) : undefined;
    return `unknown option '${option}'${suggestion ? `; did you mean '--${suggestion}'?` : ''}`;
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && row?.type === 'boolean') return `--${row.flag} takes no value`;
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && row && row.type !== 'boolean') {
    const index = argv.findIndex((arg) => arg === `--${row.flag}` || (row.short !== undefined && arg === `-${row.short}`));
    const next = index >= 0 ? argv[index + 1] : undefined;
    return next === undefined
      ? `--${row.flag} needs a value: --${row.flag} ${row.valueName}`
      : `--${row.flag} needs a value, and '${next}' looks like an option (write --${row.flag}=${next} if it is the value)`;
  }
  return (error.message.split('\n')[0] ?? String(error)).replace(/\.$/, '');
}
