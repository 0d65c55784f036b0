import {
  DEBIAN_PACKAGES,
  LIMINE,
  LIMINE_RELEASE,
  MULTIBOOT2,
  PVH,
  DEBUG_EXIT,
  OVMF_FIRMWARE_LOCATIONS,
  QEMU,
  TARGET,
  bootPackages,
  cFlags,
  installHint,
  cpuSetupMasks,
  debugExitDevice,
  qemuCpuModel,
  type BootPath,
  type BootProtocol,
  type KernelConfig,
  type StructLayout,
} from '@baremetal-kernel/target';
import { cargoConfig, rustToolchain, sharedSysroot } from './cargo-files.js';
import { tomlArray, tomlString } from './toml.js';
import { GENERATOR_NAME, GENERATOR_VERSION, KERNEL_COMMAND_LINE } from './kernel-contract.js';
import { sentenceList } from './options.js';

const hex = (value: number) => `0x${value.toString(16)}`;

/** A 64-bit value (`0x` and 16 hex digits) as a Rust literal in groups of four: `0xc7b1_dd30_...`. */
export function rustHex64(value: string): string {
  return `0x${value.slice(2).match(/.{1,4}/g)!.join('_')}`;
}

/** A 32-bit value as a Rust literal in two groups of four upper-case digits: `0xE852_50D6`. */
export function rustHex32(value: number): string {
  const digits = value.toString(16).toUpperCase().padStart(8, '0');
  return `0x${digits.slice(0, 4)}_${digits.slice(4)}`;
}

/** The number of a Multiboot2 header tag (§3.1.3), by its name in the model. */
function headerTag(name: string): number {
  const entry = Object.entries(MULTIBOOT2.headerTags).find(([, tagName]) => tagName === name);
  if (!entry) throw new Error(`the model has no multiboot2 header tag '${name}'`);
  return Number(entry[0]);
}

/** A structure's byte offsets by field name, and its size: what the parser adds to an address. */
function structOffsets(layout: StructLayout) {
  return { offsets: Object.fromEntries(layout.fields.map((field) => [field.name, field.offset])), size: layout.size };
}

/** Multiboot2's and PVH's constants, ready for Rust: every one from the target model. */
function multiboot2View() {
  return {
    headerMagic: rustHex32(MULTIBOOT2.headerMagic),
    architectureI386: MULTIBOOT2.architectureI386,
    bootloaderMagic: rustHex32(MULTIBOOT2.bootloaderMagic),
    headerTags: { end: headerTag('end'), framebuffer: headerTag('framebuffer') },
    tags: MULTIBOOT2.tags,
    pvh: {
      noteType: PVH.noteType,
      // The note's name with its terminating NUL, as ELF notes store it (gABI "Note Section").
      noteName: { text: PVH.noteName, size: PVH.noteName.length + 1 },
      startInfoMagic: rustHex32(PVH.startInfoMagic),
      startInfo: structOffsets(PVH.startInfo),
      memoryMapVersion: PVH.memoryMapVersion,
      moduleEntry: structOffsets(PVH.moduleEntry),
      memoryMapEntry: structOffsets(PVH.memoryMapEntry),
    },
  };
}

/** Limine's constants, ready for Rust: every one from the target model. */
function limineView() {
  const requests = Object.fromEntries(
    Object.entries(LIMINE.requests).map(([name, id]) => [name, { third: rustHex64(id[2]), fourth: rustHex64(id[3]) }]),
  );
  return {
    baseRevision: LIMINE.baseRevision,
    baseRevisionMagic: LIMINE.baseRevisionMagic.map(rustHex64).join(', '),
    commonMagic: LIMINE.commonMagic.map(rustHex64).join(', '),
    startMarker: LIMINE.requestsStartMarker.map(rustHex64),
    endMarker: LIMINE.requestsEndMarker.map(rustHex64).join(', '),
    requests,
    firmwareTypes: LIMINE.firmwareTypes,
    memoryTypes: LIMINE.memoryTypes,
    minimumStackBytes: LIMINE.minimumStackBytes,
    release: LIMINE_RELEASE,
  };
}

/** The runner's name for each boot path: its `BOOT` value and option (`BOOT=bios`, `--bios`). */
export const RUNNER_BOOT: Readonly<Record<BootPath, string>> = { 'bios-iso': 'bios', 'uefi-iso': 'uefi', direct: 'direct' };

/** What the common runner skeleton reads from the protocol's row; its image step is a fragment. */
function runnerView(boot: BootProtocol) {
  const names = boot.bootPaths.map((path) => RUNNER_BOOT[path]);
  return {
    defaultBoot: names[0]!,
    testBoot: RUNNER_BOOT[boot.testBootPath],
    /** The BOOT values, as a regular expression's alternatives. */
    bootPattern: names.join('|'),
    /** The BOOT values, as a refusal lists them: `bios, uefi or direct`. */
    bootChoices: sentenceList(names, 'or'),
    minimumMemory: boot.bootPaths.map((path) => {
      const minimum = boot.minimumMemory[path];
      if (!minimum) throw new Error(`the ${boot.name} row has no minimum memory for its boot path '${path}'`);
      return { option: RUNNER_BOOT[path], ...minimum };
    }),
    /** Where each tool the runner may miss comes from, per system (host-packages.ts's table). */
    installHints: {
      qemu: installHint(['qemu']),
      grub: installHint(['grubMkrescue', 'grubBios', 'grubUefi']),
      xorriso: installHint(['xorriso']),
      mtools: installHint(['mtools']),
      ovmf: installHint(['ovmf']),
      make: installHint(['make']),
      coreutils: installHint(['timeout']),
    },
  };
}

/**
 * Everything the templates read, derived once from a validated configuration. Templates do no
 * arithmetic and no look-ups: each value here is ready to print.
 */
export function kernelView(config: KernelConfig) {
  const { boot, preset, toolchain } = config;
  const masks = cpuSetupMasks(preset.cpuSetup);
  const qemuCpu = qemuCpuModel(preset);
  const bootPackageList = bootPackages(boot, 'apt');
  return {
    generator: { name: GENERATOR_NAME, version: GENERATOR_VERSION },
    name: config.name,
    crateName: config.crateName,
    target: TARGET.triple,
    boot: {
      name: boot.name,
      loader: boot.loader,
      linkAddress: boot.linkAddress,
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
      requiredFeatures: preset.cpuSetup.requiredFeatures.map((feature) => ({
        name: feature.name,
        leaf: hex(feature.leaf),
        subleaf: hex(feature.subleaf),
        register: feature.register,
        bit: feature.bit,
      })),
      /** The highest basic CPUID leaf the checks read (extended leaves are checked with long mode). */
      highestBasicLeaf: hex(Math.max(1, ...preset.cpuSetup.requiredFeatures.map((f) => f.leaf).filter((leaf) => leaf < 0x8000_0000))),
      qemuCpu,
    },
    toolchain: {
      name: toolchain.name,
      summary: toolchain.summary,
      isSystem: toolchain.name === 'system',
      setup: toolchain.setup,
      /** Debian packages, space-separated, for the README and the CI workflow. */
      bootPackages: bootPackageList.join(' '),
      debianPackages: [...DEBIAN_PACKAGES.systemRust, ...bootPackageList].join(' '),
    },
    cargo: cargoConfig(config),
    rustToolchain: rustToolchain(config),
    sysroot: sharedSysroot(config),
    qemu: {
      cpu: qemuCpu,
      memory: QEMU.memory,
      debugExitDevice: debugExitDevice(),
      gdbArgs: QEMU.gdbArgs.join(' '),
      kvmArgs: QEMU.kvmArgs.join(' '),
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
    /** The C compilers' flags for this preset, code model and relocation model (c-interop's build step). */
    c: {
      flags: {
        gcc: cFlags({ compiler: 'gcc', preset, codeModel: config.codeModel, relocationModel: config.relocationModel }),
        clang: cFlags({ compiler: 'clang', preset, codeModel: config.codeModel, relocationModel: config.relocationModel }),
      },
      /** Where a C compiler comes from, per system, for the build step's error when there is none. */
      installHint: installHint(['cCompiler']),
      /** The Rust code generation the flags match, and the target's own when rustflags name none. */
      codeModel: config.codeModel,
      relocationModel: config.relocationModel,
      targetCodeModel: TARGET.codeModel,
      targetRelocationModel: TARGET.relocationModel,
    },
    runner: runnerView(boot),
    multiboot2: multiboot2View(),
    limine: limineView(),
    /** OVMF images for the runner to try, as `code|vars` (vars empty when there is none). */
    ovmfCandidates: OVMF_FIRMWARE_LOCATIONS.map(({ code, vars }) => `${code}|${vars ?? ''}`),
    metadata: {
      generatorVersion: tomlString(GENERATOR_VERSION),
      boot: tomlString(boot.name),
      preset: tomlString(preset.name),
      toolchain: tomlString(toolchain.name),
      codeModel: tomlString(config.codeModel),
      relocationModel: tomlString(config.relocationModel),
      modules: tomlArray(config.modules.map((module) => module.name)),
    },
  };
}

export type KernelView = ReturnType<typeof kernelView>;
