/**
 * Compiling templates: at run time from sources (tests, the plop generator, the monorepo), or
 * ahead of time into a JavaScript module (the published CLI, which then needs only Handlebars'
 * small runtime). Planning itself takes compiled functions and never loads the compiler.
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

/** The name, in a precompiled module, of the function that returns a piece of the templates' text. */
const TEXT_PIECE = 'text';

/**
 * Handlebars' JavaScript compiler, except that a template's literal text (most of every template)
 * becomes `text(start, end)`, a slice of one string that holds all of it, instead of a string
 * literal inside the template's function. A bundle's templates then cost one string to parse, and
 * each function compiled on its first call is a few lines instead of a whole Rust file.
 *
 * It overrides `pushSource`, where Handlebars 4 writes out the text gathered since the last
 * mustache (its `pendingContent`); the result is checked against the ordinary compiler's on every
 * configuration (test/plan.test.ts).
 */
/** Handlebars' compiler class, which its type declarations leave out. */
type WithCompilerClass = { JavaScriptCompiler: unknown };

function textTableCompiler(handlebars: typeof Handlebars, pieces: { text: string }) {
  type Internals = {
    pendingContent: string | undefined;
    pendingLocation: unknown;
    source: { push(source: unknown): void };
    appendToBuffer(source: string, location: unknown): unknown;
  };
  const Base = (handlebars as unknown as WithCompilerClass).JavaScriptCompiler as new () => Internals;
  class TextTableCompiler extends Base {
    pushSource(this: Internals, source: unknown): void {
      if (this.pendingContent) {
        const start = pieces.text.length;
        pieces.text += this.pendingContent;
        this.source.push(this.appendToBuffer(`${TEXT_PIECE}(${start}, ${pieces.text.length})`, this.pendingLocation));
        this.pendingContent = undefined;
      }
      if (source) this.source.push(source);
    }
  }
  // Block programs are compiled by `new this.compiler()`: the same compiler for them.
  Object.assign(TextTableCompiler.prototype, { compiler: TextTableCompiler });
  return TextTableCompiler;
}

/** Templates precompiled for a bundle: an ES module, and the text its templates take pieces of. */
export interface PrecompiledTemplates {
  /**
   * An ES module exporting `templatesFrom(text)`: given {@link text}, a Map from template path to
   * function, built on `handlebars/runtime`.
   */
  readonly module: string;
  /**
   * The literal text of every template, once (see {@link textTableCompiler}). A bundle ships it as
   * a file: reading and decoding it costs Node less than half of parsing it as a string literal.
   */
  readonly text: string;
}

export function precompileTemplates(templates: TemplateSet): PrecompiledTemplates {
  const handlebars = Handlebars.create();
  const pieces = { text: '' };
  (handlebars as unknown as WithCompilerClass).JavaScriptCompiler = textTableCompiler(handlebars, pieces);
  const entries = [...templates].map(([name, source]) => {
    const spec = handlebars.precompile(source, HANDLEBARS_OPTIONS);
    return `    [${JSON.stringify(name)}, runtime.template(${String(spec)})],`;
  });
  const module = [
    '// Generated from templates/ by precompileTemplates: do not edit.',
    "import Handlebars from 'handlebars/runtime.js';",
    'const runtime = Handlebars.create();',
    '/** The templates, each taking its literal text from `all` by offset. */',
    'export function templatesFrom(all) {',
    `  const ${TEXT_PIECE} = (start, end) => all.slice(start, end);`,
    '  return new Map([',
    ...entries,
    '  ]);',
    '}',
    '',
  ].join('\n');
  return { module, text: pieces.text };
}
