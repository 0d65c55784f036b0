import nodePlop from 'node-plop';
import { describe, expect, it } from 'vitest';
import { AUTO_TOOLCHAIN_SUMMARY, BOOT_PROTOCOLS, MODULES, PRESETS, TOOLCHAINS, type ToolchainReport } from '@baremetal-kernel/target';
import {
  KERNEL_OPTIONS,
  optionsAsJson,
  parseArgsOptions,
  promptChoices,
  promptedOptions,
  renderOptionsHelp,
  splitList,
  type CreateOption,
} from '../src/index.js';
import baremetalKernelPlopfile from '../src/plopfile.js';

describe('the one description of the create options', () => {
  it("offers every choice of the model, each option's default among them", () => {
    const choices = (key: string) => {
      const option = KERNEL_OPTIONS.find((candidate) => candidate.key === key)!;
      return 'choices' in option ? option.choices.map((choice) => choice.value) : [];
    };
    expect(choices('boot')).toEqual(BOOT_PROTOCOLS.map((protocol) => protocol.name));
    expect(choices('preset')).toEqual(PRESETS.map((preset) => preset.name));
    expect(choices('toolchain')).toEqual(['auto', ...TOOLCHAINS.map((toolchain) => toolchain.name)]);
    for (const option of KERNEL_OPTIONS) {
      if (option.type === 'string' && 'choices' in option) expect(choices(option.key), option.key).toContain(option.default);
    }
  });

  it('renders aligned --help lines with the values and the default', () => {
    const rows: CreateOption[] = [
      { key: 'colour', flag: 'colour', type: 'string', valueName: '<c>', default: 'red', choices: [{ value: 'red', summary: '' }, { value: 'blue', summary: '' }], help: 'paint' },
      { key: 'size', flag: 'size', type: 'string', valueName: '<n>', default: '1', defaultHelp: 'one', help: 'how big' },
      { key: 'loud', flag: 'loud', short: 'l', type: 'boolean', default: false, help: 'shout' },
      { key: 'extras', flag: 'extras', type: 'list', valueName: '<a,b>', default: [], choices: [], help: 'add-ons' },
    ];
    expect(renderOptionsHelp(rows, [['--later', 'comes last']])).toBe(
      [
        '  --colour <c>    paint: red (default), blue',
        '  --size <n>      how big (default: one)',
        '  -l, --loud      shout',
        '  --extras <a,b>  add-ons (none available yet)',
        '  --later         comes last',
      ].join('\n'),
    );
    expect(parseArgsOptions(rows)).toEqual({
      colour: { type: 'string' },
      size: { type: 'string' },
      loud: { type: 'boolean', short: 'l' },
      extras: { type: 'string' },
    });
    expect(optionsAsJson(rows)[0]).toEqual({ name: 'colour', flag: '--colour', type: 'string', default: 'red', help: 'paint', choices: rows[0]!.type === 'string' ? rows[0]!.choices : [] });
  });

  it('asks about a list only when it has something to choose from', () => {
    const keys = promptedOptions(KERNEL_OPTIONS).map((option) => option.key);
    expect(keys).toEqual(['name', 'boot', 'preset', 'modules', 'toolchain']);
    const modules = KERNEL_OPTIONS.find((option) => option.key === 'modules')!;
    expect(promptedOptions([{ ...modules, choices: [] }])).toEqual([]);
    expect(splitList(' a, b,,c ,')).toEqual(['a', 'b', 'c']);
  });

  it('gives the plop generator the same questions, choices and name check', async () => {
    const plop = await nodePlop();
    baremetalKernelPlopfile(plop);
    const prompts = plop.getGenerator('kernel').prompts as unknown as Array<{
      type: string;
      name: string;
      message: string;
      default: unknown;
      choices?: Array<{ value: string }>;
      validate?: (value: string) => true | string;
    }>;
    expect(prompts.map((prompt) => [prompt.type, prompt.name, prompt.message])).toEqual([
      ['input', 'name', 'Project name'],
      ['list', 'boot', 'Boot protocol'],
      ['list', 'preset', 'CPU feature preset'],
      ['checkbox', 'modules', 'Modules'],
      ['list', 'toolchain', 'Rust toolchain'],
    ]);
    expect(prompts[1]!.choices!.map((choice) => choice.value)).toEqual(BOOT_PROTOCOLS.map((protocol) => protocol.name));
    expect(prompts[3]!.choices!.map((choice) => choice.value)).toEqual(MODULES.map((module) => module.name));
    expect(prompts[4]!.default).toBe('auto');
    expect(prompts[0]!.validate!('my-os')).toBe(true);
    expect(prompts[0]!.validate!('My_OS')).toMatch(/uppercase/);
  });
});

describe('prompts on this machine', () => {
  const machine: ToolchainReport = {
    rustc: undefined,
    statuses: [
      { name: 'rustup-stable', usable: false, detail: 'rustup is not installed', fix: [] },
      { name: 'rustup-nightly', usable: true, detail: 'nightly with rust-src', fix: [] },
      { name: 'system', usable: false, detail: 'no system rustc found', fix: [] },
    ],
    recommended: 'rustup-nightly',
    systemVendorDirectory: undefined,
  };
  const prompted = (key: string) => promptedOptions(KERNEL_OPTIONS).find((option) => option.key === key)!;

  it("offers the toolchain auto would pick, and says which profiles this machine has", () => {
    const { choices, default: initial } = promptChoices(prompted('toolchain'), { toolchains: machine });
    expect(initial).toBe('rustup-nightly');
    const description = (value: string) => choices.find((choice) => choice.value === value)!.description;
    expect(description('rustup-nightly')).toMatch(/\(found on this machine\)$/);
    expect(description('system')).toMatch(/\(not set up: no system rustc found\)$/);
    // `auto` is no profile: its summary stands alone.
    expect(description('auto')).toBe(AUTO_TOOLCHAIN_SUMMARY);
  });

  it('keeps the row default and plain summaries for options that do not depend on the machine', () => {
    const { choices, default: initial } = promptChoices(prompted('preset'), { toolchains: machine });
    expect(initial).toBe(prompted('preset').default);
    expect(choices).toEqual(PRESETS.map(({ name, summary }) => ({ value: name, description: summary })));
  });

  it('offers only the available values when told which are', () => {
    const { choices } = promptChoices(prompted('boot'), { toolchains: machine }, ['limine']);
    expect(choices.map((choice) => choice.value)).toEqual(['limine']);
  });
});
