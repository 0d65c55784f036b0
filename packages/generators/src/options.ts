/**
 * The options of a new kernel, described once. The CLI's flag parser, its `--help`, its prompts,
 * the plop generator's prompts and `list --json` are all derived from these rows (and the Nx
 * schema will be), so a choice added to the model shows up everywhere, with the same words.
 */
import {
  AUTO_TOOLCHAIN,
  AUTO_TOOLCHAIN_SUMMARY,
  BOOT_PROTOCOLS,
  DEFAULT_BOOT_PROTOCOL,
  DEFAULT_PRESET,
  MODULES,
  PRESETS,
  TOOLCHAINS,
  crateNameProblem,
  resolveAutoToolchain,
  type ToolchainReport,
} from '@baremetal-kernel/target';

/** One allowed value of an option, with its one-line description. */
export interface OptionChoice {
  readonly value: string;
  readonly summary: string;
}

interface OptionRow {
  /** The property in a kernel request (and in the Nx schema). */
  readonly key: string;
  /** The command-line flag, without `--`. */
  readonly flag: string;
  readonly short?: string;
  /** One line, for `--help` and schema descriptions. */
  readonly help: string;
}

/** What a prompt knows of the machine it runs on. */
export interface PromptContext {
  readonly toolchains: ToolchainReport;
}

/** An option whose prompt's choices depend on the machine: a note on each. */
interface MachineAware {
  /** What this machine says of a choice, added to its summary in a prompt. */
  readonly machineNote?: (value: string, context: PromptContext) => string | undefined;
}

/** A value that is one of `choices` when there are any, else free text (checked by the model). */
export interface StringOption extends OptionRow, MachineAware {
  readonly type: 'string';
  /** How `--help` shows the value: `<protocol>`. */
  readonly valueName: string;
  readonly default: string;
  /** How `--help` describes the default, where the value alone would mislead. */
  readonly defaultHelp?: string;
  readonly choices?: readonly OptionChoice[];
  /** The question a person is asked when the option was not given. */
  readonly prompt?: string;
  /** The prompt's default on this machine, where that is not `default` (which means "decide later"). */
  readonly machineDefault?: (context: PromptContext) => string;
  /** What is wrong with a value (one line), checked as it is typed into a prompt. */
  readonly validate?: (value: string) => string | undefined;
}

/** A comma-separated list of values from `choices`. */
export interface ListOption extends OptionRow, MachineAware {
  readonly type: 'list';
  readonly valueName: string;
  readonly default: readonly string[];
  readonly choices: readonly OptionChoice[];
  readonly prompt?: string;
}

export interface BooleanOption extends OptionRow {
  readonly type: 'boolean';
  readonly default: boolean;
}

export type CreateOption = StringOption | ListOption | BooleanOption;

/** The name a kernel gets when nothing names it. */
export const DEFAULT_KERNEL_NAME = 'my-kernel';

/** What a kernel is: the options every front end (CLI, plop, Nx) asks for. */
export const KERNEL_OPTIONS = [
  {
    key: 'name',
    flag: 'name',
    type: 'string',
    valueName: '<name>',
    default: DEFAULT_KERNEL_NAME,
    defaultHelp: `the directory's name, or ${DEFAULT_KERNEL_NAME}`,
    help: 'package name: lowercase letters, digits, - and _',
    prompt: 'Project name',
    validate: crateNameProblem,
  },
  {
    key: 'boot',
    flag: 'boot',
    type: 'string',
    valueName: '<protocol>',
    default: DEFAULT_BOOT_PROTOCOL,
    choices: BOOT_PROTOCOLS.map(({ name, summary }) => ({ value: name, summary })),
    help: 'boot protocol',
    prompt: 'Boot protocol',
  },
  {
    key: 'preset',
    flag: 'preset',
    type: 'string',
    valueName: '<name>',
    default: DEFAULT_PRESET,
    choices: PRESETS.map(({ name, summary }) => ({ value: name, summary })),
    help: 'CPU feature preset',
    prompt: 'CPU feature preset',
  },
  {
    key: 'modules',
    flag: 'modules',
    type: 'list',
    valueName: '<a,b>',
    default: [],
    choices: MODULES.map(({ name, summary }) => ({ value: name, summary })),
    help: 'kernel modules to add',
    prompt: 'Modules',
  },
  {
    key: 'toolchain',
    flag: 'toolchain',
    type: 'string',
    valueName: '<profile>',
    default: AUTO_TOOLCHAIN,
    defaultHelp: 'what this machine has',
    choices: [
      { value: AUTO_TOOLCHAIN, summary: AUTO_TOOLCHAIN_SUMMARY },
      ...TOOLCHAINS.map(({ name, summary }) => ({ value: name, summary })),
    ],
    help: 'Rust toolchain profile',
    prompt: 'Rust toolchain',
    // A person is offered what `auto` would pick, and told which profiles this machine has.
    machineDefault: ({ toolchains }) => resolveAutoToolchain(toolchains),
    machineNote: (value, { toolchains }) => {
      const status = toolchains.statuses.find((candidate) => candidate.name === value);
      if (status === undefined) return undefined;
      return status.usable ? 'found on this machine' : `not set up: ${status.detail}`;
    },
  },
] as const satisfies readonly CreateOption[];

/** An option a person can be asked about. */
export type PromptedOption = (StringOption | ListOption) & { readonly prompt: string };

/** The options a person is asked about when they did not give them (and there is a choice to make). */
export function promptedOptions(options: readonly CreateOption[]): PromptedOption[] {
  return options.filter(
    (option): option is PromptedOption =>
      option.type !== 'boolean' && option.prompt !== undefined && (option.type === 'string' || option.choices.length > 0),
  );
}

/**
 * A prompt's choices and default on this machine: each choice's summary with what the machine says
 * of it, only the values in `available` when given (say, the protocols with templates), and the
 * machine's default where the option has one.
 */
export function promptChoices(option: PromptedOption, context: PromptContext, available?: readonly string[]) {
  const choices = (option.choices ?? [])
    .filter((choice) => available === undefined || available.includes(choice.value))
    .map((choice) => {
      const note = option.machineNote?.(choice.value, context);
      return { value: choice.value, description: note === undefined ? choice.summary : `${choice.summary} (${note})` };
    });
  // A list starts with nothing chosen; one value starts at the machine's default, else the row's.
  const initial = option.type === 'string' ? (option.machineDefault?.(context) ?? option.default) : undefined;
  return { choices, default: initial };
}

/** `util.parseArgs`'s option table for these rows (lists are strings, split by {@link splitList}). */
export function parseArgsOptions(
  options: readonly CreateOption[],
): Record<string, { type: 'string' | 'boolean'; short?: string }> {
  return Object.fromEntries(
    options.map((option) => [
      option.flag,
      { type: option.type === 'boolean' ? 'boolean' : 'string', ...(option.short ? { short: option.short } : {}) },
    ]),
  );
}

/** A list option's value: `a, b,,c` is `['a', 'b', 'c']`. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/** Items as a sentence lists them: `a, b or c` (with `and`, `a, b and c`). */
export function sentenceList(items: readonly string[], conjunction: 'and' | 'or'): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} ${conjunction} ${items[items.length - 1]}`;
}

/** The right-hand side of an option's `--help` line: its help, then its values and default. */
function describe(option: CreateOption): string {
  if (option.type === 'boolean') return option.help;
  const choices = option.choices ?? [];
  if (option.type === 'list') {
    return choices.length > 0 ? `${option.help}: ${choices.map((choice) => choice.value).join(', ')}` : `${option.help} (none available yet)`;
  }
  const defaultNote = `(default${option.defaultHelp ? `: ${option.defaultHelp}` : ''})`;
  if (choices.length === 0) return `${option.help} ${defaultNote}`;
  const values = choices.map((choice) => (choice.value === option.default ? `${choice.value} ${defaultNote}` : choice.value));
  const defaultIsAChoice = choices.some((choice) => choice.value === option.default);
  return `${option.help}: ${values.join(', ')}${defaultIsAChoice ? '' : ` ${defaultNote}`}`;
}

/** The `Options:` lines of a usage text, aligned, for these rows plus any extra `[left, right]` lines. */
export function renderOptionsHelp(options: readonly CreateOption[], extra: readonly (readonly [string, string])[] = []): string {
  const rows: (readonly [string, string])[] = options.map((option) => {
    const flag = `${option.short ? `-${option.short}, ` : ''}--${option.flag}`;
    return [option.type === 'boolean' ? flag : `${flag} ${option.valueName}`, describe(option)];
  });
  rows.push(...extra);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`.trimEnd()).join('\n');
}

/** The rows as plain data, for `list --json` and schema generators. */
export function optionsAsJson(options: readonly CreateOption[]) {
  return options.map((option) => ({
    name: option.key,
    flag: `--${option.flag}`,
    type: option.type,
    default: option.default,
    help: option.help,
    ...(option.type !== 'boolean' && option.choices ? { choices: option.choices } : {}),
  }));
}
