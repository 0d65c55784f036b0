/**
 * Rules the model's tables must keep with each other, from the manuals they cite: a CPU setup
 * only enables state whose CPUID bit it checks (SDM 3A §13), a higher-half kernel only uses code
 * models that reach the top 2 GiB, a profile that builds `core` has its sources. The tables' values
 * themselves are checked against the real tools in the slow layer (test/e2e: rustc, the C
 * compiler's <cpuid.h>, QEMU); these tests catch an entry that contradicts another.
 */
import { describe, expect, it } from 'vitest';
import {
  BOOT_PROTOCOLS,
  CODE_MODELS,
  CONTROL_BITS,
  CPUID,
  DEBIAN_PACKAGES,
  DEFAULT_BOOT_PROTOCOL,
  DEFAULT_PRESET,
  LIMINE,
  LIMINE_RELEASE,
  MULTIBOOT2,
  OVMF_FIRMWARE_LOCATIONS,
  PRESETS,
  RELOCATION_MODELS,
  TARGET,
  TARGET_DEFAULT_CFG_FEATURES,
  TOOLCHAINS,
  TOOLCHAIN_PREFERENCE,
  codeModelFact,
  bootPackages,
  findBootProtocol,
  findPreset,
  findToolchain,
  relocationModelFact,
  type RegisterBit,
} from '../src/index.js';

const CPUID_REGISTERS = ['eax', 'ebx', 'ecx', 'edx'];
const EXTENDED_LEAVES = 0x8000_0000;
/** The kernel code model and a higher-half kernel: the top 2 GiB, 0xffffffff80000000 and up. */
const TOP_2_GIB = 0xffff_ffff_8000_0000n;

describe('the CPUID table', () => {
  const features = Object.values(CPUID);

  it('names a 32-bit register bit of a basic or extended leaf for every feature', () => {
    for (const feature of features) {
      expect(CPUID_REGISTERS, feature.name).toContain(feature.register);
      expect(Number.isInteger(feature.bit) && feature.bit >= 0 && feature.bit < 32, feature.name).toBe(true);
      expect([0x1, 0x7, 0x8000_0001], feature.name).toContain(feature.leaf);
      expect(feature.subleaf).toBe(0);
    }
  });

  it('gives no two features the same bit, name or QEMU property', () => {
    const distinct = (values: string[]) => expect(new Set(values).size).toBe(values.length);
    distinct(features.map((feature) => `${feature.leaf}/${feature.subleaf}/${feature.register}/${feature.bit}`));
    distinct(features.map((feature) => feature.name));
    distinct(features.map((feature) => feature.qemuFlag));
    for (const feature of features) {
      expect(feature.name.length, 'a name for the boot error message').toBeGreaterThan(0);
      // QEMU `-cpu` properties are lower-case words with '-', '_' or '.' (`sse4.1`, `lahf-lm`).
      expect(feature.qemuFlag).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
    }
  });
});

describe('the CPU setup of each preset (SDM 3A §2.5, §13.1-13.3)', () => {
  const inRegister = (bits: readonly RegisterBit[], register: RegisterBit['register']) => bits.every((bit) => bit.register === register);

  it.each(PRESETS.map((preset) => [preset.name, preset.cpuSetup] as const))('%s writes each bit to its own register', (_, setup) => {
    expect(inRegister(setup.cr0Set, 'cr0') && inRegister(setup.cr0Clear, 'cr0')).toBe(true);
    expect(inRegister(setup.cr4Set, 'cr4')).toBe(true);
    expect(inRegister(setup.xcr0, 'xcr0')).toBe(true);
    expect(setup.cr0Set.filter((bit) => setup.cr0Clear.includes(bit))).toEqual([]);
  });

  it.each(PRESETS.map((preset) => [preset.name, preset.cpuSetup] as const))(
    '%s enables SSE or AVX state only after checking for it, and XCR0 the way XSETBV requires',
    (_, setup) => {
      const required = new Set(setup.requiredFeatures);
      if (setup.cr4Set.includes(CONTROL_BITS.cr4Osfxsr)) {
        // SSE instructions need CR0.EM clear, CR0.MP set and CR4.OSFXSR, on a CPU that has SSE.
        expect(required.has(CPUID.sse) && required.has(CPUID.sse2)).toBe(true);
        expect(setup.cr0Clear).toContain(CONTROL_BITS.cr0Emulation);
        expect(setup.cr0Set).toContain(CONTROL_BITS.cr0MonitorCoprocessor);
      }
      if (setup.xcr0.length > 0) {
        // XSETBV needs CR4.OSXSAVE, which needs XSAVE; XCR0 must keep X87 set, AVX needs SSE (§13.3).
        expect(required.has(CPUID.xsave)).toBe(true);
        expect(setup.cr4Set).toContain(CONTROL_BITS.cr4Osxsave);
        expect(setup.xcr0).toContain(CONTROL_BITS.xcr0X87);
        if (setup.xcr0.includes(CONTROL_BITS.xcr0Avx)) {
          expect(setup.xcr0).toContain(CONTROL_BITS.xcr0Sse);
          expect(required.has(CPUID.avx)).toBe(true);
        }
      }
      if (setup.cr4Set.includes(CONTROL_BITS.cr4Osxsave)) expect(setup.xcr0.length).toBeGreaterThan(0);
    },
  );

  it('gives every control bit a distinct name in its register and a reason', () => {
    const bits = Object.values(CONTROL_BITS);
    for (const register of ['cr0', 'cr4', 'xcr0'] as const) {
      const own = bits.filter((bit) => bit.register === register);
      expect(own.length, register).toBeGreaterThan(0);
      expect(new Set(own.map((bit) => bit.name)).size).toBe(own.length);
      expect(new Set(own.map((bit) => bit.bit)).size).toBe(own.length);
    }
    for (const bit of bits) expect(bit.reason.length, bit.name).toBeGreaterThan(0);
  });
});

describe('the presets as levels', () => {
  const [baseline, v2, v3] = ['baseline', 'x86-64-v2', 'x86-64-v3'].map((name) => findPreset(name)!);

  it('nest: each level checks and reports everything the one below does', () => {
    const levels = [baseline!, v2!, v3!];
    for (let index = 1; index < levels.length; index++) {
      const [lower, upper] = [levels[index - 1]!, levels[index]!];
      expect(upper.cpuSetup.requiredFeatures, upper.name).toEqual(expect.arrayContaining([...lower.cpuSetup.requiredFeatures]));
      expect(upper.cfgFeatures, upper.name).toEqual(expect.arrayContaining([...lower.cfgFeatures]));
    }
  });

  it("start from the target's own defaults: the baseline adds no CPU and reports what the target does", () => {
    expect(baseline!.targetCpu).toBeUndefined();
    expect(baseline!.cfgFeatures).toEqual(TARGET_DEFAULT_CFG_FEATURES);
    expect(baseline!.cpuSetup.requiredFeatures).toEqual([]);
  });

  it('give C code the level Rust code gets', () => {
    for (const preset of PRESETS) expect(preset.cMarch, preset.name).toBe(preset.targetCpu ?? TARGET.cpu);
  });

  it('add QEMU quirk flags that are not CPUID checks already', () => {
    for (const preset of PRESETS) {
      const checked = preset.cpuSetup.requiredFeatures.map((feature) => feature.qemuFlag);
      expect(preset.qemuQuirkFlags.filter((flag) => checked.includes(flag)), preset.name).toEqual([]);
    }
  });

  it('say in their caveats which integer instructions they add and what state the boot code enables', () => {
    // The instructions rustc enables beyond the baseline (cfgFeatures), by their SDM names.
    const INSTRUCTIONS: Record<string, string> = { popcnt: 'POPCNT', cmpxchg16b: 'CMPXCHG16B', lzcnt: 'LZCNT', bmi1: 'BMI1', bmi2: 'BMI', movbe: 'MOVBE' };
    for (const preset of [v2!, v3!]) {
      const text = preset.caveats.join(' ');
      for (const feature of preset.cfgFeatures.filter((name) => name in INSTRUCTIONS)) expect(text, `${preset.name}: ${feature}`).toContain(INSTRUCTIONS[feature]);
      expect(text).toMatch(/boot code still enables SSE/);
      expect(text).toContain(`C code gets the same -march`);
    }
    expect(baseline!.caveats.join(' ')).toMatch(/^No SSE state exists/);
  });

  it('size the XSAVE area of x86-64-v3 as the SDM lays it out (Vol. 1 §13.4)', () => {
    // Legacy region (x87 + SSE) 512 bytes, XSAVE header 64, then the AVX component: 16 YMM upper halves of 16 bytes.
    const bytes = 512 + 64 + 16 * 16;
    expect(v3!.caveats.join(' ')).toContain(`XSAVE area for x87+SSE+AVX state is ${bytes} bytes`);
  });

  it('each have a summary and caveats to show, and the default is one of them', () => {
    for (const preset of PRESETS) {
      expect(preset.summary.length, preset.name).toBeGreaterThan(0);
      expect(preset.caveats.length, preset.name).toBeGreaterThan(0);
      for (const caveat of preset.caveats) expect(caveat.length, preset.name).toBeGreaterThan(0);
    }
    expect(findPreset(DEFAULT_PRESET)).toBe(baseline);
  });
});

describe('the boot protocols', () => {
  it.each(BOOT_PROTOCOLS.map((protocol) => [protocol.name, protocol] as const))(
    '%s: a link address the code models it allows can reach',
    (_, protocol) => {
      const address = BigInt(protocol.linkAddress);
      expect(protocol.linkAddress).toMatch(/^0x[0-9a-f]+$/);
      expect(protocol.higherHalf).toBe(address >= TOP_2_GIB);
      expect(protocol.codeModels).toContain(protocol.defaultCodeModel);
      expect(protocol.relocationModels).toContain(protocol.defaultRelocationModel);
      // The small and medium models put code in the low 2 GiB (target.ts, CODE_MODELS).
      for (const lowOnly of ['small', 'medium'] as const) {
        expect(protocol.codeModels.includes(lowOnly)).toBe(!protocol.higherHalf);
      }
      if (!protocol.higherHalf) expect(address < BigInt(MULTIBOOT2.loadAddressLimit)).toBe(true);
      expect(protocol.modelConstraints.length).toBeGreaterThan(0);
    },
  );

  it.each(BOOT_PROTOCOLS.map((protocol) => [protocol.name, protocol] as const))(
    '%s: boot paths that match its firmware, and a direct boot only through PVH',
    (_, protocol) => {
      expect(protocol.bootPaths.includes('bios-iso')).toBe(protocol.firmware.includes('bios'));
      expect(protocol.bootPaths.includes('uefi-iso')).toBe(protocol.firmware.includes('uefi'));
      expect(protocol.bootPaths.includes('direct')).toBe(protocol.pvh !== undefined);
      // Limine enters in long mode with paging on; multiboot2 and PVH in 32-bit protected mode.
      expect(protocol.entryState.cpuMode).toBe(protocol.name === 'limine' ? 'long-64' : 'protected-32');
      if (protocol.pvh) expect(protocol.pvh.entryState.cpuMode).toBe('protected-32');
    },
  );

  it.each(BOOT_PROTOCOLS.map((protocol) => [protocol.name, protocol] as const))(
    "%s: the runner's least memory for each boot path and no other, and tests on one of its paths",
    (_, protocol) => {
      expect(Object.keys(protocol.minimumMemory).sort()).toEqual([...protocol.bootPaths].sort());
      for (const minimum of Object.values(protocol.minimumMemory)) expect(Number.isInteger(minimum.mib) && minimum.mib > 0).toBe(true);
      expect(protocol.bootPaths).toContain(protocol.testBootPath);
    },
  );

  it.each(BOOT_PROTOCOLS.map((protocol) => [protocol.name, protocol] as const))('%s: says where each piece of boot information comes from', (_, protocol) => {
    for (const [piece, { provided, source }] of Object.entries(protocol.bootInformation)) {
      if (provided) expect(source.length, piece).toBeGreaterThan(0);
    }
    for (const text of [protocol.summary, protocol.loader, ...protocol.entryState.notes, ...Object.values(protocol.entryState.registers)]) {
      expect(text.length, protocol.name).toBeGreaterThan(0);
    }
  });

  it('default to one of them, found by name', () => {
    expect(findBootProtocol(DEFAULT_BOOT_PROTOCOL)?.name).toBe(DEFAULT_BOOT_PROTOCOL);
    for (const protocol of BOOT_PROTOCOLS) expect(findBootProtocol(protocol.name)).toBe(protocol);
    expect(findBootProtocol('multiboot')).toBeUndefined();
  });
});

describe('the multiboot2 numbers (spec §3.1, §3.6)', () => {
  it('number tags, memory types and header tags without clashes', () => {
    const distinct = (values: number[]) => expect(new Set(values).size).toBe(values.length);
    distinct(Object.values(MULTIBOOT2.tags));
    distinct(Object.values(MULTIBOOT2.memoryTypes));
    for (const name of Object.values(MULTIBOOT2.headerTags)) expect(name.length).toBeGreaterThan(0);
    expect(MULTIBOOT2.headerTags[0]).toBe('end');
  });
});

describe('the Limine request IDs (limine-protocol PROTOCOL.md)', () => {
  const word = /^0x[0-9a-f]{16}$/;

  it('are four 64-bit words, the common magic first, and no two requests alike', () => {
    const ids = Object.entries(LIMINE.requests);
    for (const [name, id] of ids) {
      expect(id, name).toHaveLength(4);
      for (const part of id) expect(part, name).toMatch(word);
      expect(id.slice(0, 2), name).toEqual([...LIMINE.commonMagic]);
    }
    expect(new Set(ids.map(([, id]) => id.join(' '))).size).toBe(ids.length);
  });

  it('frame the requests with 64-bit markers and tag the base revision the same way', () => {
    for (const part of [...LIMINE.commonMagic, ...LIMINE.baseRevisionMagic, ...LIMINE.requestsStartMarker, ...LIMINE.requestsEndMarker]) {
      expect(part).toMatch(word);
    }
    expect([LIMINE.baseRevisionMagic.length, LIMINE.requestsStartMarker.length, LIMINE.requestsEndMarker.length]).toEqual([2, 4, 2]);
    expect(new Set(Object.values(LIMINE.memoryTypes)).size).toBe(Object.keys(LIMINE.memoryTypes).length);
  });

  it('pin a release the runner can fetch and verify', () => {
    expect(LIMINE_RELEASE.url).toContain(`/v${LIMINE_RELEASE.version}/`);
    expect(LIMINE_RELEASE.url).toMatch(/^https:\/\/.*\/limine-binary\.tar\.gz$/);
    expect(LIMINE_RELEASE.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('the toolchain profiles', () => {
  it('build core from sources they have: the rust-src component, or vendored sources', () => {
    for (const toolchain of TOOLCHAINS) {
      const hasRustSrc = toolchain.rustToolchainFile?.components.includes('rust-src') ?? false;
      if (toolchain.buildStd) expect(hasRustSrc || toolchain.vendoredStdSources, toolchain.name).toBe(true);
      // Only a compiler that is not nightly needs RUSTC_BOOTSTRAP for -Zbuild-std.
      if (toolchain.bootstrap) expect(toolchain.rustToolchainFile?.channel, toolchain.name).not.toBe('nightly');
      expect(toolchain.setup.length, toolchain.name).toBeGreaterThan(0);
      expect(toolchain.summary.length, toolchain.name).toBeGreaterThan(0);
    }
  });

  it('use the prebuilt target only where rustup installs it, and pin a channel only under rustup', () => {
    const stable = findToolchain('rustup-stable')!;
    expect(stable.buildStd).toBe(false);
    expect(stable.rustToolchainFile?.targets).toContain(TARGET.triple);
    expect(stable.rustToolchainFile?.channel).toBe('stable');
    const nightly = findToolchain('rustup-nightly')!;
    expect(nightly.rustToolchainFile?.channel).toBe('nightly');
    expect(nightly.bootstrap).toBe(false);
    const system = findToolchain('system')!;
    expect(system).toMatchObject({ buildStd: true, bootstrap: true, vendoredStdSources: true, rustToolchainFile: undefined });
    expect(system.setup.join('\n')).toContain(DEBIAN_PACKAGES.systemRust.join(' '));
    // Detection tells a machine whose rustup shadows the system compiler to run this step alone.
    expect(system.setup).toContain('export PATH=/usr/bin:$PATH');
  });

  it('are all in the order of preference auto picks from, once each', () => {
    expect([...TOOLCHAIN_PREFERENCE].sort()).toEqual(TOOLCHAINS.map((toolchain) => toolchain.name).sort());
    expect(findToolchain('beta')).toBeUndefined();
  });
});

describe('the code and relocation models', () => {
  it("include the target's defaults, each found by name", () => {
    for (const model of CODE_MODELS) expect(codeModelFact(model.name)).toBe(model);
    for (const model of RELOCATION_MODELS) expect(relocationModelFact(model.name)).toBe(model);
    expect(codeModelFact(TARGET.codeModel).name).toBe(TARGET.codeModel);
    expect(relocationModelFact(TARGET.relocationModel).name).toBe(TARGET.relocationModel);
  });

  it('say what each model means for where the kernel may live and what the linker makes', () => {
    for (const model of CODE_MODELS) expect([model.addressRange.length, model.description.length], model.name).not.toContain(0);
    for (const model of RELOCATION_MODELS) expect([model.output.length, model.description.length], model.name).not.toContain(0);
    expect(new Set(CODE_MODELS.map((model) => model.name)).size).toBe(CODE_MODELS.length);
  });
});

describe('the host packages', () => {
  it('give each boot path QEMU and OVMF, and GRUB only to multiboot2', () => {
    const multiboot2 = bootPackages(findBootProtocol('multiboot2')!, 'apt');
    const limine = bootPackages(findBootProtocol('limine')!, 'apt');
    for (const packages of [limine, multiboot2]) expect(packages).toEqual(expect.arrayContaining(['qemu-system-x86', 'ovmf', 'xorriso']));
    expect(multiboot2).toEqual(expect.arrayContaining(['grub-pc-bin', 'grub-efi-amd64-bin', 'grub-common', 'mtools']));
    expect(limine.filter((name) => name.startsWith('grub'))).toEqual([]);
    // The Limine runner fetches the release over HTTPS (curl, CA certificates) and builds its host
    // tool (make, gcc and the C library's headers).
    expect(limine).toEqual(expect.arrayContaining(['curl', 'ca-certificates', 'make', 'gcc', 'libc6-dev']));
  });

  it('look for OVMF at absolute paths, each once, with a variable store only beside a code image', () => {
    const codes = OVMF_FIRMWARE_LOCATIONS.map((location) => location.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const { code, vars } of OVMF_FIRMWARE_LOCATIONS) {
      expect(code).toMatch(/^\/.+\.fd$/);
      if (vars !== undefined) expect(vars).toMatch(/^\/.+\.fd$/);
    }
    // Debian's image first: it is what the project's own machines have.
    expect(OVMF_FIRMWARE_LOCATIONS[0]!.code).toBe('/usr/share/OVMF/OVMF_CODE_4M.fd');
  });
});
