import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { GeneratorError } from './errors.js';
import type { KernelPlan } from './plan.js';

export interface ApplyOptions {
  /** Write into a directory that already has files (generated files overwrite same-named ones). */
  readonly force?: boolean;
  /** How messages name the directory (as the user wrote it); by default, the path given. */
  readonly label?: string;
}

/** Checks that `directory` may receive a kernel, without writing anything. */
export function checkDestination(directory: string, options: ApplyOptions = {}): void {
  const target = resolve(directory);
  const label = options.label ?? directory;
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) {
    throw new GeneratorError('E_NOT_A_DIRECTORY', `${label} exists and is not a directory`);
  }
  const entries = readdirSync(target);
  if (entries.length > 0 && !options.force) {
    throw new GeneratorError(
      'E_DIRECTORY_NOT_EMPTY',
      `${label} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); use --force to write into it`,
    );
  }
}

/**
 * `mkdir -p`, one level at a time. Node's `mkdirSync(path, { recursive: true })` loops forever
 * when the kernel answers ENOENT for an existing parent (as /proc does), so it is not used.
 */
export function makeDirectories(path: string): void {
  const missing: string[] = [];
  let current = resolve(path);
  while (!existsSync(current)) {
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  for (const directory of missing.reverse()) mkdirSync(directory);
}

function describe(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return code ? `${code}: ${message.replace(/^[A-Z]+: /, '')}` : String(message);
}

/** Moves everything in `from` into `to`, replacing same-named files and merging directories. */
function mergeInto(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const destination = join(to, name);
    if (lstatSync(source).isDirectory() && existsSync(destination) && statSync(destination).isDirectory()) {
      mergeInto(source, destination);
    } else {
      renameSync(source, destination);
    }
  }
}

/**
 * Writes a plan so that nothing half-written remains: every file goes into a staging directory
 * beside the destination, which is renamed into place only once all of them are written.
 */
export function applyPlan(plan: KernelPlan, directory: string, options: ApplyOptions = {}): string[] {
  checkDestination(directory, options);
  const target = resolve(directory);
  let staging: string | undefined;
  try {
    makeDirectories(dirname(target));
    staging = mkdtempSync(join(dirname(target), `.${basename(target)}.partial-`));
    for (const file of plan.files) {
      const path = join(staging, file.path);
      makeDirectories(dirname(path));
      writeFileSync(path, file.contents);
      // The umask may have cleared bits that the plan asks for (the runner's execute bits).
      chmodSync(path, file.mode);
    }
    if (!existsSync(target)) {
      renameSync(staging, target);
    } else {
      mergeInto(staging, target);
      rmSync(staging, { recursive: true, force: true });
    }
    staging = undefined;
  } catch (error) {
    // Nothing in the try block throws a GeneratorError: checkDestination ran before it.
    throw new GeneratorError('E_WRITE_FAILED', `cannot write ${options.label ?? directory}: ${describe(error)}`, { cause: error });
  } finally {
    if (staging) rmSync(staging, { recursive: true, force: true });
  }
  return plan.files.map((file) => file.path);
}
