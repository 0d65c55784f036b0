/**
 * Every module, as a user adds it: a fresh kernel, `add` (the same planning and writing the CLI
 * does), then the real compiler and QEMU: the module's in-kernel tests boot and pass, and the
 * kernel boots with it. Then every module that fits together, added in two orders: both build,
 * and all in-kernel tests pass, on the default preset and on x86-64-v3. Limine boots need a real
 * release (LIMINE_DIR): without one, the Limine kernel with every module is built and linted, its
 * tests not booted.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODULES, compatibleSets, type ModuleRule } from '@baremetal-kernel/target';
import { compileTemplates, loadTemplates, moduleFolder } from '../../src/index.js';
import { addModules, cacheDirectory, cargo, generate, replaceInSource } from './support.js';

const BUILD_TIMEOUT = 600_000;
/** A test of several builds and boots, on a cold cache (`core` built once per target directory). */
const TEST_TIMEOUT = 1_200_000;
const TEMPLATES = compileTemplates(loadTemplates());

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

/** A set of modules, as the test names show it. */
const setName = (set: readonly ModuleRule[]) => set.map((module) => module.name).join(',');

/**
 * Each module alone on multiboot2, where its tests boot here; on Limine only where LIMINE_DIR names
 * a release (without one, the Limine kernel with every module is built below instead: a boot is
 * what a module alone would add).
 */
const cases = MODULES.flatMap((module) =>
  module.bootProtocols.filter((boot) => boot === 'multiboot2' || process.env.LIMINE_DIR).map((boot) => ({ module, boot })),
);

/** The multiboot2 kernel of each module alone, once its case passed: for the module's own checks below. */
const kernels = new Map<string, string>();

describe.skipIf(cases.length === 0)('each module added to a fresh kernel', () => {
  it.each(cases)('$module.name on $boot: added, built, its tests pass in QEMU', ({ module, boot }) => {
    const name = `mod-${module.name}`;
    const { directory } = generate({ name, boot });
    const plan = addModules(directory, [module.name]);
    const added = plan.added.map((added) => added.name);
    expect(added.at(-1)).toBe(module.name);
    expect(added).toEqual(expect.arrayContaining([...module.requires]));
    const targetDirectory = cacheDirectory(`e2e-modules-${boot}-system-baseline`);
    const tests = moduleTests(module);
    expect(tests.length, `module ${module.name} ships in-kernel tests`).toBeGreaterThan(0);
    const testArgs = tests.flatMap((test) => ['--test', test]);
    const fmt = cargo(directory, ['fmt', '--check'], { targetDirectory });
    expect(fmt.status, fmt.output).toBe(0);
    // Two CPUs, as nearly every machine has: smp's tests need an application processor to start
    // (smp.test.ts runs them on 1, 2 and 4), and a second CPU waiting for a start-up IPI is
    // invisible to the other modules.
    const run = cargo(directory, ['test', ...testArgs], { targetDirectory, env: { QEMU_SMP: '2' }, timeoutMs: BUILD_TIMEOUT });
    expect(run.status, run.output).toBe(0);
    // One harness summary per test binary, each with tests that ran and passed.
    const results = [...run.output.matchAll(/^test result: ok\. (\d+) passed; 0 failed/gm)];
    expect(results.length, run.output).toBe(tests.length);
    for (const result of results) expect(Number(result[1])).toBeGreaterThan(0);
    const boots = cargo(directory, ['run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(boots.status, boots.output).toBe(0);
    expect(boots.output).toMatch(new RegExp(`^\\[${module.name}\\] `, 'm'));
    expect(boots.output).toMatch(/^\[kernel\] boot complete$/m);
    if (boot === 'multiboot2') kernels.set(module.name, directory);
  }, TEST_TIMEOUT);

  it('log: the level comes from the kernel command line, given to cargo run', () => {
    const directory = kernels.get('log');
    expect(directory, 'the log case passed').toBeDefined();
    const targetDirectory = cacheDirectory('e2e-modules-multiboot2-system-baseline');
    const grub = cargo(directory!, ['run', '--', 'log=debug'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(grub.status, grub.output).toBe(0);
    expect(grub.output).toMatch(/^\[boot\] command line: exit-after-boot log=debug$/m);
    expect(grub.output).toMatch(/^\[log\] level debug/m);
    const direct = cargo(directory!, ['run', '--', '--direct', 'log=warn', 'log=bogus'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(direct.status, direct.output).toBe(0);
    expect(direct.output).toMatch(/^\[log\] /m);
    expect(direct.output).toMatch(/bogus/);
  }, TEST_TIMEOUT);
});

const multiboot2Sets = compatibleSets('multiboot2').map((set, index) => ({ index, modules: set.map((module) => module.name), names: setName(set) }));
const limineSets = compatibleSets('limine').map((set, index) => ({ index, modules: set.map((module) => module.name), names: setName(set) }));

describe.skipIf(MODULES.length < 2)('all modules that fit together in one multiboot2 kernel', () => {
  const targetDirectory = cacheDirectory('e2e-modules-multiboot2-system-baseline');

  it('every module is in one of the kernels below', () => {
    const covered = new Set(multiboot2Sets.flatMap((set) => set.modules));
    expect(MODULES.filter((module) => module.bootProtocols.includes('multiboot2') && !covered.has(module.name))).toEqual([]);
  });

  it.each(multiboot2Sets)('[$names]: added at once, then again (nothing changes), builds clippy-clean and passes every in-kernel test', ({ index, modules }) => {
    const { directory } = generate({ name: `mod-all-${index}`, boot: 'multiboot2' });
    addModules(directory, modules);
    const before = tree(directory);
    expect(addModules(directory, modules).changes).toEqual([]);
    expect(tree(directory)).toEqual(before);
    const clippy = cargo(directory, ['clippy', '--all-targets', '--', '-D', 'warnings'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(clippy.status, clippy.output).toBe(0);
    const run = cargo(directory, ['test'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(run.status, run.output).toBe(0);
    const boots = cargo(directory, ['run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(boots.status, boots.output).toBe(0);
    for (const module of modules) expect(boots.output).toMatch(new RegExp(`^\\[${module}\\] `, 'm'));
  }, TEST_TIMEOUT);

  it.each(multiboot2Sets.slice(-1))("[$names]: added one at a time in reverse order into a main.rs the user edited around the anchor, keeping the user's code", ({ modules }) => {
    const { directory } = generate({ name: 'mod-all-reversed', boot: 'multiboot2' });
    const anchor = '    // [baremetal-kernel anchor: main-init]';
    replaceInSource(directory, 'src/main.rs', anchor, `    println!("[mine] before the modules");\n\n${anchor}`);
    replaceInSource(directory, 'src/main.rs', '    // 4. Done.', '    println!("[mine] after the modules");\n\n    // 4. Done.');
    for (const module of [...modules].reverse()) addModules(directory, [module]);
    const boots = cargo(directory, ['run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(boots.status, boots.output).toBe(0);
    const lines = boots.output.split('\n');
    const before = lines.indexOf('[mine] before the modules');
    const after = lines.indexOf('[mine] after the modules');
    expect(before, boots.output).toBeGreaterThan(0);
    for (const module of modules) {
      // The last line of its name: the base kernel prints [memory] and [heap] lines of its own before.
      const line = lines.findLastIndex((candidate) => candidate.startsWith(`[${module}] `));
      expect(line, module).toBeGreaterThan(before);
      expect(line, module).toBeLessThan(after);
    }
    expect(boots.output).toMatch(/^\[kernel\] boot complete$/m);
  }, TEST_TIMEOUT);
});

describe.skipIf(multiboot2Sets.length === 0)('all modules on another CPU-feature preset', () => {
  it.each(multiboot2Sets)('x86-64-v3, [$names]: added at once, every in-kernel test passes and the kernel boots', ({ index, modules }) => {
    // Shared with presets-and-toolchains.test.ts: `core` for this preset is built once.
    const targetDirectory = cacheDirectory('e2e-multiboot2-system-x86-64-v3');
    const { directory } = generate({ name: `mod-all-v3-${index}`, boot: 'multiboot2', preset: 'x86-64-v3' });
    addModules(directory, modules);
    const run = cargo(directory, ['test'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(run.status, run.output).toBe(0);
    const boots = cargo(directory, ['run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(boots.status, boots.output).toBe(0);
    expect(boots.output).toMatch(/^\[cpu\] preset: x86-64-v3 /m);
  }, TEST_TIMEOUT);
});

describe.skipIf(limineSets.length === 0)('all Limine modules that fit together in one Limine kernel', () => {
  it.each(limineSets)('[$names]: added at once, the kernel and every test build clippy-clean (they boot where LIMINE_DIR is set)', ({ index, modules }) => {
    const targetDirectory = cacheDirectory('e2e-modules-limine-system-baseline');
    const { directory } = generate({ name: `mod-all-limine-${index}`, boot: 'limine' });
    addModules(directory, modules);
    const clippy = cargo(directory, ['clippy', '--all-targets', '--', '-D', 'warnings'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(clippy.status, clippy.output).toBe(0);
    const build = cargo(directory, process.env.LIMINE_DIR ? ['test'] : ['test', '--no-run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(build.status, build.output).toBe(0);
  }, TEST_TIMEOUT);
});
