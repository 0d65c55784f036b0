/** The process's output written straight to its descriptors, and the terminal asked only when needed. */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { runCreate } from '../src/commands/create.js';
import { descriptorWriter, type DescriptorWrite, type Io } from '../src/io.js';
import { fakeDependencies, memoryIo, temporaryDirectory } from './support.js';

function failure(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: write failed`), { code });
}

/** A stream that records what is written to it. */
function recordingStream() {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { open: () => stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

const TEXT = 'Wrote a kernel to ~/ösë:\n  src/main.rs\n';

describe('writing to a descriptor', () => {
  it('writes the text as UTF-8 to the descriptor itself', () => {
    const file = join(temporaryDirectory(), 'out.txt');
    const descriptor = openSync(file, 'w');
    try {
      const write = descriptorWriter(descriptor, () => {
        throw new Error('no stream needed');
      });
      write(TEXT);
      write('next\n');
    } finally {
      closeSync(descriptor);
    }
    expect(readFileSync(file, 'utf8')).toBe(`${TEXT}next\n`);
  });

  it('goes on after a write that took only part of the bytes', () => {
    const written: Buffer[] = [];
    // Three bytes at a time: splits the two-byte characters too.
    const partial: DescriptorWrite = (_descriptor, bytes, offset) => {
      const piece = Buffer.from(bytes.subarray(offset, offset + 3));
      written.push(piece);
      return piece.length;
    };
    descriptorWriter(1, recordingStream().open, partial)(TEXT);
    expect(Buffer.concat(written).toString('utf8')).toBe(TEXT);
  });

  it('drops the rest quietly once the reader is gone (EPIPE)', () => {
    let calls = 0;
    const gone: DescriptorWrite = () => {
      calls++;
      throw failure('EPIPE');
    };
    const write = descriptorWriter(1, recordingStream().open, gone);
    expect(() => write(TEXT)).not.toThrow();
    write('more');
    expect(calls).toBe(1);
  });

  it('hands what is left to the stream, and everything after, when the descriptor will not wait (EAGAIN)', () => {
    const written: Buffer[] = [];
    let calls = 0;
    const fullPipe: DescriptorWrite = (_descriptor, bytes, offset) => {
      calls++;
      if (calls > 1) throw failure('EAGAIN');
      written.push(Buffer.from(bytes.subarray(offset, offset + 10)));
      return 10;
    };
    const stream = recordingStream();
    const write = descriptorWriter(1, stream.open, fullPipe);
    write(TEXT);
    write('next\n');
    expect(calls).toBe(2);
    expect(Buffer.concat(written).toString('utf8') + stream.text()).toBe(`${TEXT}next\n`);
  });

  it('lets any other error through', () => {
    const broken: DescriptorWrite = () => {
      throw failure('EIO');
    };
    expect(() => descriptorWriter(1, recordingStream().open, broken)(TEXT)).toThrow('EIO');
  });
});

describe('the process Io', () => {
  it('writes without loading node:net, and loads node:tty only when asked whether a person is there', () => {
    const bundle = join(temporaryDirectory(), 'io.cjs');
    buildSync({ entryPoints: [fileURLToPath(new URL('../src/io.ts', import.meta.url))], outfile: bundle, bundle: true, format: 'cjs', platform: 'node', logLevel: 'warning' });
    const script = [
      `const { processIo } = require(${JSON.stringify(bundle)});`,
      // node:tty loads node:net, and so does process.stdout on a pipe.
      'const loaded = () => ["NativeModule tty", "NativeModule net"].filter((name) => process.moduleLoadList.includes(name)).length;',
      'const io = processIo();',
      'io.stdout("out\\n");',
      'const before = loaded();',
      'const interactive = io.interactive;',
      'process.stderr.write(JSON.stringify({ before, after: loaded(), interactive }));',
    ].join('\n');
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(result.stdout).toBe('out\n');
    // Without a terminal on stdin and stdout, nobody is there.
    expect(JSON.parse(result.stderr)).toEqual({ before: 0, after: 2, interactive: false });
  });
});

describe('create --yes', () => {
  it('never asks whether a person is there (which would load node:tty)', async () => {
    const { io, stdout } = memoryIo(temporaryDirectory());
    let asked = 0;
    const counting: Io = {
      ...io,
      get interactive() {
        asked++;
        return true;
      },
    };
    expect(await runCreate(['os', '--yes'], counting, fakeDependencies())).toBe(0);
    expect(stdout()).toMatch(/^Wrote /);
    expect(asked).toBe(0);
  });
});
