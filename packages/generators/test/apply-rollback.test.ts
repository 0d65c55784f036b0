import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyPlan, type KernelPlan } from '../src/index.js';

// Renames fail on demand: the moves into place are the one step a real machine rarely breaks
// (a full disk or a lost mount would), so the rollback is tested by making them break here.
let failingRename: number | undefined;
let renames = 0;
vi.mock('node:fs', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:fs')>();
  return {
    ...original,
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      renames += 1;
      if (renames === failingRename) throw Object.assign(new Error(`EIO: i/o error, rename '${String(from)}'`), { code: 'EIO' });
      original.renameSync(from, to);
    },
  };
});

afterEach(() => {
  failingRename = undefined;
  renames = 0;
});

const plan: KernelPlan = {
  files: [
    { path: 'Cargo.toml', contents: '[package]\n', mode: 0o644 },
    { path: 'README.md', contents: '# kernel\n', mode: 0o644 },
    { path: 'src/main.rs', contents: 'fn main() {}\n', mode: 0o644 },
    { path: 'tests/kernel.rs', contents: '\n', mode: 0o644 },
  ],
};

/** Every file under `directory` with its contents, to compare before and after. */
function snapshot(directory: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(directory, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) files[join(entry.parentPath, entry.name).slice(directory.length + 1)] = fs.readFileSync(join(entry.parentPath, entry.name), 'utf8');
  }
  return files;
}

describe('applyPlan when a move into place fails', () => {
  it.each([1, 2, 3, 4, 5])('puts back every file of the user and removes every file of the kernel (rename %i fails)', (failing) => {
    const directory = join(fs.mkdtempSync(join(tmpdir(), 'rollback-')), 'os');
    fs.mkdirSync(join(directory, 'src'), { recursive: true });
    fs.writeFileSync(join(directory, 'README.md'), 'my notes');
    fs.writeFileSync(join(directory, 'tests'), 'a file where the kernel needs a directory');
    fs.writeFileSync(join(directory, 'src', 'lib.rs'), 'my code');
    const before = snapshot(directory);
    failingRename = failing;
    expect(() => applyPlan(plan, directory, { force: true })).toThrowError(expect.objectContaining({ code: 'E_WRITE_FAILED' }));
    expect(renames).toBeGreaterThanOrEqual(failing);
    expect(snapshot(directory)).toEqual(before);
    expect(fs.readdirSync(directory).sort()).toEqual(['README.md', 'src', 'tests']);
  });

  it('removes the directory it made', () => {
    const parent = fs.mkdtempSync(join(tmpdir(), 'rollback-'));
    failingRename = 2;
    expect(() => applyPlan(plan, join(parent, 'a', 'os'))).toThrowError(expect.objectContaining({ code: 'E_WRITE_FAILED' }));
    expect(fs.readdirSync(parent)).toEqual([]);
  });
});
