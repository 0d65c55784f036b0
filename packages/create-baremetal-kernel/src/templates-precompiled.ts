/**
 * The kernel templates of the published bundle: scripts/build.mjs precompiles them into data (see
 * the generators' template-runtime), writes it to dist/templates.data, and puts this module in
 * place of templates-source.ts.
 */
import { readFileSync } from 'node:fs';
import type { CompiledTemplates } from '@baremetal-kernel/generators';
import { templatesFromFile } from '@baremetal-kernel/generators/template-runtime';

/** The file the build writes beside the bundle's chunks (this module lands in one of them). */
export const TEMPLATES_FILE = 'templates.data';

export function kernelTemplates(): CompiledTemplates {
  return templatesFromFile(readFileSync(new URL(`./${TEMPLATES_FILE}`, import.meta.url)));
}
