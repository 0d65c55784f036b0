import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { detectToolchainsFast } from '@baremetal-kernel/target/node';
import type { CreateDependencies } from './commands/create.js';
import type { Io } from './io.js';
import { inquirerPrompter } from './prompter.js';
import { kernelTemplates } from './templates-source.js';

/** Whether `program` is an executable file in one of PATH's directories (no process started). */
export function onPath(program: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((directory) => {
    try {
      accessSync(join(directory, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export function createDependencies(io: Io): CreateDependencies {
  return {
    detectToolchains: () => detectToolchainsFast(io.env),
    templates: kernelTemplates,
    prompter: inquirerPrompter,
    onPath: (program) => onPath(program, io.env),
  };
}
