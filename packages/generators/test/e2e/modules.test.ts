/**
 * Every module, as a user adds it: a fresh kernel, `add` (the same planning and writing the CLI
 * does), then the real compiler and QEMU. On multiboot2 the module's in-kernel tests boot and
 * pass and the kernel boots with it; on Limine, whose boots need a real release (LIMINE_DIR), the
 * kernel and its tests build, and boot where LIMINE_DIR is set. Then every module that fits
 * together, added in two orders: both build, and all in-kernel tests pass.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODULES, moduleConflicts, type ModuleRule } from '@baremetal-kernel/target';
import { applyChangesPending, compileTemplates, loadTemplates, moduleFolder, planAddModules } from '../../src/index.js';
import { cacheDirectory, cargo, generate } from './support.js';

const BUILD_TIMEOUT = 600_000;
const TEMPLATES = compileTemplates(loadTemplates());

/** The kernel at `directory` with `modules` added by one `add`, as the CLI writes them. */
function add(directory: string, modules: readonly string[]) {
  const read = (path: string) => {
    try {
      return readFileSync(join(directory, path), 'utf8');
    } catch {
      return undefined;
    }
  };
  const plan = planAddModules(modules, read, TEMPLATES);
  applyChangesPending(plan.changes, directory).finish();
  return plan;
}

/** The test targets a module brings: its `tests/*.rs` files. */
function moduleTests(module: ModuleRule): string[] {
  const prefix = `${moduleFolder(module.name)}tests/`;
  return [...TEMPLATES.keys()].filter((path) => path.startsWith(prefix) && !path.slice(prefix.length).includes('/')).map((path) => path.slice(prefix.length, -'.rs.hbs'.length));
}

/** Every file under `directory` with its contents (the tree a second `add` must leave alone). */
function tree(directory: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (path: string, prefix: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      if (entry.name === 'target') continue;
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full, `${prefix}${entry.name}/`);
      else files.set(`${prefix}${entry.name}`, `${statSync(full).mode.toString(8)} ${readFileSync(full, 'utf8')}`);
    }
  };
  walk(directory, '');
  return files;
}

/** The most modules that can share one kernel of `boot`: the catalogue in order, skipping conflicts. */
function compatibleSet(boot: 'multiboot2' | 'limine'): ModuleRule[] {
  const chosen: ModuleRule[] = [];
  for (const module of MODULES) {
    if (!module.bootProtocols.includes(boot)) continue;
    const requirements = module.requires.map((name) => MODULES.find((candidate) => candidate.name === name)!);
    if ([module, ...requirements].some((candidate) => moduleConflicts(candidate, chosen).length > 0)) continue;
    chosen.push(module);
  }
  return chosen;
}

const cases = MODULES.flatMap((module) => module.bootProtocols.map((boot) => ({ module, boot })));

describe.skipIf(cases.length === 0)('each module added to a fresh kernel', () => {
  it.each(cases)('$module.name on $boot: added, built, its tests pass in QEMU', ({ module, boot }) => {
    const name = `mod-${module.name}`;
    const { directory } = generate({ name, boot });
    const plan = add(directory, [module.name]);
    expect(plan.added.map((added) => added.name)).toEqual([...module.requires, module.name]);
    const targetDirectory = cacheDirectory(`e2e-modules-${boot}-system-baseline`);
    const tests = moduleTests(module);
    expect(tests.length, `module ${module.name} ships in-kernel tests`).toBeGreaterThan(0);
    const testArgs = tests.flatMap((test) => ['--test', test]);
    const fmt = cargo(directory, ['fmt', '--check'], { targetDirectory });
    expect(fmt.status, fmt.output).toBe(0);
    if (boot === 'limine' && !process.env.LIMINE_DIR) {
      const build = cargo(directory, ['test', '--no-run', ...testArgs], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
      expect(build.status, build.output).toBe(0);
      return;
    }
    const run = cargo(directory, ['test', ...testArgs], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(run.status, run.output).toBe(0);
    // One harness summary per test binary, each with tests that ran and passed.
    const results = [...run.output.matchAll(/^test result: ok\. (\d+) passed; 0 failed/gm)];
    expect(results.length, run.output).toBe(tests.length);
    for (const result of results) expect(Number(result[1])).toBeGreaterThan(0);
    const boots = cargo(directory, ['run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(boots.status, boots.output).toBe(0);
    expect(boots.output).toMatch(new RegExp(`^\\[${module.name}\\] `, 'm'));
    expect(boots.output).toMatch(/^\[kernel\] boot complete$/m);
  });
});

describe.skipIf(compatibleSet('multiboot2').length < 2)('all modules in one multiboot2 kernel', () => {
  const modules = compatibleSet('multiboot2').map((module) => module.name);
  const targetDirectory = cacheDirectory('e2e-modules-multiboot2-system-baseline');

  it('added at once, then again (nothing changes), builds clippy-clean and passes every in-kernel test', () => {
    const { directory } = generate({ name: 'mod-all', boot: 'multiboot2' });
    add(directory, modules);
    const before = tree(directory);
    expect(add(directory, modules).changes).toEqual([]);
    expect(tree(directory)).toEqual(before);
    const clippy = cargo(directory, ['clippy', '--all-targets', '--', '-D', 'warnings'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(clippy.status, clippy.output).toBe(0);
    const run = cargo(directory, ['test'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(run.status, run.output).toBe(0);
    const boots = cargo(directory, ['run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(boots.status, boots.output).toBe(0);
    for (const module of modules) expect(boots.output).toMatch(new RegExp(`^\\[${module}\\] `, 'm'));
  });

  it('added one at a time in reverse order, builds and boots', () => {
    const { directory } = generate({ name: 'mod-all-reversed', boot: 'multiboot2' });
    for (const module of [...modules].reverse()) add(directory, [module]);
    const boots = cargo(directory, ['run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(boots.status, boots.output).toBe(0);
    expect(boots.output).toMatch(/^\[kernel\] boot complete$/m);
  });
});
