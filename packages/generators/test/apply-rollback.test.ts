import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { applyPlan, type KernelPlan } from '../src/index.js';

// Renames and writes fail on demand: the moves into place and the writes are steps a real machine
// rarely breaks (a full disk or a lost mount would), so the rollback is tested by breaking them here.
let failingRename: number | undefined;
let renames = 0;
let failingWrite: number | undefined;
let writes = 0;
vi.mock('node:fs', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:fs')>();
  const ioError = (call: string, path: fs.PathLike) => Object.assign(new Error(`EIO: i/o error, ${call} '${String(path)}'`), { code: 'EIO' });
  return {
    ...original,
    renameSync: (from: fs.PathLike, to: fs.PathLike) => {
      renames += 1;
      if (renames === failingRename) throw ioError('rename', from);
      original.renameSync(from, to);
    },
    writeFileSync: (...args: Parameters<typeof fs.writeFileSync>) => {
      writes += 1;
      if (writes === failingWrite) throw ioError('open', args[0] as fs.PathLike);
      original.writeFileSync(...args);
    },
  };
});

afterEach(() => {
  failingRename = undefined;
  renames = 0;
  failingWrite = undefined;
  writes = 0;
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

  it('takes back an existing empty directory to empty', () => {
    const directory = join(fs.mkdtempSync(join(tmpdir(), 'rollback-')), 'os');
    fs.mkdirSync(directory);
    failingRename = 2;
    expect(() => applyPlan(plan, directory)).toThrowError(expect.objectContaining({ code: 'E_WRITE_FAILED' }));
    expect(fs.readdirSync(directory)).toEqual([]);
  });
});

describe('applyPlan into a new directory when a write fails', () => {
  it.each([1, 3, 4])('removes the directory it made, and the parents it made (write %i fails)', (failing) => {
    const parent = fs.mkdtempSync(join(tmpdir(), 'rollback-'));
    failingWrite = failing;
    expect(() => applyPlan(plan, join(parent, 'a', 'os'))).toThrowError(
      expect.objectContaining({ code: 'E_WRITE_FAILED', message: expect.stringContaining('EIO') }),
    );
    expect(writes).toBe(failing);
    expect(fs.readdirSync(parent)).toEqual([]);
  });

  it('writes a new directory without staging or renaming anything', () => {
    const parent = fs.mkdtempSync(join(tmpdir(), 'rollback-'));
    expect(applyPlan(plan, join(parent, 'os'))).toEqual(plan.files.map((file) => file.path));
    expect(renames).toBe(0);
    expect(Object.keys(snapshot(join(parent, 'os'))).sort()).toEqual(['Cargo.toml', 'README.md', 'src/main.rs', 'tests/kernel.rs']);
  });
});
