export * from './apply.js';
export * from './compile.js';
export * from './errors.js';
export * from './generate.js';
export * from './kernel-contract.js';
export * from './plan.js';
export * from './templates.js';
export * from './view.js';
