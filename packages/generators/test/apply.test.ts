import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { applyPlan, checkDestination, type KernelPlan } from '../src/index.js';

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
    expect(() => checkDestination(join(parent, 'os'), { label: 'os' })).toThrowError('os is not empty (2 entries); use --force to write into it');
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
