/**
 * What the view promises the templates: every value is the model's, already in the form the
 * generated file needs (a Rust literal, a hex string the boot code writes to a register, a word
 * list the runner hands QEMU). Each test reads a value back the way its consumer does and compares
 * it with the target model, so a view that drops, reorders or misformats a value fails here, not
 * only in a snapshot diff.
 */
import { describe, expect, it } from 'vitest';
import {
  CONTROL_BITS,
  CPUID,
  DEBIAN_PACKAGES,
  DEBUG_EXIT,
  LIMINE,
  LIMINE_RELEASE,
  OVMF_FIRMWARE_LOCATIONS,
  PRESETS,
  QEMU,
  TARGET,
  TOOLCHAINS,
  bootPackages,
  cpuSetupMasks,
  debugExitStatus,
  findBootProtocol,
  qemuCpuModel,
} from '@baremetal-kernel/target';
import { cargoConfig, rustToolchain } from '../src/cargo-files.js';
import { GENERATOR_NAME, GENERATOR_VERSION, KERNEL_COMMAND_LINE, kernelView, rustHex32, rustHex64 } from '../src/index.js';
import { MULTIBOOT2 as MULTIBOOT2_MODEL, PVH as PVH_MODEL } from '@baremetal-kernel/target';
import { kernelConfig } from './support.js';

// Views are made inside each test, not once per describe block: Stryker credits the code a test
// runs to that test only while the test itself runs (tools/bench/stryker.mjs).

/** A Rust integer literal (`0x…`, `_` separators allowed) as the number it denotes. */
const rustLiteral = (literal: string) => {
  expect(literal, literal).toMatch(/^0x[0-9a-f]+(_[0-9a-f]+)*$/);
  return BigInt(literal.replaceAll('_', ''));
};
/** A comma-separated list of Rust literals, as the templates splice it into an array. */
const rustLiterals = (list: string) => list.split(', ').map(rustLiteral);
const hexNumber = (value: string) => {
  expect(value, value).toMatch(/^0x[0-9a-f]+$/);
  return Number(value);
};

describe('rustHex32, and the Multiboot2 and PVH constants from the model', () => {
  it('writes 32-bit values as Rust literals in two upper-case groups, zero-padded', () => {
    expect(rustHex32(0xe85250d6)).toBe('0xE852_50D6');
    expect(rustHex32(0x36d76289)).toBe('0x36D7_6289');
    expect(rustHex32(0x1)).toBe('0x0000_0001');
  });

  it('gives the templates every magic value and tag number the model holds, ready to print', () => {
    const view = kernelView(kernelConfig());
    expect(view.multiboot2).toEqual({
      headerMagic: '0xE852_50D6',
      architectureI386: MULTIBOOT2_MODEL.architectureI386,
      bootloaderMagic: '0x36D7_6289',
      // §3.1.3 and §3.1.10.
      headerTags: { end: 0, framebuffer: 5 },
      tags: MULTIBOOT2_MODEL.tags,
      pvh: {
        noteType: PVH_MODEL.noteType,
        // elfnote.h's owner name "Xen", stored with its NUL.
        noteName: { text: 'Xen', size: 4 },
        startInfoMagic: '0x336E_C578',
        // The layout tables of xen/include/public/arch-x86/hvm/start_info.h.
        startInfo: {
          offsets: {
            magic: 0,
            version: 4,
            flags: 8,
            nr_modules: 12,
            modlist_paddr: 16,
            cmdline_paddr: 24,
            rsdp_paddr: 32,
            memmap_paddr: 40,
            memmap_entries: 48,
            reserved: 52,
          },
          size: 56,
        },
        memoryMapVersion: 1,
        moduleEntry: { offsets: { paddr: 0, size: 8, cmdline_paddr: 16, reserved: 24 }, size: 32 },
        memoryMapEntry: { offsets: { addr: 0, size: 8, type: 16, reserved: 20 }, size: 24 },
      },
    });
  });
});

describe('rustHex64', () => {
  it('groups the 16 digits of a 64-bit value by four, keeping the value', () => {
    expect(rustHex64('0xc7b1dd30df4c8b88')).toBe('0xc7b1_dd30_df4c_8b88');
    expect(rustHex64('0x0a82e883a194f07b')).toBe('0x0a82_e883_a194_f07b');
  });
});

describe('kernelView: the Limine constants, as Rust literals', () => {
  const limineView = () => kernelView(kernelConfig({ boot: 'limine' })).limine;

  it('has every request of the model, each ID word denoting the model value', () => {
    const limine = limineView();
    expect(Object.keys(limine.requests).sort()).toEqual(Object.keys(LIMINE.requests).sort());
    for (const [name, id] of Object.entries(LIMINE.requests)) {
      const request = limine.requests[name]!;
      expect([rustLiteral(request.third), rustLiteral(request.fourth)], name).toEqual([BigInt(id[2]), BigInt(id[3])]);
    }
  });

  it('has the base revision tag, the common magic and the request markers', () => {
    const limine = limineView();
    expect(limine.baseRevision).toBe(LIMINE.baseRevision);
    expect(rustLiterals(limine.baseRevisionMagic)).toEqual(LIMINE.baseRevisionMagic.map(BigInt));
    expect(rustLiterals(limine.commonMagic)).toEqual(LIMINE.commonMagic.map(BigInt));
    expect(limine.startMarker.map(rustLiteral)).toEqual(LIMINE.requestsStartMarker.map(BigInt));
    expect(rustLiterals(limine.endMarker)).toEqual(LIMINE.requestsEndMarker.map(BigInt));
  });

  it('passes on the memory map types, the stack guarantee and the release the runner fetches', () => {
    const limine = limineView();
    expect(limine.memoryTypes).toEqual(LIMINE.memoryTypes);
    expect(limine.minimumStackBytes).toBe(LIMINE.minimumStackBytes);
    expect(limine.release).toEqual(LIMINE_RELEASE);
  });
});

describe('kernelView: the exit device, as the kernel, the runner and QEMU see it', () => {
  const baselineView = () => kernelView(kernelConfig());

  it('puts the exit device at the port the kernel writes to', () => {
    const view = baselineView();
    const iobase = /(?:^|,)iobase=(0x[0-9a-f]+)(?:,|$)/.exec(view.qemu.debugExitDevice)?.[1];
    expect(iobase, view.qemu.debugExitDevice).toBeDefined();
    expect(Number(iobase)).toBe(hexNumber(view.debugExit.port));
    expect(hexNumber(view.debugExit.port)).toBe(DEBUG_EXIT.ioBase);
  });

  it('tells the runner the statuses QEMU exits with for the values the kernel writes', () => {
    const view = baselineView();
    expect(debugExitStatus(hexNumber(view.debugExit.successValue))).toBe(view.qemu.successStatus);
    expect(debugExitStatus(hexNumber(view.debugExit.failureValue))).toBe(view.qemu.failureStatus);
    expect([hexNumber(view.debugExit.successValue), hexNumber(view.debugExit.failureValue)]).toEqual([
      DEBUG_EXIT.successValue,
      DEBUG_EXIT.failureValue,
    ]);
    expect(view.qemu.successStatus).not.toBe(view.qemu.failureStatus);
  });

  it("gives the runner QEMU's options as words to split at spaces", () => {
    const view = baselineView();
    expect(view.qemu.gdbArgs.split(' ')).toEqual(QEMU.gdbArgs);
    expect(view.qemu.kvmArgs.split(' ')).toEqual(QEMU.kvmArgs);
    expect(view.qemu.gdbPort).toBe(QEMU.gdbPort);
    expect(view.qemu.memory).toBe(QEMU.memory);
  });

  it("lists the model's OVMF images in order, as code|vars with vars empty when there is none", () => {
    const view = baselineView();
    expect(view.ovmfCandidates.map((candidate) => candidate.split('|'))).toEqual(
      OVMF_FIRMWARE_LOCATIONS.map(({ code, vars }) => [code, vars ?? '']),
    );
  });

  it('names the option that makes the kernel exit after booting', () => {
    expect(baselineView().commandLine).toEqual(KERNEL_COMMAND_LINE);
  });
});

describe.each(PRESETS.map((preset) => [preset.name, preset] as const))('kernelView: the %s preset for the boot code', (name, preset) => {
  const presetView = () => kernelView(kernelConfig({ preset: name })).preset;
  const masks = cpuSetupMasks(preset.cpuSetup);

  it('gives the control register masks as hex numbers', () => {
    const view = presetView();
    expect({ cr0Set: hexNumber(view.cr0Set), cr0Clear: hexNumber(view.cr0Clear), cr4Set: hexNumber(view.cr4Set), xcr0: hexNumber(view.xcr0) }).toEqual(masks);
  });

  it('says whether to enable SSE and AVX state exactly when the masks set their bits', () => {
    const view = presetView();
    expect(view.isBaseline).toBe(preset.cpuSetup.requiredFeatures.length === 0);
    expect(view.enablesSse).toBe((masks.cr4Set & (1 << CONTROL_BITS.cr4Osfxsr.bit)) !== 0);
    expect(view.enablesAvx).toBe((masks.xcr0 & (1 << CONTROL_BITS.xcr0Avx.bit)) !== 0);
  });

  it('lists the CPUID checks in order, with leaf and sub-leaf as hex', () => {
    const view = presetView();
    expect(view.requiredFeatures.map((feature) => ({ ...feature, leaf: hexNumber(feature.leaf), subleaf: hexNumber(feature.subleaf) }))).toEqual(
      preset.cpuSetup.requiredFeatures.map(({ name: featureName, leaf, subleaf, register, bit }) => ({ name: featureName, leaf, subleaf, register, bit })),
    );
  });

  it('reads CPUID up to the highest basic leaf a check needs, never an extended one', () => {
    const view = presetView();
    const basic = preset.cpuSetup.requiredFeatures.map((feature) => feature.leaf).filter((leaf) => leaf < 0x8000_0000);
    expect(hexNumber(view.highestBasicLeaf)).toBe(Math.max(1, ...basic));
  });

  it('names the CR4 and XCR0 bits it sets, for the comments of the boot code', () => {
    const view = presetView();
    expect(view.cr4Bits).toBe(preset.cpuSetup.cr4Set.map((bit) => `${bit.name} (bit ${bit.bit})`).join(', '));
    expect(view.xcr0Bits.split(' | ').filter(Boolean)).toEqual(preset.cpuSetup.xcr0.map((bit) => bit.name));
  });

  it("describes the preset in the model's words, and gives QEMU its CPU model", () => {
    const view = presetView();
    expect({ name: view.name, summary: view.summary, caveats: view.caveats }).toEqual({ name, summary: preset.summary, caveats: preset.caveats });
    expect(view.qemuCpu).toBe(qemuCpuModel(preset));
  });
});

describe('kernelView: the per-preset answers that differ', () => {
  it('enables SSE but not AVX state for x86-64-v2, and checks LAHF/SAHF with long mode, not as a basic leaf', () => {
    const view = kernelView(kernelConfig({ preset: 'x86-64-v2' })).preset;
    expect(view).toMatchObject({ isBaseline: false, enablesSse: true, enablesAvx: false, xcr0: '0x0', xcr0Bits: '', highestBasicLeaf: '0x1' });
    expect(view.requiredFeatures.map((feature) => feature.leaf)).toContain('0x80000001');
  });

  it('names the XCR0 components of x86-64-v3', () => {
    expect(kernelView(kernelConfig({ preset: 'x86-64-v3' })).preset.xcr0Bits).toBe('X87 | SSE | AVX');
  });
});

describe.each(['multiboot2', 'limine'] as const)('kernelView: the %s boot protocol', (boot) => {
  const protocolView = () => kernelView(kernelConfig({ boot }));
  const protocol = findBootProtocol(boot)!;

  it('names the protocol and where the kernel is linked, and offers no way to branch on the protocol', () => {
    const view = protocolView();
    // What differs per protocol comes from its own templates (fragments), not from conditionals.
    expect(view.boot).toEqual({
      name: boot,
      loader: protocol.loader,
      linkAddress: protocol.linkAddress,
    });
  });

  it('lists the Debian packages booting this protocol needs, after the system Rust ones', () => {
    const view = protocolView();
    const own = bootPackages(protocol, 'apt');
    expect(view.toolchain.bootPackages.split(' ')).toEqual(own);
    expect(view.toolchain.debianPackages.split(' ')).toEqual([...DEBIAN_PACKAGES.systemRust, ...own]);
    // GRUB only for multiboot2; Limine's runner builds the loader's tool with make and gcc.
    expect(view.toolchain.bootPackages.includes('grub-pc-bin')).toBe(boot === 'multiboot2');
    expect(view.toolchain.bootPackages.includes('make')).toBe(boot === 'limine');
  });
});

describe.each(TOOLCHAINS.map((toolchain) => [toolchain.name, toolchain] as const))('kernelView: the %s toolchain', (name, toolchain) => {
  const config = kernelConfig({ toolchain: name });
  const toolchainView = () => kernelView(config);

  it("hands on the model's cargo configuration and rust-toolchain.toml unchanged", () => {
    const view = toolchainView();
    expect(view.cargo).toEqual(cargoConfig(config));
    expect(view.rustToolchain).toEqual(rustToolchain(config));
    expect(view.rustToolchain === undefined).toBe(toolchain.rustToolchainFile === undefined);
  });

  it('describes the profile and how to set it up', () => {
    const view = toolchainView();
    expect(view.toolchain).toMatchObject({ name, summary: toolchain.summary, isSystem: name === 'system', setup: toolchain.setup });
  });

  it('records the choices for [package.metadata.baremetal-kernel] as TOML strings', () => {
    const view = toolchainView();
    expect(view.metadata).toEqual({
      generatorVersion: JSON.stringify(GENERATOR_VERSION),
      boot: '"multiboot2"',
      preset: '"baseline"',
      toolchain: JSON.stringify(name),
      codeModel: '"kernel"',
      relocationModel: '"static"',
      modules: '[]',
    });
  });
});

describe('kernelView: names', () => {
  it('keeps the package name, and gives Rust its crate name and the target triple', () => {
    const view = kernelView(kernelConfig({ name: 'my-os' }));
    expect(view).toMatchObject({ name: 'my-os', crateName: 'my_os', target: TARGET.triple });
    expect(view.generator).toEqual({ name: GENERATOR_NAME, version: GENERATOR_VERSION });
  });
});

describe('kernelView: values no shipped configuration has yet', () => {
  it('treats leaf 0x80000000 and above as extended leaves, never as the highest basic leaf', () => {
    const config = kernelConfig({ preset: 'x86-64-v2' });
    const extended = { ...CPUID.lahfSahf, leaf: 0x8000_0000 };
    const preset = { ...config.preset, cpuSetup: { ...config.preset.cpuSetup, requiredFeatures: [CPUID.sse, extended] } };
    expect(kernelView({ ...config, preset }).preset.highestBasicLeaf).toBe('0x1');
  });

  it('records added modules by name in the metadata', () => {
    const config = kernelConfig();
    const modules = [{ name: 'gdt', summary: 'GDT', requires: [], conflicts: [], bootProtocols: ['multiboot2' as const], unsupported: {} }];
    expect(kernelView({ ...config, modules }).metadata.modules).toBe('["gdt"]');
  });
});
