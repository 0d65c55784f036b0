import { basename, isAbsolute, resolve } from 'node:path';
import {
  AUTO_TOOLCHAIN,
  crateNameProblem,
  hostTools,
  suggestCrateName,
  validateKernelRequest,
  type BootProtocol,
  type KernelConfig,
  type ToolchainReport,
} from '@baremetal-kernel/target';
import {
  DEFAULT_KERNEL_NAME,
  GeneratorError,
  KERNEL_OPTIONS,
  availableBootProtocols,
  checkDestination,
  generateKernelPending,
  problemLines,
  promptChoices,
  promptedOptions,
  type CompiledTemplates,
  type PromptContext,
} from '@baremetal-kernel/generators';
import { CREATE_USAGE, parseCreateArguments, type CreateArguments } from '../create-args.js';
import { CliError } from '../errors.js';
import { EXIT, type Io } from '../io.js';
import type { Prompter } from '../prompter.js';
import type { SignalWatch } from '../signals.js';
import type { TemplateNeeds } from '../templates-source.js';
import { VERSION } from '../version.js';

/** The edges the command needs; tests pass fakes. */
export interface CreateDependencies {
  readonly detectToolchains: () => Promise<ToolchainReport>;
  /**
   * The compiled kernel templates (the modules' too when `modules`); a promise, so that a bundle
   * loads them only when needed.
   */
  readonly templates: (needs: TemplateNeeds) => Promise<CompiledTemplates>;
  /** Loaded only when a person is asked something. */
  readonly prompter: () => Promise<Prompter>;
  /** Whether a program is on PATH (for the hints at the end). */
  readonly onPath: (program: string) => boolean;
  /** Starts noticing SIGINT and SIGTERM instead of dying of them (see `signals.ts`). */
  readonly watchSignals: () => SignalWatch;
}

/** Where the project goes and what it is called, from the directory argument and --name. */
export function projectLocation(args: Pick<CreateArguments, 'directory' | 'name'>, cwd: string) {
  if (args.directory !== undefined) {
    const directory = resolve(cwd, args.directory);
    return { directory, name: args.name ?? basename(directory) };
  }
  if (args.name !== undefined) {
    assertPlainName(args.name);
    return { directory: resolve(cwd, args.name), name: args.name };
  }
  return undefined;
}

/** A name that was asked for must not be a path: `../x` would write outside the current directory. */
function namePathProblem(name: string): string | undefined {
  if (name.includes('/') || name.includes('\\') || name === '.' || name === '..' || isAbsolute(name)) {
    return `the project name '${name}' is a path: give a plain name, or pass the directory as the first argument`;
  }
  return undefined;
}

function assertPlainName(name: string): void {
  const problem = namePathProblem(name);
  if (problem) throw new CliError('E_NAME_IS_PATH', problem);
}

const TEST_STEP = 'cargo test';

/** The commands a person runs next, in order, for the chosen toolchain on this machine. */
export function nextSteps(config: KernelConfig, report: ToolchainReport, cdPath: string): string[] {
  const status = report.statuses.find((candidate) => candidate.name === config.toolchain.name);
  const steps = [...(status?.fix ?? config.toolchain.setup)];
  if (cdPath !== '.') steps.unshift(`cd ${/^[\w./-]+$/.test(cdPath) ? cdPath : `'${cdPath.replaceAll("'", "'\\''")}'`}`);
  const [run, why] = config.boot.runStep;
  steps.push(`${run.padEnd(TEST_STEP.length)}   # ${why}`, `${TEST_STEP}   # run the in-kernel tests in QEMU`);
  return steps;
}

export function missingBootTools(protocol: BootProtocol, onPath: (program: string) => boolean): string[] {
  return hostTools(protocol).filter((tool) => !tool.programs.some(onPath)).map((tool) => tool.name);
}

type Choices = Pick<CreateArguments, 'boot' | 'preset' | 'toolchain' | 'modules'>;

/**
 * Asks for every option of the kernel that was not given (the name is asked before, see `create`),
 * in the order of {@link KERNEL_OPTIONS}. Toolchain choices say whether this machine has them.
 */
async function askMissingChoices(
  args: CreateArguments,
  context: PromptContext,
  available: Partial<Record<keyof Choices, readonly string[]>>,
  prompter: Prompter,
): Promise<Choices> {
  const answers: Record<string, string | readonly string[] | undefined> = {};
  for (const option of promptedOptions(KERNEL_OPTIONS)) {
    if (option.key === 'name') continue;
    const key = option.key as keyof Choices;
    const given = args[key];
    if (given !== undefined) {
      answers[key] = given;
      continue;
    }
    const { choices, default: initial } = promptChoices(option, context, available[key]);
    answers[key] =
      option.type === 'list'
        ? await prompter.checkbox({ message: option.prompt, choices })
        : await prompter.select({ message: option.prompt, choices, default: initial });
  }
  return answers as Choices;
}

/**
 * The project's name: from --name, else the directory's name, else asked (or the default). A
 * directory name that cannot be a crate's is asked again of a person, at once.
 */
async function projectName(args: CreateArguments, io: Io, interactive: boolean, ask: () => Promise<Prompter>) {
  const location = projectLocation(args, io.cwd);
  // Without a person to ask, the model's validation reports a bad name with every other problem;
  // a person hears of it before any question: a bad --name is refused, a bad directory name asked again.
  const problem = location && interactive ? crateNameProblem(location.name) : undefined;
  if (problem && args.name !== undefined) throw new CliError('E_INVALID_NAME', `invalid project name: ${problem}`, EXIT.usage);
  if (!location || problem) {
    const nameOption = KERNEL_OPTIONS.find((option) => option.key === 'name')!;
    const initial = location ? (suggestCrateName(location.name) ?? DEFAULT_KERNEL_NAME) : DEFAULT_KERNEL_NAME;
    const name = interactive
      ? await (await ask()).input({
          message: problem ? `Project name ('${location!.name}' cannot be one: ${problem})` : nameOption.prompt,
          default: initial,
          validate: (value) => (location ? undefined : namePathProblem(value)) ?? nameOption.validate(value) ?? true,
        })
      : DEFAULT_KERNEL_NAME;
    if (location) return { ...location, name };
    assertPlainName(name);
    return { directory: resolve(io.cwd, name), name };
  }
  return location;
}

async function create(argv: readonly string[], io: Io, deps: CreateDependencies): Promise<number> {
  const args = parseCreateArguments(argv, io.env);
  if (args.help) {
    io.stdout(CREATE_USAGE);
    return EXIT.ok;
  }
  if (args.version) {
    io.stdout(`${VERSION}\n`);
    return EXIT.ok;
  }
  // Detection starts processes and the templates load: let both go on while the rest is decided.
  // --yes first: asking the terminal loads modules a run that asks nothing does not need (io.ts).
  const interactive = !args.yes && io.interactive;
  const detection = deps.detectToolchains();
  // The modules' templates only where modules may be chosen: given, or asked for.
  const loading = deps.templates({ modules: interactive || (args.modules?.length ?? 0) > 0 });
  // Marks a rejection as handled if the command ends (say, on a bad name) before it needs them.
  loading.catch(() => undefined);
  let prompter: Prompter | undefined;
  const ask = async () => (prompter ??= await deps.prompter());

  const location = await projectName(args, io, interactive, ask);
  // Messages and the `cd` step name the directory as it was typed.
  const shown = args.directory ?? location.name;
  const destination = { force: args.force, label: shown };
  // A person hears of an unusable destination before any question; without one, the check
  // after planning says it too, naming the files that would be replaced.
  if (interactive) checkDestination(location.directory, destination);

  const toolchains = await detection;
  const templates = await loading;
  const choices = interactive ? await askMissingChoices(args, { toolchains }, { boot: availableBootProtocols(templates) }, await ask()) : args;

  const validation = validateKernelRequest(
    { name: location.name, boot: choices.boot, preset: choices.preset, toolchain: choices.toolchain ?? AUTO_TOOLCHAIN, modules: choices.modules },
    { detected: toolchains },
  );
  if (!validation.ok) {
    for (const line of problemLines(validation.problems, args.name !== undefined)) io.stderr(`error: ${line}\n`);
    // A value the command line or a prompt gave that the model refuses: the usage was wrong.
    return EXIT.usage;
  }
  const { config } = validation;
  // A signal while the files are written would kill the process half way: it is noticed instead.
  // If one came while writing, everything written is taken back once the (synchronous) writing is
  // over; one that comes later is ignored, as the kernel is whole by then, until the report is out.
  const signals = deps.watchSignals();
  try {
    const pending = generateKernelPending(config, { directory: location.directory, dryRun: args.dryRun, templates, ...destination });
    const signal = await signals.received();
    if (signal) {
      pending.undo();
      io.stderr(`Interrupted (${signal}); nothing was written.\n`);
      return EXIT.signal(signal);
    }
    pending.finish();
    report(io, { config, shown, plan: pending.plan, replaced: pending.replaced, dryRun: args.dryRun, toolchains, onPath: deps.onPath });
    return EXIT.ok;
  } finally {
    signals.stop();
  }
}

/** What `create` says once the kernel is written (or, on a dry run, would be). */
function report(
  io: Io,
  done: {
    config: KernelConfig;
    shown: string;
    plan: { files: readonly { path: string }[] };
    replaced: readonly string[];
    dryRun: boolean;
    toolchains: ToolchainReport;
    onPath: (program: string) => boolean;
  },
): void {
  const { config, shown, plan, replaced } = done;
  const replacedNote = replaced.length > 0 ? ` (--force: replacing ${replaced.join(', ')}, which were there)` : '';
  const what = `a ${config.boot.name} kernel (preset ${config.preset.name}, toolchain ${config.toolchain.name})`;
  const files = plan.files.map((file) => `  ${file.path}\n`).join('');
  // One write for the whole report: each write to a pipe is a system call.
  if (done.dryRun) {
    io.stdout(`Would write ${what} to ${shown}${replacedNote}:\n${files}Nothing was written (--dry-run).\n`);
    return;
  }
  const steps = nextSteps(config, done.toolchains, shown).map((step) => `  ${step}\n`).join('');
  const missing = missingBootTools(config.boot, done.onPath);
  const missingNote =
    missing.length > 0 ? `\nMissing to boot it: ${missing.join(', ')}. \`npx baremetal-kernel doctor\` says how to install them.\n` : '';
  io.stdout(`Wrote ${what} to ${shown}${replacedNote.replace('replacing', 'replaced')}:\n${files}\nNext:\n\n${steps}${missingNote}`);
}

/** `create-baremetal-kernel [dir] [options]`: returns the exit status; every error is one line. */
export async function runCreate(argv: readonly string[], io: Io, deps: CreateDependencies): Promise<number> {
  try {
    return await create(argv, io, deps);
  } catch (error) {
    if (error instanceof CliError || error instanceof GeneratorError) {
      for (const line of error.message.split('\n')) io.stderr(`error: ${line}\n`);
      return error instanceof CliError ? error.exitCode : EXIT.failure;
    }
    if ((error as Error).name === 'ExitPromptError') {
      io.stderr('Cancelled; nothing was written.\n');
      return EXIT.failure;
    }
    throw error;
  }
}
