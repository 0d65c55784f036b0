/**
 * `baremetal-kernel add` as a user meets it: on a kernel written to disk by create, with small
 * stand-in templates for the catalogue's modules (what the modules themselves do is tested in the
 * generators' end-to-end suite). Every refusal leaves the kernel byte for byte as it was.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileTemplates, generateKernel, loadTemplates, resolveConfig } from '@baremetal-kernel/generators';
import { runAdd, type AddDependencies } from '../src/commands/add.js';
import { runCreate } from '../src/commands/create.js';
import { fakeDependencies, memoryIo, temporaryDirectory } from './support.js';

/** A stand-in module: one file, a mod line, an init line and a test table. */
function standIn(name: string): [string, string][] {
  const ident = name.replaceAll('-', '_');
  return [
    [`modules/${name}/src/${ident}.rs.hbs`, `//! ${name} for {{crateName}}.\n`],
    [`modules/${name}/anchors/lib-modules.hbs`, `pub mod ${ident};\n`],
    [`modules/${name}/anchors/main-init.hbs`, `{{crateName}}::${ident}::init();\n`],
    [`modules/${name}/anchors/cargo-tests.hbs`, `[[test]]\nname = "${ident}"\nharness = false\n\n`],
  ];
}

const KERNEL_TEMPLATES = [...loadTemplates()].filter(([path]) => !path.startsWith('modules/'));
const TEMPLATES = compileTemplates(new Map([...KERNEL_TEMPLATES, ...['log', 'pic-timer', 'keyboard', 'vga-text'].flatMap(standIn)]));

const DEPENDENCIES: AddDependencies = {
  templates: () => Promise.resolve(TEMPLATES),
  watchSignals: () => ({ received: () => Promise.resolve(undefined), stop: () => undefined }),
};

/** A kernel written by create into a fresh directory: returns the directory around it and the kernel's. */
function kernel(boot = 'multiboot2') {
  const root = temporaryDirectory();
  const directory = join(root, 'os');
  generateKernel(resolveConfig({ name: 'os', boot, toolchain: 'system' }), { directory, templates: TEMPLATES });
  return { root, directory };
}

/** Every file and its mode and contents: what must not change when add refuses. */
function tree(directory: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (path: string, prefix: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full, `${prefix}${entry.name}/`);
      else files[`${prefix}${entry.name}`] = `${statSync(full).mode.toString(8)} ${readFileSync(full, 'utf8')}`;
    }
  };
  walk(directory, '');
  return files;
}

async function add(cwd: string, argv: string[], deps: AddDependencies = DEPENDENCIES) {
  const { io, stdout, stderr } = memoryIo(cwd);
  const status = await runAdd(argv, io, deps);
  return { status, stdout: stdout(), stderr: stderr() };
}

describe('baremetal-kernel add', () => {
  it('adds a module and what it requires, and says what changed', async () => {
    const { root, directory } = kernel();
    const result = await add(root, ['keyboard', '--dir', 'os']);
    expect(result).toEqual({
      status: 0,
      stdout:
        'Added keyboard (with pic-timer, which it requires) to os:\n' +
        '  Cargo.toml\n  src/keyboard.rs (new)\n  src/lib.rs\n  src/main.rs\n  src/pic_timer.rs (new)\n\n' +
        'Next: cargo test   # the modules\' own tests run in QEMU\n',
      stderr: '',
    });
    expect(readFileSync(join(directory, 'Cargo.toml'), 'utf8')).toContain('modules = ["pic-timer", "keyboard"]\n');
  });

  it('finds the kernel from a directory inside it, as cargo does', async () => {
    const { directory } = kernel();
    const result = await add(join(directory, 'src', 'arch'), ['log']);
    expect(result.stdout).toMatch(/^Added log to \.\.\/\.\.:\n/);
    expect(readFileSync(join(directory, 'src', 'log.rs'), 'utf8')).toBe('//! log for os.\n');
  });

  it('changes nothing for a module that is there already, and says so', async () => {
    const { directory } = kernel();
    await add(directory, ['log']);
    const before = tree(directory);
    expect(await add(directory, ['log', 'log'])).toEqual({ status: 0, stdout: 'Nothing to do: log is in the kernel already.\n', stderr: '' });
    expect(tree(directory)).toEqual(before);
  });

  it('answers a subsystem every kernel has with where it is, adding the rest', async () => {
    const { directory } = kernel();
    const result = await add(directory, ['framebuffer', 'log']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^framebuffer is built into every kernel: src\/framebuffer.rs draws the console [^\n]*: nothing to add\.\nAdded log to \.:\n/);
    expect(await add(directory, ['framebuffer'])).toMatchObject({ status: 0, stdout: expect.stringMatching(/^framebuffer is built into every kernel: .*: nothing to add\.\n$/) });
  });

  it('prints a diff on --dry-run that git apply turns into the real run, writing nothing', async () => {
    const { root, directory } = kernel();
    const before = tree(directory);
    const dry = await add(directory, ['keyboard', '--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.stderr).toBe(
      'Would add keyboard (with pic-timer, which it requires) to ., changing:\n' +
        '  Cargo.toml\n  src/keyboard.rs (new)\n  src/lib.rs\n  src/main.rs\n  src/pic_timer.rs (new)\nNothing was written (--dry-run).\n',
    );
    expect(tree(directory)).toEqual(before);
    writeFileSync(join(root, 'add.patch'), dry.stdout);
    execFileSync('git', ['apply', join(root, 'add.patch')], { cwd: directory });
    const applied = tree(directory);
    const { directory: real } = kernel();
    await add(real, ['keyboard']);
    expect(applied).toEqual(tree(real));
  });

  describe('refuses, writing nothing', () => {
    async function refused(argv: string[], boot = 'multiboot2', prepare?: (directory: string) => void) {
      const { directory } = kernel(boot);
      prepare?.(directory);
      const before = tree(directory);
      const result = await add(directory, argv);
      expect(tree(directory)).toEqual(before);
      expect(result.stdout).toBe('');
      return result;
    }

    it('a module the boot protocol cannot have, with the reason', async () => {
      expect(await refused(['vga-text'], 'limine')).toMatchObject({
        status: 1,
        stderr:
          "error: module 'vga-text' does not support the limine boot protocol: the Limine protocol hands out RGB framebuffers only, no VGA text mode; nothing was changed\n",
      });
    });

    it('an unknown module, as bad usage, suggesting one', async () => {
      const result = await refused(['keybord']);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^error: unknown module 'keybord' \(known: .*\); did you mean 'keyboard'\?\n$/);
    });

    it('no module at all', async () => {
      expect(await refused([])).toMatchObject({ status: 2, stderr: expect.stringMatching(/^error: name at least one module/) });
    });

    it('a removed anchor, naming the file and what to do', async () => {
      const result = await refused(['log'], 'multiboot2', (directory) => {
        const path = join(directory, 'src', 'lib.rs');
        writeFileSync(path, readFileSync(path, 'utf8').replace(/\/\/ \[baremetal-kernel anchor: lib-modules\].*\n/, ''));
      });
      expect(result).toMatchObject({
        status: 1,
        stderr: 'error: src/lib.rs: the line `// [baremetal-kernel anchor: lib-modules] ...` is missing (removed or changed); put it back after the `pub mod` lines of src/lib.rs, then run this again\n',
      });
    });

    it('a file of the user where the module would write one', async () => {
      const result = await refused(['log'], 'multiboot2', (directory) => writeFileSync(join(directory, 'src', 'log.rs'), '// mine\n'));
      expect(result.stderr).toBe("error: src/log.rs already exists with other contents, and module 'log' would write it; rename or move yours, then run this again\n");
    });
  });

  it('refuses a directory that is not a kernel, or is not there', async () => {
    const root = temporaryDirectory();
    expect((await add(root, ['log'])).stderr).toMatch(/^error: no Cargo.toml in \. or any directory above it: not inside a kernel\n$/);
    mkdirSync(join(root, 'crate'));
    writeFileSync(join(root, 'crate', 'Cargo.toml'), '[package]\nname = "crate"\nversion = "0.1.0"\n');
    expect(await add(root, ['log', '--dir', 'crate'])).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/^error: Cargo.toml has no \[package.metadata.baremetal-kernel\] table: this is not a kernel made by baremetal-kernel/),
    });
    expect(await add(root, ['log', '--dir', 'nowhere'])).toMatchObject({ status: 1, stderr: 'error: nowhere does not exist\n' });
  });

  it('lists the modules in its help', async () => {
    const result = await add(temporaryDirectory(), ['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: baremetal-kernel add <module\.\.\.> \[options\]\n/);
    expect(result.stdout).toMatch(/\n {2}keyboard +the PS\/2 keyboard/);
  });

  it('makes with create --modules the same kernel as create and then add', async () => {
    const root = temporaryDirectory();
    const { io, stderr } = memoryIo(root);
    const deps = fakeDependencies({ templates: () => Promise.resolve(TEMPLATES) });
    expect(await runCreate(['with-modules', '--yes', '--toolchain', 'system', '--modules', 'keyboard'], io, deps)).toBe(0);
    expect(stderr()).toBe('');
    expect(await runCreate(['later', '--yes', '--toolchain', 'system', '--name', 'with-modules'], memoryIo(root).io, deps)).toBe(0);
    expect((await add(join(root, 'later'), ['keyboard'])).status).toBe(0);
    expect(tree(join(root, 'with-modules'))).toEqual(tree(join(root, 'later')));
  });
});
