/**
 * The developer tools a kernel project carries, as rendered: the GDB script, the VS Code debug
 * configuration, and the build script's toolchain check for each toolchain profile. They are run
 * for real in test/e2e/devtools.test.ts; this checks what QEMU's emulator cannot tell apart (a
 * software breakpoint hits under TCG, though not under KVM or on a real machine once the loader
 * has overwritten it) and the profiles this machine cannot build with.
 */
import { describe, expect, it } from 'vitest';
import { QEMU, TARGET, TOOLCHAINS, type ToolchainName } from '@baremetal-kernel/target';
import { compileTemplates, loadTemplates, planKernel } from '../src/index.js';
import { kernelConfig } from './support.js';

const templates = compileTemplates(loadTemplates());

function file(path: string, request: Parameters<typeof kernelConfig>[0] = {}): string {
  const found = planKernel(kernelConfig(request), templates).files.find((candidate) => candidate.path === path);
  if (!found) throw new Error(`${path} is not generated`);
  return found.contents;
}

/** The GDB commands of a script: no comments, no blank lines. */
const commands = (script: string) =>
  script
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

/** GDB's software breakpoint commands and their abbreviations (`b`, `br`, `tbreak`, ...). */
const SOFTWARE_BREAKPOINT = /^(b|br|bre|brea|break|tb|tbr|tbreak|rb|rbreak|start)(\s|$)/;

describe.each(['multiboot2', 'limine'] as const)('the %s kernel\'s debugging files', (boot) => {
  it('kernel.gdb connects to QEMU\'s stub, then stops at the main functions with hardware breakpoints only', () => {
    const script = commands(file('kernel.gdb', { boot }));
    expect(script).toContain('set architecture i386:x86-64');
    const connect = script.indexOf(`target remote localhost:${QEMU.gdbPort}`);
    expect(connect).toBeGreaterThanOrEqual(0);
    // GDB refuses a hardware breakpoint before it is connected to a target that has them.
    expect(script.indexOf('hbreak kernel_main')).toBeGreaterThan(connect);
    expect(script.indexOf('hbreak test_kernel_main')).toBeGreaterThan(connect);
    expect(script.filter((command) => SOFTWARE_BREAKPOINT.test(command))).toEqual([]);
    expect(script.at(-1)).toBe('continue');
  });

  it('launch.json does what kernel.gdb does, through the C/C++ extension that extensions.json recommends', () => {
    const launch = JSON.parse(file('.vscode/launch.json', { boot }));
    const [configuration] = launch.configurations;
    expect(configuration.type).toBe('cppdbg');
    expect(configuration.miDebuggerServerAddress).toBe(`localhost:${QEMU.gdbPort}`);
    expect(configuration.program).toBe(`\${workspaceFolder}/target/${TARGET.triple}/debug/test-os`);
    const texts = (list: { text: string }[]) => list.map((command) => command.text);
    expect(texts(configuration.setupCommands)).toEqual(['set architecture i386:x86-64']);
    const afterConnect = texts(configuration.postRemoteConnectCommands);
    expect(afterConnect).toEqual(expect.arrayContaining(['hbreak kernel_main', 'hbreak test_kernel_main']));
    expect(afterConnect.filter((command) => SOFTWARE_BREAKPOINT.test(command))).toEqual([]);

    const tasks = JSON.parse(file('.vscode/tasks.json', { boot }));
    const task = tasks.tasks.find((candidate: { label: string }) => candidate.label === configuration.preLaunchTask);
    expect(task).toMatchObject({ command: 'cargo run -- --gdb', isBackground: true });
    expect(JSON.parse(file('.vscode/extensions.json', { boot })).recommendations).toContain('ms-vscode.cpptools');
  });

  it('the runner prints the command that attaches with kernel.gdb', () => {
    const runner = file('runner', { boot });
    expect(runner).toContain(`printf 'runner:   gdb -q -x %q %q\\n' "$(cd "$(dirname "$0")" && pwd)/kernel.gdb" "$kernel"`);
    expect(runner).toMatch(/^    --gdb\) gdb=1 ;;$/m);
  });
});

describe("the build script's toolchain check names each profile's fix", () => {
  const FIXES: Record<ToolchainName, string> = {
    'rustup-stable': `format!("rustup target add {TARGET}")`,
    'rustup-nightly': '"rustup component add rust-src"',
    system: 'format!("export PATH={system_sysroot}/bin:$PATH")',
  };
  it.each(TOOLCHAINS.map((toolchain) => [toolchain.name, toolchain] as const))('%s', (name, toolchain) => {
    const build = file('build.rs', { toolchain: name });
    expect(build).toMatch(/^fn main\(\) \{\n    check_toolchain\(\);$/m);
    expect(build).toContain(FIXES[name]);
    // Only the profiles that build `core` from source look for its sources.
    expect(build.includes('lib/rustlib/src/rust/library/core')).toBe(toolchain.buildStd);
    if (name === 'system') expect(build).toContain(toolchain.setup[0]!);
  });
});
