/**
 * The four packages as npm publishes them: each packed with `npm pack`, the tarballs installed
 * into an empty directory outside the repository, and used from there as a user would: both bins
 * through npx, and the plop generator through node-plop. What the tarballs lack (a file outside
 * "files", templates left in the monorepo) fails here and nowhere else.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { temporaryDirectory } from '../support.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const cliRoot = join(repoRoot, 'packages', 'create-baremetal-kernel');
const packageDirectories = ['target-model', 'check', 'generators', 'create-baremetal-kernel'].map((name) => join(repoRoot, 'packages', name));
/** node-plop as the repository has it (a devDependency), so the install finds it in npm's cache. */
const nodePlopVersion = (JSON.parse(readFileSync(join(repoRoot, 'node_modules', 'node-plop', 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The environment without the npm_* variables an `npm run` around this test sets: an npm started
 * with npm_config_local_prefix (and the like) from the repository would install into it. Nor
 * FORCE_COLOR, which CI's task runner sets: with NO_COLOR beside it, Node warns on stderr.
 */
const env = {
  ...Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_') && name !== 'FORCE_COLOR'),
  ),
  PATH: `/usr/bin:${process.env.PATH ?? ''}`,
  NO_COLOR: '1',
};

function run(command: string, args: string[], cwd: string) {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Every file below `root`, by relative path, with its contents and whether it is executable. */
function tree(root: string): Map<string, { contents: string; executable: boolean }> {
  const files = new Map<string, { contents: string; executable: boolean }>();
  const walk = (directory: string): void => {
    for (const entry of readdirSync(directory, { withFileTypes: true })) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(root, path), { contents: readFileSync(path, 'utf8'), executable: (statSync(path).mode & 0o111) !== 0 });
    }
  };
  walk(root);
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1)));
}

describe('the packed packages, installed outside the repository', () => {
  let installDirectory = '';

  beforeAll(() => {
    // Pack what ships, from the current sources: the CLI bundle (templates precompiled in it) and the
    // generators' copy of templates/ rebuilt here, so that both hold the same templates; the rest of
    // the other packages' dist/ is built before the slow layer runs (Nx's ^build).
    execFileSync(process.execPath, [join(cliRoot, 'scripts', 'build.mjs')], { stdio: 'inherit' });
    execFileSync(process.execPath, [join(repoRoot, 'packages', 'generators', 'scripts', 'copy-templates.mjs')], { stdio: 'inherit' });
    const packDirectory = temporaryDirectory();
    const tarballs = packageDirectories.map((directory) => {
      const packed = run('npm', ['pack', '--json', '--pack-destination', packDirectory], directory);
      expect(packed.status, packed.stderr).toBe(0);
      const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
      // Every package ships its built code (a dist/ missing here was not built, or was being rebuilt).
      expect(files.map((file) => file.path)).toContain(directory === cliRoot ? 'dist/create-baremetal-kernel.cjs' : 'dist/index.js');
      return join(packDirectory, filename);
    });

    installDirectory = temporaryDirectory();
    // A package.json of its own, so that npm installs here and not into a project above.
    writeFileSync(join(installDirectory, 'package.json'), `${JSON.stringify({ name: 'packed-user', private: true, type: 'module' })}\n`);
    const installed = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...tarballs, `node-plop@${nodePlopVersion}`], installDirectory);
    expect(installed.status, installed.stderr).toBe(0);
  }, 300_000);

  it('links both bins, and they run the installed CLI', () => {
    const cliVersion = (JSON.parse(readFileSync(join(cliRoot, 'package.json'), 'utf8')) as { version: string }).version;
    // --no: never fetch a package of that name from the registry when the bin is missing; `--`:
    // without it npx takes --version as its own.
    const version = run('npx', ['--no', '--', 'create-baremetal-kernel', '--version'], installDirectory);
    expect(version).toEqual({ status: 0, stdout: `${cliVersion}\n`, stderr: '' });

    const list = run('npx', ['--no', '--', 'baremetal-kernel', 'list', '--json'], installDirectory);
    expect(list.stderr).toBe('');
    expect(list.status).toBe(0);
    // The same model as the repository's own build reports.
    const inRepository = run(process.execPath, [join(cliRoot, 'dist', 'baremetal-kernel.js'), 'list', '--json'], repoRoot);
    expect(inRepository.status).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual(JSON.parse(inRepository.stdout));

    // add, with the modules' templates the package ships (dist/modules.data).
    const created = run('npx', ['--no', '--', 'create-baremetal-kernel', 'added-os', '--yes', '--toolchain', 'system'], installDirectory);
    expect(created.status, created.stderr).toBe(0);
    const added = run('npx', ['--no', '--', 'baremetal-kernel', 'add', 'keyboard', '--dir', 'added-os'], installDirectory);
    expect(added.stderr).toBe('');
    expect(added.stdout).toMatch(/^Added keyboard \(with pic-timer, which it requires\) to added-os:\n/);
    expect(readFileSync(join(installDirectory, 'added-os', 'Cargo.toml'), 'utf8')).toContain('modules = ["pic-timer", "keyboard"]');
    expect(existsSync(join(installDirectory, 'added-os', 'src', 'keyboard', 'mod.rs'))).toBe(true);
  });

  it('the checker imports there, as a package of its own', () => {
    const script = `
      import { checkKernelImage, ElfParseError, parseElf } from '@baremetal-kernel/check';
      const text = new TextEncoder().encode('not a kernel');
      let refused = '';
      try { parseElf(text); } catch (error) { refused = error instanceof ElfParseError ? error.name : String(error); }
      console.log(JSON.stringify({ findings: checkKernelImage(text), refused }));
    `;
    const result = run(process.execPath, ['--input-type=module', '--eval', script], installDirectory);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      findings: [{ level: 'error', message: 'not an ELF file: it does not start with the ELF magic 7f 45 4c 46' }],
      refused: 'ElfParseError',
    });
  });

  it('scaffolds with the CLI, and the plop generator through node-plop writes the same files', () => {
    const cliParent = temporaryDirectory();
    const created = run(join(installDirectory, 'node_modules', '.bin', 'create-baremetal-kernel'), ['os', '--yes', '--toolchain', 'system'], cliParent);
    expect(created.stderr).toBe('');
    expect(created.status).toBe(0);
    const cliFiles = tree(join(cliParent, 'os'));
    expect([...cliFiles.keys()]).toEqual(expect.arrayContaining(['Cargo.toml', 'src/main.rs']));

    // A plop user's plopfile: the installed package's generator, loaded by node-plop itself.
    writeFileSync(join(installDirectory, 'plopfile.js'), "export { default } from '@baremetal-kernel/generators/plopfile';\n");
    const plopDirectory = join(temporaryDirectory(), 'os');
    const answers = { name: 'os', toolchain: 'system', directory: plopDirectory };
    const script = `
      import nodePlop from 'node-plop';
      const plop = await nodePlop(${JSON.stringify(join(installDirectory, 'plopfile.js'))});
      const { changes, failures } = await plop.getGenerator('kernel').runActions(${JSON.stringify(answers)});
      console.log(JSON.stringify({ generators: plop.getGeneratorList().map((g) => g.name), changes, failures: failures.map((f) => f.error?.message ?? f.message ?? String(f)) }));
    `;
    const plopped = run(process.execPath, ['--input-type=module', '--eval', script], installDirectory);
    expect(plopped.stderr).toBe('');
    expect(plopped.status).toBe(0);
    const report = JSON.parse(plopped.stdout) as { generators: string[]; changes: unknown[]; failures: string[] };
    expect(report.failures).toEqual([]);
    expect(report.generators).toEqual(['module', 'kernel']);
    expect(report.changes).toHaveLength(1);

    const plopFiles = tree(plopDirectory);
    expect([...plopFiles.keys()]).toEqual([...cliFiles.keys()]);
    for (const [path, file] of cliFiles) expect(plopFiles.get(path), path).toEqual(file);
  });
});

describe('a bin entry before the build', () => {
  it.each(['create-baremetal-kernel', 'baremetal-kernel'])('%s says in one line to build, and fails', (name) => {
    // The committed entry file with no dist/ beside it, as right after `npm ci` in a fresh clone.
    const root = temporaryDirectory();
    mkdirSync(join(root, 'bin'));
    writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
    // bin/package.json makes the entries CommonJS, as in the package.
    for (const file of [`${name}.js`, 'package.json']) copyFileSync(join(cliRoot, 'bin', file), join(root, 'bin', file));
    const result = run(process.execPath, [join(root, 'bin', `${name}.js`), '--version'], root);
    expect(result).toEqual({ status: 1, stdout: '', stderr: `${name} is not built yet: run \`npm run build\` at the top of the repository.\n` });
  });
});
