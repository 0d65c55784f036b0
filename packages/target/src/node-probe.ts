import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import type { MachineProbe } from './toolchains.js';

/** A {@link MachineProbe} over the real machine: child processes and the file system. */
export function nodeProbe(env: NodeJS.ProcessEnv = process.env): MachineProbe {
  return {
    run(command, args) {
      const result = spawnSync(command, args, { encoding: 'utf8', env, timeout: 15_000 });
      if (result.error) return undefined;
      return { ok: result.status === 0, stdout: result.stdout };
    },
    isDirectory(path) {
      try {
        return statSync(path).isDirectory();
      } catch {
        return false;
      }
    },
  };
}
