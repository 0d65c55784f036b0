import { validateKernelRequest, type KernelRequest } from '@baremetal-kernel/target';

/** A validated configuration with the system toolchain unless the test asks otherwise. */
export function kernelConfig(request: Partial<KernelRequest> = {}) {
  const result = validateKernelRequest({ name: 'test-os', toolchain: 'system', ...request });
  if (!result.ok) throw new Error(result.problems.map((problem) => problem.message).join('\n'));
  return result.config;
}
