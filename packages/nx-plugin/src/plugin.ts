/**
 * `@baremetal-kernel/nx/plugin`: the inferred tasks alone, as Nx's own plugins name theirs
 * (`@nx/vite/plugin`). The package's main entry exports the same `createNodes`.
 */
export { createNodes, type KernelPluginOptions } from './nodes.js';
