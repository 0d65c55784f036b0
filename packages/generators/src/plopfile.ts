/**
 * The kernel generator as a plop generator, for `plop` users and anything that drives node-plop's
 * API. The work itself is `generateKernel`: plop only asks the questions and calls it.
 */
import { AUTO_TOOLCHAIN, MODULES, detectToolchains, type KernelRequest } from '@baremetal-kernel/target';
import type { NodePlopAPI } from 'node-plop';
import { planAddModules } from './add.js';
import { applyChangesPending, kernelFileReader } from './apply-changes.js';
import { compileTemplates } from './compile.js';
import { generateKernel, resolveConfig } from './generate.js';
import { nodeProbe } from './node-probe.js';
import { loadTemplates } from './templates.js';
import { KERNEL_OPTIONS, promptedOptions, type PromptedOption } from './options.js';

export const WRITE_KERNEL_ACTION = 'baremetal-kernel:write-kernel';
export const ADD_MODULES_ACTION = 'baremetal-kernel:add-modules';

interface ModuleAnswers {
  /** The kernel's directory (with its Cargo.toml). */
  readonly directory: string;
  readonly modules: readonly string[];
}

interface KernelAnswers extends KernelRequest {
  /** Where to write; defaults to the project name under plop's destination. */
  readonly directory?: string;
  readonly dryRun?: boolean;
  readonly force?: boolean;
}

/** An Inquirer question (node-plop's prompt format) for one option row. */
function plopPrompt(option: PromptedOption) {
  const choices = option.choices?.map((choice) => ({ name: `${choice.value}: ${choice.summary}`, value: choice.value }));
  if (option.type === 'list') return { type: 'checkbox', name: option.key, message: option.prompt, choices, default: option.default };
  if (choices && choices.length > 0) return { type: 'list', name: option.key, message: option.prompt, choices, default: option.default };
  const { validate } = option;
  return {
    type: 'input',
    name: option.key,
    message: option.prompt,
    default: option.default,
    ...(validate ? { validate: (value: string) => validate(value) ?? true } : {}),
  };
}

export default function baremetalKernelPlopfile(plop: NodePlopAPI): void {
  plop.setActionType(WRITE_KERNEL_ACTION, (answers) => {
    const request = answers as KernelAnswers;
    const needsDetection = (request.toolchain ?? AUTO_TOOLCHAIN) === AUTO_TOOLCHAIN || request.toolchain === 'system';
    const config = resolveConfig(request, needsDetection ? { detected: detectToolchains(nodeProbe()) } : {});
    const directory = request.directory ?? config.name;
    const result = generateKernel(config, { directory, templates: compileTemplates(loadTemplates()), dryRun: request.dryRun ?? false, force: request.force ?? false });
    return `${request.dryRun ? 'would write' : 'wrote'} ${result.files.length} files to ${directory}`;
  });

  // The same planning and writing as `baremetal-kernel add`: all or nothing.
  plop.setActionType(ADD_MODULES_ACTION, (answers) => {
    const { directory, modules } = answers as ModuleAnswers;
    const plan = planAddModules(modules, kernelFileReader(directory), compileTemplates(loadTemplates()));
    if (plan.changes.length === 0) return `nothing to do: ${plan.present.join(', ')} in ${directory} already`;
    applyChangesPending(plan.changes, directory).finish();
    return `added ${plan.added.map((module) => module.name).join(', ')} to ${directory} (${plan.changes.length} files)`;
  });

  plop.setGenerator('module', {
    description: 'add modules to a kernel made by the kernel generator',
    prompts: [
      { type: 'input', name: 'directory', message: 'Kernel directory', default: '.' },
      {
        type: 'checkbox',
        name: 'modules',
        message: 'Modules',
        choices: MODULES.map((module) => ({ name: `${module.name}: ${module.summary}`, value: module.name })),
      },
    ],
    actions: [{ type: ADD_MODULES_ACTION }],
  });

  plop.setGenerator('kernel', {
    description: 'a bootable no_std Rust kernel for x86_64-unknown-none',
    prompts: promptedOptions(KERNEL_OPTIONS).map(plopPrompt),
    actions: [{ type: WRITE_KERNEL_ACTION }],
  });
}
