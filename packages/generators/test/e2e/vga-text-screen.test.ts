/**
 * The `vga-text` module's console is on the screen (issue 13): a multiboot2 kernel with the module
 * boots through QEMU's direct PVH path, where SeaBIOS leaves the card in text mode 03h, and through
 * GRUB on BIOS, which the module asks for text mode, and is kept alive (--interactive) until the
 * boot summary is out. Then, through QEMU's monitor:
 *
 * - `screendump` must be 720x400, the picture of an 80x25 text grid of 9x16 character cells (QEMU
 *   draws text modes from the cells and the card's font; graphics modes at their pixel size);
 * - `xp` reads the 80x25 cells at 0xB8000: each row holds, in the BIOS attribute 0x07 (light grey
 *   on black), one line serial printed, from the module's `[vga-text]` line (it clears the screen)
 *   to the end of the summary;
 * - the picture shows exactly those cells: a cell has lit pixels, all of them light grey, if and
 *   only if its character is not a blank (the blinking cursor's cell is left out).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { monitor, readPpm, type Image } from './qemu-monitor.js';
import { cacheDirectory, cargo, generate, kernelElf, plainText, rustEnvironment } from './support.js';

const BUILD_TIMEOUT = 300_000;
const BOOT_TIMEOUT = 90_000;
const NAME = 'vga-text-os';
const FIRST_LINE = '[vga-text] 80x25 text at 0xb8000';
const LAST_LINE = '[kernel] boot complete';

const COLUMNS = 80;
const ROWS = 25;
/** QEMU's text-mode picture: 9x16 pixels per cell (the VGA's 9-dot character clock in mode 03h). */
const CELL_WIDTH = 9;
const CELL_HEIGHT = 16;
/** Attribute 0x07: palette entry 7, light grey, through the VGA's 6-bit DAC (0x2A << 2). */
const LIGHT_GREY = [0xa8, 0xa8, 0xa8];

/** The 16-bit words `xp /Nhx` printed (`<address>: 0x0720 0x0748 ...` lines, after the echo). */
function xpWords(answer: string): number[] {
  const words: number[] = [];
  for (const line of answer.split('\n')) {
    const match = /^[0-9a-f]+: ((?:0x[0-9a-f]{4}\s*)+)$/.exec(line.trim());
    if (match) words.push(...match[1]!.trim().split(/\s+/).map((word) => Number.parseInt(word, 16)));
  }
  return words;
}

/** The colours of the pixels of cell (column, row) that are not black. */
function litPixels(image: Image, column: number, row: number): number[][] {
  const lit: number[][] = [];
  for (let y = row * CELL_HEIGHT; y < (row + 1) * CELL_HEIGHT; y++) {
    for (let x = column * CELL_WIDTH; x < (column + 1) * CELL_WIDTH; x++) {
      const at = (y * image.width + x) * 3;
      const pixel = [image.rgb[at]!, image.rgb[at + 1]!, image.rgb[at + 2]!];
      if (pixel.some((channel) => channel !== 0)) lit.push(pixel);
    }
  }
  return lit;
}

describe('the vga-text console is on the screen (multiboot2: PVH direct boot, GRUB on BIOS)', () => {
  const targetDirectory = cacheDirectory('e2e-modules-multiboot2-system-baseline');
  let directory = '';

  beforeAll(() => {
    directory = generate({ name: NAME, modules: ['vga-text'] }).directory;
    const result = cargo(directory, ['build'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(result.status, result.output).toBe(0);
  }, BUILD_TIMEOUT);

  // PVH: SeaBIOS left the card in text mode. GRUB on BIOS: the module's line in the runner's
  // menu entry (`set gfxpayload=text` after `multiboot2`) keeps GRUB from setting a graphics mode.
  it.each(['--direct', '--bios'])('%s: the text buffer holds the lines serial printed, and the screen shows them', async (path) => {
    const work = mkdtempSync(join(tmpdir(), 'vga-text-'));
    const socketPath = join(work, 'monitor.sock');
    const dump = join(work, 'screen.ppm');
    const qemu = spawn('./runner', [kernelElf(targetDirectory, NAME), path, '--interactive'], {
      cwd: directory,
      env: rustEnvironment({ QEMU_EXTRA_ARGS: `-monitor unix:${socketPath},server,nowait` }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    qemu.stdout.on('data', (chunk) => (output += chunk.toString('utf8')));
    qemu.stderr.on('data', (chunk) => (output += chunk.toString('utf8')));
    const exited = new Promise<void>((resolve) => qemu.once('exit', () => resolve()));
    let words: number[];
    try {
      for (let waited = 0; !plainText(output).includes(LAST_LINE); waited += 100) {
        if (waited > BOOT_TIMEOUT - 20_000 || qemu.exitCode !== null) throw new Error(`no boot summary:\n${plainText(output)}`);
        await sleep(100);
      }
      const answers = await monitor(socketPath, [`screendump ${dump}`, `xp /${COLUMNS * ROWS}hx 0xb8000`]);
      words = xpWords(answers[1]!);
      await monitor(socketPath, ['quit']);
      await exited;
    } finally {
      qemu.kill();
    }
    const serial = plainText(output).split('\n');
    const first = serial.indexOf(FIRST_LINE);
    const last = serial.indexOf(LAST_LINE);
    expect(first, plainText(output)).toBeGreaterThanOrEqual(0);
    expect(last).toBeGreaterThan(first);
    const printed = serial.slice(first, last + 1).map((line) => line.trimEnd());

    // The cells: the lines from the module's own on, then blank rows, all in attribute 0x07.
    expect(words).toHaveLength(COLUMNS * ROWS);
    const rows = Array.from({ length: ROWS }, (_, row) =>
      String.fromCharCode(...words.slice(row * COLUMNS, (row + 1) * COLUMNS).map((word) => word & 0xff)).trimEnd(),
    );
    expect(rows.slice(0, printed.length)).toEqual(printed);
    expect(rows.slice(printed.length).every((row) => row === '')).toBe(true);
    expect(words.every((word) => word >> 8 === 0x07)).toBe(true);

    // The picture: an 80x25 text grid, lit exactly where the cells hold characters. The cursor
    // (a blinking underline) waits at the start of the row after the last line.
    const image = readPpm(dump);
    expect([image.width, image.height]).toEqual([COLUMNS * CELL_WIDTH, ROWS * CELL_HEIGHT]);
    for (let row = 0; row < ROWS; row++) {
      for (let column = 0; column < COLUMNS; column++) {
        if (row === printed.length && column === 0) continue;
        const character = String.fromCharCode(words[row * COLUMNS + column]! & 0xff);
        const lit = litPixels(image, column, row);
        expect(lit.length > 0, `cell ${column},${row} '${character}'`).toBe(character !== ' ');
        expect(lit.every((pixel) => pixel.every((channel, index) => channel === LIGHT_GREY[index]))).toBe(true);
      }
    }
  }, BOOT_TIMEOUT);
});
