import {
  DEBIAN_PACKAGES,
  DEBUG_EXIT,
  MULTIBOOT2_BOOT_PACKAGES,
  QEMU,
  TARGET,
  cargoConfig,
  cpuSetupMasks,
  qemuArgs,
  qemuCpuModel,
  rustToolchain,
  tomlArray,
  tomlString,
  type CpuidFeature,
  type KernelConfig,
} from '@baremetal-kernel/target';
import { GENERATOR_NAME, GENERATOR_VERSION, KERNEL_COMMAND_LINE } from './kernel-contract.js';

/** One CPUID leaf/register the boot code tests, with every bit of it the preset needs. */
export interface CpuidCheck {
  readonly leaf: string;
  readonly subleaf: string;
  readonly register: string;
  readonly mask: string;
  readonly features: string;
}

const hex = (value: number) => `0x${value.toString(16)}`;

/** Groups CPUID bits by leaf, sub-leaf and register, so the boot code runs CPUID once per group. */
export function cpuidChecks(features: readonly CpuidFeature[]): CpuidCheck[] {
  const groups = new Map<string, { feature: CpuidFeature; mask: number; names: string[] }>();
  for (const feature of features) {
    const key = `${feature.leaf}/${feature.subleaf}/${feature.register}`;
    const group = groups.get(key) ?? { feature, mask: 0, names: [] };
    group.mask = (group.mask | (1 << feature.bit)) >>> 0;
    group.names.push(feature.name);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ feature, mask, names }) => ({
    leaf: hex(feature.leaf),
    subleaf: hex(feature.subleaf),
    register: feature.register,
    mask: hex(mask),
    features: names.join(', '),
  }));
}

/** Quotes a word for a POSIX shell when it needs quoting. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=,+-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * Everything the templates read, derived once from a validated configuration. Templates do no
 * arithmetic and no look-ups: each value here is ready to print.
 */
export function kernelView(config: KernelConfig) {
  const { boot, preset, toolchain } = config;
  const masks = cpuSetupMasks(preset.cpuSetup);
  const qemuCpu = qemuCpuModel(preset);
  return {
    generator: { name: GENERATOR_NAME, version: GENERATOR_VERSION },
    name: config.name,
    crateName: config.crateName,
    target: TARGET.triple,
    boot: {
      name: boot.name,
      loader: boot.loader,
      isMultiboot2: boot.name === 'multiboot2',
      isLimine: boot.name === 'limine',
      linkAddress: boot.linkAddress,
      hasDirectBoot: boot.pvh !== undefined,
    },
    preset: {
      name: preset.name,
      summary: preset.summary,
      caveats: preset.caveats,
      isBaseline: preset.cpuSetup.requiredFeatures.length === 0,
      enablesSse: masks.cr4Set !== 0,
      enablesAvx: masks.xcr0 !== 0,
      cr0Set: hex(masks.cr0Set),
      cr0Clear: hex(masks.cr0Clear),
      cr4Set: hex(masks.cr4Set),
      xcr0: hex(masks.xcr0),
      cr4Bits: preset.cpuSetup.cr4Set.map((bit) => `${bit.name} (bit ${bit.bit})`).join(', '),
      xcr0Bits: preset.cpuSetup.xcr0.map((bit) => bit.name).join(' | '),
      cpuidChecks: cpuidChecks(preset.cpuSetup.requiredFeatures),
      qemuCpu,
    },
    toolchain: {
      name: toolchain.name,
      summary: toolchain.summary,
      isSystem: toolchain.name === 'system',
      isRustup: toolchain.rustToolchainFile !== undefined,
      buildStd: toolchain.buildStd,
      setup: toolchain.setup,
      /** For the generated CI workflow. */
      bootPackages: MULTIBOOT2_BOOT_PACKAGES,
      debianPackages: [...DEBIAN_PACKAGES.systemRust, ...MULTIBOOT2_BOOT_PACKAGES],
    },
    cargo: cargoConfig(config),
    rustToolchain: rustToolchain(config),
    qemu: {
      binary: QEMU.binary,
      args: qemuArgs(config).map(shellWord).join(' '),
      cpu: qemuCpu,
      memory: QEMU.memory,
      gdbPort: QEMU.gdbPort,
      successStatus: QEMU.successStatus,
      failureStatus: QEMU.failureStatus,
    },
    debugExit: {
      port: hex(DEBUG_EXIT.ioBase),
      successValue: hex(DEBUG_EXIT.successValue),
      failureValue: hex(DEBUG_EXIT.failureValue),
    },
    commandLine: KERNEL_COMMAND_LINE,
    metadata: {
      generatorVersion: tomlString(GENERATOR_VERSION),
      boot: tomlString(boot.name),
      preset: tomlString(preset.name),
      toolchain: tomlString(toolchain.name),
      modules: tomlArray(config.modules.map((module) => module.name)),
    },
  };
}

export type KernelView = ReturnType<typeof kernelView>;
