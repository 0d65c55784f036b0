/** generateKernel and resolveConfig: plan, then write or only check; problems as one error. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GeneratorError, compileTemplates, generateKernel, loadTemplates, resolveConfig } from '../src/index.js';
import { kernelConfig } from './support.js';

const templates = compileTemplates(
  new Map([
    ['kernel/Cargo.toml.hbs', 'name = "{{name}}"\n'],
    ['boot/multiboot2/linker.ld.hbs', '/* {{boot.linkAddress}} */\n'],
  ]),
);
const scratch = () => mkdtempSync(join(tmpdir(), 'generate-'));

describe('generateKernel', () => {
  it('writes the planned files and returns their paths', () => {
    const directory = join(scratch(), 'os');
    const result = generateKernel(kernelConfig(), { directory, templates });
    expect(result.files).toEqual(['Cargo.toml', 'linker.ld']);
    expect(result.plan.files.map((file) => file.path)).toEqual(result.files);
    expect(readFileSync(join(directory, 'Cargo.toml'), 'utf8')).toBe('name = "test-os"\n');
  });

  it('on a dry run, returns the same paths and plan and writes nothing', () => {
    const parent = scratch();
    const result = generateKernel(kernelConfig(), { directory: join(parent, 'os'), templates, dryRun: true });
    expect(result.files).toEqual(['Cargo.toml', 'linker.ld']);
    expect(result.plan.files[0]!.contents).toBe('name = "test-os"\n');
    expect(readdirSync(parent)).toEqual([]);
  });

  it('on a dry run, still refuses a directory it could not write into, unless forced', () => {
    const directory = scratch();
    writeFileSync(join(directory, 'notes.txt'), 'mine');
    expect(() => generateKernel(kernelConfig(), { directory, templates, dryRun: true })).toThrowError(
      expect.objectContaining({ code: 'E_DIRECTORY_NOT_EMPTY' }),
    );
    expect(generateKernel(kernelConfig(), { directory, templates, dryRun: true, force: true }).files).toHaveLength(2);
    expect(readdirSync(directory)).toEqual(['notes.txt']);
  });

  it("plans from the repository's templates/, compiled", () => {
    const directory = join(scratch(), 'os');
    mkdirSync(directory);
    const { files } = generateKernel(kernelConfig(), { directory, templates: compileTemplates(loadTemplates()), dryRun: true });
    expect(files).toEqual(expect.arrayContaining(['Cargo.toml', 'build.rs', 'runner', 'src/main.rs', 'src/boot/multiboot2.rs']));
    expect(existsSync(join(directory, 'Cargo.toml'))).toBe(false);
  });
});

describe('resolveConfig', () => {
  it('returns the validated configuration', () => {
    const config = resolveConfig({ name: 'my-os', toolchain: 'system', preset: 'x86-64-v2' });
    expect(config).toMatchObject({ name: 'my-os', crateName: 'my_os', preset: { name: 'x86-64-v2' } });
  });

  it('throws every problem at once, one line each, with a stable code', () => {
    let error: unknown;
    try {
      resolveConfig({ name: '1os', toolchain: 'system', preset: 'x86-64-v9' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GeneratorError);
    expect((error as GeneratorError).code).toBe('E_INVALID_CONFIG');
    const lines = (error as GeneratorError).message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^invalid project name: '1os' starts with a digit/);
    expect(lines[1]).toMatch(/^unknown feature preset 'x86-64-v9'/);
  });
});
