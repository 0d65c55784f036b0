import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MODULES } from '@baremetal-kernel/target';
import { runCreate } from '../src/commands/create.js';
import { parseCreateArguments } from '../src/create-args.js';
import { VERSION } from '../src/version.js';
import { BARE_MACHINE, SYSTEM_MACHINE, fakeDependencies, memoryIo, scriptedPrompter, temporaryDirectory } from './support.js';

/** The catalogue, in the order the CLI lists it. */
const KNOWN_MODULES = MODULES.map((module) => module.name).join(', ');

async function create(
  argv: string[],
  options: { cwd?: string; interactive?: boolean; env?: NodeJS.ProcessEnv; deps?: Parameters<typeof fakeDependencies>[0] } = {},
) {
  const cwd = options.cwd ?? temporaryDirectory();
  const { io, stdout, stderr } = memoryIo(cwd, { interactive: options.interactive ?? false, env: options.env ?? {} });
  const status = await runCreate(argv, io, fakeDependencies(options.deps));
  return { status, stdout: stdout(), stderr: stderr(), cwd };
}

describe('parseCreateArguments', () => {
  it('reads the directory and every option', () => {
    expect(
      parseCreateArguments(['os', '--name', 'my-os', '--boot', 'multiboot2', '--preset', 'x86-64-v2', '--modules', 'a, b,', '--toolchain', 'system', '-y', '--dry-run', '--force']),
    ).toEqual({
      directory: 'os',
      name: 'my-os',
      boot: 'multiboot2',
      preset: 'x86-64-v2',
      modules: ['a', 'b'],
      toolchain: 'system',
      yes: true,
      dryRun: true,
      force: true,
      help: false,
      version: false,
    });
  });
});

describe('create-baremetal-kernel', () => {
  it('scaffolds with --yes, lists the files and the next commands for the detected toolchain', async () => {
    const { status, stdout, stderr, cwd } = await create(['my-os', '--yes']);
    expect(stderr).toBe('');
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Wrote a multiboot2 kernel \(preset baseline, toolchain system\) to my-os:\n {2}\.cargo\/config\.toml\n/);
    expect(stdout).toContain('\n  src/main.rs\n');
    expect(stdout).toMatch(/\nNext:\n\n {2}cd my-os\n {2}cargo run {4}# boot it in QEMU through GRUB \(add -- --direct for the fast path\)\n {2}cargo test {3}# run the in-kernel tests in QEMU\n$/);
    expect(readFileSync(join(cwd, 'my-os', 'Cargo.toml'), 'utf8')).toContain('name = "my-os"');
    expect(statSync(join(cwd, 'my-os', 'runner')).mode & 0o111).not.toBe(0);
  });

  it('takes the name from --name, the directory from the argument', async () => {
    const { status, cwd } = await create(['kernels/x', '--name', 'real-name', '--yes']);
    expect(status).toBe(0);
    expect(readFileSync(join(cwd, 'kernels', 'x', 'Cargo.toml'), 'utf8')).toContain('name = "real-name"');
  });

  it('defaults the name to my-kernel without a directory or a terminal, and never prompts', async () => {
    const { status, cwd } = await create([]);
    expect(status).toBe(0);
    expect(existsSync(join(cwd, 'my-kernel', 'Cargo.toml'))).toBe(true);
  });

  it('scaffolds a Limine kernel with --boot limine', async () => {
    const { status, stdout, cwd } = await create(['os', '--boot', 'limine']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Wrote a limine kernel \(preset baseline, toolchain system\) to os:/);
    expect(readFileSync(join(cwd, 'os', 'src', 'boot', 'limine.rs'), 'utf8')).toContain('BASE_REVISION');
    expect(existsSync(join(cwd, 'os', 'src', 'boot', 'entry32.rs'))).toBe(false);
    // Its runner has no --direct (QEMU cannot boot a Limine kernel without Limine): the next steps
    // are the Limine protocol's own.
    expect(stdout).toContain('\n  cargo run    # boot it in QEMU through Limine (add -- --uefi for UEFI)\n');
    expect(stdout).not.toContain('--direct');
  });

  it('records the preset and toolchain asked for', async () => {
    const { status, stdout, cwd } = await create(['os', '--preset', 'x86-64-v3', '--toolchain', 'rustup-stable']);
    expect(status).toBe(0);
    // rustup-stable is not usable on this machine: its fix comes first.
    expect(stdout).toContain('\n  cd os\n  install rustup\n  rustup target add x86_64-unknown-none\n  cargo run');
    const manifest = readFileSync(join(cwd, 'os', 'Cargo.toml'), 'utf8');
    expect(manifest).toContain('preset = "x86-64-v3"\ntoolchain = "rustup-stable"');
    expect(existsSync(join(cwd, 'os', 'rust-toolchain.toml'))).toBe(true);
  });

  it('says to put /usr/bin first when rustup shadows the system toolchain', async () => {
    const shadowed = {
      ...SYSTEM_MACHINE,
      statuses: SYSTEM_MACHINE.statuses.map((status) => (status.name === 'system' ? { ...status, fix: ['export PATH=/usr/bin:$PATH'] } : status)),
    };
    const { stdout } = await create(['os', '--yes'], { deps: { report: shadowed } });
    expect(stdout).toContain('\n  cd os\n  export PATH=/usr/bin:$PATH\n  cargo run');
  });

  it('falls back to rustup-stable with its setup when no toolchain is usable', async () => {
    const { status, stdout } = await create(['os', '--yes'], { deps: { report: BARE_MACHINE } });
    expect(status).toBe(0);
    expect(stdout).toContain('(preset baseline, toolchain rustup-stable)');
    expect(stdout).toContain('\n  install rustup\n  rustup target add x86_64-unknown-none\n');
  });

  it('names the boot tools that are missing', async () => {
    const { stdout } = await create(['os', '--yes'], { deps: { onPath: (program) => program === 'qemu-system-x86_64' } });
    expect(stdout).toMatch(/\nMissing to boot it: GRUB, xorriso, mtools, timeout\. `npx baremetal-kernel doctor` says how to install them\.\n$/);
  });

  it('takes any one of the programs that can do a job: Debian has grub-mkrescue, Fedora grub2-mkrescue', async () => {
    for (const missing of ['grub2-mkrescue', 'grub-mkrescue']) {
      const { stdout } = await create(['os', '--yes'], { deps: { onPath: (program) => program !== missing } });
      expect(stdout, `without ${missing}`).not.toContain('Missing to boot it');
    }
    const { stdout } = await create(['os', '--yes', '--boot', 'limine'], { deps: { onPath: (program) => !['cc', 'gcc'].includes(program) } });
    expect(stdout, 'clang alone is a C compiler').not.toContain('Missing to boot it');
    const neither = await create(['os', '--yes'], { deps: { onPath: (program) => !program.includes('mkrescue') } });
    expect(neither.stdout).toMatch(/\nMissing to boot it: GRUB\. /);
  });

  it("names what a Limine kernel's runner needs when it is missing", async () => {
    const { stdout } = await create(['os', '--yes', '--boot', 'limine'], { deps: { onPath: (program) => program === 'qemu-system-x86_64' } });
    expect(stdout).toMatch(/\nMissing to boot it: xorriso, timeout, curl, make, a C compiler\. `npx baremetal-kernel doctor` says how to install them\.\n$/);
  });

  it('lists the files on a dry run and writes nothing', async () => {
    const { status, stdout, cwd } = await create(['os', '--dry-run']);
    expect(status).toBe(0);
    expect(stdout).toMatch(/^Would write a multiboot2 kernel \(preset baseline, toolchain system\) to os:\n/);
    expect(stdout).toMatch(/Nothing was written \(--dry-run\)\.\n$/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('prints help and the version', async () => {
    const help = (await create(['--help'])).stdout;
    // npm create keeps options before `--` for itself: the usage shows that form first.
    expect(help).toMatch(/^Usage: npm create baremetal-kernel \[dir\] -- \[options\]\n {7}create-baremetal-kernel \[dir\] \[options\]\n/);
    // Every choice of the model, with its default, from the one description of the options.
    expect(help).toMatch(/\n {2}--boot <protocol> +boot protocol: multiboot2 \(default\), limine\n/);
    expect(help).toMatch(/\n {2}--preset <name> +CPU feature preset: baseline \(default\), x86-64-v2, x86-64-v3\n/);
    expect(help).toMatch(/\n {2}--toolchain <profile> +Rust toolchain profile: auto \(default: what this machine has\), rustup-stable, rustup-nightly, system\n/);
    expect(help).toMatch(/\n {2}-y, --yes +use the defaults/);
    expect((await create(['-v'])).stdout).toBe(`${VERSION}\n`);
    const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(manifest.version);
  });

  it('asks, on a terminal, for what the flags did not say, and uses the answers', async () => {
    const asked: string[] = [];
    const { status, stdout, cwd } = await create([], {
      interactive: true,
      deps: { prompter: scriptedPrompter(['tty-os', '', 'x86-64-v2', 'keyboard', ''], asked) },
    });
    expect(asked).toEqual(['Project name', 'Boot protocol', 'CPU feature preset', 'Modules', 'Rust toolchain']);
    expect(status).toBe(0);
    expect(stdout).toContain('(preset x86-64-v2, toolchain system)');
    const manifest = readFileSync(join(cwd, 'tty-os', 'Cargo.toml'), 'utf8');
    expect(manifest).toContain('preset = "x86-64-v2"');
    // The module chosen, and the one it requires.
    expect(manifest).toContain('modules = ["pic-timer", "keyboard"]');
  });

  it('asks nothing on a terminal with --yes', async () => {
    const { status } = await create(['os', '--yes'], { interactive: true });
    expect(status).toBe(0);
  });
});

describe('bad input: one clear line, a non-zero exit, nothing written', () => {
  async function rejected(argv: string[], cwd?: string) {
    const result = await create(argv, cwd === undefined ? {} : { cwd });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe('');
    return result;
  }

  const viaName = '; pass a valid name with --name (the directory may keep its name)';
  it.each([
    ['1os', "error: invalid project name: '1os' starts with a digit; a crate name must start with a letter" + viaName + '\n'],
    ['my os', "error: invalid project name: 'my os' contains a space; use only lowercase ASCII letters, digits, '-' and '_': use 'my-os'" + viaName + '\n'],
    ['core', "error: invalid project name: 'core' is the name of a built-in crate" + viaName + '\n'],
    ['std', "error: invalid project name: 'std' is the name of a built-in crate" + viaName + '\n'],
    ['alloc', "error: invalid project name: 'alloc' is the name of a built-in crate" + viaName + '\n'],
    ['test', "error: invalid project name: 'test' is the name of a built-in crate" + viaName + '\n'],
    // rustc warns about a crate name that is not snake case; the generated CI's clippy denies warnings.
    ['My_OS2', "error: invalid project name: 'My_OS2' has uppercase letters, which Rust warns about in a crate name: use 'my_os2'" + viaName + '\n'],
    ['ösi', "error: invalid project name: 'ösi' contains 'ö'; use only lowercase ASCII letters, digits, '-' and '_': use 'osi'" + viaName + '\n'],
  ])('rejects the name %j with exit 2, before anything is written', async (name, message) => {
    const { stderr, cwd, status } = await rejected([name]);
    expect(stderr).toBe(message);
    expect(status).toBe(2);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('rejects an invalid --name without suggesting --name', async () => {
    const { stderr, status } = await rejected(['os', '--name', 'My_OS']);
    expect(stderr).toBe("error: invalid project name: 'My_OS' has uppercase letters, which Rust warns about in a crate name: use 'my_os'\n");
    expect(status).toBe(2);
  });

  it('refuses a bad --name on a terminal before asking anything', async () => {
    const { status, stderr, cwd } = await create(['os', '--name', 'Os'], { interactive: true });
    expect(status).toBe(2);
    expect(stderr).toBe("error: invalid project name: 'Os' has uppercase letters, which Rust warns about in a crate name: use 'os'\n");
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('asks a person for a valid name at once when the directory cannot be one, and keeps the directory', async () => {
    const asked: string[] = [];
    const { status, cwd } = await create(['My_OS2'], {
      interactive: true,
      deps: { prompter: scriptedPrompter(['Bad Name', '', '', '', '', ''], asked) },
    });
    expect(asked).toEqual([
      "Project name ('My_OS2' cannot be one: 'My_OS2' has uppercase letters, which Rust warns about in a crate name: use 'my_os2')",
      "refused: 'Bad Name' contains a space; use only lowercase ASCII letters, digits, '-' and '_': use 'bad-name'",
      "Project name ('My_OS2' cannot be one: 'My_OS2' has uppercase letters, which Rust warns about in a crate name: use 'my_os2')",
      'Boot protocol',
      'CPU feature preset',
      'Modules',
      'Rust toolchain',
    ]);
    expect(status).toBe(0);
    // The suggested name (the prompt's default, taken by the empty answer), in the directory as typed.
    expect(readFileSync(join(cwd, 'My_OS2', 'Cargo.toml'), 'utf8')).toContain('name = "my_os2"');
  });

  it('rejects an empty name', async () => {
    expect((await rejected(['--name', ''])).stderr).toBe('error: invalid project name: the project name is empty\n');
  });

  it('rejects a name that is a path escaping with ..', async () => {
    const { stderr, cwd } = await rejected(['--name', '../escape']);
    expect(stderr).toBe("error: the project name '../escape' is a path: give a plain name, or pass the directory as the first argument\n");
    expect(existsSync(join(cwd, '..', 'escape'))).toBe(false);
  });

  it('rejects a non-empty directory without --force, and leaves it alone', async () => {
    const cwd = temporaryDirectory();
    mkdirSync(join(cwd, 'os'));
    writeFileSync(join(cwd, 'os', 'keep.txt'), 'mine');
    const { stderr } = await rejected(['os', '--yes'], cwd);
    expect(stderr).toBe('error: os is not empty (1 entry); use --force to add the kernel to it (files of yours it would replace are listed first)\n');
    expect(readdirSync(join(cwd, 'os'))).toEqual(['keep.txt']);
  });

  it("names the user's files a kernel would replace, and with --force says it replaced them", async () => {
    const cwd = temporaryDirectory();
    mkdirSync(join(cwd, 'os'));
    writeFileSync(join(cwd, 'os', 'README.md'), 'my notes');
    writeFileSync(join(cwd, 'os', 'tests'), 'a file where the kernel needs a directory');
    const refused = await rejected(['os', '--yes'], cwd);
    expect(refused.stderr).toBe('error: os is not empty (2 entries); --force adds the kernel to it, replacing README.md, tests\n');
    expect(readFileSync(join(cwd, 'os', 'README.md'), 'utf8')).toBe('my notes');
    const forced = await create(['os', '--yes', '--force'], { cwd });
    expect(forced.status).toBe(0);
    expect(forced.stdout).toMatch(/^Wrote a multiboot2 kernel .* to os \(--force: replaced README\.md, tests, which were there\):\n/);
  });

  it.each(['SIGINT', 'SIGTERM'])('takes everything back on %s while writing: exit 128+N, the directory as it was', async (signal) => {
    const cwd = temporaryDirectory();
    mkdirSync(join(cwd, 'os'));
    writeFileSync(join(cwd, 'os', 'README.md'), 'my notes');
    writeFileSync(join(cwd, 'os', 'tests'), 'a file where the kernel needs a directory');
    let stopped = false;
    // The signal "came" while the files were written: the watch reports it once writing is over.
    const watchSignals = () => ({ received: () => Promise.resolve(signal), stop: () => void (stopped = true) });
    const result = await create(['os', '--yes', '--force'], { cwd, deps: { watchSignals } });
    expect(result.status).toBe(signal === 'SIGINT' ? 130 : 143);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(`Interrupted (${signal}); nothing was written.\n`);
    expect(readdirSync(join(cwd, 'os')).sort()).toEqual(['README.md', 'tests']);
    expect(readFileSync(join(cwd, 'os', 'README.md'), 'utf8')).toBe('my notes');
    expect(readFileSync(join(cwd, 'os', 'tests'), 'utf8')).toBe('a file where the kernel needs a directory');
    expect(stopped).toBe(true);
    // A new directory it made is gone too.
    const fresh = await create(['new-os', '--yes'], { cwd, deps: { watchSignals } });
    expect(fresh.status).toBe(signal === 'SIGINT' ? 130 : 143);
    expect(readdirSync(cwd).sort()).toEqual(['os']);
  });

  it('writes into a non-empty directory with --force', async () => {
    const cwd = temporaryDirectory();
    mkdirSync(join(cwd, 'os'));
    writeFileSync(join(cwd, 'os', 'keep.txt'), 'mine');
    expect((await create(['os', '--yes', '--force'], { cwd })).status).toBe(0);
    expect(readdirSync(join(cwd, 'os'))).toContain('keep.txt');
    expect(readdirSync(join(cwd, 'os'))).toContain('Cargo.toml');
  });

  it('rejects a file where the directory should be', async () => {
    const cwd = temporaryDirectory();
    writeFileSync(join(cwd, 'os'), 'a file');
    expect((await rejected(['os'], cwd)).stderr).toBe('error: os exists and is not a directory\n');
  });

  it('leaves nothing behind when writing fails half way', async () => {
    // Templates that make a file `src` and then `src/main.rs`: the second write fails.
    const broken = new Map([
      ['kernel/Cargo.toml.hbs', () => '[package]\n'],
      ['kernel/src.hbs', () => 'a file where a directory must go\n'],
      ['kernel/src/main.rs.hbs', () => 'fn main() {}\n'],
      ['boot/multiboot2/linker.ld.hbs', () => ''],
    ]);
    const cwd = temporaryDirectory();
    const { status, stderr } = await create(['os', '--yes'], { cwd, deps: { templates: () => Promise.resolve(broken) } });
    expect(status).toBe(1);
    expect(stderr).toMatch(/^error: cannot write os: (ENOTDIR|EEXIST)/);
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('rejects a directory that cannot be written', async () => {
    const { stderr } = await rejected(['/proc/baremetal-kernel-cli/os', '--yes']);
    expect(stderr).toMatch(/^error: cannot write \/proc\/baremetal-kernel-cli\/os: ENOENT/);
  });

  it.each([
    [['--boot', 'multiboot'], "error: unknown boot protocol 'multiboot' (known: multiboot2, limine); did you mean 'multiboot2'?\n"],
    [['--preset', 'x86-64-v4'], "error: unknown feature preset 'x86-64-v4' (known: baseline, x86-64-v2, x86-64-v3)\n"],
    [['--toolchain', 'nightly'], "error: unknown toolchain 'nightly' (known: auto, rustup-stable, rustup-nightly, system)\n"],
    [['--modules', 'gdt'], `error: unknown module 'gdt' (known: ${KNOWN_MODULES})\n`],
    [['--modules', 'framebuffer'], "error: framebuffer is built into every kernel: src/framebuffer.rs draws the console on the loader's framebuffer (GRUB's framebuffer tag, Limine's framebuffer request); leave it out of --modules\n"],
    [['--modules', 'keybord'], `error: unknown module 'keybord' (known: ${KNOWN_MODULES}); did you mean 'keyboard'?\n`],
    [['--boot', 'limine', '--modules', 'vga-text'], "error: module 'vga-text' does not support the limine boot protocol: the Limine protocol hands out RGB framebuffers only, no VGA text mode\n"],
  ])('rejects %j with the known choices, exit 2', async (flags, message) => {
    const result = await rejected(['os', ...flags]);
    expect(result.stderr).toBe(message);
    expect(result.status).toBe(2);
  });

  it("loads the modules' templates only where modules may be chosen", async () => {
    const asked: boolean[] = [];
    const templates = fakeDependencies().templates;
    const recording = { templates: (needs: { modules: boolean }) => (asked.push(needs.modules), templates(needs)) };
    await create(['plain', '--yes'], { deps: recording });
    await create(['with', '--yes', '--modules', 'log'], { deps: recording });
    await create([], { interactive: true, deps: { ...recording, prompter: scriptedPrompter(['asked', '', '', '', '']) } });
    expect(asked).toEqual([false, true, true]);
  });

  it('reports every problem at once', async () => {
    const { stderr } = await rejected(['1os', '--preset', 'fast', '--boot', 'grub']);
    expect(stderr.split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('rejects a boot protocol the templates do not cover', async () => {
    const onlyLimine = new Map([...(await fakeDependencies().templates({ modules: false }))].filter(([path]) => !path.startsWith('boot/multiboot2/')));
    const cwd = temporaryDirectory();
    const { status, stderr } = await create(['os', '--boot', 'multiboot2'], { cwd, deps: { templates: () => Promise.resolve(onlyLimine) } });
    expect(status).toBe(1);
    expect(stderr).toBe('error: the multiboot2 boot protocol has no kernel templates in this version of baremetal-kernel\n');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it.each([
    [['--bot', 'x'], /^error: unknown option '--bot'; did you mean '--boot'\? \(see --help\)\n$/],
    [['--frobnicate'], /^error: unknown option '--frobnicate' \(see --help\)\n$/],
    [['a', 'b'], /^error: one directory only, got 2: a b \(see --help\)\n$/],
    [['--name', '-rf'], /^error: --name needs a value, and '-rf' looks like an option \(write --name=-rf if it is the value\) \(see --help\)\n$/],
    [['os', '--boot'], /^error: --boot needs a value: --boot <protocol> \(see --help\)\n$/],
    [['--yes=no'], /^error: --yes takes no value \(see --help\)\n$/],
    [[''], /^error: the directory argument is empty: name a directory, e\.g\. 'my-os' \(see --help\)\n$/],
  ])('rejects bad usage %j with exit 2', async (argv, message) => {
    const result = await rejected(argv);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(readdirSync(result.cwd)).toEqual([]);
  });

  it("says what happened when npm kept the kernel's options for itself (npm create without --)", async () => {
    // `npm create baremetal-kernel os --boot limine --preset x86-64-v2` runs us like this (npm 11):
    // the options become npm config (an unknown one as `true`) and their values positionals.
    const env = { npm_command: 'exec', npm_config_boot: 'true', npm_config_preset: 'true', npm_config_yes: 'true' };
    const result = await create(['os', 'limine', 'x86-64-v2'], { env });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      "error: npm kept --boot, --preset for itself: put the kernel's options after --, as in: npm create baremetal-kernel my-os -- --boot ...\n",
    );
    expect(readdirSync(result.cwd)).toEqual([]);
    // The same options after `--` reach us, and npm's own config (yes) is not mistaken for ours.
    const passed = await create(['os', '--boot', 'limine', '--yes'], { env: { npm_command: 'exec', npm_config_yes: 'true' } });
    expect(passed.status, passed.stderr).toBe(0);
  });
});
