import { describe, expect, it } from 'vitest';
import { BOOT_PROTOCOLS, PRESETS, TOOLCHAINS } from '@baremetal-kernel/target';
import {
  FRAGMENTS_FOLDER,
  GeneratorError,
  compileTemplates,
  comparePaths,
  loadTemplates,
  outputPath,
  planKernel,
  precompileTemplates,
  renderTemplate,
  templatesFile,
  templatesFromFile,
  type CompiledTemplates,
} from '../src/index.js';
import { kernelConfig } from './support.js';

const sources = new Map([
  ['kernel/Cargo.toml.hbs', 'name = "{{name}}"\n'],
  ['kernel/_cargo/config.toml.hbs', 'target = {{cargo.target}}\n'],
  ['kernel/rust-toolchain.toml.hbs', 'channel = {{rustToolchain.channel}}\n'],
  ['kernel/runner.hbs', '#!/bin/sh\n'],
  ['kernel/linker.ld.hbs', 'generic\n'],
  ['boot/multiboot2/linker.ld.hbs', 'ENTRY(start) /* {{boot.linkAddress}} */\n'],
  ['boot/limine/linker.ld.hbs', 'limine\n'],
  ['kernel/README.md', 'not a template: ignored by loadTemplates, kept out here too\n'],
]);
const templates = compileTemplates(sources);

describe('outputPath', () => {
  it('drops the layer and the suffix and turns a leading _ into a dot', () => {
    expect(outputPath('kernel/_cargo/config.toml.hbs', 'kernel/')).toBe('.cargo/config.toml');
    expect(outputPath('kernel/_gitignore.hbs', 'kernel/')).toBe('.gitignore');
    expect(outputPath('boot/multiboot2/src/boot/multiboot2.rs.hbs', 'boot/multiboot2/')).toBe('src/boot/multiboot2.rs');
  });
});

describe('planKernel', () => {
  it('renders the common layer and the boot layer, the boot layer winning', () => {
    const plan = planKernel(kernelConfig(), templates);
    expect(plan.files.map((file) => file.path)).toEqual(['.cargo/config.toml', 'Cargo.toml', 'linker.ld', 'runner']);
    expect(plan.files.find((file) => file.path === 'linker.ld')?.contents).toBe('ENTRY(start) /* 0x100000 */\n');
    expect(plan.files.find((file) => file.path === 'Cargo.toml')?.contents).toBe('name = "test-os"\n');
  });

  it('makes the runner executable and nothing else', () => {
    const modes = Object.fromEntries(planKernel(kernelConfig(), templates).files.map((file) => [file.path, file.mode]));
    expect(modes).toEqual({ '.cargo/config.toml': 0o644, 'Cargo.toml': 0o644, 'linker.ld': 0o644, runner: 0o755 });
  });

  it('writes rust-toolchain.toml only for the rustup profiles', () => {
    const stable = planKernel(kernelConfig({ toolchain: 'rustup-stable' }), templates);
    expect(stable.files.find((file) => file.path === 'rust-toolchain.toml')?.contents).toBe('channel = "stable"\n');
  });

  it('refuses a boot protocol without templates', () => {
    const withoutLimine = compileTemplates(new Map([...sources].filter(([path]) => !path.startsWith('boot/limine/'))));
    expect(() => planKernel(kernelConfig({ boot: 'limine' }), withoutLimine)).toThrowError(
      expect.objectContaining({ code: 'E_UNSUPPORTED', message: 'the limine boot protocol has no kernel templates in this version of baremetal-kernel' }),
    );
  });
});

describe('renderTemplate', () => {
  it('does not escape HTML characters (Rust is not HTML)', () => {
    expect(renderTemplate('t', '{{value}}', { value: "Vec<&'a str> && x > 1" })).toBe("Vec<&'a str> && x > 1");
  });

  it('keeps GitHub Actions expressions written as \\{{', () => {
    expect(renderTemplate('t', 'key: $\\{{ runner.os }}-{{name}}', { name: 'os' })).toBe('key: ${{ runner.os }}-os');
  });

  it('fails loudly, naming the template, on a missing field', () => {
    expect(() => renderTemplate('src/main.rs.hbs', '{{nmae}}', { name: 'os' })).toThrowError(GeneratorError);
    expect(() => renderTemplate('src/main.rs.hbs', '{{nmae}}', { name: 'os' })).toThrowError(/^template src\/main\.rs\.hbs: "nmae" not defined/);
  });
});

/** The templates precompiled into data, written to a templates file and read back, as the CLI does. */
function loadPrecompiled(templates: ReadonlyMap<string, string>): CompiledTemplates {
  return templatesFromFile(templatesFile(precompileTemplates(templates)));
}

describe('precompileTemplates', () => {
  it('turns templates into data that renders like the compiled templates, their text kept apart', () => {
    const data = precompileTemplates(new Map([['kernel/a.hbs', 'name = {{name}} <&>\n']]));
    expect(data).toEqual({ templates: { 'kernel/a.hbs': [['text', 0, 7], ['field', 0, false, ['name']], ['text', 7, 12]] }, text: 'name =  <&>\n' });
    const precompiled = loadPrecompiled(new Map([['kernel/a.hbs', 'name = {{name}} <&>\n']]));
    expect(precompiled.get('kernel/a.hbs')!({ name: 'os' })).toBe('name = os <&>\n');
    expect(() => precompiled.get('kernel/a.hbs')!({})).toThrow(/"name" not defined/);
  });

  it('renders every planned kernel exactly as the templates compiled at run time do', () => {
    const real = loadTemplates();
    const precompiled = loadPrecompiled(real);
    const compiled = compileTemplates(real);
    for (const boot of BOOT_PROTOCOLS) {
      for (const preset of PRESETS) {
        for (const toolchain of TOOLCHAINS) {
          const config = kernelConfig({ boot: boot.name, preset: preset.name, toolchain: toolchain.name });
          expect(planKernel(config, precompiled)).toEqual(planKernel(config, compiled));
        }
      }
    }
  });
});

describe('availableBootProtocols', () => {
  it('lists the protocols that have a template layer', async () => {
    const { availableBootProtocols } = await import('../src/index.js');
    expect(availableBootProtocols(templates)).toEqual(['multiboot2', 'limine']);
    expect(availableBootProtocols(compileTemplates(new Map([['boot/multiboot2/x.hbs', '']])))).toEqual(['multiboot2']);
  });
});

describe('the files a kernel project is made of (the real templates)', () => {
  const realTemplates = compileTemplates(loadTemplates());
  const pathsOf = (request: Parameters<typeof kernelConfig>[0]) => planKernel(kernelConfig(request), realTemplates).files.map((file) => file.path);

  /** Every kernel has these, whatever its boot protocol and toolchain. */
  const COMMON = [
    '.cargo/config.toml',
    '.github/workflows/ci.yml',
    '.gitignore',
    '.vscode/extensions.json',
    '.vscode/launch.json',
    '.vscode/settings.json',
    '.vscode/tasks.json',
    'Cargo.lock',
    'Cargo.toml',
    'README.md',
    'build.rs',
    'kernel.gdb',
    'linker.ld',
    'runner',
    'src/allocator.rs',
    'src/arch/mod.rs',
    'src/arch/x86_64/cpu.rs',
    'src/arch/x86_64/exceptions.rs',
    'src/arch/x86_64/gdt.rs',
    'src/arch/x86_64/idt.rs',
    'src/arch/x86_64/mod.rs',
    'src/arch/x86_64/port.rs',
    'src/arch/x86_64/tsc.rs',
    'src/backtrace.rs',
    'src/boot/cpu_features.rs',
    'src/boot/early_serial.rs',
    'src/boot/mod.rs',
    'src/boot_info.rs',
    'src/console.rs',
    'src/font.rs',
    'src/framebuffer.rs',
    'src/lib.rs',
    'src/main.rs',
    'src/memory/frames.rs',
    'src/memory/mod.rs',
    'src/memory/paging.rs',
    'src/memory/stacks.rs',
    'src/panic.rs',
    'src/qemu.rs',
    'src/serial.rs',
    'src/sync.rs',
    'src/testing.rs',
    'tests/allocator.rs',
    'tests/divide_error.rs',
    'tests/framebuffer.rs',
    'tests/general_protection.rs',
    'tests/heap_exhaustion.rs',
    'tests/invalid_opcode.rs',
    'tests/kernel.rs',
    'tests/memory.rs',
    'tests/null_write.rs',
    'tests/page_fault.rs',
    'tests/protection.rs',
    'tests/stack_overflow.rs',
  ];
  const BOOT_FILES = {
    multiboot2: ['src/boot/entry32.rs', 'src/boot/multiboot2.rs', 'src/boot/pvh.rs', 'tests/boot_modules.rs'],
    limine: ['src/boot/entry.rs', 'src/boot/limine.rs'],
  };
  const sorted = (paths: string[]) => [...paths].sort((a, b) => a.localeCompare(b));

  /** The rustc wrapper that gives build-std profiles their shared sysroot. */
  const SHARED_SYSROOT_FILES = ['.cargo/sysroot-rustc', '.cargo/sysroot-rustdoc'];

  it.each(Object.entries(BOOT_FILES))('plans exactly the common files and its own boot files for %s', (boot, bootFiles) => {
    expect(pathsOf({ boot: boot as 'multiboot2' | 'limine' })).toEqual(sorted([...COMMON, ...SHARED_SYSROOT_FILES, ...bootFiles]));
  });

  it('adds rust-toolchain.toml for the rustup profiles only', () => {
    expect(pathsOf({ toolchain: 'rustup-stable' })).toEqual(sorted([...COMMON, ...BOOT_FILES.multiboot2, 'rust-toolchain.toml']));
    expect(pathsOf({ toolchain: 'rustup-nightly' })).toContain('rust-toolchain.toml');
  });

  it("adds the shared sysroot's rustc wrapper and rustdoc, executable, for the profiles that build core from source only", () => {
    for (const path of SHARED_SYSROOT_FILES) expect(pathsOf({ toolchain: 'rustup-stable' })).not.toContain(path);
    for (const toolchain of ['system', 'rustup-nightly'] as const) {
      const files = planKernel(kernelConfig({ toolchain }), realTemplates).files;
      for (const path of SHARED_SYSROOT_FILES) expect(files.find((file) => file.path === path)?.mode, `${path} (${toolchain})`).toBe(0o755);
    }
  });

  it('plans the same files for every preset', () => {
    for (const preset of ['x86-64-v2', 'x86-64-v3'] as const) expect(pathsOf({ preset })).toEqual(pathsOf({}));
  });
});

describe('fragments: what each protocol puts into the common templates', () => {
  const sources = loadTemplates();
  const fragmentNames = (protocol: string) =>
    [...sources.keys()]
      .filter((path) => path.startsWith(`boot/${protocol}/${FRAGMENTS_FOLDER}`))
      .map((path) => path.slice(`boot/${protocol}/${FRAGMENTS_FOLDER}`.length, -'.hbs'.length))
      .sort();

  it('every boot protocol provides every fragment the common templates name, and no other', () => {
    const named = new Set<string>();
    for (const [path, source] of sources) {
      if (path.startsWith('kernel/')) for (const match of source.matchAll(/\{\{> ([\w-]+)\}\}/g)) named.add(match[1]!);
    }
    expect(named.size).toBeGreaterThan(0);
    for (const protocol of BOOT_PROTOCOLS.map((row) => row.name)) expect(fragmentNames(protocol), protocol).toEqual([...named].sort());
  });

  it('one runner for every protocol: the common skeleton, which no boot layer replaces', () => {
    expect([...sources.keys()].filter((path) => path.endsWith('/runner.hbs'))).toEqual(['kernel/runner.hbs']);
  });

  it('the common templates hold no protocol conditionals: the view offers none', () => {
    for (const [path, source] of sources) {
      if (path.startsWith('kernel/')) expect(source, path).not.toMatch(/\{\{[#^](if|unless|with)\s+boot\b|\{\{else if boot\b/);
    }
  });

  it('a fragment is not a file of the project, and a missing one fails the plan loudly', () => {
    const templates = compileTemplates(
      new Map([
        ['kernel/README.md.hbs', '# {{name}}\n{{> intro}}\nend\n'],
        ['boot/multiboot2/fragments/intro.hbs', 'GRUB boots it.\n'],
        ['boot/limine/linker.ld.hbs', ''],
      ]),
    );
    const plan = planKernel(kernelConfig(), templates);
    expect(plan.files.map((file) => file.path)).toEqual(['README.md']);
    // On a line of its own, a fragment replaces the line.
    expect(plan.files[0]!.contents).toBe('# test-os\nGRUB boots it.\nend\n');
    expect(() => planKernel(kernelConfig({ boot: 'limine' }), templates)).toThrowError(/template kernel\/README\.md\.hbs: .*intro/);
  });
});

describe('comparePaths', () => {
  it('orders every planned kernel as localeCompare does, case aside and _ before /', () => {
    const real = compileTemplates(loadTemplates());
    for (const boot of BOOT_PROTOCOLS) {
      const paths = planKernel(kernelConfig({ boot: boot.name }), real).files.map((file) => file.path);
      expect(paths).toEqual([...paths].sort((a, b) => a.localeCompare(b)));
    }
    expect(['src/boot/mod.rs', 'README.md', 'src/boot_info.rs', 'build.rs', '.cargo/config.toml'].sort(comparePaths)).toEqual([
      '.cargo/config.toml',
      'build.rs',
      'README.md',
      'src/boot_info.rs',
      'src/boot/mod.rs',
    ]);
  });
});
