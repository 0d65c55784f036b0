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
  /** The CPU-feature presets it works with, when not all, and why. */
  readonly presets?: { readonly only: readonly string[]; readonly reason: string };
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
export const MODULES: readonly ModuleRule[] = [
  {
    name: 'log',
    summary: 'levelled logging macros (error! to trace!) over the console, the level from the kernel command line (log=debug)',
    requires: [],
    conflicts: [],
    bootProtocols: ['multiboot2', 'limine'],
    unsupported: {},
  },
  {
    name: 'memory',
    summary: 'a physical frame allocator (a bitmap over the boot memory map) and a 4 KiB page mapper with flags and TLB invalidation',
    requires: [],
    conflicts: [],
    bootProtocols: ['multiboot2', 'limine'],
    unsupported: {},
  },
  {
    name: 'heap',
    summary: 'a kernel heap over memory: size classes up to 2 KiB and page runs, growing on demand, replacing the starter allocator',
    requires: ['memory'],
    conflicts: [],
    bootProtocols: ['multiboot2', 'limine'],
    unsupported: {},
  },
  {
    name: 'pic-timer',
    summary: 'the 8259 PICs remapped to vectors 32-47, the PIT ticking at 1000 Hz, sleep_ms; interrupts enabled',
    requires: [],
    conflicts: [],
    bootProtocols: ['multiboot2', 'limine'],
    unsupported: {},
  },
  {
    name: 'keyboard',
    summary: 'the PS/2 keyboard on IRQ 1: scan code set 1 to key events with Shift, Ctrl, Alt and Caps Lock, US ASCII',
    requires: ['pic-timer'],
    conflicts: [],
    bootProtocols: ['multiboot2', 'limine'],
    unsupported: {},
  },
  {
    name: 'vga-text',
    summary: 'the VGA text buffer (80x25) as a console beside serial',
    requires: [],
    conflicts: [],
    bootProtocols: ['multiboot2'],
    unsupported: { limine: 'the Limine protocol hands out RGB framebuffers only, no VGA text mode' },
    firmware: { only: 'bios', reason: "UEFI's GOP has graphics modes only" },
  },
  {
    name: 'acpi',
    summary: "the ACPI tables from the boot loader's RSDP (RSDT or XSDT, every checksum verified) and the MADT: CPUs, I/O APICs, interrupt overrides, NMIs",
    requires: [],
    conflicts: [],
    bootProtocols: ['multiboot2', 'limine'],
    unsupported: {},
  },
  {
    name: 'apic',
    summary: 'the local APIC (x2APIC where the CPU has it, else xAPIC mapped uncached) with its timer calibrated against the PIT, the I/O APIC routing ISA IRQs through the MADT overrides, the 8259 PICs masked; interrupts enabled',
    requires: ['acpi', 'memory'],
    conflicts: [{ module: 'pic-timer', reason: 'both own the timer interrupt and the 8259 PICs, which apic masks' }],
    bootProtocols: ['multiboot2', 'limine'],
    unsupported: {},
  },
  {
    name: 'smp',
    summary: 'every CPU of the MADT started (INIT-SIPI-SIPI, or Limine\'s MP request), each with its own stack, GDT, TSS and per-CPU data; run_on a given CPU',
    requires: ['acpi', 'apic'],
    conflicts: [],
    bootProtocols: ['multiboot2', 'limine'],
    unsupported: {},
  },
  {
    name: 'c-interop',
    summary: "freestanding C in csrc/, built by build.rs with the host's gcc or clang (CC) and the model's flags for the kernel's preset, code and relocation models (no SSE or x87, no red zone), called from Rust and calling back",
    requires: [],
    conflicts: [],
    bootProtocols: ['multiboot2', 'limine'],
    unsupported: {},
  },
];

/**
 * Subsystems every kernel has from `create` on, which earlier plans listed as modules: asking to
 * add one is answered with where it is, not with "unknown module".
 */
export const BUILT_IN_SUBSYSTEMS: readonly { readonly name: string; readonly where: string }[] = [
  {
    name: 'framebuffer',
    where: "src/framebuffer.rs draws the console on the loader's framebuffer (GRUB's framebuffer tag, Limine's framebuffer request)",
  },
];

/** What to say when `name` is built into every kernel, or undefined when it is not. */
export function builtInNote(name: string): string | undefined {
  const subsystem = BUILT_IN_SUBSYSTEMS.find((candidate) => candidate.name === name);
  return subsystem && `${name} is built into every kernel: ${subsystem.where}`;
}

export function findModule(name: string, catalogue: readonly ModuleRule[] = MODULES): ModuleRule | undefined {
  return catalogue.find((module) => module.name === name);
}

/** Why a module cannot go into a kernel of this protocol, or undefined when it can. */
export function moduleBootProblem(module: ModuleRule, boot: BootProtocolName): string | undefined {
  if (module.bootProtocols.includes(boot)) return undefined;
  const reason = module.unsupported[boot];
  return `module '${module.name}' does not support the ${boot} boot protocol${reason ? `: ${reason}` : ''}`;
}

/** Why a module cannot go into a kernel of this CPU-feature preset, or undefined when it can. */
export function modulePresetProblem(module: ModuleRule, preset: string): string | undefined {
  if (!module.presets || module.presets.only.includes(preset)) return undefined;
  return `module '${module.name}' does not support the ${preset} preset (only ${module.presets.only.join(', ')}): ${module.presets.reason}`;
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

/**
 * Kernels of `boot` that hold every module between them, each with as many as fit together: a
 * kernel starts from the first module no kernel has yet (with what it requires), then takes every
 * other module of the catalogue, in order, that conflicts with none of its own. A catalogue without
 * conflicts gives one kernel; apic's conflict with pic-timer gives two. What the end-to-end tests
 * build and the examples (tools/examples) show.
 */
export function compatibleSets(boot: BootProtocolName, catalogue: readonly ModuleRule[] = MODULES): ModuleRule[][] {
  const claimed = catalogue.filter((module) => module.bootProtocols.includes(boot));
  const fits = (module: ModuleRule, chosen: readonly ModuleRule[]) =>
    withRequirements([module.name], catalogue).every(
      (candidate) => candidate.bootProtocols.includes(boot) && moduleConflicts(candidate, chosen).length === 0,
    );
  const sets: ModuleRule[][] = [];
  for (const first of claimed) {
    if (sets.some((set) => set.includes(first))) continue;
    const chosen: ModuleRule[] = [];
    for (const module of [first, ...claimed]) {
      if (chosen.includes(module) || !fits(module, chosen)) continue;
      for (const candidate of withRequirements([module.name], catalogue)) if (!chosen.includes(candidate)) chosen.push(candidate);
    }
    if (chosen.includes(first)) sets.push(chosen);
  }
  return sets;
}
