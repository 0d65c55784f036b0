import { AUTO_TOOLCHAIN, AUTO_TOOLCHAIN_SUMMARY, BOOT_PROTOCOLS, MODULES, PRESETS, TOOLCHAINS } from '@baremetal-kernel/target';
import { KERNEL_OPTIONS, renderOptionsHelp, type CreateOption } from '@baremetal-kernel/generators';
import { HELP_OPTION, parseArguments } from '../arguments.js';
import { EXIT, type Io } from '../io.js';

const LIST_OPTIONS = [
  { key: 'json', flag: 'json', type: 'boolean', default: false, help: 'print the catalogue as one JSON object' },
  HELP_OPTION,
] as const satisfies readonly CreateOption[];

export const LIST_USAGE = `Usage: baremetal-kernel list [options]

Every choice a new kernel can make: boot protocols, CPU feature presets, modules and toolchain
profiles, each with its one-line description; the default of each is marked.

Options:
${renderOptionsHelp(LIST_OPTIONS)}
`;

/** The default of the create option `key`, from the one description of the options. */
function defaultOf(key: string): unknown {
  return KERNEL_OPTIONS.find((option) => option.key === key)?.default;
}

/** Every choice the generator offers, from the target model, with the defaults marked. */
export function catalogue() {
  const isDefault = (key: string, name: string) => defaultOf(key) === name;
  return {
    bootProtocols: BOOT_PROTOCOLS.map(({ name, summary, firmware, linkAddress }) => ({
      name,
      summary,
      firmware,
      linkAddress,
      default: isDefault('boot', name),
    })),
    presets: PRESETS.map(({ name, summary, targetCpu }) => ({ name, summary, targetCpu: targetCpu ?? null, default: isDefault('preset', name) })),
    modules: MODULES.map(({ name, summary, requires, conflicts, bootProtocols, unsupported, presets, firmware }) => ({
      name,
      summary,
      requires,
      conflicts,
      bootProtocols,
      unsupported,
      presets: presets ?? null,
      firmware: firmware ?? null,
    })),
    toolchains: [
      { name: AUTO_TOOLCHAIN, summary: AUTO_TOOLCHAIN_SUMMARY, default: isDefault('toolchain', AUTO_TOOLCHAIN) },
      ...TOOLCHAINS.map(({ name, summary }) => ({ name, summary, default: isDefault('toolchain', name) })),
    ],
  };
}

interface Row {
  readonly name: string;
  readonly summary: string;
  readonly default?: boolean;
  /** Said after the summary, in parentheses. */
  readonly notes?: readonly string[];
}

function section(title: string, rows: readonly Row[], empty: string): string {
  const width = Math.max(0, ...rows.map((row) => row.name.length));
  const notes = (row: Row) => [...(row.notes ?? []), ...(row.default ? ['default'] : [])];
  const lines =
    rows.length > 0
      ? rows.map((row) => `  ${row.name.padEnd(width)}  ${row.summary}${notes(row).length > 0 ? ` (${notes(row).join('; ')})` : ''}`)
      : [`  ${empty}`];
  return `${title}:\n${lines.join('\n')}\n`;
}

/** What a module needs and where it applies, in a few words each. */
function moduleNotes(module: ReturnType<typeof catalogue>['modules'][number]): string[] {
  const notes: string[] = [];
  if (module.requires.length > 0) notes.push(`needs ${module.requires.join(', ')}`);
  if (module.bootProtocols.length < BOOT_PROTOCOLS.length) notes.push(`${module.bootProtocols.join(', ')} only`);
  if (module.presets) notes.push(`preset ${module.presets.only.join(' or ')}`);
  if (module.firmware) notes.push(`${module.firmware.only.toUpperCase()} only`);
  for (const conflict of module.conflicts) notes.push(`not with ${conflict.module}`);
  return notes;
}

/** `baremetal-kernel list [--json]` */
export function runList(args: readonly string[], io: Io): number {
  const { values } = parseArguments(args, LIST_OPTIONS, { maxPositionals: 0, hint: 'see baremetal-kernel list --help' });
  if (values.help) {
    io.stdout(LIST_USAGE);
    return EXIT.ok;
  }
  const choices = catalogue();
  if (values.json) {
    io.stdout(`${JSON.stringify(choices, null, 2)}\n`);
    return EXIT.ok;
  }
  io.stdout(
    [
      section('Boot protocols (--boot)', choices.bootProtocols, ''),
      section('CPU feature presets (--preset)', choices.presets, ''),
      section('Modules (--modules, or `baremetal-kernel add`)', choices.modules.map((module) => ({ ...module, notes: moduleNotes(module) })), 'none available yet'),
      section('Toolchain profiles (--toolchain)', choices.toolchains, ''),
    ].join('\n'),
  );
  return EXIT.ok;
}
