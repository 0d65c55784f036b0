import { BOOT_PROTOCOLS, SHARED_SYSROOT, type BootProtocolName, type KernelConfig } from '@baremetal-kernel/target';
import { GeneratorError } from './errors.js';
import { GENERATOR_NAME } from './kernel-contract.js';
import { renderCompiled, type CompiledTemplates, type TemplateFunction } from './render.js';
import { TEMPLATE_SUFFIX, outputPath } from './templates.js';
import { moduleChanges } from './module-files.js';
import { kernelView, type KernelView } from './view.js';

/** A file the generator will write: contents and permission bits. */
export interface PlannedFile {
  readonly path: string;
  readonly contents: string;
  readonly mode: number;
}

/** Everything a generation writes, as data: nothing is on disk yet. */
export interface KernelPlan {
  readonly files: readonly PlannedFile[];
}

const REGULAR = 0o644;
const EXECUTABLE = 0o755;

/** Output files that run as programs. */
const EXECUTABLES = new Set(['runner', SHARED_SYSROOT.wrapperPath, SHARED_SYSROOT.rustdocPath]);

/** Output files that only some configurations get; every other template is always written. */
const FILE_CONDITIONS: Readonly<Record<string, (view: KernelView) => boolean>> = {
  'rust-toolchain.toml': (view) => view.rustToolchain !== undefined,
  [SHARED_SYSROOT.wrapperPath]: (view) => view.sysroot !== undefined,
  [SHARED_SYSROOT.rustdocPath]: (view) => view.sysroot !== undefined,
};

/**
 * A layer's folder of fragments (`boot/<protocol>/fragments/NAME.hbs`): not files of the project,
 * but the text each protocol puts into the common templates, which name it as a Handlebars
 * partial, `{{> NAME}}`, and so hold no protocol conditionals. On a line of its own the partial's
 * text replaces the line (an empty fragment leaves nothing); inside a line it is inserted as it is,
 * so such a fragment file has no newline at its end.
 */
export const FRAGMENTS_FOLDER = 'fragments/';

/** The template layers a configuration is made of, later layers overriding earlier ones. */
export function layersFor(config: KernelConfig): string[] {
  return ['kernel/', `boot/${config.boot.name}/`];
}

/** The boot protocols these templates can generate a kernel for. */
export function availableBootProtocols(templates: CompiledTemplates): BootProtocolName[] {
  const paths = [...templates.keys()];
  return BOOT_PROTOCOLS.map((protocol) => protocol.name).filter((name) => paths.some((path) => path.startsWith(`boot/${name}/`)));
}

/**
 * How a path sorts in a listing: case aside (`build.rs`, `Cargo.toml`, `README.md`), and `_` before
 * the other punctuation (`boot_info.rs` before `boot/`), as Unicode's default collation orders
 * them (UTS #10, DUCET); `-`, `.` and `/` are in that order already, before digits and letters.
 */
function listingKey(path: string): string {
  return path.toLowerCase().replaceAll('_', '\u0001');
}

/**
 * Orders paths as `localeCompare` orders ASCII paths, without starting ICU's collator, which costs
 * a `create` more than everything else it sorts.
 */
export function comparePaths(a: string, b: string): number {
  const keyA = listingKey(a);
  const keyB = listingKey(b);
  if (keyA !== keyB) return keyA < keyB ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Turns a configuration into the files of a kernel project. Pure: compiled templates come in. */
export function planKernel(config: KernelConfig, templates: CompiledTemplates): KernelPlan {
  const layers = layersFor(config);
  const bootLayer = layers[layers.length - 1]!;
  if (![...templates.keys()].some((path) => path.startsWith(bootLayer))) {
    throw new GeneratorError(
      'E_UNSUPPORTED',
      `the ${config.boot.name} boot protocol has no kernel templates in this version of ${GENERATOR_NAME}`,
    );
  }
  const view = kernelView(config);
  const sources = new Map<string, { template: string; render: TemplateFunction }>();
  const partials: Record<string, TemplateFunction> = {};
  for (const layer of layers) {
    for (const [template, render] of templates) {
      if (!template.startsWith(layer) || !template.endsWith(TEMPLATE_SUFFIX)) continue;
      const path = outputPath(template, layer);
      if (path.startsWith(FRAGMENTS_FOLDER)) partials[path.slice(FRAGMENTS_FOLDER.length)] = render;
      else sources.set(path, { template, render });
    }
  }
  const files: PlannedFile[] = [];
  for (const [path, { template, render }] of [...sources].sort(([a], [b]) => comparePaths(a, b))) {
    if (FILE_CONDITIONS[path]?.(view) === false) continue;
    files.push({ path, contents: renderCompiled(template, render, view, partials), mode: EXECUTABLES.has(path) ? EXECUTABLE : REGULAR });
  }
  if (config.modules.length === 0) return { files };
  return { files: withModules(files, config, templates, view) };
}

/** The kernel's files with its modules added, exactly as `add` would add them afterwards. */
function withModules(files: readonly PlannedFile[], config: KernelConfig, templates: CompiledTemplates, view: KernelView): PlannedFile[] {
  const byPath = new Map(files.map((file) => [file.path, file]));
  const changes = moduleChanges(config.modules, config.boot.name, (path) => byPath.get(path)?.contents, templates, view);
  for (const { path, after } of changes.values()) {
    byPath.set(path, { path, contents: after, mode: byPath.get(path)?.mode ?? REGULAR });
  }
  return [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
}
