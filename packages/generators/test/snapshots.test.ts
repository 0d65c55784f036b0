/**
 * Snapshots of generated files, so that every change to a template shows up in review. The
 * baseline configuration is kept whole; the others keep the files their choices change.
 *
 * A snapshot that is missing, or left over from a file or configuration no longer generated, fails
 * the run (vitest alone would quietly write the first and never notice the second); `-u` writes the
 * missing ones and deletes the left-over ones.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { KernelRequest } from '@baremetal-kernel/target';
import { compileTemplates, loadTemplates, planKernel } from '../src/index.js';
import { kernelConfig } from './support.js';

const templates = compileTemplates(loadTemplates());

const CONFIGURATIONS: Array<{ key: string; request: Partial<KernelRequest>; files: string[] | 'all' }> = [
  { key: 'multiboot2-baseline-system', request: {}, files: 'all' },
  { key: 'multiboot2-x86-64-v2-system', request: { preset: 'x86-64-v2' }, files: ['src/boot/cpu_features.rs', 'runner'] },
  {
    key: 'multiboot2-x86-64-v3-system',
    request: { preset: 'x86-64-v3' },
    files: ['.cargo/config.toml', 'src/boot/cpu_features.rs', 'runner', 'README.md'],
  },
  {
    key: 'multiboot2-baseline-rustup-stable',
    request: { toolchain: 'rustup-stable' },
    files: ['.cargo/config.toml', 'rust-toolchain.toml', '.github/workflows/ci.yml', '.vscode/settings.json', 'README.md'],
  },
  { key: 'multiboot2-baseline-rustup-nightly', request: { toolchain: 'rustup-nightly' }, files: ['.cargo/config.toml', 'rust-toolchain.toml'] },
  {
    key: 'limine-baseline-system',
    request: { boot: 'limine' },
    files: [
      '.github/workflows/ci.yml',
      '.gitignore',
      'README.md',
      'linker.ld',
      'runner',
      'src/boot/entry.rs',
      'src/boot/limine.rs',
      'src/boot/mod.rs',
      'src/lib.rs',
    ],
  },
  { key: 'limine-x86-64-v3-system', request: { boot: 'limine', preset: 'x86-64-v3' }, files: ['runner'] },
];

const SNAPSHOTS = fileURLToPath(new URL('./__snapshots__/', import.meta.url));
const SNAPSHOT_SUFFIX = '.snap';

/** Whether this run was started with `-u`. */
function updatingSnapshots(): boolean {
  return expect.getState().snapshotState.snapshotUpdateState === 'all';
}

/** Every `.snap` file on disk, as `<configuration>/<generated path>`. */
function snapshotFilesOnDisk(): string[] {
  if (!existsSync(SNAPSHOTS)) return [];
  return readdirSync(SNAPSHOTS, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(SNAPSHOTS, join(entry.parentPath, entry.name)))
    .filter((path) => path.endsWith(SNAPSHOT_SUFFIX))
    .map((path) => path.slice(0, -SNAPSHOT_SUFFIX.length))
    .sort();
}

const snapshotted = CONFIGURATIONS.map(({ key, request, files }) => {
  const plan = planKernel(kernelConfig({ name: 'snapshot-os', ...request }), templates);
  const chosen = files === 'all' ? plan.files : plan.files.filter((file) => files.includes(file.path));
  return { key, files, chosen };
});

describe.each(snapshotted)('generated files: $key', ({ key, files, chosen }) => {
  if (files !== 'all') {
    it('generates every file chosen for a snapshot', () => {
      expect(chosen.map((file) => file.path).sort()).toEqual([...files].sort());
    });
  }

  it.each(chosen.map((file) => [file.path, file] as const))('%s', async (path, file) => {
    const snapshot = `${SNAPSHOTS}${key}/${path}${SNAPSHOT_SUFFIX}`;
    if (!updatingSnapshots()) expect(existsSync(snapshot), `no snapshot ${relative(SNAPSHOTS, snapshot)}: run with -u and review it`).toBe(true);
    await expect(file.contents).toMatchFileSnapshot(snapshot);
  });
});

describe('the snapshot folder', () => {
  it('holds a snapshot for every chosen file and nothing else', () => {
    const expected = snapshotted.flatMap(({ key, chosen }) => chosen.map((file) => `${key}/${file.path}`)).sort();
    const leftOver = snapshotFilesOnDisk().filter((path) => !expected.includes(path));
    if (updatingSnapshots()) {
      for (const path of leftOver) rmSync(`${SNAPSHOTS}${path}${SNAPSHOT_SUFFIX}`);
      return;
    }
    expect(leftOver, 'snapshots of files no longer generated: run with -u to delete them').toEqual([]);
  });
});

describe('rendered templates', () => {
  const plan = planKernel(kernelConfig({ name: 'snapshot-os', toolchain: 'rustup-stable' }), templates);
  const file = (path: string) => plan.files.find((candidate) => candidate.path === path)!.contents;

  it('keeps the GitHub Actions expressions of the CI workflow', () => {
    expect(file('.github/workflows/ci.yml')).toContain("key: ${{ runner.os }}-kernel-${{ hashFiles('Cargo.lock', '.cargo/config.toml', 'rust-toolchain.toml') }}");
  });

  it('leaves no Handlebars syntax in any file', () => {
    for (const { path, contents } of plan.files) {
      expect(contents, path).not.toMatch(/\{\{(?!\s*(runner|hashFiles))/);
    }
  });

  it('records the choices in Cargo.toml', () => {
    expect(file('Cargo.toml')).toContain(
      '[package.metadata.baremetal-kernel]\ngenerator-version = "0.1.0"\nboot = "multiboot2"\npreset = "baseline"\ntoolchain = "rustup-stable"\ncode-model = "kernel"\nrelocation-model = "static"\nmodules = []\n',
    );
  });
});
