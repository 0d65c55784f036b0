/**
 * The `keyboard` module end to end (issue 13): a default (multiboot2) kernel with `keyboard` added
 * (and `pic-timer`, which it requires), booted in QEMU on every multiboot2 path. The module's test
 * kernel (tests/keyboard.rs) runs its ignored test `echoes_typed_keys`, which prints one line per
 * key event until Enter; this test types into QEMU through its monitor (`sendkey`, a unix socket
 * given with QEMU_EXTRA_ARGS) and expects exactly the events of the keys it typed.
 *
 * What QEMU sends for a `sendkey`: a PS/2 keyboard's scan code set 2, which the 8042 translates to
 * set 1; `a-b` presses a, then b, and releases them in reverse order (QEMU's `qmp_send_key`). The
 * key names on the kernel side are the W3C UI Events `code` values of the same physical keys.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { monitor } from './qemu-monitor.js';
import { addModules, cacheDirectory, cargo, generate, plainText, rustEnvironment } from './support.js';

const NAME = 'e2e-keyboard';
const BUILD_TIMEOUT = 300_000;
/** GRUB's ISO boot on OVMF takes the longest: well under a minute on an idle 2-core machine. */
const BOOT_TIMEOUT = 150_000;
/** What the test kernel prints once it waits for keys. */
const READY_LINE = 'keyboard: ready, type; Enter ends';

/**
 * Each `sendkey` argument typed, and the lines the kernel prints for it: `key: <press|release>
 * <code> <ASCII, as Rust's Debug prints an Option<char>> [<modifiers held or on after the event>]`.
 */
const TYPING: readonly { readonly sendkey: string; readonly events: readonly string[] }[] = [
  {
    sendkey: 'shift-h',
    events: [
      'press ShiftLeft None [shift]',
      "press KeyH Some('H') [shift]",
      'release KeyH None [shift]',
      'release ShiftLeft None []',
    ],
  },
  { sendkey: 'i', events: ["press KeyI Some('i') []", 'release KeyI None []'] },
  // Caps Lock toggles on its press: capitals until the next press.
  { sendkey: 'caps_lock', events: ['press CapsLock None [caps]', 'release CapsLock None [caps]'] },
  { sendkey: 'a', events: ["press KeyA Some('A') [caps]", 'release KeyA None [caps]'] },
  { sendkey: 'caps_lock', events: ['press CapsLock None []', 'release CapsLock None []'] },
  {
    sendkey: 'ctrl-c',
    events: ['press ControlLeft None [ctrl]', "press KeyC Some('c') [ctrl]", 'release KeyC None [ctrl]', 'release ControlLeft None []'],
  },
  // Extended keys (0xE0 first in set 1): the arrow, keypad /, the right Alt and Ctrl.
  { sendkey: 'up', events: ['press ArrowUp None []', 'release ArrowUp None []'] },
  { sendkey: 'kp_divide', events: ["press NumpadDivide Some('/') []", 'release NumpadDivide None []'] },
  {
    sendkey: 'alt_r-x',
    events: ['press AltRight None [alt]', "press KeyX Some('x') [alt]", 'release KeyX None [alt]', 'release AltRight None []'],
  },
  {
    sendkey: 'ctrl_r-shift_r-1',
    events: [
      'press ControlRight None [ctrl]',
      'press ShiftRight None [shift,ctrl]',
      "press Digit1 Some('!') [shift,ctrl]",
      'release Digit1 None [shift,ctrl]',
      'release ShiftRight None [ctrl]',
      'release ControlRight None []',
    ],
  },
  // Enter ends the test kernel's loop (it prints the press only).
  { sendkey: 'ret', events: ["press Enter Some('\\n') []"] },
];

/**
 * Runs the test kernel's `echoes_typed_keys` through `cargo test` (already built) on the boot path
 * `runnerArgs` chooses, types TYPING once it is ready, and waits for it to exit. Returns the exit
 * status and the output.
 */
async function typeIntoKernel(directory: string, targetDirectory: string, runnerArgs: readonly string[]) {
  const socketPath = join(mkdtempSync(join(tmpdir(), 'keyboard-')), 'monitor.sock');
  const child = spawn('cargo', ['test', '--test', 'keyboard', '--', ...runnerArgs, '--ignored', '--exact', 'echoes_typed_keys'], {
    cwd: directory,
    env: rustEnvironment({
      CARGO_TARGET_DIR: targetDirectory,
      // The runner splits QEMU_EXTRA_ARGS at whitespace: the temporary path has none.
      QEMU_EXTRA_ARGS: `-monitor unix:${socketPath},server,nowait`,
      TIMEOUT: String(Math.floor((BOOT_TIMEOUT - 10_000) / 1000)),
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    for (let waited = 0; !plainText(output).includes(READY_LINE); waited += 100) {
      if (waited > BOOT_TIMEOUT - 30_000 || child.exitCode !== null) throw new Error(`the test kernel never got ready:\n${plainText(output)}`);
      await sleep(100);
    }
    try {
      await monitor(socketPath, TYPING.map(({ sendkey }) => `sendkey ${sendkey}`));
    } catch (error) {
      throw new Error(`${String(error)}\nthe kernel's output:\n${plainText(output)}`);
    }
    const status = await exited;
    return { status, output: plainText(output) };
  } finally {
    child.kill();
  }
}

/** The `key: ...` lines, without the prefix. */
function keyEvents(output: string): string[] {
  return [...output.matchAll(/^key: (.*)$/gm)].map((match) => match[1]!);
}

describe('keyboard: keys typed into QEMU (monitor sendkey) arrive as key events', () => {
  let directory = '';
  const targetDirectory = cacheDirectory('e2e-modules-multiboot2-system-baseline');

  beforeAll(() => {
    directory = generate({ name: NAME }).directory;
    addModules(directory, ['keyboard']);
    const build = cargo(directory, ['test', '--test', 'keyboard', '--no-run'], { targetDirectory, timeoutMs: BUILD_TIMEOUT });
    expect(build.status, build.output).toBe(0);
  }, BUILD_TIMEOUT);

  it.each([
    ['PVH direct boot', ['--direct']],
    ['GRUB on SeaBIOS', ['--bios']],
    ['GRUB on OVMF', ['--uefi']],
  ])('%s: every key typed, in order, with its modifiers and ASCII', async (_path, runnerArgs) => {
    const { status, output } = await typeIntoKernel(directory, targetDirectory, runnerArgs);
    expect(status, output).toBe(0);
    expect(output).toMatch(/^test result: ok\. 1 passed; 0 failed/m);
    expect(keyEvents(output), output).toEqual(TYPING.flatMap(({ events }) => events));
  }, BOOT_TIMEOUT);
});
