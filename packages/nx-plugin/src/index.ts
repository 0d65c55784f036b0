export { kernelGenerator, kernelGeneratorWith, type KernelGeneratorOptions, type KernelGeneratorDependencies } from './generators/kernel/generator.js';
export { moduleGenerator, moduleGeneratorWith, type ModuleGeneratorOptions, type ModuleGeneratorDependencies } from './generators/module/generator.js';
export { SCHEMAS, kernelSchema, moduleSchema, type GeneratorSchema } from './schema.js';
