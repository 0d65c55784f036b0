import type { BootProtocolName } from './boot-protocols.js';

/** What a kernel module (added by `baremetal-kernel add`) needs from the rest of the kernel. */
export interface ModuleRule {
  readonly name: string;
  readonly summary: string;
  /** Modules that must be present first. */
  readonly requires: readonly string[];
  /** Boot protocols that provide what the module needs. */
  readonly bootProtocols: readonly BootProtocolName[];
}

/**
 * The module catalogue. Each module arrives with its templates; until then the list stays empty,
 * so that validation never accepts a module the generator cannot write.
 */
export const MODULES: readonly ModuleRule[] = [];
