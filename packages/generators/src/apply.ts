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
const IGNORED_ENTRIES: ReadonlySet<string> = new Set(['.git']);

/** Where the files are written before they are moved into place, inside the destination. */
const STAGING_PREFIX = '.baremetal-kernel-staging-';

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
  if (!statSync(target).isDirectory()) {
    throw new GeneratorError('E_NOT_A_DIRECTORY', `${label} exists and is not a directory`);
  }
  const entries = entriesOf(target);
  if (entries.length === 0 || options.force) return;
  const replaced = plan ? replacedPaths(plan, target) : [];
  const what = `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`;
  const consequence =
    replaced.length > 0
      ? `; --force adds the kernel to it, replacing ${replaced.join(', ')}`
      : '; use --force to add the kernel to it (files of yours it would replace are listed first)';
  throw new GeneratorError('E_DIRECTORY_NOT_EMPTY', `${label} is not empty (${what})${consequence}`);
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
 * Every file is first written into a staging directory inside the destination (so that moving it
 * into place is a rename within one file system, whatever is mounted where, and needs no write
 * permission outside the destination). Then the staged entries are renamed into place, each one
 * it replaces set aside in the staging directory first. If anything fails, the moves are undone in
 * reverse, and the directories this call made are removed: the destination is as it was.
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
 * {@link applyPlan}, with the last step left to the caller: the files are in place, but what they
 * replaced is kept aside until {@link PendingApply.finish} (or put back by
 * {@link PendingApply.undo}). A command that learns only afterwards that it was interrupted (a
 * signal's handler runs once the synchronous writing is over) can so still take everything back.
 */
export function applyPlanPending(plan: KernelPlan, directory: string, options: ApplyOptions = {}): PendingApply {
  checkDestination(directory, options, plan);
  const target = resolve(directory);
  const replaced = existsSync(target) ? replacedPaths(plan, target) : [];
  let created: string[] = [];
  let staging: string | undefined;
  const moves: Move[] = [];
  const takeBack = () => {
    undo(moves);
    if (staging) rmSync(staging, { recursive: true, force: true });
    for (const made of [...created].reverse()) rmdirQuietly(made);
  };
  try {
    // Made with mkdir (not mkdtemp, which makes 0700): the user's umask decides the mode.
    created = makeDirectories(target);
    staging = mkdtempSync(join(target, STAGING_PREFIX));
    const files = join(staging, 'files');
    const setAside = join(staging, 'replaced');
    mkdirSync(files);
    mkdirSync(setAside);
    // Everything under `files` is new: each directory is made once, as a file first needs it.
    const staged = new Set([files]);
    for (const file of plan.files) {
      const path = join(files, file.path);
      const parent = dirname(path);
      if (!staged.has(parent)) {
        mkdirSync(parent, { recursive: true });
        staged.add(parent);
      }
      // The mode as the plan asks, less what the user's umask clears (as for any new file).
      writeFileSync(path, file.contents, { mode: file.mode });
    }
    moveInto(files, target, setAside, moves);
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
  return {
    written: plan.files.map((file) => file.path),
    replaced,
    finish: () => settle(() => removeStaging(staging!)),
    undo: () => settle(takeBack),
  };
}

/**
 * Removes the staging directory once its files are in place. Usually all that is left is its two
 * empty directories: three rmdir calls, rather than a recursive removal that reads every level.
 */
function removeStaging(staging: string): void {
  try {
    for (const leftover of [join(staging, 'files'), join(staging, 'replaced'), staging]) rmdirSync(leftover);
  } catch {
    // Directories merged into existing ones, or files set aside: remove whatever remains.
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Moves the staged tree `from` into `to`: directories merge, anything else replaces (set aside first). */
function moveInto(from: string, to: string, setAside: string, moves: Move[]): void {
  for (const name of readdirSync(from)) {
    const source = join(from, name);
    const destination = join(to, name);
    const existing = lstatOrUndefined(destination);
    if (existing && lstatSync(source).isDirectory() && existing.isDirectory()) {
      moveInto(source, destination, setAside, moves);
      continue;
    }
    if (existing) {
      const backup = mkdtempSync(join(setAside, 'entry-'));
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
