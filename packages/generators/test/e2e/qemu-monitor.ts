/**
 * Talking to a running QEMU through its monitor (a unix socket given with
 * `-monitor unix:PATH,server,nowait`), and reading the pictures its `screendump` writes.
 */
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';

/** How long a monitor command may take to answer with its next `(qemu)` prompt. */
const PROMPT_TIMEOUT_MS = 30_000;

/**
 * Sends monitor commands one at a time, each once the `(qemu)` prompt is back; returns each
 * command's answer (its echo and output, up to the next prompt). `quit` gets no prompt.
 */
export async function monitor(socketPath: string, commands: readonly string[]): Promise<string[]> {
  const socket = createConnection(socketPath);
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString('latin1')));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const prompt = async (count: number) => {
    for (let waited = 0; received.split('(qemu)').length - 1 < count; waited += 50) {
      if (waited > PROMPT_TIMEOUT_MS) throw new Error(`no monitor prompt: ${received}`);
      await sleep(50);
    }
  };
  await prompt(1);
  for (const [index, command] of commands.entries()) {
    socket.write(`${command}\n`);
    if (command !== 'quit') await prompt(index + 2);
  }
  socket.end();
  return received.split('(qemu)').slice(1, 1 + commands.length);
}

export interface Image {
  readonly width: number;
  readonly height: number;
  readonly rgb: Buffer;
}

/** A binary PPM (P6, maxval 255), as QEMU's screendump writes it. */
export function readPpm(path: string): Image {
  const data = readFileSync(path);
  const header = /^P6\s+(\d+)\s+(\d+)\s+255\s/.exec(data.subarray(0, 64).toString('latin1'));
  expect(header, 'a P6 PPM header').not.toBeNull();
  const [width, height] = [Number(header![1]), Number(header![2])];
  const rgb = data.subarray(header![0].length);
  expect(rgb.length).toBe(width * height * 3);
  return { width, height, rgb };
}
