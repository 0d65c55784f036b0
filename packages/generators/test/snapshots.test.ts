/**
 * Snapshots of generated files, so that every change to a template shows up in review. The
 * baseline configuration is kept whole; the others keep the files their choices change.
 */
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
      'src/boot/cpu_features.rs',
      'src/boot/entry.rs',
      'src/boot/limine.rs',
      'src/boot/mod.rs',
      'src/lib.rs',
    ],
  },
  { key: 'limine-x86-64-v3-system', request: { boot: 'limine', preset: 'x86-64-v3' }, files: ['src/boot/cpu_features.rs', 'runner'] },
];

describe.each(CONFIGURATIONS)('generated files: $key', ({ key, request, files }) => {
  const plan = planKernel(kernelConfig({ name: 'snapshot-os', ...request }), templates);
  const chosen = files === 'all' ? plan.files : plan.files.filter((file) => files.includes(file.path));

  it('writes every file it is expected to', () => {
    if (files !== 'all') expect(chosen.map((file) => file.path).sort()).toEqual([...files].sort());
  });

  it.each(chosen.map((file) => [file.path, file] as const))('%s', async (path, file) => {
    await expect(file.contents).toMatchFileSnapshot(`./__snapshots__/${key}/${path}.snap`);
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
      '[package.metadata.baremetal-kernel]\ngenerator-version = "0.1.0"\nboot = "multiboot2"\npreset = "baseline"\ntoolchain = "rustup-stable"\nmodules = []\n',
    );
  });
});
