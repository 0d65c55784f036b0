/**
 * `add` planned on kernels held in memory: made by planKernel from the real templates, with a
 * catalogue of small made-up modules so that every rule is tried whatever modules ship.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { validateKernelRequest, type ModuleRule } from '@baremetal-kernel/target';
import {
  GeneratorError,
  applyChangesPending,
  compileTemplates,
  insertAtAnchor,
  loadTemplates,
  planAddModules,
  planKernel,
  unifiedDiff,
  withModulesRecorded,
  type CompiledTemplates,
  type FileChange,
} from '../src/index.js';

const rule = (name: string, extra: Partial<ModuleRule> = {}): ModuleRule => ({
  name,
  summary: `the ${name} module`,
  requires: [],
  conflicts: [],
  bootProtocols: ['multiboot2', 'limine'],
  unsupported: {},
  ...extra,
});

const CATALOGUE: ModuleRule[] = [
  rule('timer'),
  rule('keys', { requires: ['timer'] }),
  rule('text', { bootProtocols: ['multiboot2'], unsupported: { limine: 'Limine sets a graphics mode' }, conflicts: [{ module: 'pixels', reason: 'both own the screen' }] }),
  rule('pixels'),
  rule('wide', { presets: { only: ['x86-64-v3'], reason: 'it uses AVX2' } }),
  rule('cpus'),
  rule('models'),
];

/** Each made-up module: a file, a `mod` line, an init line and a test table. */
function moduleTemplates(name: string): [string, string][] {
  const ident = name.replaceAll('-', '_');
  return [
    [`modules/${name}/src/${ident}.rs.hbs`, `//! The ${name} module of {{crateName}}.\n\npub fn init() {}\n`],
    [`modules/${name}/tests/${ident}.rs.hbs`, `//! Tests of ${name}.\n`],
    [`modules/${name}/anchors/lib-modules.hbs`, `pub mod ${ident};\n`],
    [`modules/${name}/anchors/main-init.hbs`, `{{crateName}}::${ident}::init();\n`],
    [`modules/${name}/anchors/cargo-tests.hbs`, `# The ${name} module.\n[[test]]\nname = "${ident}"\nharness = false\n\n`],
  ];
}

/** A module whose start-up differs per boot protocol: a file and an anchor text per protocol. */
const PER_PROTOCOL_TEMPLATES: [string, string][] = [
  ['modules/cpus/boot/multiboot2/src/cpus/start.rs.hbs', '//! Started by INIT-SIPI-SIPI.\n'],
  ['modules/cpus/boot/multiboot2/anchors/main-init.hbs', 'trampoline();\n'],
  ['modules/cpus/boot/limine/src/cpus/start.rs.hbs', '//! Started by the MP request.\n'],
];

/** A module whose file shows the code and relocation models it was rendered for. */
const MODELS_TEMPLATES: [string, string][] = [['modules/models/src/models.rs.hbs', '// {{metadata.codeModel}} {{metadata.relocationModel}}\n']];

const SOURCES = new Map([
  ...[...loadTemplates()].filter(([path]) => !path.startsWith('modules/')),
  ...CATALOGUE.flatMap((module) => moduleTemplates(module.name)),
  ...PER_PROTOCOL_TEMPLATES,
  ...MODELS_TEMPLATES,
]);
const TEMPLATES: CompiledTemplates = compileTemplates(SOURCES);

function kernelFiles(boot = 'multiboot2', modules: string[] = [], models: { codeModel?: string; relocationModel?: string } = {}): Map<string, string> {
  const result = validateKernelRequest({ name: 'test-os', toolchain: 'system', boot, modules, ...models }, { modules: CATALOGUE });
  if (!result.ok) throw new Error(result.problems.map((problem) => problem.message).join('\n'));
  return new Map(planKernel(result.config, TEMPLATES).files.map((file) => [file.path, file.contents]));
}

function plan(files: Map<string, string>, requested: string[]) {
  return planAddModules(requested, (path) => files.get(path), TEMPLATES, CATALOGUE);
}

function applied(files: Map<string, string>, changes: readonly FileChange[]): Map<string, string> {
  const result = new Map(files);
  for (const change of changes) result.set(change.path, change.after);
  return result;
}

function refusal(action: () => unknown): GeneratorError {
  try {
    action();
  } catch (error) {
    if (error instanceof GeneratorError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('planAddModules', () => {
  it('adds the files, the lines at each anchor, the test table and the metadata', () => {
    const files = kernelFiles();
    const result = plan(files, ['timer']);
    expect(result.added.map((module) => module.name)).toEqual(['timer']);
    expect(result.changes.map((change) => [change.path, change.before === undefined])).toEqual([
      ['Cargo.toml', false],
      ['src/lib.rs', false],
      ['src/main.rs', false],
      ['src/timer.rs', true],
      ['tests/timer.rs', true],
    ]);
    const after = applied(files, result.changes);
    expect(after.get('src/timer.rs')).toBe('//! The timer module of test_os.\n\npub fn init() {}\n');
    expect(after.get('src/lib.rs')).toMatch(/\n\npub mod timer;\n\/\/ \[baremetal-kernel anchor: lib-modules\]/);
    expect(after.get('src/main.rs')).toMatch(/\n {4}test_os::timer::init\(\);\n {4}\/\/ \[baremetal-kernel anchor: main-init\]/);
    expect(after.get('Cargo.toml')).toContain('[[test]]\nname = "timer"\nharness = false\n\n# [baremetal-kernel anchor: cargo-tests]');
    expect(after.get('Cargo.toml')).toMatch(/\nmodules = \["timer"\]\n$/);
  });

  it("takes a module's boot/<protocol>/ files for that protocol only, laid out as the module's own", () => {
    for (const [boot, start] of [['multiboot2', '//! Started by INIT-SIPI-SIPI.\n'], ['limine', '//! Started by the MP request.\n']] as const) {
      const files = kernelFiles(boot);
      const changes = plan(files, ['cpus']).changes;
      expect(changes.map((change) => change.path)).toEqual(['Cargo.toml', 'src/cpus.rs', 'src/cpus/start.rs', 'src/lib.rs', 'src/main.rs', 'tests/cpus.rs']);
      const after = applied(files, changes);
      expect(after.get('src/cpus/start.rs')).toBe(start);
      expect(after.get('src/main.rs')!.includes('trampoline();')).toBe(boot === 'multiboot2');
      expect(after.get('src/main.rs')).toContain('test_os::cpus::init();');
    }
  });

  it("renders a module for the kernel's own code and relocation models, as recorded in its metadata", () => {
    const files = kernelFiles('limine', [], { codeModel: 'large', relocationModel: 'pic' });
    expect(files.get('Cargo.toml')).toContain('code-model = "large"\nrelocation-model = "pic"\n');
    expect(applied(files, plan(files, ['models']).changes).get('src/models.rs')).toBe('// "large" "pic"\n');
    // A kernel from before they were recorded gets its protocol's defaults.
    const older = new Map(files);
    older.set('Cargo.toml', files.get('Cargo.toml')!.replace('code-model = "large"\nrelocation-model = "pic"\n', ''));
    expect(applied(older, plan(older, ['models']).changes).get('src/models.rs')).toBe('// "kernel" "static"\n');
  });

  it('adds what a module requires first, says so, and initialises in that order', () => {
    const files = kernelFiles();
    const result = plan(files, ['keys']);
    expect(result.added.map((module) => module.name)).toEqual(['timer', 'keys']);
    expect(result.required).toEqual(['timer']);
    const main = applied(files, result.changes).get('src/main.rs')!;
    expect(main.indexOf('test_os::timer::init();')).toBeLessThan(main.indexOf('test_os::keys::init();'));
    expect(applied(files, result.changes).get('Cargo.toml')).toContain('modules = ["timer", "keys"]');
  });

  it('keeps the mod lines in alphabetical order, as rustfmt does, whatever order they come in', () => {
    const files = applied(kernelFiles(), plan(kernelFiles(), ['timer']).changes);
    const lib = applied(files, plan(files, ['pixels']).changes).get('src/lib.rs')!;
    expect(lib).toMatch(/\n\npub mod pixels;\npub mod timer;\n\/\/ \[baremetal-kernel anchor/);
  });

  it('changes nothing for a module that is there, and says so', () => {
    const files = applied(kernelFiles(), plan(kernelFiles(), ['keys']).changes);
    const again = plan(files, ['keys', 'timer']);
    expect(again.changes).toEqual([]);
    expect(again.present).toEqual(['keys', 'timer']);
  });

  it('makes the same files as create with the modules, in any order of adding', () => {
    const created = kernelFiles('multiboot2', ['timer', 'pixels', 'keys']);
    const oneByOne = ['timer', 'pixels', 'keys'].reduce((files, name) => applied(files, plan(files, [name]).changes), kernelFiles());
    expect(oneByOne).toEqual(created);
    const together = applied(kernelFiles(), plan(kernelFiles(), ['timer', 'pixels', 'keys']).changes);
    expect(together).toEqual(created);
  });

  it('refuses a module that conflicts with one there, or one also asked for, with the reason', () => {
    const files = applied(kernelFiles(), plan(kernelFiles(), ['pixels']).changes);
    expect(refusal(() => plan(files, ['text'])).message).toBe(
      "module 'text' conflicts with 'pixels' (the kernel has): both own the screen; nothing was changed",
    );
    expect(refusal(() => plan(kernelFiles(), ['pixels', 'text'])).message).toBe(
      "module 'text' conflicts with 'pixels' (also asked for): both own the screen; nothing was changed",
    );
  });

  it('refuses a module the boot protocol cannot have, with the reason', () => {
    expect(refusal(() => plan(kernelFiles('limine'), ['text'])).message).toBe(
      "module 'text' does not support the limine boot protocol: Limine sets a graphics mode; nothing was changed",
    );
  });

  it('refuses a module the preset cannot have, with the reason', () => {
    expect(refusal(() => plan(kernelFiles(), ['wide'])).message).toBe(
      "module 'wide' does not support the baseline preset (only x86-64-v3): it uses AVX2; nothing was changed",
    );
  });

  it('refuses an unknown module, suggesting a known one', () => {
    const error = refusal(() => plan(kernelFiles(), ['timr']));
    expect(error.code).toBe('E_UNKNOWN_MODULE');
    expect(error.message).toContain("did you mean 'timer'?");
  });

  it('keeps what a user wrote around the anchors', () => {
    const files = kernelFiles();
    const marker = '    // [baremetal-kernel anchor: main-init]';
    const main = files.get('src/main.rs')!.replace(marker, `    let answer = 42; // mine\n    println!("{answer}");\n\n${marker}`);
    files.set('src/main.rs', main);
    const after = applied(files, plan(files, ['timer']).changes).get('src/main.rs')!;
    expect(after).toContain('    let answer = 42; // mine\n    println!("{answer}");\n\n    test_os::timer::init();\n' + marker);
  });

  it('stops when an anchor was removed or is there twice, naming the file and what to do', () => {
    const files = kernelFiles();
    const main = files.get('src/main.rs')!;
    files.set('src/main.rs', main.replace(/ *\/\/ \[baremetal-kernel anchor: main-init\].*\n/, ''));
    const missing = refusal(() => plan(files, ['timer']));
    expect(missing.code).toBe('E_ANCHOR_MISSING');
    expect(missing.message).toBe(
      'src/main.rs: the line `// [baremetal-kernel anchor: main-init] ...` is missing (removed or changed); put it back in kernel_main, after the heap is set up, then run this again',
    );
    const twice = main.replace(/( *\/\/ \[baremetal-kernel anchor: main-init\].*\n)/, '$1$1');
    files.set('src/main.rs', twice);
    expect(refusal(() => plan(files, ['timer'])).message).toMatch(/^src\/main.rs: the line .* is there 2 times \(lines \d+, \d+\); keep only the one/);
  });

  it('stops when a file it would write is there with other contents, and not when it is the same', () => {
    const files = kernelFiles();
    files.set('src/timer.rs', '// my own timer\n');
    const error = refusal(() => plan(files, ['timer']));
    expect(error.code).toBe('E_FILE_EXISTS');
    expect(error.message).toBe("src/timer.rs already exists with other contents, and module 'timer' would write it; rename or move yours, then run this again");
    files.set('src/timer.rs', '//! The timer module of test_os.\n\npub fn init() {}\n');
    expect(plan(files, ['timer']).changes.map((change) => change.path)).not.toContain('src/timer.rs');
  });

  it('says once that a kernel from before add has no anchors, rather than per file', () => {
    const files = kernelFiles();
    for (const [path, contents] of files) files.set(path, contents.replace(/^.*\[baremetal-kernel anchor: [a-z-]+\].*\n/gm, ''));
    const error = refusal(() => plan(files, ['timer']));
    expect(error.code).toBe('E_NOT_A_KERNEL');
    expect(error.message).toMatch(/^this kernel has none of the anchor lines .* from before `add`; create a new kernel and move your code into it$/);
  });

  it('refuses a directory that is not a kernel of ours, or one made by a newer version', () => {
    const files = kernelFiles();
    expect(refusal(() => planAddModules(['timer'], () => undefined, TEMPLATES, CATALOGUE)).code).toBe('E_NOT_A_KERNEL');
    const plain = new Map([['Cargo.toml', '[package]\nname = "x"\nversion = "0.1.0"\n']]);
    expect(refusal(() => plan(plain, ['timer'])).message).toMatch(/^Cargo.toml has no \[package.metadata.baremetal-kernel\] table: this is not a kernel made by baremetal-kernel/);
    const newer = new Map(files).set('Cargo.toml', files.get('Cargo.toml')!.replace(/generator-version = "[^"]+"/, 'generator-version = "9.0.0"'));
    const error = refusal(() => plan(newer, ['timer']));
    expect(error.code).toBe('E_NEWER_KERNEL');
    expect(error.message).toContain('made by baremetal-kernel 9.0.0, newer than this');
    const unknownBoot = new Map(files).set('Cargo.toml', files.get('Cargo.toml')!.replace('boot = "multiboot2"', 'boot = "multiboot"'));
    expect(refusal(() => plan(unknownBoot, ['timer'])).message).toBe(
      "Cargo.toml: unknown boot protocol 'multiboot' (known: multiboot2, limine); did you mean 'multiboot2'?",
    );
    const broken = new Map(files).set('Cargo.toml', '[package\n');
    expect(refusal(() => plan(broken, ['timer'])).message).toMatch(/^Cargo.toml is not valid TOML/);
  });
});

describe('insertAtAnchor', () => {
  it('indents the text like the marker and leaves the rest of the file alone', () => {
    const before = 'fn main() {\n    work();\n    // [baremetal-kernel anchor: main-init] comment\n}\n';
    expect(insertAtAnchor(before, 'main-init', 'a();\n\nb();\n')).toBe(
      'fn main() {\n    work();\n    a();\n\n    b();\n    // [baremetal-kernel anchor: main-init] comment\n}\n',
    );
  });
});

describe('withModulesRecorded', () => {
  it("changes only the modules line, keeping the user's comments and layout", () => {
    const toml = '[package]\nname = "k"\n\n[package.metadata.baremetal-kernel]\n# mine\ngenerator-version = "0.1.0"\nboot = "multiboot2"\npreset = "baseline"\ntoolchain = "system"\nmodules = [\n  "a", # first\n]  # kept\n\n[profile.dev]\n';
    expect(withModulesRecorded(toml, ['a', 'b'], 'Cargo.toml')).toBe(
      '[package]\nname = "k"\n\n[package.metadata.baremetal-kernel]\n# mine\ngenerator-version = "0.1.0"\nboot = "multiboot2"\npreset = "baseline"\ntoolchain = "system"\nmodules = ["a", "b"] # kept\n\n[profile.dev]\n',
    );
  });

  it('adds the line when the key is missing', () => {
    const toml = '[package]\nname = "k"\n\n[package.metadata.baremetal-kernel]\ngenerator-version = "0.1.0"\nboot = "multiboot2"\npreset = "baseline"\ntoolchain = "system"\n\n[profile.dev]\n';
    expect(withModulesRecorded(toml, ['a'], 'Cargo.toml')).toContain('toolchain = "system"\nmodules = ["a"]\n\n[profile.dev]');
  });
});

describe('writing the changes', () => {
  const made: string[] = [];
  afterEach(() => {
    for (const directory of made.splice(0)) {
      chmodSync(directory, 0o755);
      rmSync(directory, { recursive: true, force: true });
    }
  });

  function kernelOnDisk(files: Map<string, string>): string {
    const root = mkdtempSync(join(tmpdir(), 'add-test-'));
    made.push(root);
    for (const [path, contents] of files) {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), contents);
    }
    return root;
  }

  function snapshot(root: string): Record<string, string> {
    const tree: Record<string, string> = {};
    const walk = (directory: string, prefix: string) => {
      for (const entry of readdirSync(directory, { withFileTypes: true })) {
        const path = `${prefix}${entry.name}`;
        if (entry.isDirectory()) walk(join(directory, entry.name), `${path}/`);
        else tree[path] = `${(statSync(join(directory, entry.name)).mode & 0o777).toString(8)} ${readFileSync(join(directory, entry.name), 'utf8')}`;
      }
    };
    walk(root, '');
    return tree;
  }

  it('writes every change, keeping the modes of the files it edits', () => {
    const files = kernelFiles();
    const root = kernelOnDisk(files);
    chmodSync(join(root, 'src/main.rs'), 0o600);
    const result = plan(files, ['keys']);
    applyChangesPending(result.changes, root).finish();
    expect(readFileSync(join(root, 'src/keys.rs'), 'utf8')).toContain('The keys module');
    expect(statSync(join(root, 'src/main.rs')).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(root, 'src')).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('leaves the kernel exactly as it was when one file cannot be written', () => {
    const files = kernelFiles();
    const root = kernelOnDisk(files);
    const before = snapshot(root);
    // Something in the way of the last file's temporary name (root may write anywhere, so a
    // read-only directory would not do): it fails after the other files were written.
    mkdirSync(join(root, 'tests', `.timer.rs.baremetal-kernel-${process.pid}`));
    const result = plan(files, ['timer']);
    expect(result.changes.at(-1)!.path).toBe('tests/timer.rs');
    const error = refusal(() => applyChangesPending(result.changes, root));
    expect(error.code).toBe('E_WRITE_FAILED');
    expect(error.message).toMatch(/^cannot write the kernel: EEXIST: .*; nothing was changed$/);
    expect(snapshot(root)).toEqual(before);
  });

  it('takes everything back on undo (a signal during the writes)', () => {
    const files = kernelFiles();
    const root = kernelOnDisk(files);
    const before = snapshot(root);
    applyChangesPending(plan(files, ['keys']).changes, root).undo();
    expect(snapshot(root)).toEqual(before);
  });

  it('refuses to write over a file that changed since it was read', () => {
    const files = kernelFiles();
    const root = kernelOnDisk(files);
    const result = plan(files, ['timer']);
    writeFileSync(join(root, 'src/main.rs'), 'changed');
    expect(refusal(() => applyChangesPending(result.changes, root)).code).toBe('E_KERNEL_CHANGED');
    expect(readFileSync(join(root, 'src/main.rs'), 'utf8')).toBe('changed');
  });

  it('prints a diff that git apply takes, making the same tree as the real run', () => {
    const files = kernelFiles();
    const dryRoot = kernelOnDisk(files);
    const realRoot = kernelOnDisk(files);
    const result = plan(files, ['keys']);
    const patch = unifiedDiff(result.changes);
    expect(patch).toMatch(/^diff --git a\/Cargo.toml b\/Cargo.toml\n/);
    expect(patch).toContain('diff --git a/src/keys.rs b/src/keys.rs\nnew file mode 100644\n--- /dev/null\n+++ b/src/keys.rs\n');
    writeFileSync(join(dryRoot, '..', `${dryRoot.split('/').pop()}.patch`), patch);
    execFileSync('git', ['apply', '--unsafe-paths', '--directory', '.', join(dryRoot, '..', `${dryRoot.split('/').pop()}.patch`)], { cwd: dryRoot });
    rmSync(join(dryRoot, '..', `${dryRoot.split('/').pop()}.patch`));
    applyChangesPending(result.changes, realRoot).finish();
    expect(snapshot(dryRoot)).toEqual(snapshot(realRoot));
  });
});
