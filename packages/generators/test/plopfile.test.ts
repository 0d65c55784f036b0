import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodePlop from 'node-plop';
import { describe, expect, it } from 'vitest';
import { compileTemplates, generateKernel, kernelFileReader, loadTemplates, resolveConfig } from '../src/index.js';
import baremetalKernelPlopfile, { WRITE_KERNEL_ACTION } from '../src/plopfile.js';
import { planAddModules } from '../src/add.js';

describe('the plop generator', () => {
  it('writes through node-plop exactly what generateKernel plans', async () => {
    const plop = await nodePlop();
    baremetalKernelPlopfile(plop);
    expect(plop.getGeneratorList()).toEqual([
      { name: 'module', description: 'add modules to a kernel made by the kernel generator' },
      { name: 'kernel', description: 'a bootable no_std Rust kernel for x86_64-unknown-none' },
    ]);
    expect(plop.getActionTypeList()).toContain(WRITE_KERNEL_ACTION);

    const directory = join(mkdtempSync(join(tmpdir(), 'plop-')), 'plop-os');
    const answers = { name: 'plop-os', boot: 'multiboot2', preset: 'x86-64-v2', toolchain: 'system', directory };
    const { plan } = generateKernel(resolveConfig(answers), {
      directory: join(directory, 'unused'),
      templates: compileTemplates(loadTemplates()),
      dryRun: true,
    });
    const { changes, failures } = await plop.getGenerator('kernel').runActions(answers);
    expect(failures).toEqual([]);
    expect(changes.map((change) => change.path)).toEqual([`wrote ${plan.files.length} files to ${directory}`]);
    for (const file of plan.files) {
      expect(readFileSync(join(directory, file.path), 'utf8'), file.path).toBe(file.contents);
    }
  });

  it('reports invalid answers as a failure with the validation message', async () => {
    const plop = await nodePlop();
    baremetalKernelPlopfile(plop);
    const { changes, failures } = await plop
      .getGenerator('kernel')
      .runActions({ name: '1os', boot: 'multiboot2', preset: 'baseline', toolchain: 'system', directory: join(tmpdir(), 'never-written') });
    expect(changes).toEqual([]);
    // node-plop passes on the error the action threw.
    expect(failures).toEqual([
      expect.objectContaining({ code: 'E_INVALID_CONFIG', message: expect.stringMatching(/^invalid project name: '1os' starts with a digit/) }),
    ]);
  });

  it('adds modules through its module generator as add does, and adding again changes nothing', async () => {
    const plop = await nodePlop();
    baremetalKernelPlopfile(plop);
    const directory = join(mkdtempSync(join(tmpdir(), 'plop-')), 'plop-os');
    const templates = compileTemplates(loadTemplates());
    generateKernel(resolveConfig({ name: 'plop-os', toolchain: 'system' }), { directory, templates });
    const read = (path: string) => readFileSync(join(directory, path), 'utf8');
    const expected = planAddModules(['keyboard'], kernelFileReader(directory), templates);
    const { changes, failures } = await plop.getGenerator('module').runActions({ directory, modules: ['keyboard'] });
    expect(failures).toEqual([]);
    expect(changes.map((change) => change.path)).toEqual([`added pic-timer, keyboard to ${directory} (${expected.changes.length} files)`]);
    for (const change of expected.changes) expect(read(change.path), change.path).toBe(change.after);
    const again = await plop.getGenerator('module').runActions({ directory, modules: ['keyboard'] });
    expect(again.changes.map((change) => change.path)).toEqual([`nothing to do: keyboard in ${directory} already`]);
  });
});
