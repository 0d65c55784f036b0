/** `baremetal-kernel add <module...>`: grows a kernel that exists by whole modules. */
import { statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { MODULES } from '@baremetal-kernel/target';
import {
  CARGO_MANIFEST,
  GeneratorError,
  applyChangesPending,
  kernelFileReader,
  planAddModules,
  renderOptionsHelp,
  sentenceList,
  splitList,
  unifiedDiff,
  type AddPlan,
  type CompiledTemplates,
  type CreateOption,
} from '@baremetal-kernel/generators';
import { HELP_OPTION, parseArguments } from '../arguments.js';
import { CliError } from '../errors.js';
import { EXIT, type Io } from '../io.js';
import type { SignalWatch } from '../signals.js';

export interface AddDependencies {
  readonly templates: () => Promise<CompiledTemplates>;
  readonly watchSignals: () => SignalWatch;
}

const ADD_OPTIONS = [
  { key: 'dir', flag: 'dir', type: 'string', valueName: '<path>', default: '.', defaultHelp: 'the current directory', help: 'the kernel, or a directory inside it' },
  { key: 'dryRun', flag: 'dry-run', type: 'boolean', default: false, help: 'print the changes as a unified diff (git apply takes it); write nothing' },
  HELP_OPTION,
] as const satisfies readonly CreateOption[];

function modulesHelp(): string {
  if (MODULES.length === 0) return '  none available yet';
  const width = Math.max(...MODULES.map((module) => module.name.length));
  return MODULES.map((module) => `  ${module.name.padEnd(width)}  ${module.summary}`).join('\n');
}

export const ADD_USAGE = `Usage: baremetal-kernel add <module...> [options]

Adds modules to a kernel made by create-baremetal-kernel: their files, their lines at the named
anchors of the kernel's own code (src/lib.rs, src/main.rs, Cargo.toml, ...), and the modules
they require, in dependency order. Code of yours around the anchors stays. Everything is written
together or nothing is: a module that conflicts, an anchor that is gone or a file of yours in
the way stops it before any write, saying what to do.

Options:
${renderOptionsHelp(ADD_OPTIONS)}

Modules (\`baremetal-kernel list\` says where each applies):
${modulesHelp()}
`;

/** The kernel whose files `add` changes: the first directory upward that has a Cargo.toml (as cargo searches). */
function findKernel(start: string, label: string): string {
  let stats;
  try {
    stats = statSync(start);
  } catch {
    throw new CliError('E_NOT_A_KERNEL', `${label} does not exist`);
  }
  if (!stats.isDirectory()) throw new CliError('E_NOT_A_KERNEL', `${label} is not a directory`);
  for (let directory = start; ; directory = dirname(directory)) {
    try {
      if (statSync(join(directory, CARGO_MANIFEST)).isFile()) return directory;
    } catch {
      // Not here: one level up.
    }
    if (dirname(directory) === directory) {
      throw new CliError('E_NOT_A_KERNEL', `no ${CARGO_MANIFEST} in ${label} or any directory above it: not inside a kernel`);
    }
  }
}

/** `keyboard (with pic-timer, which it requires)` */
function describeAdded(plan: AddPlan): string {
  const asked = plan.added.map((module) => module.name).filter((name) => !plan.required.includes(name));
  const required = plan.required.length > 0 ? ` (with ${sentenceList(plan.required, 'and')}, which ${asked.length === 1 ? 'it requires' : 'they require'})` : '';
  return `${sentenceList(asked.length > 0 ? asked : plan.added.map((module) => module.name), 'and')}${required}`;
}

async function add(argv: readonly string[], io: Io, deps: AddDependencies): Promise<number> {
  const { values, positionals } = parseArguments(argv, ADD_OPTIONS, { maxPositionals: Infinity, hint: 'see baremetal-kernel add --help' });
  if (values.help) {
    io.stdout(ADD_USAGE);
    return EXIT.ok;
  }
  const requested = [...new Set(positionals.flatMap(splitList))];
  if (requested.length === 0) {
    throw new CliError('E_USAGE', 'name at least one module: baremetal-kernel add <module...> (`baremetal-kernel list` shows them)', EXIT.usage);
  }
  const dirLabel = typeof values.dir === 'string' ? values.dir : '.';
  const root = findKernel(resolve(io.cwd, dirLabel), dirLabel);
  const shown = relative(io.cwd, root) || '.';
  const plan = planAddModules(requested, kernelFileReader(root), await deps.templates());
  const already = plan.present.length > 0 ? `${sentenceList(plan.present, 'and')} ${plan.present.length === 1 ? 'is' : 'are'} in the kernel already` : '';
  for (const note of plan.builtIn) io.stdout(`${note}: nothing to add.\n`);
  if (plan.changes.length === 0) {
    if (already) io.stdout(`Nothing to do: ${already}.\n`);
    return EXIT.ok;
  }
  const alreadyNote = already ? ` (${already})` : '';
  const files = plan.changes.map((change) => `  ${change.path}${change.before === undefined ? ' (new)' : ''}\n`).join('');
  if (values['dry-run']) {
    io.stdout(unifiedDiff(plan.changes));
    io.stderr(`Would add ${describeAdded(plan)} to ${shown}${alreadyNote}, changing:\n${files}Nothing was written (--dry-run).\n`);
    return EXIT.ok;
  }
  // As in create: a signal while writing is noticed, and everything is taken back after it.
  const signals = deps.watchSignals();
  try {
    const pending = applyChangesPending(plan.changes, root);
    const signal = await signals.received();
    if (signal) {
      pending.undo();
      io.stderr(`Interrupted (${signal}); nothing was changed.\n`);
      return EXIT.signal(signal);
    }
    pending.finish();
  } finally {
    signals.stop();
  }
  io.stdout(`Added ${describeAdded(plan)} to ${shown}${alreadyNote}:\n${files}\nNext: cargo test   # the modules' own tests run in QEMU\n`);
  return EXIT.ok;
}

/** `baremetal-kernel add`: returns the exit status; every error is one line. */
export async function runAdd(argv: readonly string[], io: Io, deps: AddDependencies): Promise<number> {
  try {
    return await add(argv, io, deps);
  } catch (error) {
    if (error instanceof CliError || error instanceof GeneratorError) {
      for (const line of error.message.split('\n')) io.stderr(`error: ${line}\n`);
      const usage = error instanceof CliError ? error.exitCode : error.code === 'E_UNKNOWN_MODULE' ? EXIT.usage : EXIT.failure;
      return usage;
    }
    throw error;
  }
}
