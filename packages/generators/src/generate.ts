import { validateKernelRequest, type KernelConfig, type KernelRequest, type Problem, type ValidationContext } from '@baremetal-kernel/target';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { applyPlanPending, checkDestination, replacedPaths, type ApplyOptions } from './apply.js';
import { GeneratorError } from './errors.js';
import { planKernel, type KernelPlan } from './plan.js';
import type { CompiledTemplates } from './render.js';

export interface GenerateOptions extends ApplyOptions {
  /** Where the project goes. */
  readonly directory: string;
  /** Plan and check everything, write nothing. */
  readonly dryRun?: boolean;
  /**
   * The compiled templates: a bundle's precompiled ones, or `compileTemplates(loadTemplates())`.
   * Required, so that generating never loads the Handlebars compiler unless the caller does.
   */
  readonly templates: CompiledTemplates;
}

export interface GenerateResult {
  /** The files written (or that would be, on a dry run), relative to the directory. */
  readonly files: readonly string[];
  /** Files that were there and are (or, on a dry run, would be) replaced: only with `force`. */
  readonly replaced: readonly string[];
  readonly plan: KernelPlan;
}

/**
 * Generates a kernel project from a validated configuration: plans it, then writes it atomically
 * (or, on a dry run, only checks that it could).
 */
export function generateKernel(config: KernelConfig, options: GenerateOptions): GenerateResult {
  const pending = generateKernelPending(config, options);
  pending.finish();
  return { files: pending.files, replaced: pending.replaced, plan: pending.plan };
}

/** A kernel written (see {@link generateKernel}) that can still be taken back whole. */
export interface PendingGenerateResult extends GenerateResult {
  /** Keeps it. */
  finish(): void;
  /** Takes it back: the directory is as it was. */
  undo(): void;
}

/** {@link generateKernel}, with the last step (keep it, or take it back) left to the caller. */
export function generateKernelPending(config: KernelConfig, options: GenerateOptions): PendingGenerateResult {
  const plan = planKernel(config, options.templates);
  if (options.dryRun) {
    checkDestination(options.directory, options, plan);
    const target = resolve(options.directory);
    const replaced = existsSync(target) ? replacedPaths(plan, target) : [];
    const nothing = () => undefined;
    return { files: plan.files.map((file) => file.path), replaced, plan, finish: nothing, undo: nothing };
  }
  const { written, replaced, finish, undo } = applyPlanPending(plan, options.directory, options);
  return { files: written, replaced, plan, finish, undo };
}

/** Validates a request and turns its problems into one error (one line per problem). */
export function resolveConfig(request: KernelRequest, context?: ValidationContext): KernelConfig {
  const result = validateKernelRequest(request, context);
  if (!result.ok) {
    throw new GeneratorError('E_INVALID_CONFIG', result.problems.map((problem) => problem.message).join('\n'));
  }
  return result.config;
}

/** Said after a bad name that came from the directory: the directory itself may keep its name. */
export const NAME_FROM_DIRECTORY_HINT = '; pass a valid name with --name (the directory may keep its name)';

/**
 * What every front end (the CLI, the Nx generator) says of a refused request: one line per
 * problem, a bad name that was not given (but taken from the directory) with how to give one.
 */
export function problemLines(problems: readonly Problem[], nameGiven: boolean): string[] {
  return problems.map((problem) => `${problem.message}${problem.field === 'name' && !nameGiven ? NAME_FROM_DIRECTORY_HINT : ''}`);
}
