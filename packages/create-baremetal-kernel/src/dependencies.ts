import { detectToolchainsFast, findOnPath } from '@baremetal-kernel/generators/node';
import type { AddDependencies } from './commands/add.js';
import type { CreateDependencies } from './commands/create.js';
import type { Io } from './io.js';
import { inquirerPrompter } from './prompter.js';
import { watchProcessSignals } from './signals.js';
import type { TemplateNeeds } from './templates-source.js';

/** A dynamic import: the bundle puts the templates, its largest part, in a chunk of their own. */
const kernelTemplates = (needs: TemplateNeeds) => import('./templates-source.js').then((source) => source.kernelTemplates(needs));

export function addDependencies(): AddDependencies {
  return { templates: () => kernelTemplates({ modules: true }), watchSignals: watchProcessSignals };
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
