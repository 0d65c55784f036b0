import { GeneratorError } from './errors.js';

/**
 * A compiled template: the view (and the partials it may name) in, the file's text out. `data` is
 * Handlebars' render data, which a template passes on to the partials it renders.
 */
export type TemplateFunction = (view: unknown, options?: { partials?: Readonly<Record<string, TemplateFunction>>; data?: unknown }) => string;
export type CompiledTemplates = ReadonlyMap<string, TemplateFunction>;

/** Calls a compiled template; errors name the template. Needs no Handlebars compiler. */
export function renderCompiled(
  name: string,
  template: TemplateFunction,
  view: unknown,
  partials: Readonly<Record<string, TemplateFunction>> = {},
): string {
  try {
    return template(view, { partials });
  } catch (error) {
    throw new GeneratorError('E_TEMPLATE', `template ${name}: ${(error as Error).message}`, { cause: error });
  }
}
