/**
 * examples/ is exactly what the generators produce today (tools/examples): every file of every
 * example, both ways, in memory against the disk; and the list covers what it promises.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { BOOT_PROTOCOLS, DEFAULT_PRESET, MODULES, PRESETS } from '@baremetal-kernel/target';
import { applyPlan } from '@baremetal-kernel/generators';
// @ts-expect-error: a plain ES module without types
import { EXAMPLES, EXAMPLES_DIRECTORY, REGENERATE_COMMAND, buildOutputs, exampleConfig, exampleTemplates, planExample, planExamples } from '../examples/examples.mjs';
// @ts-expect-error: a plain ES module without types
import { planDifferences } from '../examples/drift.mjs';
// @ts-expect-error: a plain ES module without types
import { regenerateExamples } from '../examples/generate.mjs';

interface Example {
  readonly name: string;
  readonly description: string;
  readonly options: { readonly boot?: string; readonly preset?: string; readonly modules?: readonly string[] };
}
interface File {
  readonly path: string;
  readonly contents: string;
  readonly mode: number;
}
interface Difference {
  readonly path: string;
  readonly problem: string;
}

const examples = EXAMPLES as readonly Example[];
const root = fileURLToPath(new URL('../../', import.meta.url));
const templates = exampleTemplates();

/** Build outputs (each example's .gitignore'd entries) are not part of the comparison. */
function ignoredPaths(): (path: string) => boolean {
  const ignored = new Set(examples.flatMap((example) => (buildOutputs(planExample(example, templates)) as string[]).map((entry) => `${example.name}/${entry}`)));
  return (path) => ignored.has(path);
}

/** The differences, one line each: the example, the file, what differs. */
function report(differences: readonly Difference[]): string {
  const lines = differences.map(({ path, problem }) => {
    const slash = path.indexOf('/');
    const where = slash < 0 ? `${EXAMPLES_DIRECTORY}/${path}` : `example ${path.slice(0, slash)}: ${path.slice(slash + 1)}`;
    return `  ${where}: ${problem}`;
  });
  return `${EXAMPLES_DIRECTORY}/ differs from what the generators produce today; run \`${REGENERATE_COMMAND}\` (never edit examples by hand):\n${lines.join('\n')}`;
}

describe('examples/', () => {
  it('is what the generators produce today, file by file (run `npm run examples` when this fails)', () => {
    const differences = planDifferences(planExamples(EXAMPLES, templates), join(root, EXAMPLES_DIRECTORY), ignoredPaths()) as Difference[];
    expect(differences, report(differences)).toEqual([]);
  });
});

describe('the examples list', () => {
  it('validates: every example is a configuration the generators accept, with a unique name', () => {
    for (const example of examples) expect(() => exampleConfig(example), example.name).not.toThrow();
    expect(new Set(examples.map((example) => example.name)).size).toBe(examples.length);
  });

  it('has the minimal kernel of the defaults, and a Limine kernel', () => {
    expect(examples.find((example) => example.name === 'minimal')?.options).toEqual({});
    expect(examples.some((example) => example.options.boot === 'limine')).toBe(true);
  });

  it('has an example for every non-default CPU-feature preset', () => {
    const shown = new Set(examples.map((example) => example.options.preset));
    const missing = PRESETS.filter((preset) => preset.name !== DEFAULT_PRESET && !shown.has(preset.name)).map((preset) => preset.name);
    expect(missing, `presets without an example in tools/examples/examples.mjs: ${missing.join(', ')}`).toEqual([]);
  });

  it('has every module in some example of each boot protocol that supports it', () => {
    for (const boot of BOOT_PROTOCOLS) {
      const shown = new Set(examples.filter((example) => (example.options.boot ?? 'multiboot2') === boot.name).flatMap((example) => example.options.modules ?? []));
      const missing = MODULES.filter((module) => module.bootProtocols.includes(boot.name) && !shown.has(module.name)).map((module) => module.name);
      expect(missing, `${boot.name}: modules in no example: ${missing.join(', ')}`).toEqual([]);
    }
  });

  it('gives every example the Cargo.lock of its package (as create does), so that a build leaves git clean', () => {
    for (const example of examples) {
      const lock = (planExample(example, templates).files as File[]).find((file) => file.path === 'Cargo.lock');
      expect(lock?.contents, example.name).toContain(`name = "${example.name}"`);
    }
  });
});

describe('the drift check', () => {
  const plan = {
    files: [
      { path: 'a/runner', contents: '#!/bin/sh\n', mode: 0o755 },
      { path: 'a/src/main.rs', contents: 'fn main() {}\n', mode: 0o644 },
      { path: 'README.md', contents: '# examples\n', mode: 0o644 },
    ],
  };
  let directory = '';
  const written = () => {
    directory = join(mkdtempSync(join(tmpdir(), 'examples-drift-')), 'examples');
    applyPlan(plan, directory);
    return directory;
  };
  afterEach(() => rmSync(join(directory, '..'), { recursive: true, force: true }));

  it('finds nothing on what the plan wrote, build outputs aside', () => {
    const at = written();
    mkdirSync(join(at, 'a', 'target'));
    writeFileSync(join(at, 'a', 'target', 'kernel'), 'ELF');
    expect(planDifferences(plan, at, (path: string) => path === 'a/target')).toEqual([]);
  });

  it('names a missing file, an extra file, changed bytes and a changed executable bit', () => {
    const at = written();
    unlinkSync(join(at, 'README.md'));
    writeFileSync(join(at, 'a', 'src', 'extra.rs'), '');
    writeFileSync(join(at, 'a', 'src', 'main.rs'), 'fn main() {}\n\n');
    chmodSync(join(at, 'a', 'runner'), 0o644);
    expect(planDifferences(plan, at)).toEqual([
      { path: 'README.md', problem: 'missing' },
      { path: 'a/runner', problem: 'not executable, should be' },
      { path: 'a/src/extra.rs', problem: 'not generated (an extra file)' },
      { path: 'a/src/main.rs', problem: 'contents differ' },
    ]);
  });

  it('says which example and file differ, and the command that fixes it', () => {
    expect(report([{ path: 'minimal/src/main.rs', problem: 'contents differ' }])).toBe(
      'examples/ differs from what the generators produce today; run `npm run examples` (never edit examples by hand):\n' +
        '  example minimal: src/main.rs: contents differ',
    );
  });
});

describe('npm run examples (regenerateExamples)', () => {
  const two = examples.filter((example) => example.name === 'minimal' || example.name === 'limine-framebuffer');
  let scratch = '';
  afterEach(() => rmSync(scratch, { recursive: true, force: true }));

  it('writes the examples and their README, removes what is no longer generated, keeps build outputs', () => {
    scratch = mkdtempSync(join(tmpdir(), 'examples-regenerate-'));
    const destination = join(scratch, 'examples');
    mkdirSync(join(destination, 'minimal', 'target', 'debug'), { recursive: true });
    writeFileSync(join(destination, 'minimal', 'target', 'debug', 'kernel'), 'ELF');
    mkdirSync(join(destination, 'gone', 'src'), { recursive: true });
    writeFileSync(join(destination, 'gone', 'src', 'main.rs'), '');
    writeFileSync(join(destination, 'README.md'), 'old');
    const { removed } = regenerateExamples(destination, two);
    expect(removed).toEqual(['gone/src/main.rs']);
    expect(planDifferences(planExamples(two, templates), destination, (path: string) => path === 'minimal/target')).toEqual([]);
    expect(readFileSync(join(destination, 'minimal', 'target', 'debug', 'kernel'), 'utf8')).toBe('ELF');
    expect(readdirSync(scratch)).toEqual(['examples']);
  });

  it('leaves examples/ as it was when it is a file', () => {
    scratch = mkdtempSync(join(tmpdir(), 'examples-regenerate-'));
    writeFileSync(join(scratch, 'examples'), 'mine');
    expect(() => regenerateExamples(join(scratch, 'examples'), two)).toThrow('exists and is not a directory');
    expect(readFileSync(join(scratch, 'examples'), 'utf8')).toBe('mine');
    expect(existsSync(join(scratch, '.examples-new-' + process.pid))).toBe(false);
  });
});
