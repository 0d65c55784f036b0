/** The schemas Nx reads are the CLI's option rows, and generators.json names what the build makes. */
import { readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KERNEL_OPTIONS, type CreateOption } from '@baremetal-kernel/generators';
import { SCHEMAS, kernelSchema, moduleSchema, type SchemaProperty } from '../src/schema.js';
import { kernelGenerator, moduleGenerator } from '../src/index.js';

const packageRoot = new URL('../', import.meta.url);
const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, packageRoot), 'utf8'));

/** What a property must say of a row: its help, every choice (value and summary, in order), its default. */
function expectRow(property: SchemaProperty | undefined, option: CreateOption, { withDefault = true } = {}) {
  expect(property, option.key).toBeDefined();
  expect(property!.type).toBe(option.type === 'list' ? 'array' : option.type);
  expect(property!.description.startsWith(option.help)).toBe(true);
  if (withDefault) expect(property!.default).toEqual(option.default);
  if (option.type === 'boolean') return;
  const choices = option.choices ?? [];
  expect(property!.description).toContain(choices.map((choice) => choice.value).join(', '));
  if (choices.length === 0) return;
  const prompt = property!['x-prompt'];
  expect(prompt).toMatchObject({ message: option.prompt, type: 'list' });
  const items = typeof prompt === 'object' ? prompt.items : [];
  expect(items).toEqual(choices.map((choice) => ({ value: choice.value, label: `${choice.value}: ${choice.summary}` })));
  expect(typeof prompt === 'object' && prompt.multiselect === true).toBe(option.type === 'list');
}

describe('the kernel schema', () => {
  const schema = kernelSchema();

  it('has every kernel option of the CLI, in its order, after the directory, and --force', () => {
    expect(Object.keys(schema.properties)).toEqual(['directory', ...KERNEL_OPTIONS.map((option) => option.key), 'force']);
    for (const option of KERNEL_OPTIONS) expectRow(schema.properties[option.key], option, { withDefault: option.key !== 'name' });
  });

  it('takes the directory as its argument, and names the kernel after it unless --name does', () => {
    expect(schema.required).toEqual(['directory']);
    expect(schema.properties.directory?.$default).toEqual({ $source: 'argv', index: 0 });
    expect(schema.properties.name).toEqual({ type: 'string', description: "package name: lowercase letters, digits, - and _ (default: the directory's name)" });
  });
});

describe('the module schema', () => {
  it("is the kernel option's modules row, as the argument, and the kernel's directory", () => {
    const schema = moduleSchema();
    expect(Object.keys(schema.properties)).toEqual(['modules', 'directory']);
    expectRow(schema.properties.modules, KERNEL_OPTIONS.find((option) => option.key === 'modules')!, { withDefault: false });
    expect(schema.properties.modules?.$default).toEqual({ $source: 'argv', index: 0 });
    expect(schema.required).toEqual(['modules', 'directory']);
  });
});

describe('every schema', () => {
  it.each(Object.entries(SCHEMAS))('%s: refuses unknown options, describes every property, leaves values to the model', (_, derive) => {
    const schema = derive();
    expect(schema.additionalProperties).toBe(false);
    for (const property of Object.values(schema.properties)) expect(property.description.length).toBeGreaterThan(0);
    // Nx would refuse an enum or pattern mismatch itself, with its own words, before the generator runs.
    expect(JSON.stringify(schema)).not.toMatch(/"(enum|pattern)"/);
  });
});

describe('generators.json and package.json', () => {
  const { generators } = readJson('generators.json');

  it('name a derived schema for every generator, and a factory the build makes from src/', async () => {
    expect(Object.keys(generators)).toEqual(Object.keys(SCHEMAS));
    const implementations: Record<string, unknown> = { kernel: kernelGenerator, module: moduleGenerator };
    for (const [name, entry] of Object.entries<{ factory: string; schema: string; description: string }>(generators)) {
      expect(entry.schema).toBe(`./dist/generators/${name}/schema.json`);
      expect(entry.description).toBe(SCHEMAS[name]!().description);
      const source = entry.factory.replace(/^\.\/dist\//, './src/').replace(/\.js$/, '.ts');
      expect(existsSync(new URL(source, packageRoot)), source).toBe(true);
      expect((await import(new URL(source, packageRoot).href)).default).toBe(implementations[name]);
    }
  });

  it('are where Nx looks, and ship', () => {
    const manifest = readJson('package.json');
    expect(manifest.generators).toBe('./generators.json');
    expect(manifest.files).toEqual(expect.arrayContaining(['dist', 'generators.json']));
    expect(manifest.scripts.build).toContain('scripts/write-schemas.mjs');
  });
});
