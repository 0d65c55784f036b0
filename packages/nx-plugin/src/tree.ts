/** The kernel's files as Nx's Tree holds them, in the shapes `generators` plans with. */
import { joinPathFragments, normalizePath, type Tree } from '@nx/devkit';
import { IGNORED_ENTRIES, notADirectoryError, notEmptyError, type KernelPlan, type ReadKernelFile } from '@baremetal-kernel/generators';

/**
 * What a path reads as when something that is not a file stands there (a directory, or a file
 * where a directory must be): contents no template has, so planning says a file is in the way,
 * as `kernelFileReader` does on disk.
 */
const NOT_A_FILE = '\u0000not a file';

/** A directory option as a path from the workspace's root: `/` separators, no `./`, no trailing `/`; `.` is the root. */
export function workspacePath(directory: string): string {
  const path = normalizePath(directory).replace(/^(\.\/)+/, '').replace(/\/+$/, '');
  return path === '' ? '.' : path;
}

/** Whether a workspace path leaves the workspace (`..`, or absolute): the Tree cannot hold it. */
export function outsideWorkspace(path: string): boolean {
  return path.startsWith('/') || /^[A-Za-z]:/.test(path) || path.split('/').includes('..');
}

function join(root: string, path: string): string {
  return root === '.' ? path : joinPathFragments(root, path);
}

/** The ancestors of `path` (`a`, `a/b` for `a/b/c`), nearest the root first. */
function ancestors(path: string): string[] {
  const parts = path.split('/');
  return parts.slice(1).map((_, index) => parts.slice(0, index + 1).join('/'));
}

/** Reads the kernel at `root` (a workspace path) from the Tree, as `planAddModules` reads a kernel. */
export function treeFileReader(tree: Tree, root: string): ReadKernelFile {
  return (path) => {
    const full = join(root, path);
    if (ancestors(full).some((ancestor) => tree.isFile(ancestor))) return NOT_A_FILE;
    if (!tree.exists(full)) return undefined;
    return tree.isFile(full) ? (tree.read(full, 'utf-8') ?? undefined) : NOT_A_FILE;
  };
}

/**
 * The paths, relative to `root`, that writing the plan there would replace: a file at a planned
 * file's path, and a file where a planned file needs a directory (as `replacedPaths` on disk).
 */
export function replacedInTree(tree: Tree, root: string, plan: KernelPlan): string[] {
  const replaced = new Set<string>();
  for (const file of plan.files) {
    const found = [...ancestors(file.path), file.path].find((path) => tree.isFile(join(root, path)));
    if (found !== undefined) replaced.add(found);
  }
  return [...replaced].sort();
}

/**
 * Refuses a destination as `create` does on disk (the same messages): something other than a
 * directory, or a directory with entries, unless `force`.
 */
export function checkTreeDestination(tree: Tree, root: string, plan: KernelPlan, options: { force: boolean; label: string }): void {
  if (root !== '.' && tree.isFile(root)) throw notADirectoryError(options.label);
  const entries = tree.children(root === '.' ? '' : root).filter((name) => !IGNORED_ENTRIES.has(name));
  if (entries.length === 0 || options.force) return;
  throw notEmptyError(options.label, entries.length, replacedInTree(tree, root, plan));
}

/** Writes the plan under `root`, each file with its mode; with `force`, first removes files where a directory must go. */
export function writePlan(tree: Tree, root: string, plan: KernelPlan): void {
  const planned = new Set(plan.files.map((file) => file.path));
  for (const path of replacedInTree(tree, root, plan)) {
    if (!planned.has(path)) tree.delete(join(root, path));
  }
  for (const file of plan.files) tree.write(join(root, file.path), file.contents, { mode: file.mode });
}

export { join as treePath };
