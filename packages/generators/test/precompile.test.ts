/**
 * The precompiler against Handlebars itself, construct by construct: each case is rendered by
 * Handlebars (with the options the generator uses) and by the precompiled module, and both must
 * give the same text, or both fail. plan.test.ts does the same for every real kernel.
 */
import Handlebars from 'handlebars';
import { describe, expect, it } from 'vitest';
import { HANDLEBARS_OPTIONS, precompileTemplates, templatesFile, templatesFromFile, type CompiledTemplates } from '../src/index.js';

/** Precompiles `sources` into a templates file and reads it back, as the CLI does. */
function precompiled(sources: ReadonlyMap<string, string>): CompiledTemplates {
  return templatesFromFile(templatesFile(precompileTemplates(sources)));
}

type Outcome = { text: string } | { error: RegExp | string };

function outcome(render: () => string): { text: string } | { error: string } {
  try {
    return { text: render() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Renders `template` (with `partials`) both ways; they must agree, and on `expected`. */
function both(template: string, view: unknown, expected: Outcome, partials: Record<string, string> = {}) {
  const handlebars = Handlebars.create();
  const reference = handlebars.compile(template, HANDLEBARS_OPTIONS);
  const referencePartials = Object.fromEntries(Object.entries(partials).map(([name, source]) => [name, handlebars.compile(source, HANDLEBARS_OPTIONS)]));
  const ours = precompiled(new Map([['t.hbs', template], ...Object.entries(partials).map(([name, source]) => [`${name}.hbs`, source] as const)]));
  const ourPartials = Object.fromEntries(Object.keys(partials).map((name) => [name, ours.get(`${name}.hbs`)!]));
  const theirs = outcome(() => reference(view, { partials: referencePartials }));
  const mine = outcome(() => ours.get('t.hbs')!(view, { partials: ourPartials }));
  if ('text' in expected) {
    expect(theirs).toEqual(expected);
    expect(mine).toEqual(expected);
  } else {
    expect(theirs).toHaveProperty('error', expect.stringMatching(expected.error));
    expect(mine).toHaveProperty('error', expect.stringMatching(expected.error));
  }
}

describe('precompiled templates render as Handlebars does', () => {
  it('prints fields, nested fields and values of every kind', () => {
    both('{{a}}|{{b.c}}|{{n}}|{{z}}|{{f}}|{{t}}|{{nil}}|{{u}}|{{list}}', { a: 'x', b: { c: 'y' }, n: 7, z: 0, f: false, t: true, nil: null, u: undefined, list: [1, 2] }, { text: 'x|y|7|0|false|true|||1,2' });
  });

  it('refuses a missing field, or one below a missing or empty one (strict mode)', () => {
    both('{{missing}}', {}, { error: /"missing" not defined in \[object Object\]/ });
    both('{{a.b}}', {}, { error: /"b" not defined in undefined/ });
    both('{{a.b.c}}', {}, { error: /Cannot read properties of undefined \(reading 'b'\)/ });
    both('{{a.b}}', { a: '' }, { error: /"b" not defined in/ });
  });

  it('does not read inherited properties', () => {
    both('[{{toString}}]', {}, { text: '[]' });
  });

  it('calls a function field with the context', () => {
    both('{{f}}', { name: 'os', f(this: { name: string }) { return this.name; } }, { text: 'os' });
  });

  it('takes #if and #unless branches as Handlebars judges truth', () => {
    const template = '{{#if v}}T{{else}}F{{/if}}{{#unless v}}u{{/unless}}';
    for (const [value, text] of [
      [true, 'T'], [1, 'T'], ['s', 'T'], [{}, 'T'], [[0], 'T'],
      [false, 'Fu'], [0, 'Fu'], ['', 'Fu'], [null, 'Fu'], [[], 'Fu'],
    ] as const) {
      both(template, { v: value }, { text });
    }
    both(template, {}, { text: 'Fu' });
    both('{{#if a.b}}T{{else}}F{{/if}}', { a: {} }, { text: 'F' });
    both('{{#if a.b}}T{{/if}}', {}, { error: /Cannot read properties of undefined/ });
  });

  it('chains else if, and #unless with an else', () => {
    const template = '{{#if a}}A{{else if b}}B{{else}}C{{/if}}/{{#unless a}}not a{{else}}a{{/unless}}';
    both(template, { a: true, b: false }, { text: 'A/a' });
    both(template, { a: false, b: true }, { text: 'B/not a' });
    both(template, { a: false, b: false }, { text: 'C/not a' });
  });

  it('goes over arrays, iterables and objects in #each with its data and else', () => {
    const template = '{{#each xs}}{{@index}}:{{this}}{{#if @first}}(first){{/if}}{{#if @last}}(last){{/if}} {{else}}none{{/each}}';
    both(template, { xs: ['a', 'b', 'c'] }, { text: '0:a(first) 1:b 2:c(last) ' });
    both(template, { xs: new Set(['a', 'b']) }, { text: '0:a(first) 1:b(last) ' });
    both(template, { xs: [] }, { text: 'none' });
    both(template, {}, { text: 'none' });
    both('{{#each o}}{{@key}}={{this}};{{/each}}', { o: { x: 1, y: 2 } }, { text: 'x=1;y=2;' });
    // eslint-disable-next-line no-sparse-arrays
    both('{{#each xs}}{{@index}}{{/each}}', { xs: [1, , 3] }, { text: '02' });
  });

  it('reads fields of the item, of enclosing contexts (../) and of the root (@root)', () => {
    const template = '{{#each outer}}{{#each inner}}{{name}}<{{../label}}<{{../../top}}<{{@root.top}}@{{@../index}}.{{@index}} {{/each}}{{/each}}';
    const view = { top: 'T', outer: [{ label: 'L0', inner: [{ name: 'a' }, { name: 'b' }] }, { label: 'L1', inner: [{ name: 'c' }] }] };
    both(template, view, { text: 'a<L0<T<T@0.0 b<L0<T<T@0.1 c<L1<T<T@1.0 ' });
    both('{{#each xs}}{{missing}}{{/each}}', { xs: [{}] }, { error: /"missing" not defined/ });
  });

  it('strips standalone block and comment lines', () => {
    const template = 'a\n{{#if x}}\n  in\n{{/if}}\n{{! a comment }}\nb\n  {{#each xs}}\n  - {{this}}\n  {{/each}}\nc {{~ x ~}} d\n';
    both(template, { x: true, xs: [1, 2] }, { text: 'a\n  in\nb\n  - 1\n  - 2\nctrued\n' });
  });

  it('keeps escaped mustaches as text', () => {
    both('key: $\\{{ runner.os }}-{{name}}', { name: 'os' }, { text: 'key: ${{ runner.os }}-os' });
  });

  it('renders partials in the caller\u2019s context and data, indenting a standalone one', () => {
    const partials = { item: '- {{this}} ({{@index}})\n', lines: 'one\ntwo\n\nthree\n', inline: '{{name}}' };
    both('{{#each xs}}{{> item}}{{/each}}', { xs: ['a', 'b'] }, { text: '- a (0)\n- b (1)\n' }, partials);
    both('list:\n    {{> lines}}\nend {{> inline}}!\n', { name: 'os' }, { text: 'list:\n    one\n    two\n    \n    three\nend os!\n' }, partials);
    both('{{> absent}}', {}, { error: /The partial absent could not be found/ }, partials);
  });
});

describe('what the precompiler refuses, naming the template and line', () => {
  it('a template Handlebars cannot parse (a Rust `{{` left unescaped)', () => {
    expect(() => precompileTemplates(new Map([['modules/x/src/x.rs.hbs', 'macro_rules! m {\n    () => {{ let a = 1; a }};\n}\n']]))).toThrow(
      /^template modules\/x\/src\/x\.rs\.hbs: Parse error on line 2:/,
    );
  });

  it.each([
    ['{{#with a}}x{{/with}}', /t\.hbs, line 1: the block \{\{#with \.\.\.\}\} is not supported/],
    ['\n{{lookup a b}}', /t\.hbs, line 2: the helper call \{\{lookup \.\.\.\}\} is not supported/],
    ['{{#each xs as |x|}}{{x}}{{/each}}', /a block parameter/],
    ['{{> item name}}', /a partial with arguments/],
    ['{{#if (eq a b)}}x{{/if}}', /a SubExpression argument/],
    ['{{#if}}x{{/if}}', /the block \{\{#if\}\}/],
    ['{{#*inline "p"}}x{{/inline}}', /DecoratorBlock|not supported/],
    ['{{../x}}', /more \.\.\/ than enclosing blocks/],
  ])('%s', (template, message) => {
    expect(() => precompileTemplates(new Map([['t.hbs', template]]))).toThrow(message);
  });
});

describe('the templates file', () => {
  it('holds each distinct piece of text once, in Latin-1 when every character fits', () => {
    const data = precompileTemplates(new Map([['a.hbs', 'same{{x}}§'], ['b.hbs', 'same{{y}}§']]));
    expect(data.text).toBe('same§');
    const file = templatesFile(data);
    // One byte for the section sign: Latin-1, which Node reads without decoding UTF-8.
    expect(file.length).toBe(file.indexOf(0x0a) + 1 + 'same§'.length);
    expect(precompiled(new Map([['a.hbs', 'same{{x}}§']])).get('a.hbs')!({ x: '→' })).toBe('same→§');
  });

  it('falls back to UTF-8 for text beyond Latin-1, and keeps any name readable', () => {
    const sources = new Map([['été/→.hbs', 'x → y\n']]);
    const file = templatesFile(precompileTemplates(sources));
    expect(file.subarray(0, file.indexOf(0x0a)).every((byte) => byte < 0x80)).toBe(true);
    expect(precompiled(sources).get('été/→.hbs')!({})).toBe('x → y\n');
  });
});
