import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyPlan, applyPlanPending, checkDestination, type KernelPlan } from '../src/index.js';

const plan: KernelPlan = {
  files: [
    { path: 'Cargo.toml', contents: '[package]\n', mode: 0o644 },
    { path: 'src/main.rs', contents: 'fn main() {}\n', mode: 0o644 },
    { path: 'runner', contents: '#!/bin/sh\n', mode: 0o755 },
  ],
};

let parent: string;
beforeEach(() => {
  parent = mkdtempSync(join(tmpdir(), 'apply-'));
});

describe('applyPlan: a user\'s directory and files', () => {
  it('counts a directory holding only .git as empty (a fresh git init)', () => {
    mkdirSync(join(parent, 'os', '.git'), { recursive: true });
    writeFileSync(join(parent, 'os', '.git', 'HEAD'), 'ref: refs/heads/main\n');
    applyPlan(plan, join(parent, 'os'));
    expect(readdirSync(join(parent, 'os')).sort()).toEqual(['.git', 'Cargo.toml', 'runner', 'src']);
    expect(readFileSync(join(parent, 'os', '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
  });

  it('without force, names the files of the user it would replace, and writes nothing', () => {
    mkdirSync(join(parent, 'os'));
    writeFileSync(join(parent, 'os', 'Cargo.toml'), 'mine');
    writeFileSync(join(parent, 'os', 'src'), 'a file where the kernel needs a directory');
    writeFileSync(join(parent, 'os', 'notes.txt'), 'mine too');
    expect(() => applyPlan(plan, join(parent, 'os'), { label: 'os' })).toThrowError(
      'os is not empty (3 entries); --force adds the kernel to it, replacing Cargo.toml, src',
    );
    expect(readdirSync(join(parent, 'os')).sort()).toEqual(['Cargo.toml', 'notes.txt', 'src']);
    expect(readFileSync(join(parent, 'os', 'Cargo.toml'), 'utf8')).toBe('mine');
  });

  it('with force, reports what it replaced, a file blocking a directory included, and keeps the rest', () => {
    mkdirSync(join(parent, 'os'));
    writeFileSync(join(parent, 'os', 'Cargo.toml'), 'mine');
    writeFileSync(join(parent, 'os', 'src'), 'a file where the kernel needs a directory');
    writeFileSync(join(parent, 'os', 'notes.txt'), 'mine too');
    const pending = applyPlanPending(plan, join(parent, 'os'), { force: true });
    pending.finish();
    expect(pending.replaced).toEqual(['Cargo.toml', 'src']);
    expect(readFileSync(join(parent, 'os', 'src', 'main.rs'), 'utf8')).toBe('fn main() {}\n');
    expect(readFileSync(join(parent, 'os', 'notes.txt'), 'utf8')).toBe('mine too');
    // Staging happened inside the directory and is gone.
    expect(readdirSync(join(parent, 'os')).sort()).toEqual(['Cargo.toml', 'notes.txt', 'runner', 'src']);
  });

  it("makes the new directory with the user's umask, not mkdtemp's 0700", () => {
    const previous = process.umask(0o022);
    try {
      applyPlan(plan, join(parent, 'os'));
      expect(statSync(join(parent, 'os')).mode & 0o777).toBe(0o755);
      expect(statSync(join(parent, 'os', 'src')).mode & 0o777).toBe(0o755);
    } finally {
      process.umask(previous);
    }
  });

  it('gives files the modes the plan asks for, less what a private umask clears', () => {
    const previous = process.umask(0o077);
    try {
      applyPlan(plan, join(parent, 'os'));
      expect(statSync(join(parent, 'os', 'Cargo.toml')).mode & 0o777).toBe(0o600);
      // Still executable by its owner: `cargo run` runs it.
      expect(statSync(join(parent, 'os', 'runner')).mode & 0o777).toBe(0o700);
      expect(statSync(join(parent, 'os', 'src')).mode & 0o777).toBe(0o700);
    } finally {
      process.umask(previous);
    }
  });

  it('stages inside the destination, so the parent directory never sees a staging directory', async () => {
    mkdirSync(join(parent, 'os'));
    const seen: string[] = [];
    const watcher = watch(parent, (_event, name) => name && seen.push(name));
    try {
      applyPlan(plan, join(parent, 'os'));
      // inotify's events arrive through the event loop: let them in before looking.
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      watcher.close();
    }
    expect(seen.filter((name) => name !== 'os')).toEqual([]);
    expect(readdirSync(parent)).toEqual(['os']);
  });
});

describe('applyPlanPending: written, then kept or taken back', () => {
  function userDirectory() {
    const directory = join(parent, 'os');
    mkdirSync(join(directory, 'src'), { recursive: true });
    writeFileSync(join(directory, 'Cargo.toml'), 'mine');
    writeFileSync(join(directory, 'src', 'lib.rs'), 'my code');
    return directory;
  }

  it('undo after everything is in place puts the directory back exactly', () => {
    const directory = userDirectory();
    const pending = applyPlanPending(plan, directory, { force: true });
    expect(readFileSync(join(directory, 'Cargo.toml'), 'utf8')).toBe('[package]\n');
    pending.undo();
    expect(readdirSync(directory).sort()).toEqual(['Cargo.toml', 'src']);
    expect(readdirSync(join(directory, 'src'))).toEqual(['lib.rs']);
    expect(readFileSync(join(directory, 'Cargo.toml'), 'utf8')).toBe('mine');
    // Taking back a new directory removes it, and the parents it made.
    applyPlanPending(plan, join(parent, 'a', 'b')).undo();
    expect(readdirSync(parent)).toEqual(['os']);
  });

  it('finish keeps it and leaves no staging directory; a second settle does nothing', () => {
    const directory = userDirectory();
    const pending = applyPlanPending(plan, directory, { force: true });
    pending.finish();
    pending.undo();
    expect(readdirSync(directory).sort()).toEqual(['Cargo.toml', 'runner', 'src']);
    expect(readFileSync(join(directory, 'Cargo.toml'), 'utf8')).toBe('[package]\n');
  });
});

describe('applyPlan', () => {
  it('creates the directory with every file and mode, and leaves no staging directory', () => {
    const directory = join(parent, 'os');
    expect(applyPlan(plan, directory)).toEqual(['Cargo.toml', 'src/main.rs', 'runner']);
    expect(readFileSync(join(directory, 'src/main.rs'), 'utf8')).toBe('fn main() {}\n');
    expect(statSync(join(directory, 'runner')).mode & 0o777).toBe(0o755);
    expect(statSync(join(directory, 'Cargo.toml')).mode & 0o777).toBe(0o644);
    expect(readdirSync(parent)).toEqual(['os']);
  });

  it('creates missing parent directories', () => {
    applyPlan(plan, join(parent, 'a', 'b', 'os'));
    expect(existsSync(join(parent, 'a', 'b', 'os', 'Cargo.toml'))).toBe(true);
  });

  it('writes into an existing empty directory', () => {
    mkdirSync(join(parent, 'os'));
    applyPlan(plan, join(parent, 'os'));
    expect(readdirSync(join(parent, 'os')).sort()).toEqual(['Cargo.toml', 'runner', 'src']);
  });

  it('refuses a non-empty directory without force, writing nothing', () => {
    mkdirSync(join(parent, 'os'));
    writeFileSync(join(parent, 'os', 'notes.txt'), 'mine');
    expect(() => applyPlan(plan, join(parent, 'os'))).toThrowError(
      expect.objectContaining({ code: 'E_DIRECTORY_NOT_EMPTY', message: expect.stringMatching(/is not empty \(1 entry\); use --force/) }),
    );
    expect(readdirSync(join(parent, 'os'))).toEqual(['notes.txt']);
    expect(readdirSync(parent)).toEqual(['os']);
  });

  it('with force, adds to a non-empty directory and keeps unrelated files', () => {
    mkdirSync(join(parent, 'os', 'src'), { recursive: true });
    writeFileSync(join(parent, 'os', 'notes.txt'), 'mine');
    writeFileSync(join(parent, 'os', 'src', 'main.rs'), 'old');
    applyPlan(plan, join(parent, 'os'), { force: true });
    expect(readFileSync(join(parent, 'os', 'notes.txt'), 'utf8')).toBe('mine');
    expect(readFileSync(join(parent, 'os', 'src', 'main.rs'), 'utf8')).toBe('fn main() {}\n');
    expect(readdirSync(parent)).toEqual(['os']);
  });

  it('refuses a file where the directory should be', () => {
    writeFileSync(join(parent, 'os'), 'a file');
    expect(() => applyPlan(plan, join(parent, 'os'), { force: true })).toThrowError(
      expect.objectContaining({ code: 'E_NOT_A_DIRECTORY' }),
    );
  });

  it('leaves nothing behind when a write fails half way', () => {
    const broken: KernelPlan = {
      files: [
        { path: 'Cargo.toml', contents: 'x', mode: 0o644 },
        // A file and then a directory of the same name: the second write fails.
        { path: 'src', contents: 'x', mode: 0o644 },
        { path: 'src/main.rs', contents: 'x', mode: 0o644 },
      ],
    };
    expect(() => applyPlan(broken, join(parent, 'os'))).toThrowError(
      expect.objectContaining({ code: 'E_WRITE_FAILED', message: expect.stringMatching(/^cannot write .*os: (ENOTDIR|EEXIST)/) }),
    );
    expect(readdirSync(parent)).toEqual([]);
  });

  it('reports a directory that cannot be written', () => {
    // Even root cannot create directories in /proc.
    expect(() => applyPlan(plan, '/proc/baremetal-kernel-test/os')).toThrowError(
      expect.objectContaining({ code: 'E_WRITE_FAILED' }),
    );
  });
});

describe('checkDestination', () => {
  it('accepts a missing or empty directory', () => {
    expect(() => checkDestination(join(parent, 'missing'))).not.toThrow();
    expect(() => checkDestination(parent)).not.toThrow();
  });
});

describe('applyPlan and checkDestination: what their errors say', () => {
  it('name the directory as the caller labels it, or by its path', () => {
    writeFileSync(join(parent, 'os'), 'a file');
    expect(() => checkDestination(join(parent, 'os'), { label: 'os/' })).toThrowError(/^os\/ exists and is not a directory$/);
    expect(() => checkDestination(join(parent, 'os'))).toThrowError(new RegExp(`^${join(parent, 'os')} exists and is not a directory$`));
  });

  it('count the entries of a directory that is not empty', () => {
    mkdirSync(join(parent, 'os'));
    writeFileSync(join(parent, 'os', 'a'), '');
    writeFileSync(join(parent, 'os', 'b'), '');
    expect(() => checkDestination(join(parent, 'os'), { label: 'os' })).toThrowError(
      'os is not empty (2 entries); use --force to add the kernel to it (files of yours it would replace are listed first)',
    );
  });

  it("give a failed write's system error code once, and keep the error as the cause", () => {
    const broken: KernelPlan = {
      files: [
        { path: 'src', contents: 'x', mode: 0o644 },
        { path: 'src/main.rs', contents: 'x', mode: 0o644 },
      ],
    };
    let error: (Error & { code?: string }) | undefined;
    try {
      applyPlan(broken, join(parent, 'os'), { label: 'os' });
    } catch (caught) {
      error = caught as typeof error;
    }
    expect(error?.code).toBe('E_WRITE_FAILED');
    // Node's own message starts with the code too ("ENOTDIR: not a directory, ..."): said once.
    expect(error?.message).toMatch(/^cannot write os: (ENOTDIR|EEXIST): (not a directory|file already exists), /);
    expect((error?.cause as NodeJS.ErrnoException).code).toMatch(/^(ENOTDIR|EEXIST)$/);
  });
});
