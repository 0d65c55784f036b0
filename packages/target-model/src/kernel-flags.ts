import type { KernelConfig } from './config.js';
import { qemuCommonArgs } from './qemu.js';
import { TARGET } from './target.js';

/** Codegen flags for every crate of the kernel, `core` included, as rustc takes them. */
export function rustflags(config: KernelConfig): string[] {
  // Frame pointers in every function (the target's default omits them): the panic handler and the
  // exception handlers walk the RBP chain to print a backtrace, which the runner symbolises.
  const options = [`relocation-model=${config.relocationModel}`, 'force-frame-pointers=yes'];
  if (config.codeModel !== TARGET.codeModel) options.push(`code-model=${config.codeModel}`);
  if (config.preset.targetCpu) options.push(`target-cpu=${config.preset.targetCpu}`);
  return options.flatMap((option) => ['-C', option]);
}

/** The QEMU arguments every boot path of this configuration shares. */
export function qemuArgs(config: KernelConfig): string[] {
  return qemuCommonArgs(config.preset);
}
