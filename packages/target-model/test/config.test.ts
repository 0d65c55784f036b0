import { describe, expect, it } from 'vitest';
import { validateKernelRequest, type KernelRequest, type ModuleRule, type ToolchainReport } from '../src/index.js';

const systemOnly: ToolchainReport = {
  rustc: undefined,
  statuses: [
    { name: 'rustup-stable', usable: false, detail: 'rustup is not installed', fix: ['rustup target add x86_64-unknown-none'] },
    { name: 'rustup-nightly', usable: false, detail: 'rustup is not installed', fix: ['rustup toolchain install nightly'] },
    { name: 'system', usable: true, detail: 'rustc 1.96.0', fix: [] },
  ],
  recommended: 'system',
  systemVendorDirectory: '/opt/rust/lib/rustlib/src/rust/library/vendor',
};

function problemsOf(request: KernelRequest, context = {}) {
  const result = validateKernelRequest(request, context);
  if (result.ok) throw new Error('expected problems');
  return result.problems;
}

describe('validateKernelRequest', () => {
  it('fills every default for a bare name', () => {
    const result = validateKernelRequest({ name: 'my-os', toolchain: 'rustup-stable' });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { config } = result;
    expect(config.crateName).toBe('my_os');
    expect(config.boot.name).toBe('multiboot2');
    expect(config.preset.name).toBe('baseline');
    expect(config.toolchain.name).toBe('rustup-stable');
    expect(config.codeModel).toBe('kernel');
    expect(config.relocationModel).toBe('static');
    expect(config.vendorDirectory).toBeUndefined();
  });

  it("resolves 'auto' to the detected toolchain and takes its vendored sources", () => {
    const result = validateKernelRequest({ name: 'os', toolchain: 'auto' }, { detected: systemOnly });
    expect(result.ok && result.config.toolchain.name).toBe('system');
    expect(result.ok && result.config.vendorDirectory).toBe(systemOnly.systemVendorDirectory);
  });

  it("defaults the system profile's sources to Debian's when nothing was detected", () => {
    const result = validateKernelRequest({ name: 'os', toolchain: 'system' });
    expect(result.ok && result.config.vendorDirectory).toBe('/usr/lib/rustlib/src/rust/library/vendor');
  });

  it("rejects 'auto' without detection; with no usable toolchain it means rustup-stable", () => {
    expect(problemsOf({ name: 'os' })).toEqual([
      expect.objectContaining({ code: 'E_NO_TOOLCHAIN', field: 'toolchain' }),
    ]);
    const nothing: ToolchainReport = {
      ...systemOnly,
      statuses: systemOnly.statuses.map((status) => ({ ...status, usable: false, fix: [`fix ${status.name}`] })),
      recommended: undefined,
    };
    const result = validateKernelRequest({ name: 'os', toolchain: 'auto' }, { detected: nothing });
    expect(result.ok && result.config.toolchain.name).toBe('rustup-stable');
  });

  it('reports an unknown preset with the known ones and a suggestion', () => {
    const [problem] = problemsOf({ name: 'os', toolchain: 'system', preset: 'x86-64-v4' });
    expect(problem).toEqual({
      code: 'E_UNKNOWN_PRESET',
      field: 'preset',
      message: "unknown feature preset 'x86-64-v4' (known: baseline, x86-64-v2, x86-64-v3)",
    });
  });

  it('reports an unknown boot protocol, toolchain, code model and relocation model', () => {
    const problems = problemsOf({ name: 'os', boot: 'multiboot', toolchain: 'stable', codeModel: 'tiny', relocationModel: 'dynamic' });
    expect(problems.map((problem) => problem.code)).toEqual([
      'E_UNKNOWN_BOOT',
      'E_UNKNOWN_TOOLCHAIN',
      'E_UNKNOWN_CODE_MODEL',
      'E_UNKNOWN_RELOCATION_MODEL',
    ]);
    expect(problems[0]!.message).toBe("unknown boot protocol 'multiboot' (known: multiboot2, limine); did you mean 'multiboot2'?");
    expect(problems[1]!.message).toBe(
      "unknown toolchain 'stable' (known: auto, rustup-stable, rustup-nightly, system)",
    );
  });

  it('reports every problem at once, the name included', () => {
    const problems = problemsOf({ name: '1os', preset: 'fast', toolchain: 'system' });
    expect(problems.map((problem) => problem.code)).toEqual(['E_INVALID_NAME', 'E_UNKNOWN_PRESET']);
    expect(problems[0]!.message).toBe("invalid project name: '1os' starts with a digit; a crate name must start with a letter");
  });

  it('rejects a position-independent multiboot2 kernel and explains why', () => {
    const [problem] = problemsOf({ name: 'os', toolchain: 'system', relocationModel: 'pic' });
    expect(problem?.code).toBe('E_INCOMPATIBLE_RELOCATION_MODEL');
    expect(problem?.message).toMatch(/^relocation model 'pic' does not work with multiboot2: .*R_X86_64_32/);
  });

  it('rejects a higher-half Limine kernel with the small code model', () => {
    const [problem] = problemsOf({ name: 'os', toolchain: 'system', boot: 'limine', codeModel: 'small' });
    expect(problem?.code).toBe('E_INCOMPATIBLE_CODE_MODEL');
    expect(problem?.message).toContain('(valid: kernel, large)');
  });

  it('accepts the combinations each protocol allows', () => {
    expect(validateKernelRequest({ name: 'os', toolchain: 'system', boot: 'limine', relocationModel: 'pic' }).ok).toBe(true);
    expect(validateKernelRequest({ name: 'os', toolchain: 'system', codeModel: 'large' }).ok).toBe(true);
  });

  describe('modules', () => {
    const catalogue: ModuleRule[] = [
      { name: 'gdt', summary: 'GDT', requires: [], conflicts: [], bootProtocols: ['multiboot2', 'limine'], unsupported: {} },
      { name: 'idt', summary: 'IDT', requires: ['gdt'], conflicts: [], bootProtocols: ['multiboot2', 'limine'], unsupported: {} },
      { name: 'smp', summary: 'SMP', requires: [], conflicts: [], bootProtocols: ['limine'], unsupported: { multiboot2: 'no MP table here' } },
      {
        name: 'vga',
        summary: 'VGA',
        requires: [],
        conflicts: [{ module: 'fb', reason: 'both draw the console' }],
        bootProtocols: ['multiboot2', 'limine'],
        unsupported: {},
      },
      { name: 'fb', summary: 'FB', requires: [], conflicts: [], bootProtocols: ['multiboot2', 'limine'], unsupported: {} },
      {
        name: 'avx',
        summary: 'AVX',
        requires: [],
        conflicts: [],
        bootProtocols: ['multiboot2', 'limine'],
        unsupported: {},
        presets: { only: ['x86-64-v3'], reason: 'it uses AVX2' },
      },
    ];
    const base = { name: 'os', toolchain: 'system' };

    it('says plainly that no modules exist yet', () => {
      expect(problemsOf({ ...base, modules: ['gdt'] }, { modules: [] })[0]?.message).toBe("unknown module 'gdt' (no modules are available yet)");
    });

    it('resolves known modules in order', () => {
      const result = validateKernelRequest({ ...base, modules: ['gdt', 'idt'] }, { modules: catalogue });
      expect(result.ok && result.config.modules.map((module) => module.name)).toEqual(['gdt', 'idt']);
    });

    it('adds what a module requires, before it', () => {
      const result = validateKernelRequest({ ...base, modules: ['idt'] }, { modules: catalogue });
      expect(result.ok && result.config.modules.map((module) => module.name)).toEqual(['gdt', 'idt']);
    });

    it('reports unknown, duplicate, wrong-protocol and conflicting modules, with the reasons', () => {
      const problems = problemsOf({ ...base, modules: ['idtt', 'idt', 'idt', 'smp', 'fb', 'vga'] }, { modules: catalogue });
      expect(problems).toEqual([
        { code: 'E_UNKNOWN_MODULE', field: 'modules', message: "unknown module 'idtt' (known: gdt, idt, smp, vga, fb, avx); did you mean 'idt'?" },
        { code: 'E_DUPLICATE_MODULE', field: 'modules', message: "module 'idt' is listed twice" },
        { code: 'E_MODULE_BOOT', field: 'modules', message: "module 'smp' does not support the multiboot2 boot protocol: no MP table here" },
        { code: 'E_MODULE_CONFLICT', field: 'modules', message: "modules 'fb' and 'vga' cannot be in one kernel: both draw the console" },
      ]);
    });

    it('refuses a module the preset cannot have, with the reason', () => {
      expect(problemsOf({ ...base, modules: ['avx'] }, { modules: catalogue })).toEqual([
        { code: 'E_MODULE_PRESET', field: 'modules', message: "module 'avx' does not support the baseline preset (only x86-64-v3): it uses AVX2" },
      ]);
      expect(validateKernelRequest({ ...base, preset: 'x86-64-v3', modules: ['avx'] }, { modules: catalogue }).ok).toBe(true);
    });
  });
});

describe('boot protocol facts', () => {
  it('pins the multiboot2 and Limine constants the kernels are built from', async () => {
    const { MULTIBOOT2, LIMINE, PVH } = await import('../src/index.js');
    expect(MULTIBOOT2.headerMagic).toBe(0xe85250d6);
    expect(MULTIBOOT2.bootloaderMagic).toBe(0x36d76289);
    expect(PVH).toMatchObject({ noteType: 18, noteName: 'Xen', startInfoMagic: 0x336ec578 });
    expect(LIMINE.baseRevision).toBe(6);
    expect(LIMINE.requestsEndMarker).toHaveLength(2);
    for (const id of Object.values(LIMINE.requests)) {
      expect(id.slice(0, 2)).toEqual(LIMINE.commonMagic);
      expect(id.every((word) => /^0x[0-9a-f]{16}$/.test(word))).toBe(true);
    }
  });

  it('pins how each protocol tells BIOS from UEFI', async () => {
    const { MULTIBOOT2, LIMINE } = await import('../src/index.js');
    // Multiboot2 §3.6.13-14: the EFI 32-bit and 64-bit system table pointer tags.
    expect(MULTIBOOT2.tags).toMatchObject({ efi32SystemTable: 11, efi64SystemTable: 12 });
    // Limine PROTOCOL.md §Firmware Type Feature: LIMINE_FIRMWARE_TYPE_REQUEST_ID and the values
    // LIMINE_FIRMWARE_TYPE_X86BIOS, _EFI32, _EFI64, _SBI.
    expect(LIMINE.requests.firmwareType).toEqual([...LIMINE.commonMagic, '0x8c2f75d90bef28a8', '0x7045a4688eac00c3']);
    expect(LIMINE.firmwareTypes).toEqual({ x86Bios: 0, efi32: 1, efi64: 2, sbi: 3 });
  });
});
