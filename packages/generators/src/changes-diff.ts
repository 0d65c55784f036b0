/**
 * A plan's changes as one unified diff in Git's format, for `add --dry-run`: a person reads it, and
 * `git apply` (or `patch -p1`) turns the kernel into what the real run would make. jsdiff writes
 * the hunks (the `diff` package: a well-kept implementation of the Myers diff and of the format).
 */
import { formatPatch, structuredPatch } from 'diff';
import type { FileChange } from './module-files.js';

/** Git's mode of a regular file that is not executable: what a module's new files are. */
const GIT_REGULAR_FILE_MODE = '100644';

export function unifiedDiff(changes: readonly FileChange[]): string {
  const patches = changes.map((change) => {
    const isCreate = change.before === undefined;
    const patch = structuredPatch(
      isCreate ? '/dev/null' : `a/${change.path}`,
      `b/${change.path}`,
      change.before ?? '',
      change.after,
      undefined,
      undefined,
    );
    // As Git writes it: `diff --git a/P b/P` (jsdiff names a created file on both sides there),
    // `new file mode` for a new file, then `--- /dev/null`.
    return { ...patch, isGit: true, ...(isCreate ? { isCreate: true, newMode: GIT_REGULAR_FILE_MODE } : {}) };
  });
  return patches.length === 0 ? '' : formatPatch(patches);
}
