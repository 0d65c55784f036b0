/**
 * The catalogue and the templates agree: one row in the model per folder under templates/modules/,
 * each folder with in-kernel tests and only known anchors, and every module rendering on every
 * protocol it claims, alone and with the others.
 */
import { describe, expect, it } from 'vitest';
import { MODULES, validateKernelRequest } from '@baremetal-kernel/target';
import { ANCHORS, availableModules, compileTemplates, loadTemplates, moduleFolder, planKernel } from '../src/index.js';

const SOURCES = loadTemplates();
const TEMPLATES = compileTemplates(SOURCES);

describe('the module catalogue', () => {
  it('has one row per module folder, and a folder per row', () => {
    expect(availableModules(TEMPLATES)).toEqual(MODULES.map((module) => module.name).sort());
  });

  it.each(MODULES.map((module) => [module.name, module] as const))('%s: ships tests, uses only known anchors, requires known modules', (name, module) => {
    const paths = [...SOURCES.keys()].filter((path) => path.startsWith(moduleFolder(name))).map((path) => path.slice(moduleFolder(name).length));
    expect(paths.some((path) => /^tests\/[^/]+\.rs\.hbs$/.test(path))).toBe(true);
    for (const path of paths.filter((candidate) => candidate.startsWith('anchors/'))) {
      expect(Object.keys(ANCHORS)).toContain(path.slice('anchors/'.length, -'.hbs'.length));
    }
    for (const requirement of module.requires) expect(MODULES.map((candidate) => candidate.name)).toContain(requirement);
    for (const conflict of module.conflicts) expect(MODULES.map((candidate) => candidate.name)).toContain(conflict.module);
    for (const boot of ['multiboot2', 'limine'] as const) {
      if (!module.bootProtocols.includes(boot)) expect(module.unsupported[boot], `why not ${boot}`).toBeTruthy();
    }
  });

  it.each(MODULES.flatMap((module) => module.bootProtocols.map((boot) => [module.name, boot] as const)))('%s renders into a %s kernel', (name, boot) => {
    const result = validateKernelRequest({ name: 'os', toolchain: 'system', boot, modules: [name] });
    expect(result.ok && planKernel(result.config, TEMPLATES).files.length).toBeGreaterThan(0);
  });
});
