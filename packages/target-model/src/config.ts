import { BOOT_PROTOCOLS, DEFAULT_BOOT_PROTOCOL, findBootProtocol, type BootProtocol } from './boot-protocols.js';
import { crateNameProblem, toCrateName } from './crate-name.js';
import { unknownChoice } from './did-you-mean.js';
import { MODULES, builtInNote, findModule, moduleBootProblem, moduleConflicts, modulePresetProblem, withRequirements, type ModuleRule } from './modules.js';
import { DEFAULT_PRESET, PRESETS, findPreset, type FeaturePreset } from './presets.js';
import { CODE_MODELS, RELOCATION_MODELS, type CodeModel, type RelocationModel } from './target.js';
import {
  AUTO_TOOLCHAIN,
  DEBIAN_VENDOR_DIRECTORY,
  TOOLCHAINS,
  findToolchain,
  resolveAutoToolchain,
  type ToolchainProfile,
  type ToolchainReport,
} from './toolchains.js';

/** A configuration as asked for: flags, prompts, an Nx schema or an existing kernel's metadata. */
export interface KernelRequest {
  readonly name?: string | undefined;
  readonly boot?: string | undefined;
  readonly preset?: string | undefined;
  /** A profile name, or `auto` for what detection recommends. */
  readonly toolchain?: string | undefined;
  readonly modules?: readonly string[] | undefined;
  readonly codeModel?: string | undefined;
  readonly relocationModel?: string | undefined;
}

/** A validated configuration: every fact resolved, nothing left to look up. */
export interface KernelConfig {
  /** The package name, as given. */
  readonly name: string;
  /** The Rust crate name (`-` turned into `_`). */
  readonly crateName: string;
  readonly boot: BootProtocol;
  readonly preset: FeaturePreset;
  readonly toolchain: ToolchainProfile;
  readonly modules: readonly ModuleRule[];
  readonly codeModel: CodeModel;
  readonly relocationModel: RelocationModel;
  /** Vendored std sources for the `system` profile. */
  readonly vendorDirectory: string | undefined;
}

export type ProblemCode =
  | 'E_INVALID_NAME'
  | 'E_UNKNOWN_BOOT'
  | 'E_UNKNOWN_PRESET'
  | 'E_UNKNOWN_TOOLCHAIN'
  | 'E_NO_TOOLCHAIN'
  | 'E_UNKNOWN_MODULE'
  | 'E_DUPLICATE_MODULE'
  | 'E_MODULE_CONFLICT'
  | 'E_MODULE_BOOT'
  | 'E_MODULE_PRESET'
  | 'E_UNKNOWN_CODE_MODEL'
  | 'E_UNKNOWN_RELOCATION_MODEL'
  | 'E_INCOMPATIBLE_CODE_MODEL'
  | 'E_INCOMPATIBLE_RELOCATION_MODEL';

export interface Problem {
  /** A stable code that tests and tools can match. */
  readonly code: ProblemCode;
  readonly field: keyof KernelRequest;
  /** One line, for a person. */
  readonly message: string;
}

export type Validation = { readonly ok: true; readonly config: KernelConfig } | { readonly ok: false; readonly problems: readonly Problem[] };

export interface ValidationContext {
  /** The machine's toolchains, needed to resolve `auto` and the system profile's sources. */
  readonly detected?: ToolchainReport | undefined;
  /** The module catalogue (defaults to {@link MODULES}). */
  readonly modules?: readonly ModuleRule[];
}

export const DEFAULT_TOOLCHAIN = AUTO_TOOLCHAIN;

/**
 * Validates a requested configuration into a {@link KernelConfig}, or returns every problem at
 * once. Pure: the machine is consulted only through `context.detected`.
 */
export function validateKernelRequest(request: KernelRequest, context: ValidationContext = {}): Validation {
  const problems: Problem[] = [];
  const report = (code: ProblemCode, field: keyof KernelRequest, message: string) =>
    problems.push({ code, field, message });

  const name = request.name ?? '';
  const nameProblem = crateNameProblem(name);
  if (nameProblem) report('E_INVALID_NAME', 'name', `invalid project name: ${nameProblem}`);

  const bootName = request.boot ?? DEFAULT_BOOT_PROTOCOL;
  const boot = findBootProtocol(bootName);
  if (!boot) report('E_UNKNOWN_BOOT', 'boot', unknownChoice('boot protocol', bootName, BOOT_PROTOCOLS.map((p) => p.name)));

  const presetName = request.preset ?? DEFAULT_PRESET;
  const preset = findPreset(presetName);
  if (!preset) report('E_UNKNOWN_PRESET', 'preset', unknownChoice('feature preset', presetName, PRESETS.map((p) => p.name)));

  const toolchain = resolveToolchain(request.toolchain ?? DEFAULT_TOOLCHAIN, context.detected, report);

  const codeModelName = request.codeModel ?? boot?.defaultCodeModel;
  const codeModel = CODE_MODELS.find((model) => model.name === codeModelName)?.name;
  if (codeModelName !== undefined && !codeModel) {
    report('E_UNKNOWN_CODE_MODEL', 'codeModel', unknownChoice('code model', codeModelName, CODE_MODELS.map((m) => m.name)));
  } else if (boot && codeModel && !boot.codeModels.includes(codeModel)) {
    report(
      'E_INCOMPATIBLE_CODE_MODEL',
      'codeModel',
      `code model '${codeModel}' does not work with ${boot.name}: ${boot.modelConstraints} (valid: ${boot.codeModels.join(', ')})`,
    );
  }

  const relocationName = request.relocationModel ?? boot?.defaultRelocationModel;
  const relocationModel = RELOCATION_MODELS.find((model) => model.name === relocationName)?.name;
  if (relocationName !== undefined && !relocationModel) {
    report(
      'E_UNKNOWN_RELOCATION_MODEL',
      'relocationModel',
      unknownChoice('relocation model', relocationName, RELOCATION_MODELS.map((m) => m.name)),
    );
  } else if (boot && relocationModel && !boot.relocationModels.includes(relocationModel)) {
    report(
      'E_INCOMPATIBLE_RELOCATION_MODEL',
      'relocationModel',
      `relocation model '${relocationModel}' does not work with ${boot.name}: ${boot.modelConstraints}`,
    );
  }

  const modules = resolveModules(request.modules ?? [], boot, preset, context.modules ?? MODULES, report);

  if (problems.length > 0 || !boot || !preset || !toolchain || !codeModel || !relocationModel) {
    return { ok: false, problems };
  }
  return {
    ok: true,
    config: {
      name,
      crateName: toCrateName(name),
      boot,
      preset,
      toolchain,
      modules,
      codeModel,
      relocationModel,
      vendorDirectory: toolchain.vendoredStdSources
        ? (context.detected?.systemVendorDirectory ?? DEBIAN_VENDOR_DIRECTORY)
        : undefined,
    },
  };
}

type Reporter = (code: ProblemCode, field: keyof KernelRequest, message: string) => void;

function resolveToolchain(
  requested: string,
  detected: ToolchainReport | undefined,
  report: Reporter,
): ToolchainProfile | undefined {
  if (requested === AUTO_TOOLCHAIN) {
    if (!detected) {
      report('E_NO_TOOLCHAIN', 'toolchain', "toolchain 'auto' needs the machine's toolchains to be detected first");
      return undefined;
    }
    return findToolchain(resolveAutoToolchain(detected));
  }
  const toolchain = findToolchain(requested);
  if (!toolchain) {
    report('E_UNKNOWN_TOOLCHAIN', 'toolchain', unknownChoice('toolchain', requested, [AUTO_TOOLCHAIN, ...TOOLCHAINS.map((t) => t.name)]));
  }
  return toolchain;
}

/**
 * The requested modules with the modules they require (added, each before what needs it), or the
 * problems: unknown or repeated names, a protocol or preset a module does not support, two that
 * conflict.
 */
function resolveModules(
  requested: readonly string[],
  boot: BootProtocol | undefined,
  preset: FeaturePreset | undefined,
  catalogue: readonly ModuleRule[],
  report: Reporter,
): ModuleRule[] {
  const known = catalogue.map((module) => module.name);
  const seen = new Set<string>();
  for (const name of requested) {
    if (seen.has(name)) {
      report('E_DUPLICATE_MODULE', 'modules', `module '${name}' is listed twice`);
      continue;
    }
    seen.add(name);
    const builtIn = builtInNote(name);
    if (builtIn) {
      report('E_UNKNOWN_MODULE', 'modules', `${builtIn}; leave it out of --modules`);
      continue;
    }
    if (!findModule(name, catalogue)) {
      const message =
        known.length === 0 ? `unknown module '${name}' (no modules are available yet)` : unknownChoice('module', name, known);
      report('E_UNKNOWN_MODULE', 'modules', message);
    }
  }
  const resolved = withRequirements(requested, catalogue);
  for (const [index, module] of resolved.entries()) {
    const bootProblem = boot && moduleBootProblem(module, boot.name);
    if (bootProblem) report('E_MODULE_BOOT', 'modules', bootProblem);
    const presetProblem = preset && modulePresetProblem(module, preset.name);
    if (presetProblem) report('E_MODULE_PRESET', 'modules', presetProblem);
    for (const conflict of moduleConflicts(module, resolved.slice(0, index))) {
      report('E_MODULE_CONFLICT', 'modules', `modules '${conflict.module}' and '${module.name}' cannot be in one kernel: ${conflict.reason}`);
    }
  }
  return resolved;
}
