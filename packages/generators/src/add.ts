/**
 * `add`: modules grown into a kernel that exists, planned as data (the files it writes, before and
 * after) from what the kernel's files say. Pure: the kernel is read through a function.
 */
import {
  MODULES,
  builtInNote,
  findModule,
  moduleBootProblem,
  moduleConflicts,
  modulePresetProblem,
  unknownChoice,
  validateKernelRequest,
  withRequirements,
  type ModuleRule,
} from '@baremetal-kernel/target';
import { GeneratorError } from './errors.js';
import { GENERATOR_NAME } from './kernel-contract.js';
import { ANCHORS, anchorTag, type AnchorName } from './anchors.js';
import { readKernelMetadata, withModulesRecorded, type KernelMetadata } from './kernel-metadata.js';
import { availableModules, moduleChanges, type FileChange, type ReadKernelFile } from './module-files.js';
import { comparePaths } from './plan.js';
import type { CompiledTemplates } from './render.js';
import { kernelView } from './view.js';

export const CARGO_MANIFEST = 'Cargo.toml';

export interface AddPlan {
  readonly kernel: KernelMetadata;
  /** The modules added, in the order they were (each after the modules it requires). */
  readonly added: readonly ModuleRule[];
  /** Of those, the ones not asked for: added because another one requires them. */
  readonly required: readonly string[];
  /** Modules asked for that the kernel has already. */
  readonly present: readonly string[];
  /** What was asked for that every kernel has built in, each with where it is. */
  readonly builtIn: readonly string[];
  /** Every file that changes, by path; empty when there is nothing to add. */
  readonly changes: readonly FileChange[];
}

/** The catalogue `add` offers: the model's modules that have templates here. */
function offered(templates: CompiledTemplates, catalogue: readonly ModuleRule[]): ModuleRule[] {
  const available = new Set(availableModules(templates));
  return catalogue.filter((module) => available.has(module.name));
}

/**
 * Plans adding the modules `asked` for to the kernel `read` sees. Throws, before anything is
 * written, when it is not a kernel of ours, a module is unknown, conflicts with one there or asked
 * for, does not support the kernel's boot protocol or preset, or would overwrite a user's file or
 * miss an anchor.
 */
export function planAddModules(
  asked: readonly string[],
  read: ReadKernelFile,
  templates: CompiledTemplates,
  catalogue: readonly ModuleRule[] = MODULES,
): AddPlan {
  const manifest = read(CARGO_MANIFEST);
  if (manifest === undefined) throw new GeneratorError('E_NOT_A_KERNEL', `no ${CARGO_MANIFEST}: this is not a kernel`);
  const kernel = readKernelMetadata(manifest, CARGO_MANIFEST);
  // The kernel's own choices, checked as create checks them (its modules are checked below).
  const validation = validateKernelRequest({
    name: kernel.name,
    boot: kernel.boot,
    preset: kernel.preset,
    toolchain: kernel.toolchain,
    codeModel: kernel.codeModel,
    relocationModel: kernel.relocationModel,
  });
  if (!validation.ok) {
    throw new GeneratorError('E_NOT_A_KERNEL', `${CARGO_MANIFEST}: ${validation.problems.map((problem) => problem.message).join('; ')}`);
  }
  const { config } = validation;
  const modules = offered(templates, catalogue);
  const known = modules.map((module) => module.name);
  // What every kernel has already (framebuffer) is answered with where it is, not refused.
  const builtIn = asked.flatMap((name) => builtInNote(name) ?? []);
  const requested = asked.filter((name) => builtInNote(name) === undefined);
  for (const name of requested) {
    if (!findModule(name, modules)) {
      const message = known.length === 0 ? `unknown module '${name}' (no modules are available yet)` : unknownChoice('module', name, known);
      throw new GeneratorError('E_UNKNOWN_MODULE', message);
    }
  }
  const present = kernel.modules.map((name) => {
    const module = findModule(name, modules);
    if (!module) {
      throw new GeneratorError('E_NOT_A_KERNEL', `${CARGO_MANIFEST} lists module '${name}', which this version does not know; use the version that made the kernel`);
    }
    return module;
  });
  const isPresent = (name: string) => kernel.modules.includes(name);
  const added = withRequirements(requested, modules).filter((module) => !isPresent(module.name));
  for (const [index, module] of added.entries()) {
    const bootProblem = moduleBootProblem(module, config.boot.name);
    if (bootProblem) throw new GeneratorError('E_MODULE_REFUSED', `${bootProblem}; nothing was changed`);
    const presetProblem = modulePresetProblem(module, config.preset.name);
    if (presetProblem) throw new GeneratorError('E_MODULE_REFUSED', `${presetProblem}; nothing was changed`);
    for (const conflict of moduleConflicts(module, [...present, ...added.slice(0, index)])) {
      const where = isPresent(conflict.module) ? 'the kernel has' : 'also asked for';
      throw new GeneratorError(
        'E_MODULE_REFUSED',
        `module '${module.name}' conflicts with '${conflict.module}' (${where}): ${conflict.reason}; nothing was changed`,
      );
    }
  }
  const required = added.map((module) => module.name).filter((name) => !requested.includes(name));
  const presentAsked = [...new Set(requested.filter(isPresent))];
  if (added.length === 0) return { kernel, added, required, present: presentAsked, builtIn, changes: [] };

  assertHasAnchors(read);
  const changes = moduleChanges(added, config.boot.name, read, templates, kernelView(config));
  const manifestNow = changes.get(CARGO_MANIFEST)?.after ?? manifest;
  const recorded = withModulesRecorded(manifestNow, [...kernel.modules, ...added.map((module) => module.name)], CARGO_MANIFEST);
  changes.set(CARGO_MANIFEST, { path: CARGO_MANIFEST, before: manifest, after: recorded });
  return {
    kernel,
    added,
    required,
    present: presentAsked,
    builtIn,
    changes: [...changes.values()].filter((change) => change.after !== change.before).sort((a, b) => comparePaths(a.path, b.path)),
  };
}

/**
 * A kernel made before `add` existed has none of the anchor lines: one message for that, rather
 * than one per missing line as for a kernel whose user removed one.
 */
function assertHasAnchors(read: ReadKernelFile): void {
  const names = Object.keys(ANCHORS) as AnchorName[];
  const found = names.some((name) => read(ANCHORS[name].file)?.includes(anchorTag(name)));
  if (!found) {
    throw new GeneratorError(
      'E_NOT_A_KERNEL',
      `this kernel has none of the anchor lines \`add\` puts modules at (\`// [baremetal-kernel anchor: ...]\`): it was made by a version of ${GENERATOR_NAME} from before \`add\`; create a new kernel and move your code into it`,
    );
  }
}
