import { validateKernelRequest, type KernelConfig, type KernelRequest, type ValidationContext } from '@baremetal-kernel/target';
import { applyPlan, checkDestination, type ApplyOptions } from './apply.js';
import { GeneratorError } from './errors.js';
import { planKernel, type KernelPlan } from './plan.js';
import { compileTemplates } from './compile.js';
import type { CompiledTemplates } from './render.js';
import { loadTemplates } from './templates.js';

export interface GenerateOptions extends ApplyOptions {
  /** Where the project goes. */
  readonly directory: string;
  /** Plan and check everything, write nothing. */
  readonly dryRun?: boolean;
  /** Compiled templates (a bundle's precompiled ones); by default, templates/ compiled now. */
  readonly templates?: CompiledTemplates;
}

export interface GenerateResult {
  /** The files written (or that would be, on a dry run), relative to the directory. */
  readonly files: readonly string[];
  readonly plan: KernelPlan;
}

/**
 * Generates a kernel project from a validated configuration: plans it, then writes it atomically
 * (or, on a dry run, only checks that it could).
 */
export function generateKernel(config: KernelConfig, options: GenerateOptions): GenerateResult {
  const plan = planKernel(config, options.templates ?? compileTemplates(loadTemplates()));
  if (options.dryRun) {
    checkDestination(options.directory, options);
    return { files: plan.files.map((file) => file.path), plan };
  }
  return { files: applyPlan(plan, options.directory, options), plan };
}

/** Validates a request and turns its problems into one error (one line per problem). */
export function resolveConfig(request: KernelRequest, context?: ValidationContext): KernelConfig {
  const result = validateKernelRequest(request, context);
  if (!result.ok) {
    throw new GeneratorError('E_INVALID_CONFIG', result.problems.map((problem) => problem.message).join('\n'));
  }
  return result.config;
}
