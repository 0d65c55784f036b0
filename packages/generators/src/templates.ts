import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Template sources by path relative to the template root, with '/' separators. */
export type TemplateSet = ReadonlyMap<string, string>;

/** The templates/ folder at the top of the monorepo. */
export const DEFAULT_TEMPLATE_ROOT = fileURLToPath(new URL('../../../templates/', import.meta.url));

export const TEMPLATE_SUFFIX = '.hbs';

function walk(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    return entry.isDirectory() ? walk(path) : entry.isFile() ? [path] : [];
  });
}

/** Reads every template under `root` (the only I/O of planning). */
export function loadTemplates(root: string = DEFAULT_TEMPLATE_ROOT): TemplateSet {
  const templates = new Map<string, string>();
  for (const path of walk(root).sort()) {
    if (!path.endsWith(TEMPLATE_SUFFIX)) continue;
    templates.set(relative(root, path).split(sep).join('/'), readFileSync(path, 'utf8'));
  }
  return templates;
}
