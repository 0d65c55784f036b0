/**
 * What adding modules does to a kernel's files, as data: each module's new files, and its lines
 * inserted at the anchors of the files that are there. Shared by `create --modules` (on the files
 * just planned) and `add` (on the files of a kernel on disk), so both make the same tree.
 */
import type { BootProtocolName, ModuleRule } from '@baremetal-kernel/target';
import { ANCHORS, insertAtAnchor, isAnchorName } from './anchors.js';
import { GeneratorError } from './errors.js';
import { renderCompiled, type CompiledTemplates } from './render.js';
import { TEMPLATE_SUFFIX, outputPath } from './templates.js';

/** A file of the kernel: its contents before (undefined for a new file) and after. */
export interface FileChange {
  readonly path: string;
  readonly before: string | undefined;
  readonly after: string;
}

/** Reads a kernel file by its path relative to the kernel (`src/main.rs`); undefined when absent. */
export type ReadKernelFile = (path: string) => string | undefined;

/** Where a module's templates live among the templates: `modules/<name>/`. */
export function moduleFolder(name: string): string {
  return `modules/${name}/`;
}

/** Inside a module's folder: text for the anchors, named by the file (`anchors/main-init.hbs`). */
const ANCHORS_FOLDER = 'anchors/';

/**
 * Inside a module's folder: what differs between boot protocols, as files of its own per protocol
 * (`boot/limine/src/smp/start.rs.hbs`, `boot/multiboot2/anchors/main-init.hbs`), used only for a
 * kernel of that protocol and laid out as if directly in the module's folder.
 */
const PROTOCOL_FOLDER = /^boot\/([^/]+)\//;

/**
 * A module's templates for a kernel of `boot`, each with the folder its path is relative to: the
 * module's own, or its `boot/<protocol>/` folder.
 */
function moduleTemplates(module: ModuleRule, boot: BootProtocolName, templates: CompiledTemplates) {
  const folder = moduleFolder(module.name);
  const own: { template: string; base: string }[] = [];
  for (const template of templates.keys()) {
    if (!template.startsWith(folder) || !template.endsWith(TEMPLATE_SUFFIX)) continue;
    const protocol = PROTOCOL_FOLDER.exec(template.slice(folder.length));
    if (!protocol) own.push({ template, base: folder });
    else if (protocol[1] === boot) own.push({ template, base: folder + protocol[0] });
  }
  return own;
}

/** The modules these templates can add. */
export function availableModules(templates: CompiledTemplates): string[] {
  const names = new Set<string>();
  for (const path of templates.keys()) {
    const match = /^modules\/([^/]+)\//.exec(path);
    if (match) names.add(match[1]!);
  }
  return [...names].sort();
}

/**
 * The changes that add `modules` (in this order) to the kernel `read` sees, a kernel of the boot
 * protocol `boot`, rendered with `view`.
 * Throws before anything is written when a module would replace a file with other contents, or an
 * anchor is missing; says which file and what to do.
 */
export function moduleChanges(
  modules: readonly ModuleRule[],
  boot: BootProtocolName,
  read: ReadKernelFile,
  templates: CompiledTemplates,
  view: unknown,
): Map<string, FileChange> {
  const changes = new Map<string, FileChange>();
  const current = (path: string) => (changes.has(path) ? changes.get(path)!.after : read(path));
  const change = (path: string, after: string) => {
    const before = changes.has(path) ? changes.get(path)!.before : read(path);
    changes.set(path, { path, before, after });
  };
  for (const module of modules) {
    const own = moduleTemplates(module, boot, templates);
    if (own.length === 0) {
      throw new GeneratorError('E_UNSUPPORTED', `module '${module.name}' has no templates in this version`);
    }
    for (const { template, base } of own) {
      const relative = template.slice(base.length);
      const text = renderCompiled(template, templates.get(template)!, view);
      if (relative.startsWith(ANCHORS_FOLDER)) {
        const anchor = relative.slice(ANCHORS_FOLDER.length, -TEMPLATE_SUFFIX.length);
        if (!isAnchorName(anchor)) throw new GeneratorError('E_TEMPLATE', `template ${template}: there is no anchor '${anchor}'`);
        const { file } = ANCHORS[anchor];
        const contents = current(file);
        if (contents === undefined) {
          throw new GeneratorError('E_ANCHOR_MISSING', `${file} is missing: module '${module.name}' adds lines to it; restore it, then run this again`);
        }
        change(file, insertAtAnchor(contents, anchor, text));
        continue;
      }
      const path = outputPath(template, base);
      const existing = current(path);
      if (existing === text) continue;
      if (existing !== undefined) {
        throw new GeneratorError(
          'E_FILE_EXISTS',
          `${path} already exists with other contents, and module '${module.name}' would write it; rename or move yours, then run this again`,
        );
      }
      change(path, text);
    }
  }
  return changes;
}
