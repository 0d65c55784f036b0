import type { Tree } from '@nx/devkit';
import { compileTemplates, loadTemplates } from '@baremetal-kernel/generators';
import type { ToolchainReport } from '@baremetal-kernel/target';

/** The templates the generators render (the monorepo's templates/), compiled once for every test. */
export const TEMPLATES = compileTemplates(loadTemplates());

/** A machine whose `auto` is rustup-nightly and whose system profile finds std's sources in /opt/vendor. */
export const FAKE_MACHINE: ToolchainReport = {
  rustc: undefined,
  statuses: [],
  recommended: 'rustup-nightly',
  systemVendorDirectory: '/opt/vendor/rust',
};

/** Everything the Tree holds: path, contents and mode of every file Nx would write. */
export function treeState(tree: Tree) {
  return tree
    .listChanges()
    .map((change) => ({ path: change.path, type: change.type, contents: change.content?.toString('utf8'), mode: change.options?.mode }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** The files the Tree holds under `directory`, relative to it, with contents and mode. */
export function filesUnder(tree: Tree, directory: string) {
  const prefix = `${directory}/`;
  return treeState(tree)
    .filter((file) => file.path.startsWith(prefix) && file.type !== 'DELETE')
    .map((file) => ({ path: file.path.slice(prefix.length), contents: file.contents, mode: file.mode }));
}

/** The message of the error `run` throws (the test fails if it throws none). */
export function thrownMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (!(error instanceof Error)) throw new Error(`threw a non-Error: ${String(error)}`);
    return error.message;
  }
  throw new Error('threw nothing');
}
