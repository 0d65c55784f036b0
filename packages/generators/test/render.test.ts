/** Compiled templates and rendering: errors name the template and keep Handlebars' own. */
import { describe, expect, it } from 'vitest';
import { GeneratorError, compileTemplates, renderCompiled } from '../src/index.js';

function thrownBy(action: () => unknown): GeneratorError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(GeneratorError);
    return error as GeneratorError;
  }
  throw new Error('expected an error');
}

describe('compileTemplates', () => {
  const compiled = compileTemplates(
    new Map([
      ['kernel/a.rs.hbs', 'let s = "{{text}}";\n'],
      ['kernel/broken.hbs', '{{#if}}\n'],
    ]),
  );

  it('compiles every template by its path, without HTML escaping and strict about fields', () => {
    expect([...compiled.keys()]).toEqual(['kernel/a.rs.hbs', 'kernel/broken.hbs']);
    expect(renderCompiled('kernel/a.rs.hbs', compiled.get('kernel/a.rs.hbs')!, { text: "<'&'>" })).toBe('let s = "<\'&\'>";\n');
    expect(thrownBy(() => renderCompiled('kernel/a.rs.hbs', compiled.get('kernel/a.rs.hbs')!, {})).message).toMatch(
      /^template kernel\/a\.rs\.hbs: "text" not defined/,
    );
  });

  it('reports a syntax error when the template is rendered, naming it, with the parse error as the cause', () => {
    const error = thrownBy(() => renderCompiled('kernel/broken.hbs', compiled.get('kernel/broken.hbs')!, {}));
    expect(error.code).toBe('E_TEMPLATE');
    expect(error.message).toMatch(/^template kernel\/broken\.hbs: Parse error on line \d+:/);
    expect((error.cause as Error).message).toBe(error.message.slice('template kernel/broken.hbs: '.length));
  });
});

describe('GeneratorError', () => {
  it('names itself in logs and stack traces, with its code kept apart', () => {
    const error = new GeneratorError('E_TEMPLATE', 'template x: broken');
    expect(String(error)).toBe('GeneratorError: template x: broken');
    expect(error.code).toBe('E_TEMPLATE');
  });
});
