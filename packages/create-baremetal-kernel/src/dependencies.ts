import { detectToolchainsFast, findOnPath } from '@baremetal-kernel/generators/node';
import type { CreateDependencies } from './commands/create.js';
import type { Io } from './io.js';
import { inquirerPrompter } from './prompter.js';
import { watchProcessSignals } from './signals.js';
import { kernelTemplates } from './templates-source.js';

export function createDependencies(io: Io): CreateDependencies {
  return {
    detectToolchains: () => detectToolchainsFast(io.env),
    templates: kernelTemplates,
    prompter: inquirerPrompter,
    onPath: (program) => findOnPath(program, io.env) !== undefined,
    watchSignals: watchProcessSignals,
  };
}
