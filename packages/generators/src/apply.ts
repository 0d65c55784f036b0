import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { GeneratorError } from './errors.js';
import type { KernelPlan } from './plan.js';

export interface ApplyOptions {
  /** Write into a directory that already has files, replacing those the plan writes too. */
  readonly force?: boolean;
  /** How messages name the directory (as the user wrote it); by default, the path given. */
  readonly label?: string;
}

/** What writing a plan did: the files written, and which of them replaced a file that was there. */
export interface ApplyResult {
  readonly written: readonly string[];
  /** Paths (relative to the directory) of what was there before and is now the kernel's. */
  readonly replaced: readonly string[];
}

/** Entries that do not make a directory non-empty: a fresh `git init` (as create-vite counts it). */
export const IGNORED_ENTRIES: ReadonlySet<string> = new Set(['.git']);

/** Where the files are written before they are moved into place, inside the destination. */
const STAGING_PREFIX = '.baremetal-kernel-staging-';
/** Where what they replace waits, inside the destination, until the kernel is kept. */
const SET_ASIDE_PREFIX = '.baremetal-kernel-replaced-';

function entriesOf(directory: string): string[] {
  return readdirSync(directory).filter((name) => !IGNORED_ENTRIES.has(name));
}

/**
 * Checks that `directory` may receive a kernel, without writing anything: it is a directory (or
 * does not exist yet) and is empty, or `force` is given. With a plan, a refusal lists the files the
 * kernel would replace.
 */
export function checkDestination(directory: string, options: ApplyOptions = {}, plan?: KernelPlan): void {
  const target = resolve(directory);
  const label = options.label ?? directory;
  if (!existsSync(target)) return;
  if (!statSync(target).isDirectory()) throw notADirectoryError(label);
  const entries = entriesOf(target);
  if (entries.length === 0 || options.force) return;
  throw notEmptyError(label, entries.length, plan ? replacedPaths(plan, target) : []);
}

/** The refusal of a destination that is something other than a directory (for every front end: disk, Nx's Tree). */
export function notADirectoryError(label: string): GeneratorError {
  return new GeneratorError('E_NOT_A_DIRECTORY', `${label} exists and is not a directory`);
}

/**
 * The refusal of a destination that has `entryCount` entries (besides `.git`), naming the files of
 * `replaced` that the kernel would replace (for every front end: disk, Nx's Tree).
 */
export function notEmptyError(label: string, entryCount: number, replaced: readonly string[]): GeneratorError {
  const what = `${entryCount} entr${entryCount === 1 ? 'y' : 'ies'}`;
  const consequence =
    replaced.length > 0
      ? `; --force adds the kernel to it, replacing ${replaced.join(', ')}`
      : '; use --force to add the kernel to it (files of yours it would replace are listed first)';
  return new GeneratorError('E_DIRECTORY_NOT_EMPTY', `${label} is not empty (${what})${consequence}`);
}

/**
 * The paths in `target` that writing the plan would replace: a file at a planned file's path,
 * and anything that is not a directory where a planned file needs one (a file named `tests`).
 */
export function replacedPaths(plan: KernelPlan, target: string): string[] {
  const replaced = new Set<string>();
  for (const file of plan.files) {
    const parts = file.path.split('/');
    for (let depth = 1; depth <= parts.length; depth++) {
      const path = parts.slice(0, depth).join('/');
      let stats;
      try {
        stats = lstatSync(join(target, path));
      } catch {
        break; // nothing there: nothing below it either
      }
      const isLast = depth === parts.length;
      if (isLast || !stats.isDirectory()) {
        replaced.add(path);
        break;
      }
    }
  }
  return [...replaced].sort();
}

/**
 * `mkdir -p`, one level at a time; returns the directories it made, outermost first. Node's
 * `mkdirSync(path, { recursive: true })` loops forever when the kernel answers ENOENT for an
 * existing parent (as /proc does), so it is not used.
 */
export function makeDirectories(path: string): string[] {
  const missing: string[] = [];
  let current = resolve(path);
  while (!existsSync(current)) {
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  missing.reverse();
  for (const directory of missing) mkdirSync(directory);
  return missing;
}

function describe(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  return code ? `${code}: ${message.replace(/^[A-Z]+: /, '')}` : String(message);
}

/** One step of moving the staged files into place, as it must be undone. */
type Move = { readonly kind: 'placed'; readonly path: string } | { readonly kind: 'set-aside'; readonly path: string; readonly backup: string };

/**
 * Writes a plan so that nothing half-written remains, and nothing of the user's is lost on a
 * failure.
 *
 * A directory that does not exist yet is made and written into directly: nothing else is in it, so
 * on a failure it is removed whole, with the parents this call made. Into a directory that exists,
 * every file is first written into a staging directory inside it (so that moving it into place is
 * a rename within one file system, whatever is mounted where, and needs no write permission
 * outside the destination). Then the staged entries are renamed into place, each one they replace
 * set aside first. If anything fails, the moves are undone in reverse: the destination is as it was.
 */
export function applyPlan(plan: KernelPlan, directory: string, options: ApplyOptions = {}): readonly string[] {
  const pending = applyPlanPending(plan, directory, options);
  pending.finish();
  return pending.written;
}

/** A plan written and in place, that can still be taken back whole. */
export interface PendingApply extends ApplyResult {
  /** Keeps it: drops the copies of what was replaced. */
  finish(): void;
  /** Takes it back: the destination is again exactly as it was before. */
  undo(): void;
}

/**
 * Writes every file of the plan under `root`, making each directory once, as a file first needs it.
 * A plan's paths are relative and normalized, with `/` (which every platform's file functions take):
 * they are appended as they are, where path.join would normalize each of them again.
 */
function writeFiles(plan: KernelPlan, root: string): void {
  const made = new Set([root]);
  for (const file of plan.files) {
    const path = `${root}/${file.path}`;
    const slash = file.path.lastIndexOf('/');
    const parent = slash < 0 ? root : `${root}/${file.path.slice(0, slash)}`;
    if (!made.has(parent)) {
      mkdirSync(parent, { recursive: true });
      made.add(parent);
    }
    // The mode as the plan asks, less what the user's umask clears (as for any new file). The
    // encoding named, Node writes the string in C++ (open, write, close) instead of through a
    // Buffer and a loop of write calls in JavaScript.
    writeFileSync(path, file.contents, { mode: file.mode, encoding: 'utf8' });
  }
}

/**
 * {@link applyPlan}, with the last step left to the caller: the files are in place, but what they
 * replaced is kept aside until {@link PendingApply.finish} (or put back by
 * {@link PendingApply.undo}). A command that learns only afterwards that it was interrupted (a
 * signal's handler runs once the synchronous writing is over) can so still take everything back.
 */
export function applyPlanPending(plan: KernelPlan, directory: string, options: ApplyOptions = {}): PendingApply {
  checkDestination(directory, options, plan);
  const target = resolve(directory);
  const fresh = !existsSync(target);
  const replaced = fresh ? [] : replacedPaths(plan, target);
  let created: string[] = [];
  let staging: string | undefined;
  const setAside: SetAside = { directory: undefined, within: target };
  const moves: Move[] = [];
  const takeBack = () => {
    undo(moves);
    if (staging) rmSync(staging, { recursive: true, force: true });
    if (setAside.directory) rmSync(setAside.directory, { recursive: true, force: true });
    // A directory this call made holds only what it wrote.
    if (fresh && created.length > 0) rmSync(target, { recursive: true, force: true });
    for (const made of [...created].reverse()) rmdirQuietly(made);
  };
  try {
    // Made with mkdir (not mkdtemp, which makes 0700): the user's umask decides the mode.
    created = makeDirectories(target);
    if (fresh) {
      writeFiles(plan, target);
    } else {
      staging = mkdtempSync(join(target, STAGING_PREFIX));
      writeFiles(plan, staging);
      moveInto(staging, target, setAside, moves);
    }
  } catch (error) {
    takeBack();
    throw new GeneratorError('E_WRITE_FAILED', `cannot write ${options.label ?? directory}: ${describe(error)}`, { cause: error });
  }
  let settled = false;
  const settle = (action: () => void) => {
    if (settled) return;
    settled = true;
    action();
  };
  const keep = () => {
    if (staging) removeStaging(staging);
    if (setAside.directory) rmSync(setAside.directory, { recursive: true, force: true });
  };
  return {
    written: plan.files.map((file) => file.path),
    replaced,
    finish: () => settle(keep),
    undo: () => settle(takeBack),
  };
}

/**
 * Removes the staging directory once its files are in place: usually it is empty by then, and one
 * rmdir does, rather than a recursive removal that reads every level.
 */
function removeStaging(staging: string): void {
  try {
    rmdirSync(staging);
  } catch {
    // Directories merged into existing ones are left in it: remove whatever remains.
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Where entries that are replaced wait until the kernel is kept: made when the first one is. */
interface SetAside {
  directory: string | undefined;
  readonly within: string;
}

/** Moves the staged tree `from` into `to`: directories merge, anything else replaces (set aside first). */
function moveInto(from: string, to: string, setAside: SetAside, moves: Move[]): void {
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const destination = join(to, name);
    const existing = lstatOrUndefined(destination);
    if (existing && lstatSync(source).isDirectory() && existing.isDirectory()) {
      moveInto(source, destination, setAside, moves);
      continue;
    }
    if (existing) {
      setAside.directory ??= mkdtempSync(join(setAside.within, SET_ASIDE_PREFIX));
      const backup = mkdtempSync(join(setAside.directory, 'entry-'));
      renameSync(destination, join(backup, name));
      moves.push({ kind: 'set-aside', path: destination, backup: join(backup, name) });
    }
    renameSync(source, destination);
    moves.push({ kind: 'placed', path: destination });
  }
}

/** Undoes `moves` in reverse: placed entries leave, set-aside ones come back. */
function undo(moves: readonly Move[]): void {
  for (const move of [...moves].reverse()) {
    try {
      if (move.kind === 'placed') rmSync(move.path, { recursive: true, force: true });
      else renameSync(move.backup, move.path);
    } catch {
      // Keep undoing the rest: each step is independent of the others.
    }
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/** Removes a directory this call made, if it is empty again (it is, unless someone else wrote). */
function rmdirQuietly(directory: string): void {
  try {
    rmdirSync(directory);
  } catch {
    // Not empty or gone: leave it.
  }
}
