/**
 * The boot code's early serial routines (src/boot/early_serial.rs) exist once and run in both
 * 32-bit protected mode (a CPU without long mode, from entry32) and 64-bit long mode (a CPU without
 * a feature of the preset, from cpu_features). That holds only while each of their instructions
 * decodes to the same instruction in both modes. The boots in test-selection.test.ts (QEMU_CPU=486)
 * and protection.test.ts (qemu64,-nx) run each mode once; this test reads the built kernel with
 * objdump, an independent decoder, in both modes, so that an instruction that only works in one
 * mode fails here even on a path no boot takes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cacheDirectory, cargo, generate, kernelElf, run } from './support.js';

const NAME = 'e2e-os';
const targetDirectory = cacheDirectory('e2e-multiboot2-system-baseline');
const BUILD_TIMEOUT = 300_000;

let directory: string;

beforeAll(() => {
  directory = generate({ name: NAME }).directory;
  const build = cargo(directory, ['build'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
  expect(build.status, build.output).toBe(0);
}, BUILD_TIMEOUT);

/** The routine's instructions as objdump decodes them in a mode, without addresses or bytes. */
function disassemble(elf: string, symbol: string, mode: 'i386' | 'x86-64'): string[] {
  const listing = run('objdump', ['-d', '--no-show-raw-insn', '-M', `intel,${mode}`, `--disassemble=${symbol}`, elf]);
  expect(listing.status, listing.output).toBe(0);
  const body = listing.output.split(`<${symbol}>:\n`)[1] ?? '';
  return body
    .split('\n')
    .map((line) => /^\s*[0-9a-f]+:\s+(.*)$/.exec(line)?.[1]?.trim())
    .filter((instruction): instruction is string => instruction !== undefined && instruction !== 'int3');
}

describe('the early serial routines (src/boot/early_serial.rs)', () => {
  it('decode to the same instructions in 32-bit and in 64-bit mode', () => {
    const source = readFileSync(join(directory, 'src/boot/early_serial.rs'), 'utf8');
    // Every routine of the file: its labels (numeric local labels are inside a routine).
    const routines = [...source.matchAll(/^([a-z_][a-z0-9_]*):/gm)].map((match) => match[1]!);
    expect(routines).toEqual(expect.arrayContaining(['boot_serial_init', 'boot_print', 'boot_fail']));
    const elf = kernelElf(targetDirectory, NAME);
    for (const routine of routines) {
      const long = disassemble(elf, routine, 'x86-64');
      const protectedMode = disassemble(elf, routine, 'i386');
      expect(long.length, routine).toBeGreaterThan(0);
      // The one difference allowed: the string instruction's address register, ESI or RSI.
      expect(protectedMode, routine).toEqual(long.map((instruction) => instruction.replace('[rsi]', '[esi]')));
    }
  });
});
