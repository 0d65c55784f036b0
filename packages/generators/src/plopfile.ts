/**
 * The kernel generator as a plop generator, for `plop` users and anything that drives node-plop's
 * API. The work itself is `generateKernel`: plop only asks the questions and calls it.
 */
import { BOOT_PROTOCOLS, PRESETS, TOOLCHAINS, detectToolchains, type KernelRequest } from '@baremetal-kernel/target';
import { nodeProbe } from '@baremetal-kernel/target/node';
import type { NodePlopAPI } from 'node-plop';
import { generateKernel, resolveConfig } from './generate.js';

export const WRITE_KERNEL_ACTION = 'baremetal-kernel:write-kernel';

interface KernelAnswers extends KernelRequest {
  /** Where to write; defaults to the project name under plop's destination. */
  readonly directory?: string;
  readonly dryRun?: boolean;
  readonly force?: boolean;
}

export default function baremetalKernelPlopfile(plop: NodePlopAPI): void {
  plop.setActionType(WRITE_KERNEL_ACTION, (answers) => {
    const request = answers as KernelAnswers;
    const needsDetection = (request.toolchain ?? 'auto') === 'auto' || request.toolchain === 'system';
    const config = resolveConfig(request, needsDetection ? { detected: detectToolchains(nodeProbe()) } : {});
    const directory = request.directory ?? config.name;
    const result = generateKernel(config, { directory, dryRun: request.dryRun ?? false, force: request.force ?? false });
    return `${request.dryRun ? 'would write' : 'wrote'} ${result.files.length} files to ${directory}`;
  });

  plop.setGenerator('kernel', {
    description: 'a bootable no_std Rust kernel for x86_64-unknown-none',
    prompts: [
      { type: 'input', name: 'name', message: 'Project name', default: 'my-kernel' },
      {
        type: 'list',
        name: 'boot',
        message: 'Boot protocol',
        choices: BOOT_PROTOCOLS.map((protocol) => ({ name: `${protocol.name}: ${protocol.summary}`, value: protocol.name })),
      },
      {
        type: 'list',
        name: 'preset',
        message: 'CPU feature preset',
        choices: PRESETS.map((preset) => ({ name: `${preset.name}: ${preset.summary}`, value: preset.name })),
      },
      {
        type: 'list',
        name: 'toolchain',
        message: 'Rust toolchain',
        choices: [
          { name: 'auto: whatever works on this machine', value: 'auto' },
          ...TOOLCHAINS.map((toolchain) => ({ name: `${toolchain.name}: ${toolchain.summary}`, value: toolchain.name })),
        ],
      },
    ],
    actions: [{ type: WRITE_KERNEL_ACTION }],
  });
}
