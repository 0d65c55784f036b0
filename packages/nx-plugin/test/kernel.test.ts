/** The `kernel` generator on an in-memory Tree: the CLI's plan, written as planned, or nothing. */
import { describe, expect, it } from 'vitest';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { validateKernelRequest, type KernelRequest, type ValidationContext } from '@baremetal-kernel/target';
import { comparePaths, planKernel } from '@baremetal-kernel/generators';
import { kernelGeneratorWith, type KernelGeneratorOptions } from '../src/index.js';
import { FAKE_MACHINE, TEMPLATES, filesUnder, thrownMessage, treeState } from './support.js';

/** The generator with the real templates; it may look at the machine only when `machine` says so. */
function generator(machine: 'fake' | 'never' = 'never') {
  let detections = 0;
  const run = kernelGeneratorWith({
    detectToolchains: () => {
      detections++;
      if (machine === 'never') throw new Error('the generator looked at the machine for a profile that does not depend on it');
      return FAKE_MACHINE;
    },
    templates: () => TEMPLATES,
  });
  return { run, detections: () => detections };
}

/** What planKernel plans for the request, as the Tree would hold it. */
function planned(request: KernelRequest, context: ValidationContext = {}) {
  const validation = validateKernelRequest(request, context);
  if (!validation.ok) throw new Error(validation.problems.map((problem) => problem.message).join('\n'));
  return planKernel(validation.config, TEMPLATES).files.map((file) => ({ path: file.path, contents: file.contents, mode: file.mode }));
}

const byPath = <T extends { path: string }>(files: T[]) => [...files].sort((a, b) => comparePaths(a.path, b.path));

describe('the kernel generator', () => {
  it.each<[string, KernelGeneratorOptions, KernelRequest]>([
    ['multiboot2, baseline', { directory: 'kernels/os', toolchain: 'rustup-stable' }, { name: 'os', toolchain: 'rustup-stable' }],
    [
      'limine, x86-64-v3, with log',
      { directory: 'kernels/lim', boot: 'limine', preset: 'x86-64-v3', toolchain: 'rustup-nightly', modules: ['log'] },
      { name: 'lim', boot: 'limine', preset: 'x86-64-v3', toolchain: 'rustup-nightly', modules: ['log'] },
    ],
    [
      'a name of its own, keyboard (with pic-timer) from a comma list',
      { directory: 'kernels/kb', name: 'kb_os', toolchain: 'rustup-stable', modules: 'keyboard, log' },
      { name: 'kb_os', toolchain: 'rustup-stable', modules: ['keyboard', 'log'] },
    ],
  ])('writes the files planKernel plans, with their modes: %s', (_, options, request) => {
    const tree = createTreeWithEmptyWorkspace();
    generator().run(tree, options);
    const files = planned(request);
    expect(byPath(filesUnder(tree, options.directory))).toEqual(files);
    expect(files.find((file) => file.path === 'runner')?.mode).toBe(0o755);
  });

  it("asks the machine for auto and system only, as create does, and plans with what it says", () => {
    for (const toolchain of [undefined, 'system']) {
      const tree = createTreeWithEmptyWorkspace();
      const { run, detections } = generator('fake');
      run(tree, { directory: 'os', ...(toolchain ? { toolchain } : {}) });
      expect(detections()).toBe(1);
      expect(byPath(filesUnder(tree, 'os'))).toEqual(planned({ name: 'os', toolchain: toolchain ?? 'auto' }, { detected: FAKE_MACHINE }));
    }
  });

  it('takes ./dir/ as dir', () => {
    const tree = createTreeWithEmptyWorkspace();
    generator().run(tree, { directory: './kernels/os/', toolchain: 'rustup-stable' });
    expect(byPath(filesUnder(tree, 'kernels/os'))).toEqual(planned({ name: 'os', toolchain: 'rustup-stable' }));
  });

  const viaName = '; pass a valid name with --name (the directory may keep its name)';
  // The CLI's messages (create.test.ts), without its `error: ` prefix.
  it.each<[string, KernelGeneratorOptions, string]>([
    ['an unknown preset', { directory: 'os', preset: 'x86-64-v4' }, "unknown feature preset 'x86-64-v4' (known: baseline, x86-64-v2, x86-64-v3)"],
    ['an unknown boot protocol', { directory: 'os', boot: 'multiboot' }, "unknown boot protocol 'multiboot' (known: multiboot2, limine); did you mean 'multiboot2'?"],
    ['an unknown toolchain', { directory: 'os', toolchain: 'nightly' }, "unknown toolchain 'nightly' (known: auto, rustup-stable, rustup-nightly, system)"],
    ['an uppercase directory name', { directory: 'kernels/My_OS2' }, "invalid project name: 'My_OS2' has uppercase letters, which Rust warns about in a crate name: use 'my_os2'" + viaName],
    ['an uppercase --name', { directory: 'os', name: 'My_OS' }, "invalid project name: 'My_OS' has uppercase letters, which Rust warns about in a crate name: use 'my_os'"],
    ['an unknown module', { directory: 'os', modules: ['keybord'] }, "unknown module 'keybord' (known: log, memory, heap, pic-timer, keyboard, vga-text, acpi, apic, smp, c-interop); did you mean 'keyboard'?"],
    [
      'a module refused on limine',
      { directory: 'os', boot: 'limine', modules: ['vga-text'] },
      "module 'vga-text' does not support the limine boot protocol: the Limine protocol hands out RGB framebuffers only, no VGA text mode",
    ],
    [
      'two problems, one line each',
      { directory: 'os', name: 'Os', preset: 'v4' },
      "invalid project name: 'Os' has uppercase letters, which Rust warns about in a crate name: use 'os'\nunknown feature preset 'v4' (known: baseline, x86-64-v2, x86-64-v3)",
    ],
  ])("refuses %s with the CLI's message and writes nothing", (_, options, message) => {
    const tree = createTreeWithEmptyWorkspace();
    const before = treeState(tree);
    expect(thrownMessage(() => generator().run(tree, { toolchain: 'rustup-stable', ...options }))).toBe(message);
    expect(treeState(tree)).toEqual(before);
  });

  it('refuses a directory with files as create does, unless --force, which replaces them', () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('os/README.md', 'mine\n');
    tree.write('os/src', 'a file where a directory must go\n');
    const before = treeState(tree);
    const options = { directory: 'os', toolchain: 'rustup-stable' };
    expect(thrownMessage(() => generator().run(tree, options))).toBe('os is not empty (2 entries); --force adds the kernel to it, replacing README.md, src');
    expect(treeState(tree)).toEqual(before);
    generator().run(tree, { ...options, force: true });
    expect(byPath(filesUnder(tree, 'os'))).toEqual(planned({ name: 'os', toolchain: 'rustup-stable' }));
  });

  it('refuses a directory that is a file, and one outside the workspace', () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('os', 'a file\n');
    const before = treeState(tree);
    expect(thrownMessage(() => generator().run(tree, { directory: 'os', toolchain: 'rustup-stable' }))).toBe('os exists and is not a directory');
    expect(thrownMessage(() => generator().run(tree, { directory: '../os', toolchain: 'rustup-stable' }))).toBe('../os is outside the workspace: give a directory inside it');
    expect(treeState(tree)).toEqual(before);
  });
});
