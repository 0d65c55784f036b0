/** The inferred tasks: which Cargo.toml files make projects, and the targets, inputs and outputs they get. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CreateNodesContext, CreateNodesResult, TargetConfiguration } from '@nx/devkit';
import { validateKernelRequest, type KernelRequest } from '@baremetal-kernel/target';
import { planKernel } from '@baremetal-kernel/generators';
import { createNodes, kernelProject, RUNNER_ENV_IGNORED, RUNNER_ENV_INPUTS, type KernelPluginOptions } from '../src/index.js';
import { TEMPLATES } from './support.js';

/** The Cargo.toml the generators write for this request. */
function generatedCargoToml(request: KernelRequest): string {
  const validation = validateKernelRequest({ toolchain: 'rustup-stable', ...request });
  if (!validation.ok) throw new Error(validation.problems.map((problem) => problem.message).join('\n'));
  return planKernel(validation.config, TEMPLATES).files.find((file) => file.path === 'Cargo.toml')!.contents;
}

const PLAIN_CRATE = '[package]\nname = "tool"\nversion = "0.1.0"\nedition = "2024"\n';

/** The one project a result holds, with its root. */
function onlyProject(result: CreateNodesResult) {
  const entries = Object.entries(result.projects ?? {});
  expect(entries).toHaveLength(1);
  const [root, project] = entries[0]!;
  return { root, ...project, targets: project.targets as Record<string, TargetConfiguration> };
}

describe('kernelProject: one Cargo.toml', () => {
  const os = onlyProject(kernelProject('kernels/os/Cargo.toml', generatedCargoToml({ name: 'os' })));

  it('makes its directory a project named after the crate, tagged with its protocol and preset', () => {
    expect(os.root).toBe('kernels/os');
    expect(os.name).toBe('os');
    expect(os.tags).toEqual(['boot:multiboot2', 'preset:baseline']);
    expect(Object.keys(os.targets).sort()).toEqual(['build', 'check', 'clippy', 'iso', 'run', 'test']);
  });

  it('runs cargo in the project directory, as the kernel README says: build, run, test, clippy as its CI runs it, and the ISO through the runner', () => {
    const commands = Object.fromEntries(Object.entries(os.targets).map(([name, target]) => [name, [target.command, target.options?.cwd]]));
    expect(commands).toEqual({
      build: ['cargo build', '{projectRoot}'],
      run: ['cargo run', '{projectRoot}'],
      test: ['cargo test', '{projectRoot}'],
      clippy: ['cargo clippy --all-targets -- -D warnings', '{projectRoot}'],
      iso: ['cargo run -- --iso-only', '{projectRoot}'],
      check: [undefined, undefined],
    });
    expect(os.targets['check']!.executor).toBe('@baremetal-kernel/nx:check');
  });

  it('caches everything but run, and keeps only the image and the ISO, never Cargo\'s whole target/', () => {
    const caching = Object.fromEntries(Object.entries(os.targets).map(([name, target]) => [name, [target.cache, target.outputs]]));
    expect(caching).toEqual({
      build: [true, ['{projectRoot}/target/x86_64-unknown-none/debug/os']],
      run: [false, undefined],
      test: [true, []],
      clippy: [true, []],
      check: [true, []],
      iso: [true, ['{projectRoot}/target/x86_64-unknown-none/debug/iso/os.iso']],
    });
  });

  it('check runs after build and hashes the image build made', () => {
    const check = os.targets['check']!;
    expect(check.dependsOn).toEqual(['build']);
    expect(check.inputs).toContainEqual({ dependentTasksOutputFiles: '**/*', transitive: false });
    expect(check.inputs).toContain('{projectRoot}/Cargo.toml');
  });

  it('hashes the sources, the Cargo, linker and toolchain files, the toolchain itself (where rustup picks it) and the environment Cargo reads', () => {
    for (const target of ['build', 'test', 'clippy', 'iso']) {
      const inputs = os.targets[target]!.inputs;
      for (const file of ['src/**/*', 'tests/**/*', 'build.rs', 'csrc/**/*', 'Cargo.toml', 'Cargo.lock', '.cargo/**/*', '*.ld', 'rust-toolchain.toml']) {
        expect(inputs, `${target}: ${file}`).toContain(`{projectRoot}/${file}`);
      }
      expect(inputs, target).toContainEqual({ runtime: "cd 'kernels/os' && rustc -vV && cargo -V" });
      for (const env of ['RUSTFLAGS', 'CARGO_ENCODED_RUSTFLAGS', 'CARGO_TARGET_X86_64_UNKNOWN_NONE_RUSTFLAGS', 'CARGO_TARGET_DIR']) {
        expect(inputs, `${target}: ${env}`).toContainEqual({ env });
      }
    }
    // The runner boots: it matters to test and iso, not to what cargo builds.
    expect(os.targets['test']!.inputs).toContain('{projectRoot}/runner');
    expect(os.targets['iso']!.inputs).toContain('{projectRoot}/runner');
    expect(os.targets['build']!.inputs).not.toContain('{projectRoot}/runner');
    // Not the README, not target/: a changed README rebuilds nothing.
    expect(os.targets['build']!.inputs).not.toContain('{projectRoot}/**/*');
  });

  it("makes every variable the runners read an input of test and iso, or says why not, and none of build's", () => {
    const runners = ['multiboot2', 'limine'].map((boot) => {
      const validation = validateKernelRequest({ name: 'os', boot, toolchain: 'rustup-stable' });
      if (!validation.ok) throw new Error('invalid request');
      return planKernel(validation.config, TEMPLATES).files.find((file) => file.path === 'runner')!.contents;
    });
    const read = new Set(runners.flatMap((runner) => [...runner.matchAll(/\$\{([A-Z][A-Z0-9_]*)(?::?[-+=?]|\})/g)].map((match) => match[1]!)));
    expect([...read].sort()).toEqual([...RUNNER_ENV_INPUTS, ...Object.keys(RUNNER_ENV_IGNORED)].sort());
    for (const env of RUNNER_ENV_INPUTS) {
      expect(os.targets['test']!.inputs, env).toContainEqual({ env });
      expect(os.targets['iso']!.inputs, env).toContainEqual({ env });
      expect(os.targets['build']!.inputs, env).not.toContainEqual({ env });
    }
  });

  it('names the image after the crate, not the directory, and quotes the directory for the shell', () => {
    const project = onlyProject(kernelProject("kernels/it's here/Cargo.toml", generatedCargoToml({ name: 'kb_os', boot: 'limine' })));
    expect(project.root).toBe("kernels/it's here");
    expect(project.name).toBe('kb_os');
    expect(project.tags).toEqual(['boot:limine', 'preset:baseline']);
    expect(project.targets['build']!.outputs).toEqual(['{projectRoot}/target/x86_64-unknown-none/debug/kb_os']);
    expect(project.targets['iso']!.outputs).toEqual(['{projectRoot}/target/x86_64-unknown-none/debug/iso/kb_os.iso']);
    expect(project.targets['build']!.inputs).toContainEqual({ runtime: `cd 'kernels/it'\\''s here' && rustc -vV && cargo -V` });
  });

  it('takes a kernel at the workspace root', () => {
    const project = onlyProject(kernelProject('Cargo.toml', generatedCargoToml({ name: 'os' })));
    expect(project.root).toBe('.');
    expect(project.targets['build']!.inputs).toContainEqual({ runtime: 'cd . && rustc -vV && cargo -V' });
  });

  it.each<[string, string]>([
    ['a plain crate', PLAIN_CRATE],
    ['a crate that names the generator outside the table', `${PLAIN_CRATE}# made next to a baremetal-kernel\n[package.metadata.other]\nbaremetal-kernel = true\n`],
    ['a Cargo workspace', '[workspace]\nmembers = ["kernels/*"]\n# kernels by baremetal-kernel\n'],
    ['an empty file', ''],
  ])('makes no project of %s, and no error', (_, text) => {
    expect(kernelProject('crates/tool/Cargo.toml', text)).toEqual({});
  });

  it.each<[string, string, string]>([
    ['broken TOML', '[package]\nname = "os\n[package.metadata.baremetal-kernel]\n', 'kernels/os/Cargo.toml is not valid TOML ('],
    ['a table this generator did not write', generatedCargoToml({ name: 'os' }).replace('boot = "multiboot2"', 'boot = 2'), 'kernels/os/Cargo.toml: [package.metadata.baremetal-kernel] boot must be a string'],
  ])('refuses %s, naming the file', (_, text, message) => {
    expect(() => kernelProject('kernels/os/Cargo.toml', text)).toThrow(message);
  });

  it('names its targets as the options say, check depending on the renamed build', () => {
    const options: KernelPluginOptions = {
      buildTargetName: 'kernel-build',
      runTargetName: 'kernel-run',
      testTargetName: 'kernel-test',
      clippyTargetName: 'kernel-clippy',
      checkTargetName: 'kernel-check',
      isoTargetName: 'kernel-iso',
    };
    const project = onlyProject(kernelProject('os/Cargo.toml', generatedCargoToml({ name: 'os' }), options));
    expect(Object.keys(project.targets).sort()).toEqual(['kernel-build', 'kernel-check', 'kernel-clippy', 'kernel-iso', 'kernel-run', 'kernel-test']);
    expect(project.targets['kernel-check']!.dependsOn).toEqual(['kernel-build']);
    expect(project.targets['kernel-build']!.command).toBe('cargo build');
    // One renamed, the others keep their plain names.
    expect(Object.keys(onlyProject(kernelProject('os/Cargo.toml', generatedCargoToml({ name: 'os' }), { testTargetName: 'boot-tests' })).targets).sort()).toEqual([
      'boot-tests',
      'build',
      'check',
      'clippy',
      'iso',
      'run',
    ]);
  });
});

describe('createNodes over a workspace on disk', () => {
  const workspace = mkdtempSync(join(tmpdir(), 'bk-nx-nodes-'));
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(workspace, path)), { recursive: true });
    writeFileSync(join(workspace, path), text);
  };
  const context: CreateNodesContext = { workspaceRoot: workspace, nxJsonConfiguration: {} };
  const [pattern, create] = createNodes;

  it('looks at every Cargo.toml', () => {
    expect(pattern).toBe('**/Cargo.toml');
  });

  it('makes a project of each kernel and none of other crates', async () => {
    write('kernels/a/Cargo.toml', generatedCargoToml({ name: 'a' }));
    write('kernels/b/Cargo.toml', generatedCargoToml({ name: 'b', boot: 'limine' }));
    write('tools/crate/Cargo.toml', PLAIN_CRATE);
    const results = await create(['kernels/a/Cargo.toml', 'kernels/b/Cargo.toml', 'tools/crate/Cargo.toml'], { buildTargetName: 'kernel-build' }, context);
    const projects = results.map(([file, result]) => [file, Object.entries(result.projects ?? {}).map(([root, project]) => [root, project.name])]);
    expect(projects).toEqual([
      ['kernels/a/Cargo.toml', [['kernels/a', 'a']]],
      ['kernels/b/Cargo.toml', [['kernels/b', 'b']]],
      ['tools/crate/Cargo.toml', []],
    ]);
    expect(Object.keys(results[0]![1].projects!['kernels/a']!.targets!)).toContain('kernel-build');
  });

  it("reports a broken Cargo.toml with its path, as Nx reports plugins' errors, and still returns the others", async () => {
    write('kernels/a/Cargo.toml', generatedCargoToml({ name: 'a' }));
    write('kernels/broken/Cargo.toml', '[package.metadata.baremetal-kernel\nboot = "multiboot2"\n');
    let thrown: unknown;
    try {
      await create(['kernels/a/Cargo.toml', 'kernels/broken/Cargo.toml'], undefined, context);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    const aggregate = thrown as { errors: [string, Error][]; partialResults: [string, CreateNodesResult][] };
    expect(aggregate.errors.map(([file, error]) => [file, error.message.split(' (')[0]])).toEqual([
      ['kernels/broken/Cargo.toml', 'kernels/broken/Cargo.toml is not valid TOML'],
    ]);
    expect(aggregate.partialResults.map(([file]) => file)).toEqual(['kernels/a/Cargo.toml']);
  });
});
