/**
 * Rendering templates that {@link precompileTemplates} turned into data: Handlebars' semantics for
 * the few constructs the kernel templates use (fields in strict mode, `#if`, `#unless`, `#each`,
 * partials), so that a bundle loads neither Handlebars nor any generated code. A template is a
 * small tree of nodes read from JSON; its literal text is slices of one string. Each function says
 * which Handlebars behaviour it reproduces; the results are checked against Handlebars' own output
 * on every configuration (test/plan.test.ts) and on each construct (test/precompile.test.ts).
 */
import type { CompiledTemplates, TemplateFunction } from './render.js';

/**
 * One piece of a template:
 * - `text`: the literal text from `start` to `end` in the text of all templates;
 * - `field`: `{{a.b}}`, read `depth` contexts up (`../`), or from the data (`@index`) when `data`;
 * - `this`: `{{this}}` (or `{{../this}}`);
 * - `if`, `unless`, `each`: the block helper on a path, with its body and its `{{else}}` part;
 * - `partial`: `{{> name}}`, with the indentation of a partial on a line of its own.
 */
export type TemplateNode =
  | readonly ['text', start: number, end: number]
  | readonly ['field', depth: number, data: boolean, path: readonly string[]]
  | readonly ['this', depth: number]
  | readonly ['if' | 'unless' | 'each', depth: number, data: boolean, path: readonly string[], body: TemplateProgram, otherwise: TemplateProgram]
  | readonly ['partial', name: string, indent: string];
export type TemplateProgram = readonly TemplateNode[];

/** Templates as data: each template's nodes, and the text their `text` nodes take slices of. */
export interface TemplateData {
  readonly templates: Readonly<Record<string, TemplateProgram>>;
  readonly text: string;
}

/** Handlebars' per-render data (`@root`) and, inside `#each`, per-item data (`@index`...). */
export interface RenderData {
  readonly root: unknown;
  readonly [name: string]: unknown;
}

/** What a template is called with: partials by name, and its caller's data when it is a partial. */
interface TemplateCallOptions {
  readonly partials?: Readonly<Record<string, TemplateFunction>>;
  readonly data?: RenderData;
}

/** A context and its data, one per enclosing `#each` (and the template's own). */
interface Frame {
  readonly context: unknown;
  readonly data: RenderData;
}

type Lookup = Record<string, unknown>;

/**
 * A property as Handlebars' `lookupProperty` reads it: own properties, and nothing inherited from a
 * prototype (which Handlebars denies by default). A missing parent throws, as there.
 */
function ownProperty(parent: unknown, name: string): unknown {
  const result = (parent as Lookup)[name];
  return result == null || Object.prototype.hasOwnProperty.call(parent, name) ? result : undefined;
}

/** A block helper's argument (`#if a.b`): not strict, a missing last field is undefined. */
function param(base: unknown, path: readonly string[]): unknown {
  let value = base;
  for (const name of path) value = ownProperty(value, name);
  return value;
}

/** A value as a mustache prints it: a function is called with the context; null and undefined print nothing. */
function print(value: unknown, context: unknown): string {
  const resolved = typeof value === 'function' ? (value as (this: unknown) => unknown).call(context) : value;
  return resolved == null ? '' : `${resolved as string}`;
}

/**
 * `{{a.b}}` in strict mode, as Handlebars checks it: the last field must exist (`"b" not defined in
 * ...`, Handlebars' words), the ones before it are read as a block argument's are.
 */
function field(base: unknown, path: readonly string[], context: unknown): string {
  const last = path[path.length - 1]!;
  const parent = param(base, path.slice(0, -1));
  if (!parent || !(last in (parent as object))) throw new Error(`"${last}" not defined in ${String(parent)}`);
  return print(ownProperty(parent, last), context);
}

/** Handlebars' `#if`: a function is called first; false, 0, '', null, undefined and [] are false. */
function truthy(value: unknown, context: unknown): boolean {
  const resolved = typeof value === 'function' ? (value as (this: unknown) => unknown).call(context) : value;
  return !(!resolved || (Array.isArray(resolved) && resolved.length === 0));
}

/**
 * Handlebars' `#each`: over an array's items (holes skipped), any other iterable's values, or an
 * object's own enumerable keys, each with `@index`, `@key`, `@first` and `@last`; the `{{else}}`
 * part when there was nothing to go over.
 */
function each(items: unknown, frame: Frame, body: (item: unknown, data: RenderData) => string, otherwise: () => string): string {
  const resolved = typeof items === 'function' ? (items as (this: unknown) => unknown).call(frame.context) : items;
  let out = '';
  let count = 0;
  const visit = (key: unknown, index: number, last: boolean, item: unknown) => {
    out += body(item, { ...frame.data, _parent: frame.data, key, index, first: index === 0, last });
  };
  if (resolved && typeof resolved === 'object') {
    if (Array.isArray(resolved)) {
      for (; count < resolved.length; count++) if (count in resolved) visit(count, count, count === resolved.length - 1, resolved[count]);
    } else if (Symbol.iterator in resolved) {
      const values = [...(resolved as Iterable<unknown>)];
      for (; count < values.length; count++) visit(count, count, count === values.length - 1, values[count]);
    } else {
      const keys = Object.keys(resolved);
      for (; count < keys.length; count++) visit(keys[count], count, count === keys.length - 1, (resolved as Lookup)[keys[count]!]);
    }
  }
  return count === 0 ? otherwise() : out;
}

/**
 * `{{> name}}`: the partial rendered with the same context and data. A partial on a line of its own
 * (`indent` is what preceded it) has that indentation put before each of its lines, as Handlebars
 * does.
 */
function partial(options: TemplateCallOptions | undefined, name: string, frame: Frame, indent: string): string {
  const render = options?.partials?.[name];
  if (render === undefined) throw new Error(`The partial ${name} could not be found`);
  const out = render(frame.context, { ...options, data: frame.data });
  if (!indent) return out;
  const lines = out.split('\n');
  for (let index = 0; index < lines.length; index++) {
    if (!lines[index] && index + 1 === lines.length) break;
    lines[index] = indent + lines[index];
  }
  return lines.join('\n');
}

function render(program: TemplateProgram, frames: readonly Frame[], text: string, options: TemplateCallOptions | undefined): string {
  const frame = frames[frames.length - 1]!;
  const base = (depth: number, data: boolean) => {
    const scope = frames[frames.length - 1 - depth]!;
    return data ? scope.data : scope.context;
  };
  let out = '';
  for (const node of program) {
    switch (node[0]) {
      case 'text':
        out += text.slice(node[1], node[2]);
        break;
      case 'field':
        out += field(base(node[1], node[2]), node[3], frame.context);
        break;
      case 'this':
        out += print(base(node[1], false), frame.context);
        break;
      case 'if':
      case 'unless': {
        const holds = truthy(param(base(node[1], node[2]), node[3]), frame.context);
        out += render(holds === (node[0] === 'if') ? node[4] : node[5], frames, text, options);
        break;
      }
      case 'each': {
        const [, depth, data, path, body, otherwise] = node;
        out += each(
          param(base(depth, data), path),
          frame,
          (item, itemData) => render(body, [...frames, { context: item, data: itemData }], text, options),
          () => render(otherwise, frames, text, options),
        );
        break;
      }
      case 'partial':
        out += partial(options, node[1], frame, node[2]);
        break;
    }
  }
  return out;
}

/** The templates of `data` as functions: the view (and partials) in, the file's text out. */
export function templatesFrom(data: TemplateData): CompiledTemplates {
  const templates = new Map<string, TemplateFunction>();
  for (const [name, program] of Object.entries(data.templates)) {
    templates.set(name, (view, options) => {
      const call = options as TemplateCallOptions | undefined;
      // Handlebars' data for a render: a partial's caller's, or a fresh one whose @root is the view.
      return render(program, [{ context: view, data: call?.data ?? { root: view } }], data.text, call);
    });
  }
  return templates;
}

/** The encodings a templates file may hold its text in (see {@link templatesFile}). */
export type TemplateTextEncoding = 'latin1' | 'utf8';

/** The first line of a templates file: how its text is encoded, and the templates. */
interface TemplatesFileHeader {
  readonly encoding: TemplateTextEncoding;
  readonly templates: TemplateData['templates'];
}

const NEWLINE = 0x0a;

/**
 * A templates file: one line of JSON (the templates, and the text's encoding), then the text.
 * Latin-1 when every character fits in a byte: Node then makes the text a one-byte string without
 * decoding UTF-8 (Node reads a Latin-1 file several times faster than a UTF-8 one with a non-ASCII
 * character in it).
 */
export function templatesFile(data: TemplateData): Buffer {
  const encoding: TemplateTextEncoding = /^[\x00-\xff]*$/.test(data.text) ? 'latin1' : 'utf8';
  const header: TemplatesFileHeader = { encoding, templates: data.templates };
  // Escaped to ASCII, the header reads the same whatever the text's encoding.
  const json = JSON.stringify(header).replace(/[\u007f-\uffff]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return Buffer.concat([Buffer.from(`${json}\n`, 'latin1'), Buffer.from(data.text, encoding)]);
}

/** The templates of a file {@link templatesFile} wrote. */
export function templatesFromFile(file: Buffer): CompiledTemplates {
  const headerEnd = file.indexOf(NEWLINE);
  const header = JSON.parse(file.toString('latin1', 0, headerEnd)) as TemplatesFileHeader;
  return templatesFrom({ templates: header.templates, text: file.toString(header.encoding, headerEnd + 1) });
}
