import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Template sources by path relative to the template root, with '/' separators. */
export type TemplateSet = ReadonlyMap<string, string>;

/**
 * Where the kernel templates are read from by default. In a checkout (this module in src/ or dist/,
 * src/ beside it): templates/ at the top of the monorepo, where they are edited, so a change is seen
 * without a build. Installed (the tarball ships dist/ only, not src/): the copy the build put in
 * dist/templates/ (scripts/copy-templates.mjs). A function, not a constant: a bundle that never
 * reads templates from files does not look for them when it starts.
 */
export function defaultTemplateRoot(): string {
  const packageRoot = new URL('../', import.meta.url);
  const inCheckout = existsSync(new URL('src/templates.ts', packageRoot));
  return fileURLToPath(new URL(inCheckout ? '../../templates/' : 'dist/templates/', packageRoot));
}

export const TEMPLATE_SUFFIX = '.hbs';

/**
 * Where a template lands: the layer prefix and `.hbs` go, and a leading `_` of a path segment
 * becomes `.` (`_cargo/config.toml` -> `.cargo/config.toml`), because npm drops `.gitignore`
 * files from published packages.
 */
export function outputPath(templatePath: string, layer: string): string {
  return templatePath
    .slice(layer.length, -TEMPLATE_SUFFIX.length)
    .split('/')
    .map((segment) => (segment.startsWith('_') ? `.${segment.slice(1)}` : segment))
    .join('/');
}

function walk(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? walk(path) : entry.isFile() ? [path] : [];
  });
}

/** Reads every template under `root` (the only I/O of planning). */
export function loadTemplates(root: string = defaultTemplateRoot()): TemplateSet {
  const templates = new Map<string, string>();
  for (const path of walk(root).sort()) {
    if (!path.endsWith(TEMPLATE_SUFFIX)) continue;
    templates.set(relative(root, path).split(sep).join('/'), readFileSync(path, 'utf8'));
  }
  return templates;
}
