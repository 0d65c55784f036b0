import { describe, expect, it } from 'vitest';
import { PRESETS } from '@baremetal-kernel/target';
import { runList } from '../src/commands/list.js';
import { main } from '../src/router.js';
import { memoryIo, temporaryDirectory } from './support.js';

describe('baremetal-kernel list', () => {
  it('prints every choice with a one-line description', () => {
    const { io, stdout } = memoryIo(temporaryDirectory());
    expect(runList([], io)).toBe(0);
    const text = stdout();
    expect(text).toMatch(/^Boot protocols \(--boot\):\n {2}multiboot2 {2}GRUB 2 on BIOS and UEFI/);
    for (const preset of PRESETS) expect(text).toContain(`  ${preset.name.padEnd(9)}  ${preset.summary}\n`);
    expect(text).toContain('Modules (--modules):\n  none available yet\n');
    expect(text).toContain('Toolchain profiles (--toolchain):\n  auto            whichever profile works on this machine\n  rustup-stable   ');
  });

  it('prints JSON for machines', () => {
    const { io, stdout } = memoryIo(temporaryDirectory());
    expect(runList(['--json'], io)).toBe(0);
    const list = JSON.parse(stdout()) as Record<string, Array<{ name: string }>>;
    expect(Object.keys(list)).toEqual(['bootProtocols', 'presets', 'modules', 'toolchains']);
    expect(list.bootProtocols!.map((protocol) => protocol.name)).toEqual(['multiboot2', 'limine']);
    expect(list.presets!.map((preset) => preset.name)).toEqual(['baseline', 'x86-64-v2', 'x86-64-v3']);
    expect(list.modules).toEqual([]);
    expect(list.toolchains!.map((toolchain) => toolchain.name)).toEqual(['rustup-stable', 'rustup-nightly', 'system']);
    expect(list.bootProtocols![0]).toEqual({ name: 'multiboot2', summary: expect.any(String), firmware: ['bios', 'uefi'], linkAddress: '0x100000' });
  });
});

describe('baremetal-kernel', () => {
  async function run(argv: string[]) {
    const { io, stdout, stderr } = memoryIo(temporaryDirectory());
    return { status: await main(argv, io), stdout: stdout(), stderr: stderr() };
  }

  it('prints its commands with --help, and exits 2 without a command', async () => {
    expect((await run(['--help'])).stdout).toMatch(/^Usage: baremetal-kernel <command> \[options\]\n\nCommands:\n {2}create/);
    expect((await run([])).status).toBe(2);
  });

  it('suggests the command meant', async () => {
    expect(await run(['lst'])).toEqual({ status: 2, stdout: '', stderr: "error: unknown command 'lst'; did you mean 'list'? (see --help)\n" });
  });

  it('reserves add for the modules', async () => {
    expect(await run(['add', 'gdt'])).toEqual({
      status: 2,
      stdout: '',
      stderr: "error: 'add' arrives with the first kernel modules; this version has none\n",
    });
  });

  it('rejects unknown options of list', async () => {
    const result = await run(['list', '--yaml']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^error: Unknown option '--yaml'.*\(usage: baremetal-kernel list \[--json\]\)\n$/);
  });
});
