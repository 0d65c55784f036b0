export { createNodes, kernelProject, kernelTargets, DEFAULT_TARGET_NAMES, KERNEL_SOURCE_INPUTS, CARGO_ENV_INPUTS, RUNNER_ENV_INPUTS, RUNNER_ENV_IGNORED, type KernelPluginOptions } from './nodes.js';
export { kernelGenerator, kernelGeneratorWith, type KernelGeneratorOptions, type KernelGeneratorDependencies } from './generators/kernel/generator.js';
export { moduleGenerator, moduleGeneratorWith, type ModuleGeneratorOptions, type ModuleGeneratorDependencies } from './generators/module/generator.js';
export { checkKernelProject, type CheckResult, type CheckEdges } from './executors/check/executor.js';
export { SCHEMAS, kernelSchema, moduleSchema, type GeneratorSchema } from './schema.js';
