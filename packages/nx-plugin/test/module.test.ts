/** The `module` generator on an in-memory Tree: `add`'s plan on a kernel the Tree holds, or nothing. */
import { describe, expect, it } from 'vitest';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import type { Tree } from '@nx/devkit';
import { validateKernelRequest, type KernelRequest } from '@baremetal-kernel/target';
import { planAddModules, planKernel } from '@baremetal-kernel/generators';
import { kernelGeneratorWith, moduleGeneratorWith, type KernelGeneratorOptions, type ModuleGeneratorOptions } from '../src/index.js';
import { TEMPLATES, filesUnder, thrownMessage, treeState } from './support.js';

const kernelGenerator = kernelGeneratorWith({
  detectToolchains: () => {
    throw new Error('not asked: every kernel here names its toolchain');
  },
  templates: () => TEMPLATES,
});

function moduleGenerator() {
  const notes: string[] = [];
  return { run: moduleGeneratorWith({ templates: () => TEMPLATES, info: (note) => notes.push(note) }), notes };
}

/** A workspace with a kernel at `directory`, written by the kernel generator. */
function workspaceWithKernel(directory: string, request: Omit<KernelGeneratorOptions, 'directory'> = {}): Tree {
  const tree = createTreeWithEmptyWorkspace();
  kernelGenerator(tree, { directory, toolchain: 'rustup-stable', ...request });
  return tree;
}

/** The kernel's files, as planKernel plans them: what `add` would find on disk. */
function kernelFiles(request: KernelRequest): Map<string, string> {
  const validation = validateKernelRequest({ toolchain: 'rustup-stable', ...request });
  if (!validation.ok) throw new Error(validation.problems.map((problem) => problem.message).join('\n'));
  return new Map(planKernel(validation.config, TEMPLATES).files.map((file) => [file.path, file.contents]));
}

/** What planAddModules changes in that kernel, as contents by path. */
function added(modules: string[], request: KernelRequest): Map<string, string> {
  const files = kernelFiles(request);
  for (const change of planAddModules(modules, (path) => files.get(path), TEMPLATES).changes) files.set(change.path, change.after);
  return files;
}

const contents = (tree: Tree, directory: string) => new Map(filesUnder(tree, directory).map((file) => [file.path, file.contents]));

describe('the module generator', () => {
  it.each<[string, string[] | string, { boot?: string }]>([
    ['keyboard (with pic-timer) on multiboot2', ['keyboard'], {}],
    ['log and heap, as one comma list, on limine', 'log, heap', { boot: 'limine' }],
  ])('writes what planAddModules plans: %s', (_, modules, request) => {
    const tree = workspaceWithKernel('kernels/os', request);
    moduleGenerator().run(tree, { directory: 'kernels/os', modules });
    const asked = typeof modules === 'string' ? modules.split(',').map((name) => name.trim()) : modules;
    expect(contents(tree, 'kernels/os')).toEqual(added(asked, { name: 'os', ...request }));
  });

  it('makes the kernel create --modules makes, in one run with the kernel generator', () => {
    const tree = workspaceWithKernel('os');
    moduleGenerator().run(tree, { directory: 'os/', modules: ['keyboard'] });
    const created = createTreeWithEmptyWorkspace();
    kernelGenerator(created, { directory: 'os', toolchain: 'rustup-stable', modules: ['keyboard'] });
    expect(contents(tree, 'os')).toEqual(contents(created, 'os'));
  });

  it('changes nothing for a module the kernel has, and says so', () => {
    const tree = workspaceWithKernel('os', { modules: ['log'] });
    const before = treeState(tree);
    const { run, notes } = moduleGenerator();
    run(tree, { directory: 'os', modules: ['log'] });
    expect(treeState(tree)).toEqual(before);
    expect(notes).toEqual(['log is in the kernel already.']);
  });

  // The messages `baremetal-kernel add` prints (they are planAddModules'), without `error: `.
  it.each<[string, ModuleGeneratorOptions, string]>([
    ['an unknown module', { directory: 'os', modules: ['keybord'] }, "unknown module 'keybord' (known: log, memory, heap, pic-timer, keyboard, vga-text, acpi, apic, smp, c-interop); did you mean 'keyboard'?"],
    ['a module refused on limine', { directory: 'lim', modules: ['vga-text'] }, "module 'vga-text' does not support the limine boot protocol: the Limine protocol hands out RGB framebuffers only, no VGA text mode; nothing was changed"],
    ['a directory without a kernel', { directory: 'apps', modules: ['log'] }, 'no Cargo.toml: this is not a kernel'],
    ['no module at all', { directory: 'os', modules: ' , ' }, 'name at least one module (`baremetal-kernel list` shows them)'],
    ['a directory outside the workspace', { directory: '../os', modules: ['log'] }, '../os is outside the workspace: give a directory inside it'],
  ])("refuses %s with add's message and changes nothing", (_, options, message) => {
    const tree = workspaceWithKernel('os');
    kernelGenerator(tree, { directory: 'lim', boot: 'limine', toolchain: 'rustup-stable' });
    const before = treeState(tree);
    expect(thrownMessage(() => moduleGenerator().run(tree, options))).toBe(message);
    expect(treeState(tree)).toEqual(before);
  });

  it.each([
    ['a file', 'os/src/log.rs'],
    ['a directory', 'os/src/log.rs/mine.rs'],
  ])('refuses, changing nothing, when %s of the user stands where a module writes one', (_, path) => {
    const tree = workspaceWithKernel('os');
    tree.write(path, '// mine\n');
    const before = treeState(tree);
    expect(thrownMessage(() => moduleGenerator().run(tree, { directory: 'os', modules: ['log'] }))).toBe(
      "src/log.rs already exists with other contents, and module 'log' would write it; rename or move yours, then run this again",
    );
    expect(treeState(tree)).toEqual(before);
  });
});
