/**
 * `nx g @baremetal-kernel/nx:module <modules> --directory <kernel>`: the CLI's `add` through Nx's
 * Tree. The kernel is read from the Tree (so a kernel generated in the same run is seen), planned
 * by `planAddModules` as `add` plans it, and every change is written, or none when it refuses.
 */
import { logger, type Tree } from '@nx/devkit';
import { GeneratorError, planAddModules, sentenceList, type CompiledTemplates } from '@baremetal-kernel/generators';
import { shippedTemplates } from '../../templates.js';
import { outsideWorkspace, treeFileReader, treePath, workspacePath } from '../../tree.js';
import { listOption } from '../kernel/generator.js';

/** The options, as schema.json describes them (see schema.ts). */
export interface ModuleGeneratorOptions {
  /** An array from Nx (`keyboard,log`), or one comma-separated string. */
  readonly modules: readonly string[] | string;
  readonly directory: string;
}

export interface ModuleGeneratorDependencies {
  readonly templates: () => CompiledTemplates;
  /** Where notes go (nothing to add, already there): Nx's logger. */
  readonly info: (message: string) => void;
}

export function moduleGeneratorWith(deps: ModuleGeneratorDependencies) {
  return function moduleGenerator(tree: Tree, options: ModuleGeneratorOptions): void {
    const directory = workspacePath(options.directory);
    if (outsideWorkspace(directory)) {
      throw new GeneratorError('E_NOT_A_KERNEL', `${options.directory} is outside the workspace: give a directory inside it`);
    }
    const requested = [...new Set(listOption(options.modules))];
    if (requested.length === 0) {
      throw new GeneratorError('E_UNKNOWN_MODULE', 'name at least one module (`baremetal-kernel list` shows them)');
    }
    const plan = planAddModules(requested, treeFileReader(tree, directory), deps.templates());
    for (const note of plan.builtIn) deps.info(`${note}: nothing to add.`);
    if (plan.present.length > 0) {
      deps.info(`${sentenceList(plan.present, 'and')} ${plan.present.length === 1 ? 'is' : 'are'} in the kernel already.`);
    }
    for (const change of plan.changes) tree.write(treePath(directory, change.path), change.after);
  };
}

export const moduleGenerator = moduleGeneratorWith({ templates: shippedTemplates, info: (message) => logger.info(message) });

export default moduleGenerator;
