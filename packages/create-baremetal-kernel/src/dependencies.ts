import { detectToolchainsFast, findOnPath } from '@baremetal-kernel/generators/node';
import type { AddDependencies } from './commands/add.js';
import type { CreateDependencies } from './commands/create.js';
import type { Io } from './io.js';
import { inquirerPrompter } from './prompter.js';
import { watchProcessSignals } from './signals.js';

/** A dynamic import: the bundle puts the templates, its largest part, in a chunk of their own. */
const kernelTemplates = () => import('./templates-source.js').then((source) => source.kernelTemplates());

export function addDependencies(): AddDependencies {
  return { templates: kernelTemplates, watchSignals: watchProcessSignals };
}

export function createDependencies(io: Io): CreateDependencies {
  return {
    detectToolchains: () => detectToolchainsFast(io.env),
    templates: kernelTemplates,
    prompter: inquirerPrompter,
    onPath: (program) => findOnPath(program, io.env) !== undefined,
    watchSignals: watchProcessSignals,
  };
}
