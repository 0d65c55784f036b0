import { describe, expect, it } from 'vitest';
import { MODULES, PRESETS } from '@baremetal-kernel/target';
import { runList } from '../src/commands/list.js';
import { main } from '../src/router.js';
import { memoryIo, temporaryDirectory } from './support.js';

describe('baremetal-kernel list', () => {
  it('prints every choice with a one-line description', () => {
    const { io, stdout } = memoryIo(temporaryDirectory());
    expect(runList([], io)).toBe(0);
    const text = stdout();
    expect(text).toMatch(/^Boot protocols \(--boot\):\n {2}multiboot2 {2}GRUB 2 on BIOS and UEFI[^\n]* \(default\)\n {2}limine {6}[^\n]*[^)]\n/);
    for (const preset of PRESETS) {
      const marker = preset.name === 'baseline' ? ' (default)' : '';
      expect(text).toContain(`  ${preset.name.padEnd(9)}  ${preset.summary}${marker}\n`);
    }
    expect(text).toContain('Modules (--modules, or `baremetal-kernel add`):\n');
    // What each needs and where it applies.
    expect(text).toMatch(/\n {2}keyboard +the PS\/2 keyboard[^\n]* \(needs pic-timer\)\n/);
    expect(text).toMatch(/\n {2}vga-text +[^\n]* \(multiboot2 only; BIOS only\)\n/);
    expect(text).toContain(
      'Toolchain profiles (--toolchain):\n  auto            the first profile that works on this machine, else rustup-stable (its set-up is shown) (default)\n  rustup-stable   ',
    );
  });

  it('prints its help on --help, and refuses arguments', () => {
    const { io, stdout } = memoryIo(temporaryDirectory());
    expect(runList(['--help'], io)).toBe(0);
    expect(stdout()).toMatch(/^Usage: baremetal-kernel list \[options\]\n[^]*\n {2}--json +print the catalogue as one JSON object\n/);
    expect(() => runList(['presets'], io)).toThrow("unexpected argument 'presets' (see baremetal-kernel list --help)");
  });

  it('prints JSON for machines', () => {
    const { io, stdout } = memoryIo(temporaryDirectory());
    expect(runList(['--json'], io)).toBe(0);
    const list = JSON.parse(stdout()) as Record<string, Array<{ name: string }>>;
    expect(Object.keys(list)).toEqual(['bootProtocols', 'presets', 'modules', 'toolchains']);
    expect(list.bootProtocols!.map((protocol) => protocol.name)).toEqual(['multiboot2', 'limine']);
    expect(list.presets!.map((preset) => preset.name)).toEqual(['baseline', 'x86-64-v2', 'x86-64-v3']);
    expect(list.modules!.map((module) => module.name)).toEqual(MODULES.map((module) => module.name));
    expect(list.modules!.find((module) => module.name === 'keyboard')).toMatchObject({ requires: ['pic-timer'], bootProtocols: ['multiboot2', 'limine'] });
    // `auto` is a choice too, and the defaults are marked: what `create --yes` picks, said once.
    expect(list.toolchains!.map((toolchain) => toolchain.name)).toEqual(['auto', 'rustup-stable', 'rustup-nightly', 'system']);
    const defaults = (rows: Array<{ name: string; default?: boolean }>) => rows.filter((row) => row.default).map((row) => row.name);
    expect(defaults(list.bootProtocols!)).toEqual(['multiboot2']);
    expect(defaults(list.presets!)).toEqual(['baseline']);
    expect(defaults(list.toolchains!)).toEqual(['auto']);
    expect(list.bootProtocols![0]).toEqual({ name: 'multiboot2', summary: expect.any(String), firmware: ['bios', 'uefi'], linkAddress: '0x100000', default: true });
  });
});

describe('baremetal-kernel', () => {
  async function run(argv: string[]) {
    const { io, stdout, stderr } = memoryIo(temporaryDirectory());
    return { status: await main(argv, io), stdout: stdout(), stderr: stderr() };
  }

  it('prints its commands with --help, and exits 2 without a command', async () => {
    const help = (await run(['--help'])).stdout;
    expect(help).toMatch(/^Usage: baremetal-kernel <command> \[options\]\n\nCommands:\n {2}create .*\n {2}add <module\.\.\.> +add modules to a kernel/);
    expect((await run([])).status).toBe(2);
  });

  it('suggests the command meant', async () => {
    expect(await run(['lst'])).toEqual({ status: 2, stdout: '', stderr: "error: unknown command 'lst'; did you mean 'list'? (see --help)\n" });
  });

  it.each(['list', 'doctor', 'check', 'create', 'add', 'sysroot'])('answers %s --help with its usage (status 0)', async (command) => {
    const result = await run([command, '--help']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: /);
  });

  it('rejects unknown options of list', async () => {
    const result = await run(['list', '--yaml']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe("error: unknown option '--yaml' (see baremetal-kernel list --help)\n");
  });
});
