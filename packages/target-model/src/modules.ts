import type { BootProtocolName, Firmware } from './boot-protocols.js';

/** What a kernel module (added by `baremetal-kernel add`) needs from the rest of the kernel. */
export interface ModuleRule {
  readonly name: string;
  /** One line, for `list` and `--help`. */
  readonly summary: string;
  /** Modules that must be present first; `add` adds them too. */
  readonly requires: readonly string[];
  /** Modules that cannot be in the same kernel, with the reason. */
  readonly conflicts: readonly { readonly module: string; readonly reason: string }[];
  /** Boot protocols that provide what the module needs. */
  readonly bootProtocols: readonly BootProtocolName[];
  /** Why the module does not work on each protocol it leaves out: said when it is refused. */
  readonly unsupported: Partial<Readonly<Record<BootProtocolName, string>>>;
  /**
   * The firmware it works on, when not all: the kernel checks at run time (BIOS or UEFI is the
   * runner's choice, not the kernel's) and says why it stays idle.
   */
  readonly firmware?: { readonly only: Firmware; readonly reason: string };
}

/**
 * The module catalogue: one row per folder under templates/modules/. A module arrives with its
 * templates, so that validation never accepts a module the generator cannot write.
 */
export const MODULES: readonly ModuleRule[] = [];

export function findModule(name: string, catalogue: readonly ModuleRule[] = MODULES): ModuleRule | undefined {
  return catalogue.find((module) => module.name === name);
}

/** Why a module cannot go into a kernel of this protocol, or undefined when it can. */
export function moduleBootProblem(module: ModuleRule, boot: BootProtocolName): string | undefined {
  if (module.bootProtocols.includes(boot)) return undefined;
  const reason = module.unsupported[boot];
  return `module '${module.name}' does not support the ${boot} boot protocol${reason ? `: ${reason}` : ''}`;
}

/** The conflicts between `module` and the modules in `others` (either side may declare one). */
export function moduleConflicts(module: ModuleRule, others: readonly ModuleRule[]): { module: string; reason: string }[] {
  const found: { module: string; reason: string }[] = [];
  for (const other of others) {
    if (other.name === module.name) continue;
    const declared =
      module.conflicts.find((conflict) => conflict.module === other.name) ??
      other.conflicts.find((conflict) => conflict.module === module.name);
    if (declared) found.push({ module: other.name, reason: declared.reason });
  }
  return found;
}

/**
 * `names` with every module they require, each after what it requires (the order in which they
 * are added and initialised), in the order asked otherwise. Unknown names are left out: the
 * caller reports them.
 */
export function withRequirements(names: readonly string[], catalogue: readonly ModuleRule[] = MODULES): ModuleRule[] {
  const ordered: ModuleRule[] = [];
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (ordered.some((module) => module.name === name) || visiting.has(name)) return;
    const module = findModule(name, catalogue);
    if (!module) return;
    visiting.add(name);
    for (const requirement of module.requires) visit(requirement);
    visiting.delete(name);
    ordered.push(module);
  };
  for (const name of names) visit(name);
  return ordered;
}
