import { basename, isAbsolute, resolve } from 'node:path';
import {
  BOOT_PROTOCOLS,
  PRESETS,
  TOOLCHAINS,
  crateNameProblem,
  validateKernelRequest,
  type BootProtocolName,
  type KernelConfig,
  type ToolchainName,
  type ToolchainReport,
} from '@baremetal-kernel/target';
import {
  GeneratorError,
  availableBootProtocols,
  checkDestination,
  generateKernel,
  type CompiledTemplates,
} from '@baremetal-kernel/generators';
import { CREATE_USAGE, parseCreateArguments, type CreateArguments } from '../create-args.js';
import { CliError } from '../errors.js';
import { EXIT, type Io } from '../io.js';
import type { Prompter } from '../prompter.js';
import { VERSION } from '../version.js';

/** The edges the command needs; tests pass fakes. */
export interface CreateDependencies {
  readonly detectToolchains: () => Promise<ToolchainReport>;
  readonly templates: () => CompiledTemplates;
  /** Loaded only when a person is asked something. */
  readonly prompter: () => Promise<Prompter>;
  /** Whether a program is on PATH (for the hints at the end). */
  readonly onPath: (program: string) => boolean;
}

export const DEFAULT_NAME = 'my-kernel';

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

/** The toolchain `auto` stands for: what works here, else the most common setup (with its fix shown). */
export function resolveAutoToolchain(report: ToolchainReport): ToolchainName {
  return report.recommended ?? 'rustup-stable';
}

/** The commands a person runs next, in order, for the chosen toolchain on this machine. */
export function nextSteps(config: KernelConfig, report: ToolchainReport, cdPath: string): string[] {
  const status = report.statuses.find((candidate) => candidate.name === config.toolchain.name);
  const steps = [...(status?.fix ?? config.toolchain.setup)];
  if (cdPath !== '.') steps.unshift(`cd ${/^[\w./-]+$/.test(cdPath) ? cdPath : `'${cdPath.replaceAll("'", "'\\''")}'`}`);
  steps.push('cargo run    # boot it in QEMU through GRUB (add -- --direct for the fast path)', 'cargo test   # run the in-kernel tests in QEMU');
  return steps;
}

type BootTool = { readonly name: string; readonly programs: readonly string[] };
const QEMU_TOOL: BootTool = { name: 'QEMU', programs: ['qemu-system-x86_64'] };
const XORRISO_TOOL: BootTool = { name: 'xorriso', programs: ['xorriso'] };

/** What each protocol's runner calls, each tool with the alternatives that will do. */
const BOOT_TOOLS: Readonly<Record<BootProtocolName, readonly BootTool[]>> = {
  multiboot2: [
    QEMU_TOOL,
    { name: 'GRUB', programs: ['grub-mkrescue', 'grub2-mkrescue'] },
    XORRISO_TOOL,
    { name: 'mtools', programs: ['mformat'] },
  ],
  // The Limine runner also fetches the release and builds its host tool.
  limine: [
    QEMU_TOOL,
    XORRISO_TOOL,
    { name: 'curl', programs: ['curl'] },
    { name: 'make', programs: ['make'] },
    { name: 'a C compiler', programs: ['cc', 'gcc', 'clang'] },
  ],
};

export function missingBootTools(protocol: BootProtocolName, onPath: (program: string) => boolean): string[] {
  return BOOT_TOOLS[protocol].filter((tool) => !tool.programs.some(onPath)).map((tool) => tool.name);
}

async function askMissingChoices(
  args: CreateArguments,
  report: ToolchainReport,
  bootProtocols: readonly string[],
  prompter: Prompter,
): Promise<Pick<CreateArguments, 'boot' | 'preset' | 'toolchain'>> {
  const boot =
    args.boot ??
    (await prompter.select({
      message: 'Boot protocol',
      choices: BOOT_PROTOCOLS.filter((protocol) => bootProtocols.includes(protocol.name)).map((protocol) => ({
        value: protocol.name,
        description: protocol.summary,
      })),
    }));
  const preset =
    args.preset ??
    (await prompter.select({
      message: 'CPU feature preset',
      choices: PRESETS.map((preset) => ({ value: preset.name, description: preset.summary })),
    }));
  const recommended = resolveAutoToolchain(report);
  const toolchain =
    args.toolchain ??
    (await prompter.select({
      message: 'Rust toolchain',
      default: recommended,
      choices: TOOLCHAINS.map((toolchain) => {
        const status = report.statuses.find((candidate) => candidate.name === toolchain.name);
        const state = status?.usable ? 'found on this machine' : `not set up: ${status?.detail ?? 'unknown'}`;
        return { value: toolchain.name, description: `${toolchain.summary} (${state})` };
      }),
    }));
  return { boot, preset, toolchain };
}

async function create(argv: readonly string[], io: Io, deps: CreateDependencies): Promise<number> {
  const args = parseCreateArguments(argv);
  if (args.help) {
    io.stdout(CREATE_USAGE);
    return EXIT.ok;
  }
  if (args.version) {
    io.stdout(`${VERSION}\n`);
    return EXIT.ok;
  }
  // Detection starts processes: let it run while the rest is decided.
  const detection = deps.detectToolchains();
  const interactive = io.interactive && !args.yes;
  let prompter: Prompter | undefined;
  const ask = async () => (prompter ??= await deps.prompter());

  let location = projectLocation(args, io.cwd);
  if (!location) {
    const name = interactive
      ? await (await ask()).input({
          message: 'Project name',
          default: DEFAULT_NAME,
          validate: (value) => namePathProblem(value) ?? crateNameProblem(value) ?? true,
        })
      : DEFAULT_NAME;
    assertPlainName(name);
    location = { directory: resolve(io.cwd, name), name };
  }
  // Messages and the `cd` step name the directory as it was typed.
  const shown = args.directory ?? location.name;
  const destination = { force: args.force, label: shown };
  // Fail on the destination before asking anything else.
  checkDestination(location.directory, destination);

  const report = await detection;
  const templates = deps.templates();
  const choices = interactive ? await askMissingChoices(args, report, availableBootProtocols(templates), await ask()) : args;
  const toolchain = (choices.toolchain ?? 'auto') === 'auto' ? resolveAutoToolchain(report) : choices.toolchain;

  const validation = validateKernelRequest(
    { name: location.name, boot: choices.boot, preset: choices.preset, toolchain, modules: args.modules },
    { detected: report },
  );
  if (!validation.ok) {
    for (const problem of validation.problems) io.stderr(`error: ${problem.message}\n`);
    return EXIT.failure;
  }
  const { config } = validation;
  const { plan } = generateKernel(config, { directory: location.directory, dryRun: args.dryRun, templates, ...destination });
  const what = `a ${config.boot.name} kernel (preset ${config.preset.name}, toolchain ${config.toolchain.name})`;

  if (args.dryRun) {
    io.stdout(`Would write ${what} to ${shown}:\n`);
    for (const file of plan.files) io.stdout(`  ${file.path}\n`);
    io.stdout('Nothing was written (--dry-run).\n');
    return EXIT.ok;
  }

  io.stdout(`Wrote ${what} to ${shown}:\n`);
  for (const file of plan.files) io.stdout(`  ${file.path}\n`);
  io.stdout('\nNext:\n\n');
  for (const step of nextSteps(config, report, shown)) io.stdout(`  ${step}\n`);
  const missing = missingBootTools(config.boot.name, deps.onPath);
  if (missing.length > 0) {
    io.stdout(`\nMissing to boot it: ${missing.join(', ')}. \`npx baremetal-kernel doctor\` says how to install them.\n`);
  }
  return EXIT.ok;
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
