/** loadTemplates: which files of a template tree are templates, and under what names. */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TEMPLATE_SUFFIX, defaultTemplateRoot, loadTemplates } from '../src/index.js';

describe('loadTemplates', () => {
  it("reads every .hbs file below the root, by '/'-separated path, in sorted order", () => {
    const root = mkdtempSync(join(tmpdir(), 'templates-'));
    mkdirSync(join(root, 'kernel', 'src', 'arch'), { recursive: true });
    mkdirSync(join(root, 'boot', 'limine'), { recursive: true });
    writeFileSync(join(root, 'kernel', 'src', 'main.rs.hbs'), 'fn main() {}\n');
    writeFileSync(join(root, 'kernel', 'src', 'arch', 'mod.rs.hbs'), 'mod x86_64;\n');
    writeFileSync(join(root, 'kernel', 'Cargo.toml.hbs'), '[package]\n');
    // A file whose name extends a directory's: a walk lists src/ first, a sort of the paths does not.
    writeFileSync(join(root, 'kernel', 'src.rs.hbs'), '// next to src/\n');
    writeFileSync(join(root, 'boot', 'limine', 'linker.ld.hbs'), 'ENTRY(start)\n');
    // Not templates: another suffix, a suffix that only ends the name, and a link to a template.
    writeFileSync(join(root, 'kernel', 'NOTES.md'), 'not a template\n');
    writeFileSync(join(root, 'kernel', 'hbs'), 'no suffix\n');
    symlinkSync(join(root, 'kernel', 'Cargo.toml.hbs'), join(root, 'kernel', 'link.hbs'));

    const templates = loadTemplates(root);
    expect([...templates.keys()]).toEqual([
      'boot/limine/linker.ld.hbs',
      'kernel/Cargo.toml.hbs',
      'kernel/src.rs.hbs',
      'kernel/src/arch/mod.rs.hbs',
      'kernel/src/main.rs.hbs',
    ]);
    expect(templates.get('kernel/src/arch/mod.rs.hbs')).toBe('mod x86_64;\n');
  });

  it("defaults to the repository's templates/, the common kernel and each boot protocol", () => {
    const paths = [...loadTemplates().keys()];
    // In a checkout the edited templates/ itself, never the copy a build put in dist/templates/.
    expect(defaultTemplateRoot()).toBe(fileURLToPath(new URL('../../../templates/', import.meta.url)));
    expect(paths).toEqual(expect.arrayContaining(['kernel/Cargo.toml.hbs', 'kernel/build.rs.hbs', 'kernel/runner.hbs', 'boot/multiboot2/linker.ld.hbs', 'boot/limine/linker.ld.hbs']));
    expect(paths.every((path) => path.endsWith(TEMPLATE_SUFFIX))).toBe(true);
  });
});
