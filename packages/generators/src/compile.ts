/**
 * Compiling templates at run time from sources, with Handlebars (tests, the plop generator, the
 * monorepo). The published CLI compiles them ahead of time instead (precompile.ts). Planning itself
 * takes compiled functions and never loads the compiler.
 */
import Handlebars from 'handlebars';
import { renderCompiled, type CompiledTemplates, type TemplateFunction } from './render.js';
import type { TemplateSet } from './templates.js';

/**
 * Rust and TOML are not HTML: no escaping; strict, so a misspelt field fails loudly; Handlebars'
 * own helpers only (if, unless, each, with), so `{{name}}` compiles to a field read rather than a
 * look-up among helpers first.
 */
export const HANDLEBARS_OPTIONS = { noEscape: true, strict: true, knownHelpersOnly: true } as const;

/**
 * Handlebars compiles a template when it is first called, so a syntax error surfaces when it is
 * rendered, where {@link renderCompiled} names the template.
 */
function compileOne(handlebars: typeof Handlebars, source: string): TemplateFunction {
  return handlebars.compile(source, HANDLEBARS_OPTIONS) as TemplateFunction;
}

export function compileTemplates(templates: TemplateSet): CompiledTemplates {
  const handlebars = Handlebars.create();
  return new Map([...templates].map(([name, source]) => [name, compileOne(handlebars, source)]));
}

/** Renders one template source with a view (for tests and one-off use). */
export function renderTemplate(name: string, source: string, view: unknown): string {
  return renderCompiled(name, compileOne(Handlebars.create(), source), view);
}
