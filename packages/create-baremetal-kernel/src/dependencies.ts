import { detectToolchainsFast, findOnPath } from '@baremetal-kernel/generators/node';
import type { CreateDependencies } from './commands/create.js';
import type { Io } from './io.js';
import { inquirerPrompter } from './prompter.js';
import { watchProcessSignals } from './signals.js';

export function createDependencies(io: Io): CreateDependencies {
  return {
    detectToolchains: () => detectToolchainsFast(io.env),
    // A dynamic import: the bundle puts the templates, its largest part, in a chunk of their own.
    templates: () => import('./templates-source.js').then((source) => source.kernelTemplates()),
    prompter: inquirerPrompter,
    onPath: (program) => findOnPath(program, io.env) !== undefined,
    watchSignals: watchProcessSignals,
  };
}
