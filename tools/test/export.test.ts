/**
 * tools/examples/export.mjs before it runs git: what the repository holds, and every refusal (one
 * line, nothing written). The export itself, git and a build included, is in e2e/export.test.ts.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
// @ts-expect-error: a plain ES module without types
import { EXAMPLES, findExample, planExample } from '../examples/examples.mjs';
// @ts-expect-error: a plain ES module without types
import { FALLBACK_AUTHOR, commitAuthor, exportExample, exportRefusal, main, planExport } from '../examples/export.mjs';

interface File {
  readonly path: string;
  readonly contents: string;
  readonly mode: number;
}

let scratch = '';
beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), 'export-'));
});
afterEach(() => {
  rmSync(scratch, { recursive: true, force: true });
  vi.restoreAllMocks();
});

/** Every entry under `directory`, with contents: to see that a refusal changed nothing. */
function snapshot(directory: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    entries[path] = entry.isFile() ? readFileSync(path, 'utf8') : '(directory)';
  }
  return entries;
}

describe('the exported repository', () => {
  const minimal = findExample('minimal');
  const files = planExport(minimal).files as File[];
  const byPath = new Map(files.map((file) => [file.path, file]));

  it("holds the example's files as they are, the README aside", () => {
    for (const file of planExample(minimal).files as File[]) {
      if (file.path !== 'README.md') expect(byPath.get(file.path), file.path).toEqual(file);
    }
  });

  it('adds both licence texts of MIT OR Apache-2.0', () => {
    expect(byPath.get('LICENSE-APACHE')?.contents).toMatch(/Apache License\s+Version 2\.0, January 2004/);
    expect(byPath.get('LICENSE-APACHE')?.contents).toContain('END OF TERMS AND CONDITIONS');
    expect(byPath.get('LICENSE-MIT')?.contents).toMatch(/^MIT License\n/);
    expect(byPath.get('LICENSE-MIT')?.contents).toContain('Permission is hereby granted, free of charge');
  });

  it("gives a README that says what the example is, keeps the kernel's, and ends with the licence", () => {
    const readme = byPath.get('README.md')!.contents;
    const kernelReadme = (planExample(minimal).files as File[]).find((file) => file.path === 'README.md')!.contents;
    expect(readme.split('\n')[0]).toBe('# minimal');
    expect(readme).toContain(`> Example \`minimal\` of baremetal-kernel`);
    expect(readme).toContain(kernelReadme.split('\n').slice(1).join('\n').trimEnd());
    expect(readme).toMatch(/## Licence\n\nLicensed under either of \[Apache License, Version 2\.0\]\(LICENSE-APACHE\) or \[MIT license\]\(LICENSE-MIT\)/);
  });

  it('has a CI workflow and a .gitignore that keeps build output out', () => {
    expect(byPath.get('.github/workflows/ci.yml')?.contents).toContain('cargo test');
    expect(byPath.get('.gitignore')?.contents.split('\n')).toContain('/target');
  });
});

describe('refusals: one line, nothing written', () => {
  it('lists the known examples for an unknown one, and suggests the closest', () => {
    const destination = join(scratch, 'out');
    const message = exportRefusal('minimall', destination);
    expect(message).toBe(`unknown example 'minimall' (known: ${EXAMPLES.map((example: { name: string }) => example.name).join(', ')}); did you mean 'minimal'?`);
    expect(() => exportExample('minimall', destination)).toThrow(message);
    expect(existsSync(destination)).toBe(false);
  });

  it('refuses a file where the directory should be', () => {
    const destination = join(scratch, 'a-file');
    writeFileSync(destination, 'mine\n');
    expect(() => exportExample('minimal', destination)).toThrow(`${destination} exists and is not a directory; give a new or empty directory`);
    expect(readFileSync(destination, 'utf8')).toBe('mine\n');
  });

  it('refuses a directory with anything in it, a lone .git too', () => {
    for (const entry of ['notes.txt', '.git']) {
      const destination = join(scratch, `with-${entry}`);
      mkdirSync(destination);
      writeFileSync(join(destination, entry), '');
      const before = snapshot(scratch);
      expect(() => exportExample('minimal', destination)).toThrow(`${destination} is not empty (1 entry); give a new or empty directory`);
      expect(snapshot(scratch)).toEqual(before);
    }
  });

  it('accepts a directory that does not exist or is empty', () => {
    expect(exportRefusal('minimal', join(scratch, 'new', 'deeper'))).toBeUndefined();
    mkdirSync(join(scratch, 'empty'));
    expect(exportRefusal('minimal', join(scratch, 'empty'))).toBeUndefined();
  });

  it('prints the usage and the examples when the arguments are not two, and exits 1', () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    expect(main(['minimal'])).toBe(1);
    expect(errors.join('\n')).toMatch(/^usage: node tools\/examples\/export\.mjs <example> <directory>\nexamples: minimal, /);
  });

  it('exits 1 with the refusal on one line', () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: string) => void errors.push(line));
    expect(main(['nope', join(scratch, 'out')])).toBe(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^export: unknown example 'nope' \(known: /);
    expect(existsSync(join(scratch, 'out'))).toBe(false);
  });
});

describe('the first commit author', () => {
  it("is the user's when git has one, else a clear fallback", () => {
    expect(commitAuthor({ name: 'Ada', email: 'ada@example.org' })).toEqual({ name: 'Ada', email: 'ada@example.org' });
    expect(commitAuthor({ name: 'Ada', email: '' })).toEqual(FALLBACK_AUTHOR);
    expect(commitAuthor({ name: '', email: '' })).toEqual({ name: 'baremetal-kernel examples', email: 'examples@baremetal-kernel.invalid' });
  });
});
