/**
 * Writes the changes of an `add` to a kernel all together or not at all. Each file is written
 * beside itself under a temporary name (same directory, so the rename cannot cross a mount) and
 * only when every one is written are they renamed into place; a failure, or an `undo` after a
 * signal, puts every file back as it was.
 */
import { chmodSync, lstatSync, mkdirSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GeneratorError } from './errors.js';
import type { FileChange, ReadKernelFile } from './module-files.js';

/** The mode of a file a module adds, before the umask (as for a file the kernel starts with). */
const NEW_FILE_MODE = 0o644;

export interface PendingChanges {
  /** Keeps the changes. */
  finish(): void;
  /** Takes them back: every file is again exactly as it was. */
  undo(): void;
}

/** What a kernel file reads as when something that is not a file stands at its path. */
const NOT_A_FILE = '\u0000not a file';

/**
 * Reads the files of the kernel at `root` for planning (`add`, the plop generator): undefined when
 * there is none. Something that is not a file where a module would write one (a directory, or a
 * file where a directory must be) reads as contents no template has, so planning says a file is in
 * the way.
 */
export function kernelFileReader(root: string): ReadKernelFile {
  return (path) => {
    try {
      return readFileSync(join(root, path), 'utf8');
    } catch (error) {
      const { code } = error as NodeJS.ErrnoException;
      if (code === 'ENOENT') return undefined;
      if (code === 'EISDIR' || code === 'ENOTDIR') return NOT_A_FILE;
      throw new GeneratorError('E_READ_FAILED', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
  };
}

function describe(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return code ? `${code}: ${message.replace(/^[A-Z]+: /, '')}` : String(message);
}

function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.baremetal-kernel-${process.pid}`);
}

/**
 * Applies `changes` (paths relative to `directory`), checking first that every file is still as
 * the plan read it. Returns once everything is in place; `undo` can still take it all back.
 */
export function applyChangesPending(changes: readonly FileChange[], directory: string): PendingChanges {
  const read = kernelFileReader(directory);
  for (const change of changes) {
    if (read(change.path) !== change.before) {
      throw new GeneratorError('E_KERNEL_CHANGED', `${change.path} changed while this ran; nothing was written: run it again`);
    }
  }
  const madeDirectories: string[] = [];
  const temporaries: string[] = [];
  const placed: FileChange[] = [];
  const undo = () => {
    for (const change of [...placed].reverse()) {
      const path = join(directory, change.path);
      try {
        if (change.before === undefined) unlinkSync(path);
        else writeFileSync(path, change.before, 'utf8');
      } catch {
        // Keep putting the others back.
      }
    }
    for (const temporary of temporaries) {
      try {
        unlinkSync(temporary);
      } catch {
        // Renamed into place already, or never written.
      }
    }
    for (const made of [...madeDirectories].reverse()) {
      try {
        rmdirSync(made);
      } catch {
        // Not empty: someone else wrote there.
      }
    }
  };
  try {
    const staged: [FileChange, string][] = [];
    for (const change of changes) {
      const path = join(directory, change.path);
      makeParents(dirname(path), madeDirectories);
      const temporary = temporaryName(path);
      const mode = change.before === undefined ? undefined : lstatSync(path).mode & 0o7777;
      writeFileSync(temporary, change.after, { encoding: 'utf8', flag: 'wx', mode: mode ?? NEW_FILE_MODE });
      temporaries.push(temporary);
      // The file's own mode, kept exactly (the umask would clear bits of it at creation).
      if (mode !== undefined) chmodSync(temporary, mode);
      staged.push([change, temporary]);
    }
    for (const [change, temporary] of staged) {
      renameSync(temporary, join(directory, change.path));
      placed.push(change);
    }
  } catch (error) {
    undo();
    throw new GeneratorError('E_WRITE_FAILED', `cannot write the kernel: ${describe(error)}; nothing was changed`, { cause: error });
  }
  let settled = false;
  return {
    finish: () => {
      settled = true;
    },
    undo: () => {
      if (settled) return;
      settled = true;
      undo();
    },
  };
}

/** `mkdir -p` that records what it made, outermost first. */
function makeParents(path: string, made: string[]): void {
  const missing: string[] = [];
  let current = path;
  while (!exists(current)) {
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const directory of missing.reverse()) {
    mkdirSync(directory);
    made.push(directory);
  }
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
