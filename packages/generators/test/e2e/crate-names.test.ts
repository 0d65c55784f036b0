/**
 * The generated Rust is `cargo fmt --check` clean whatever the kernel is called: with the longest
 * name a kernel may have (every module added, on each boot protocol), and with the name `kernel`,
 * the short name the sources give the library (`extern crate NAME as kernel;`). rustfmt only: no
 * build, so this stays cheap.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compatibleSets, crateNameProblem } from '@baremetal-kernel/target';
import { cargo, generate } from './support.js';

/** The longest valid package name (crate-name.ts allows 64 characters), made of words with `-`. */
const LONGEST_NAME = 'a-kernel-with-a-package-name-as-long-as-the-generator-will-allow';

/** The files `cargo fmt --check` would change (its diffs start `Diff in /path/to/file.rs:LINE:`). */
function unformattedFiles(directory: string): string[] {
  // rustfmt builds nothing: the target directory stays empty.
  const fmt = cargo(directory, ['fmt', '--check'], { targetDirectory: join(directory, 'target') });
  const files = new Set([...fmt.output.matchAll(/^Diff in (.+?):\d+:$/gm)].map((match) => match[1]!.slice(directory.length + 1)));
  // A failure without a diff (a parse error, a missing rustfmt) must not pass as "no files".
  if (fmt.status !== 0 && files.size === 0) throw new Error(`cargo fmt --check failed:\n${fmt.output}`);
  return [...files].sort();
}

/** Every module of `boot`, in kernels of modules that fit together (apic conflicts with pic-timer). */
const kernels = (['multiboot2', 'limine'] as const).flatMap((boot) =>
  compatibleSets(boot).map((set, index) => ({ boot, kernel: index + 1, modules: set.map((module) => module.name) })),
);

describe('crate names and rustfmt', () => {
  it('the longest name is the longest valid one', () => {
    expect(LONGEST_NAME).toHaveLength(64);
    expect(crateNameProblem(LONGEST_NAME)).toBeUndefined();
    expect(crateNameProblem(`${LONGEST_NAME}x`)).toBeDefined();
  });

  it.each(kernels)('$boot, modules kernel $kernel: the longest name, every module added: rustfmt clean', ({ boot, modules }) => {
    expect(modules.length).toBeGreaterThan(0);
    const { directory } = generate({ name: LONGEST_NAME, boot, modules });
    expect(unformattedFiles(directory)).toEqual([]);
  });

  it.each(kernels.filter(({ boot }) => boot === 'multiboot2'))(
    'a kernel called `kernel` (the name its sources give the library), modules kernel $kernel: rustfmt clean',
    ({ modules }) => {
      const { directory } = generate({ name: 'kernel', modules });
      expect(unformattedFiles(directory)).toEqual([]);
    },
  );
});
