/** compatibleSets: the kernels that hold every module between them (the e2e tests and examples/ use them). */
import { describe, expect, it } from 'vitest';
import { MODULES, compatibleSets, moduleConflicts, type ModuleRule } from '../src/index.js';

function rule(name: string, extra: Partial<ModuleRule> = {}): ModuleRule {
  return { name, summary: name, requires: [], conflicts: [], bootProtocols: ['multiboot2', 'limine'], unsupported: {}, ...extra };
}

const names = (sets: ModuleRule[][]) => sets.map((set) => set.map((module) => module.name));

describe('compatibleSets', () => {
  it('puts a catalogue without conflicts into one kernel, each module after what it requires', () => {
    const catalogue = [rule('a', { requires: ['b'] }), rule('b'), rule('c')];
    expect(names(compatibleSets('multiboot2', catalogue))).toEqual([['b', 'a', 'c']]);
  });

  it('starts a second kernel for the module that conflicts, taking everything else that fits it', () => {
    const catalogue = [rule('a'), rule('timer'), rule('apic', { conflicts: [{ module: 'timer', reason: 'both own the timer' }] }), rule('smp', { requires: ['apic'] })];
    expect(names(compatibleSets('multiboot2', catalogue))).toEqual([
      ['a', 'timer'],
      ['apic', 'a', 'smp'],
    ]);
  });

  it("leaves out modules of other boot protocols, and those requiring one", () => {
    const catalogue = [rule('vga', { bootProtocols: ['multiboot2'] }), rule('console', { requires: ['vga'] }), rule('log')];
    expect(names(compatibleSets('limine', catalogue))).toEqual([['log']]);
    expect(names(compatibleSets('multiboot2', catalogue))).toEqual([['vga', 'console', 'log']]);
  });

  it('covers every module of the catalogue on each protocol, no kernel with a conflict inside', () => {
    for (const boot of ['multiboot2', 'limine'] as const) {
      const sets = compatibleSets(boot);
      const covered = new Set(sets.flat().map((module) => module.name));
      expect([...covered].sort()).toEqual(MODULES.filter((module) => module.bootProtocols.includes(boot)).map((module) => module.name).sort());
      for (const set of sets) for (const module of set) expect(moduleConflicts(module, set)).toEqual([]);
    }
  });
});
