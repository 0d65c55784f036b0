/**
 * The kernel templates of the published bundle: scripts/build.mjs precompiles them into data (see
 * the generators' template-runtime), writes it to dist/templates.data, and puts this module in
 * place of templates-source.ts.
 */
import { readFileSync } from 'node:fs';
import type { CompiledTemplates } from '@baremetal-kernel/generators';
import type { TemplateNeeds } from './templates-source.js';
import { templatesFromFile } from '@baremetal-kernel/generators/template-runtime';

/** The files the build writes beside the bundle's chunks (this module lands in one of them). */
export const TEMPLATES_FILE = 'templates.data';
/** The modules' templates, read only when modules may be added. */
export const MODULES_FILE = 'modules.data';

const read = (file: string) => templatesFromFile(readFileSync(new URL(`./${file}`, import.meta.url)));

export function kernelTemplates(needs: TemplateNeeds): CompiledTemplates {
  return needs.modules ? new Map([...read(TEMPLATES_FILE), ...read(MODULES_FILE)]) : read(TEMPLATES_FILE);
}
