/**
 * The screen shows the boot summary (issue 10, item 6): a default (multiboot2) kernel boots from
 * a GRUB ISO, on SeaBIOS and on OVMF, and its console draws on the framebuffer GRUB set up. The
 * test takes QEMU's screendump through a monitor socket, recognises the text cell by cell against
 * the glyphs of the generated src/font.rs (8x8, each row drawn twice: 8x16 cells, light grey
 * 0xAAAAAA on black), and expects exactly the lines serial printed, in order.
 *
 * The runner's --interactive mode keeps the kernel alive after the summary (no exit-after-boot,
 * no timeout) until the test quits QEMU through the monitor. Limine kernels run the same check
 * where a real Limine release is at hand (LIMINE_DIR).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { monitor, readPpm, type Image } from './qemu-monitor.js';
import { cacheDirectory, cargo, generate, kernelElf, plainText, rustEnvironment } from './support.js';

const BUILD_TIMEOUT = 300_000;
/** GRUB's ISO boot on OVMF takes the longest: well under a minute on an idle 2-core machine. */
const BOOT_TIMEOUT = 150_000;
const LAST_SUMMARY_LINE = '[kernel] boot complete';

const CELL_WIDTH = 8;
const CELL_HEIGHT = 16;
/** The console's text colour, 0xAA per channel (src/framebuffer.rs), on a background of 0. */
const TEXT_GREY = 0xaa;

/** The glyph table of the generated src/font.rs: 8 row bytes per character, from U+0020. */
function fontGlyphs(directory: string): Map<string, string> {
  const source = readFileSync(join(directory, 'src', 'font.rs'), 'utf8');
  const first = Number(/pub const FIRST: u8 = (0x[0-9A-Fa-f]+);/.exec(source)![1]);
  const rows = [...source.matchAll(/^\s*\[((?:0x[0-9A-Fa-f]{2},?\s*){8})\], \/\/ U\+([0-9A-F]{4})/gm)];
  const glyphs = new Map<string, string>();
  rows.forEach((row, index) => {
    const bytes = row[1]!.split(',').map((byte) => Number(byte.trim())).filter((byte) => !Number.isNaN(byte));
    expect(Number.parseInt(row[2]!, 16)).toBe(first + index);
    // Keyed by the 8 row bytes; the first character with a shape wins.
    const key = bytes.join(',');
    if (!glyphs.has(key)) glyphs.set(key, String.fromCharCode(first + index));
  });
  expect(glyphs.size).toBeGreaterThan(90);
  return glyphs;
}

/** The screen's text rows, trailing blanks removed; `?` where a cell shows no glyph of the font. */
function screenText(image: Image, glyphs: Map<string, string>): string[] {
  const lit = (x: number, y: number): boolean | undefined => {
    const at = (y * image.width + x) * 3;
    const [r, g, b] = [image.rgb[at]!, image.rgb[at + 1]!, image.rgb[at + 2]!];
    if (r === 0 && g === 0 && b === 0) return false;
    if (r === TEXT_GREY && g === TEXT_GREY && b === TEXT_GREY) return true;
    return undefined;
  };
  const cell = (column: number, row: number): string => {
    const bytes: number[] = [];
    for (let y = 0; y < CELL_HEIGHT; y++) {
      let bits = 0;
      for (let x = 0; x < CELL_WIDTH; x++) {
        const pixel = lit(column * CELL_WIDTH + x, row * CELL_HEIGHT + y);
        if (pixel === undefined) return '?';
        if (pixel) bits |= 1 << x; // font.rs: bit n is pixel column n
      }
      if (y % 2 === 0) bytes.push(bits);
      else if (bits !== bytes[bytes.length - 1]) return '?'; // each glyph row twice
    }
    return glyphs.get(bytes.join(',')) ?? '?';
  };
  const rows: string[] = [];
  for (let row = 0; row < Math.floor(image.height / CELL_HEIGHT); row++) {
    let text = '';
    for (let column = 0; column < Math.floor(image.width / CELL_WIDTH); column++) text += cell(column, row);
    rows.push(text.trimEnd());
  }
  return rows;
}

/**
 * Boots `elf` with the runner in interactive mode, waits for the end of the boot summary on
 * serial, dumps the screen and quits. Returns the serial output and the screen's text rows.
 */
async function bootAndDumpScreen(directory: string, elf: string, runnerArgs: readonly string[], env: Record<string, string> = {}) {
  const work = mkdtempSync(join(tmpdir(), 'screen-'));
  const socketPath = join(work, 'monitor.sock');
  const dump = join(work, 'screen.ppm');
  const qemu = spawn('./runner', [elf, ...runnerArgs, '--interactive'], {
    cwd: directory,
    env: rustEnvironment({ ...env, QEMU_EXTRA_ARGS: `-monitor unix:${socketPath},server,nowait` }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  qemu.stdout.on('data', (chunk) => (output += chunk.toString('utf8')));
  qemu.stderr.on('data', (chunk) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => qemu.once('exit', (code) => resolve(code)));
  try {
    for (let waited = 0; !plainText(output).includes(LAST_SUMMARY_LINE); waited += 100) {
      if (waited > BOOT_TIMEOUT - 20_000 || qemu.exitCode !== null) throw new Error(`no boot summary:\n${plainText(output)}`);
      await sleep(100);
    }
    expect(existsSync(socketPath)).toBe(true);
    // The console draws before println! returns, so the summary is on the screen by now.
    await monitor(socketPath, [`screendump ${dump}`]);
    expect(statSync(dump).size).toBeGreaterThan(0);
    await monitor(socketPath, ['quit']);
    await exited;
  } finally {
    qemu.kill();
  }
  return { serial: plainText(output), screen: screenText(readPpm(dump), fontGlyphs(directory)) };
}

/** The boot summary as serial printed it: from `[kernel] <name>` to `[kernel] boot complete`. */
function summaryLines(serial: string, name: string): string[] {
  const lines = serial.split('\n');
  const first = lines.findIndex((line) => line === `[kernel] ${name} 0.1.0`);
  const last = lines.indexOf(LAST_SUMMARY_LINE);
  expect(first, serial).toBeGreaterThanOrEqual(0);
  expect(last, serial).toBeGreaterThan(first);
  // The screen cannot show trailing blanks (`[boot] command line: ` when it is empty).
  return lines.slice(first, last + 1).map((line) => line.trimEnd());
}

function expectScreenShowsSummary(serial: string, screen: string[], name: string) {
  const summary = summaryLines(serial, name);
  // The kernel's first line is empty: the summary starts on the second row, and nothing but
  // blank rows follows it.
  const shown = screen.slice(1, 1 + summary.length);
  expect(shown).toEqual(summary);
  expect(screen[0]).toBe('');
  expect(screen.slice(1 + summary.length).every((row) => row === '')).toBe(true);
}

describe('the framebuffer console shows the boot summary (GRUB, multiboot2)', () => {
  const NAME = 'screen-os';
  const targetDirectory = cacheDirectory('e2e-multiboot2-system-baseline');
  let directory = '';

  beforeAll(() => {
    directory = generate({ name: NAME }).directory;
    const result = cargo(directory, ['build'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(result.status, result.output).toBe(0);
  }, BUILD_TIMEOUT);

  it.each([
    ['GRUB on SeaBIOS', '--bios', /^\[boot\] firmware: BIOS$/m],
    ['GRUB on OVMF', '--uefi', /^\[boot\] firmware: UEFI \(64-bit\)/m],
  ])('%s: the screen shows every line serial printed', async (_name, path, firmware) => {
    const { serial, screen } = await bootAndDumpScreen(directory, kernelElf(targetDirectory, NAME), [path]);
    expect(serial).toMatch(firmware);
    // GRUB's framebuffer, 32-bit direct RGB, and no reason not to draw on it.
    expect(serial).toMatch(/^\[framebuffer\] \d+x\d+, 32 bpp, pitch \d+ at 0x[0-9a-f]+$/m);
    expectScreenShowsSummary(serial, screen, NAME);
  }, BOOT_TIMEOUT);
});

describe.skipIf(!process.env.LIMINE_DIR)('the framebuffer console shows the boot summary (Limine, LIMINE_DIR)', () => {
  const NAME = 'screen-limine-os';
  const targetDirectory = cacheDirectory('e2e-limine-system-baseline');
  let directory = '';

  beforeAll(() => {
    directory = generate({ name: NAME, boot: 'limine' }).directory;
    const result = cargo(directory, ['build'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(result.status, result.output).toBe(0);
  }, BUILD_TIMEOUT);

  it.each([['--bios'], ['--uefi']])('Limine %s: the screen shows every line serial printed', async (path) => {
    const { serial, screen } = await bootAndDumpScreen(directory, kernelElf(targetDirectory, NAME), [path], {
      LIMINE_DIR: process.env.LIMINE_DIR!,
    });
    expectScreenShowsSummary(serial, screen, NAME);
  }, BOOT_TIMEOUT);
});
