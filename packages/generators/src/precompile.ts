/**
 * Compiling templates ahead of time into data, for the published CLI: each template becomes a small
 * tree of nodes (`template-runtime.ts` renders it) whose literal text is slices of one string.
 * Neither Handlebars nor generated code is loaded by a `create`: Handlebars parses the templates
 * here, at build time, and its own output is the reference the result is tested against.
 *
 * Only what the kernel templates use is compiled: fields and `this` (with `../` and `@data`),
 * `#if`, `#unless` and `#each` with `{{else}}`, comments, and partials without arguments. Anything
 * else is refused with the template's name and line, so a template cannot silently render
 * differently in the bundle than in the tests.
 */
import Handlebars from 'handlebars';
import type { TemplateData, TemplateNode, TemplateProgram } from './template-runtime.js';
import type { TemplateSet } from './templates.js';

/** The block helpers compiled; Handlebars' others (`with`, `lookup`, `log`) are not used. */
const BLOCK_HELPERS = new Set(['if', 'unless', 'each']);

/** The literal text of all templates, each distinct piece once. */
class TextTable {
  text = '';
  private readonly offsets = new Map<string, number>();

  node(piece: string): TemplateNode {
    let start = this.offsets.get(piece);
    if (start === undefined) {
      start = this.text.length;
      this.text += piece;
      this.offsets.set(piece, start);
    }
    return ['text', start, start + piece.length];
  }
}

class TemplateCompiler {
  constructor(
    private readonly name: string,
    private readonly table: TextTable,
  ) {}

  private refuse(node: hbs.AST.Node, what: string): never {
    throw new Error(`template ${this.name}, line ${node.loc.start.line}: ${what} is not supported by the precompiler`);
  }

  /**
   * The nodes of `program`; `depth` counts the enclosing `#each` blocks, the contexts a `../` can
   * go up to.
   */
  program(program: hbs.AST.Program | undefined, depth: number): TemplateProgram {
    return (program?.body ?? []).flatMap((statement) => this.statement(statement, depth));
  }

  private statement(statement: hbs.AST.Statement, depth: number): TemplateNode[] {
    switch (statement.type) {
      case 'ContentStatement': {
        const { value } = statement as hbs.AST.ContentStatement;
        return value === '' ? [] : [this.table.node(value)];
      }
      case 'CommentStatement':
        return [];
      case 'MustacheStatement':
        return [this.mustache(statement as hbs.AST.MustacheStatement, depth)];
      case 'BlockStatement':
        return [this.block(statement as hbs.AST.BlockStatement, depth)];
      case 'PartialStatement':
        return [this.partial(statement as hbs.AST.PartialStatement)];
      default:
        return this.refuse(statement, `a ${statement.type}`);
    }
  }

  private path(node: hbs.AST.Expression, depth: number): hbs.AST.PathExpression {
    if (node.type !== 'PathExpression') this.refuse(node, `a ${node.type} argument`);
    const path = node as hbs.AST.PathExpression;
    if (path.depth > depth) this.refuse(path, `'${path.original}' (more ../ than enclosing blocks)`);
    return path;
  }

  private mustache(mustache: hbs.AST.MustacheStatement, depth: number): TemplateNode {
    const path = this.path(mustache.path, depth);
    if (mustache.params.length > 0 || mustache.hash !== undefined) this.refuse(mustache, `the helper call {{${path.original} ...}}`);
    // `{{this}}` prints the context; any other path is looked up strictly.
    return path.parts.length === 0 ? ['this', path.depth] : ['field', path.depth, path.data, path.parts];
  }

  private block(block: hbs.AST.BlockStatement, depth: number): TemplateNode {
    const helper = block.path.original;
    if (!BLOCK_HELPERS.has(helper) || block.params.length !== 1 || block.hash !== undefined) {
      this.refuse(block, `the block {{#${helper}${block.params.length === 1 ? ' ...' : ''}}}`);
    }
    if ((block.program as hbs.AST.Program & { blockParams?: string[] }).blockParams) this.refuse(block, 'a block parameter (as |x|)');
    const argument = this.path(block.params[0]!, depth);
    const bodyDepth = helper === 'each' ? depth + 1 : depth;
    return [
      helper as 'if' | 'unless' | 'each',
      argument.depth,
      argument.data,
      argument.parts,
      this.program(block.program, bodyDepth),
      this.program(block.inverse, depth),
    ];
  }

  private partial(partial: hbs.AST.PartialStatement): TemplateNode {
    if (partial.name.type !== 'PathExpression' || partial.params.length > 0 || partial.hash !== undefined) {
      this.refuse(partial, 'a partial with arguments or a computed name');
    }
    return ['partial', (partial.name as hbs.AST.PathExpression).original, partial.indent ?? ''];
  }
}

/** Every template as data (see `template-runtime.ts`), their text in one string. */
export function precompileTemplates(templates: TemplateSet): TemplateData {
  const table = new TextTable();
  const compiled: Record<string, TemplateProgram> = {};
  for (const [name, source] of templates) {
    // Handlebars' parser, with the whitespace control (standalone lines) its compiler applies;
    // none of the options the generator compiles with changes parsing.
    let ast: hbs.AST.Program;
    try {
      ast = Handlebars.parse(source);
    } catch (error) {
      throw new Error(`template ${name}: ${(error as Error).message}`, { cause: error });
    }
    compiled[name] = new TemplateCompiler(name, table).program(ast, 0);
  }
  return { templates: compiled, text: table.text };
}
