/**
 * `nx g @baremetal-kernel/nx:kernel <directory>`: the CLI's `create` through Nx's Tree. The same
 * validation (and messages) and the same plan; Nx lists the files, `--dry-run` writes nothing.
 */
import { posix } from 'node:path';
import type { Tree } from '@nx/devkit';
import { AUTO_TOOLCHAIN, detectToolchains, validateKernelRequest, type ToolchainReport } from '@baremetal-kernel/target';
import { GeneratorError, planKernel, problemLines, splitList, type CompiledTemplates } from '@baremetal-kernel/generators';
import { nodeProbe } from '@baremetal-kernel/generators/node';
import { shippedTemplates } from '../../templates.js';
import { checkTreeDestination, outsideWorkspace, workspacePath, writePlan } from '../../tree.js';

/** The options, as schema.json describes them (see schema.ts). */
export interface KernelGeneratorOptions {
  readonly directory: string;
  readonly name?: string;
  readonly boot?: string;
  readonly preset?: string;
  /** An array from Nx (`--modules a,b`), or one comma-separated string. */
  readonly modules?: readonly string[] | string;
  readonly toolchain?: string;
  readonly force?: boolean;
}

/** The edges the generator needs; tests pass fakes. */
export interface KernelGeneratorDependencies {
  /** This machine's toolchains: asked only for `auto` and `system`, which depend on them. */
  readonly detectToolchains: () => ToolchainReport;
  readonly templates: () => CompiledTemplates;
}

/** Profiles whose configuration depends on the machine (`auto` picks one, `system` finds its std sources). */
const MACHINE_TOOLCHAINS: ReadonlySet<string> = new Set([AUTO_TOOLCHAIN, 'system']);

/** A list option's values, from Nx's array or a string: `a, b` and `['a', ' b']` are `['a', 'b']`. */
export function listOption(value: readonly string[] | string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return (typeof value === 'string' ? [value] : value).flatMap(splitList);
}

export function kernelGeneratorWith(deps: KernelGeneratorDependencies) {
  return function kernelGenerator(tree: Tree, options: KernelGeneratorOptions): void {
    const directory = workspacePath(options.directory);
    if (outsideWorkspace(directory)) {
      throw new GeneratorError('E_NOT_A_DIRECTORY', `${options.directory} is outside the workspace: give a directory inside it`);
    }
    const toolchain = options.toolchain ?? AUTO_TOOLCHAIN;
    const validation = validateKernelRequest(
      {
        // As `create`: the directory names the kernel unless a name is given.
        name: options.name ?? posix.basename(directory === '.' ? tree.root : directory),
        boot: options.boot,
        preset: options.preset,
        toolchain,
        modules: listOption(options.modules),
      },
      { detected: MACHINE_TOOLCHAINS.has(toolchain) ? deps.detectToolchains() : undefined },
    );
    if (!validation.ok) {
      throw new GeneratorError('E_INVALID_CONFIG', problemLines(validation.problems, options.name !== undefined).join('\n'));
    }
    const plan = planKernel(validation.config, deps.templates());
    checkTreeDestination(tree, directory, plan, { force: options.force ?? false, label: options.directory });
    writePlan(tree, directory, plan);
  };
}

export const kernelGenerator = kernelGeneratorWith({ detectToolchains: () => detectToolchains(nodeProbe()), templates: shippedTemplates });

export default kernelGenerator;
