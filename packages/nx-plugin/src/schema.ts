/**
 * The generators' `schema.json`, derived from the rows the CLI's flags, `--help` and prompts come
 * from ({@link KERNEL_OPTIONS}), so a preset, protocol, toolchain or module added to the target
 * model shows up in `nx g` and Nx Console with the CLI's words. The build writes them
 * (scripts/write-schemas.mjs); nothing else holds a copy.
 *
 * No `enum` or `pattern`: Nx checks those before the generator runs, with messages of its own; the
 * choices go to `x-prompt` items instead, and the model refuses a bad value with the CLI's message.
 */
import { KERNEL_OPTIONS, type CreateOption, type OptionChoice } from '@baremetal-kernel/generators';

/** What Nx reads of one property. */
export interface SchemaProperty {
  readonly type: 'string' | 'boolean' | 'array';
  readonly description: string;
  readonly default?: string | boolean | readonly string[];
  readonly items?: { readonly type: 'string' };
  readonly $default?: { readonly $source: 'argv'; readonly index: number };
  readonly 'x-prompt'?: string | XPrompt;
  readonly 'x-priority'?: 'important';
}

interface XPrompt {
  readonly message: string;
  readonly type: 'list';
  readonly multiselect?: true;
  readonly items: readonly { readonly value: string; readonly label: string }[];
}

export interface GeneratorSchema {
  readonly $schema: string;
  readonly $id: string;
  readonly title: string;
  readonly description: string;
  readonly type: 'object';
  readonly properties: Readonly<Record<string, SchemaProperty>>;
  readonly required: readonly string[];
  readonly additionalProperties: false;
}

/** How a generator uses a row: positional, required, asked for; without its default where Nx derives it. */
interface Use {
  readonly positional?: number;
  readonly required?: boolean;
  /** The row's default is not Nx's (the kernel's name is the directory's when not given). */
  readonly noDefault?: boolean;
  /** What the default is, where the row's words are the CLI's (`the directory's name, or my-kernel`). */
  readonly defaultHelp?: string;
  /** A question for a row that has no prompt of its own (the options only Nx has); false: never asked. */
  readonly prompt?: string | false;
}

/** `boot protocol: multiboot2 (default), limine`: the row's help, its values and what its default means. */
function describe(option: CreateOption, use: Use): string {
  if (option.type === 'boolean') return option.help;
  const values = (option.choices ?? []).map((choice: OptionChoice) => choice.value);
  const defaultHelp = use.defaultHelp ?? (option.type === 'string' ? option.defaultHelp : undefined);
  const defaultNote = defaultHelp ? ` (default: ${defaultHelp})` : '';
  return values.length > 0 ? `${option.help}: ${values.join(', ')}${defaultNote}` : `${option.help}${defaultNote}`;
}

function xPrompt(option: CreateOption, use: Use): SchemaProperty['x-prompt'] {
  if (use.prompt === false) return undefined;
  if (option.type === 'boolean') return use.prompt;
  const choices = option.choices ?? [];
  const message = option.prompt ?? use.prompt;
  if (message === undefined) return undefined;
  if (choices.length === 0) return message;
  return {
    message,
    type: 'list',
    ...(option.type === 'list' ? { multiselect: true as const } : {}),
    items: choices.map((choice) => ({ value: choice.value, label: `${choice.value}: ${choice.summary}` })),
  };
}

/** One row as a schema property. */
export function schemaProperty(option: CreateOption, use: Use = {}): SchemaProperty {
  const prompt = xPrompt(option, use);
  return {
    type: option.type === 'list' ? 'array' : option.type,
    description: describe(option, use),
    ...(option.type === 'list' ? { items: { type: 'string' as const } } : {}),
    ...(use.noDefault || use.required ? {} : { default: option.default }),
    ...(use.positional === undefined ? {} : { $default: { $source: 'argv' as const, index: use.positional } }),
    ...(prompt === undefined ? {} : { 'x-prompt': prompt }),
    ...(use.required ? { 'x-priority': 'important' as const } : {}),
  };
}

function schema(id: string, title: string, rows: readonly (readonly [CreateOption, Use])[]): GeneratorSchema {
  return {
    $schema: 'https://json-schema.org/schema',
    $id: id,
    title,
    description: title,
    type: 'object',
    properties: Object.fromEntries(rows.map(([option, use]) => [option.key, schemaProperty(option, use)])),
    required: rows.filter(([, use]) => use.required).map(([option]) => option.key),
    additionalProperties: false,
  };
}

type KernelOptionKey = (typeof KERNEL_OPTIONS)[number]['key'];

export function kernelOption(key: KernelOptionKey): CreateOption {
  return KERNEL_OPTIONS.find((option) => option.key === key)!;
}

/** The options only the Nx generators have, in the rows' shape (the CLI's positional and `--force`). */
export const NX_OPTIONS = {
  kernelDirectory: {
    key: 'directory',
    flag: 'directory',
    type: 'string',
    valueName: '<path>',
    default: '',
    help: "where the kernel goes, from the workspace's root; it names the kernel unless --name does",
  },
  force: {
    key: 'force',
    flag: 'force',
    type: 'boolean',
    default: false,
    help: 'add the kernel to a directory that is not empty, replacing the files it names',
  },
  moduleDirectory: {
    key: 'directory',
    flag: 'directory',
    type: 'string',
    valueName: '<path>',
    default: '',
    help: "the kernel's directory (where its Cargo.toml is), from the workspace's root",
  },
} as const satisfies Record<string, CreateOption>;

/** The `kernel` generator's schema: the directory, then every kernel option in the CLI's order. */
export function kernelSchema(): GeneratorSchema {
  return schema('BaremetalKernelKernel', 'a bootable no_std Rust kernel for x86_64-unknown-none', [
    [NX_OPTIONS.kernelDirectory, { positional: 0, required: true, prompt: 'Directory of the new kernel' }],
    ...KERNEL_OPTIONS.map((option): readonly [CreateOption, Use] => [option, option.key === 'name' ? { noDefault: true, prompt: false, defaultHelp: "the directory's name" } : {}]),
    [NX_OPTIONS.force, {}],
  ]);
}

/** The `module` generator's schema: the modules (the kernel option's row) and the kernel's directory. */
export function moduleSchema(): GeneratorSchema {
  return schema('BaremetalKernelModule', 'add modules to a kernel made by the kernel generator', [
    [kernelOption('modules'), { positional: 0, required: true }],
    [NX_OPTIONS.moduleDirectory, { required: true, prompt: "The kernel's directory" }],
  ]);
}

/** Every generator's schema, by the generator's name in generators.json. */
export const SCHEMAS: Readonly<Record<string, () => GeneratorSchema>> = { kernel: kernelSchema, module: moduleSchema };
