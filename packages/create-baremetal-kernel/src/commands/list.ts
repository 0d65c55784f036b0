import { parseArgs } from 'node:util';
import { BOOT_PROTOCOLS, MODULES, PRESETS, TOOLCHAINS } from '@baremetal-kernel/target';
import { CliError } from '../errors.js';
import { EXIT, type Io } from '../io.js';

/** Every choice the generator offers, from the target model. */
export function catalogue() {
  return {
    bootProtocols: BOOT_PROTOCOLS.map(({ name, summary, firmware, linkAddress }) => ({ name, summary, firmware, linkAddress })),
    presets: PRESETS.map(({ name, summary, targetCpu }) => ({ name, summary, targetCpu: targetCpu ?? null })),
    modules: MODULES.map(({ name, summary, requires, bootProtocols }) => ({ name, summary, requires, bootProtocols })),
    toolchains: TOOLCHAINS.map(({ name, summary }) => ({ name, summary })),
  };
}

function section(title: string, rows: ReadonlyArray<{ name: string; summary: string }>, empty: string): string {
  const width = Math.max(0, ...rows.map((row) => row.name.length));
  const lines = rows.length > 0 ? rows.map((row) => `  ${row.name.padEnd(width)}  ${row.summary}`) : [`  ${empty}`];
  return `${title}:\n${lines.join('\n')}\n`;
}

/** `baremetal-kernel list [--json]` */
export function runList(args: readonly string[], io: Io): number {
  let json: boolean;
  try {
    ({
      values: { json },
    } = parseArgs({ args: [...args], strict: true, options: { json: { type: 'boolean', default: false } } }));
  } catch (error) {
    throw new CliError('E_USAGE', `${(error as Error).message.split('\n')[0]} (usage: baremetal-kernel list [--json])`, EXIT.usage);
  }
  const choices = catalogue();
  if (json) {
    io.stdout(`${JSON.stringify(choices, null, 2)}\n`);
    return EXIT.ok;
  }
  io.stdout(
    [
      section('Boot protocols (--boot)', choices.bootProtocols, ''),
      section('CPU feature presets (--preset)', choices.presets, ''),
      section('Modules (--modules)', choices.modules, 'none available yet'),
      section('Toolchain profiles (--toolchain)', [{ name: 'auto', summary: 'whichever profile works on this machine' }, ...choices.toolchains], ''),
    ].join('\n'),
  );
  return EXIT.ok;
}
