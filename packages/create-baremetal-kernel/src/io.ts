import { writeSync } from 'node:fs';

/** What a command may touch of the outside world, so tests can run commands in memory. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Whether a person is at the terminal (stdin and stdout are TTYs). */
  readonly interactive: boolean;
}

/**
 * The process's own output, written straight to its descriptors (see {@link descriptorWriter}),
 * and whether a person is there, asked only when a command wants to know: node:tty loads Node's
 * stream and socket modules, which `create --yes` never needs (together ~15% of its start-up).
 */
export function processIo(): Io {
  return {
    stdout: descriptorWriter(STDOUT, () => process.stdout),
    stderr: descriptorWriter(STDERR, () => process.stderr),
    cwd: process.cwd(),
    env: process.env,
    get interactive() {
      const { isatty } = process.getBuiltinModule('node:tty');
      return isatty(STDIN) && isatty(STDOUT);
    },
  };
}

/** File descriptors of standard input, output and error (POSIX). */
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;

/** Signal numbers (POSIX), for the shell's convention of exiting with 128 + the number. */
const SIGNAL_NUMBERS: Readonly<Record<string, number>> = { SIGINT: 2, SIGTERM: 15 };

/** Exit statuses: 0 success, 1 a failure the command found, 2 bad usage, 128 + N stopped by signal N. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  signal: (name: string) => 128 + (SIGNAL_NUMBERS[name] ?? 0),
} as const;

/**
 * Writes to a stream whose reader may go away early (`create ... | head -3`): the pipe's EPIPE
 * error would otherwise be an unhandled 'error' event that kills the process with a stack trace,
 * possibly before the command finished its work. Once the reader is gone, later output is dropped,
 * as a program killed by SIGPIPE would have lost it; other errors still surface.
 */
export function pipeTolerantWriter(open: () => NodeJS.WritableStream): (text: string | Uint8Array) => void {
  let stream: NodeJS.WritableStream | undefined;
  let readerGone = false;
  return (text) => {
    if (readerGone) return;
    if (stream === undefined) {
      stream = open();
      stream.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error;
        readerGone = true;
      });
    }
    stream.write(text);
  };
}

/** Writes bytes at an offset of a buffer to a descriptor, returning how many it wrote (`fs.writeSync`). */
export type DescriptorWrite = (descriptor: number, bytes: Uint8Array, offset: number) => number;

/**
 * Writes to a descriptor with `write(2)` itself, without the stream object `process.stdout` is: Node
 * builds one (loading its stream, socket and TTY modules) on the first read of `process.stdout`,
 * which costs a `create` more than its own report. As the stream would on Linux, the text is out
 * when the call returns. Tolerates a reader that went away as {@link pipeTolerantWriter} does
 * (EPIPE: the rest is dropped). A descriptor left non-blocking by whoever opened it may refuse
 * to wait (EAGAIN): from there on, the stream writes (it waits for the reader).
 */
export function descriptorWriter(
  descriptor: number,
  open: () => NodeJS.WritableStream,
  write: DescriptorWrite = writeSync,
): (text: string) => void {
  let stream: ((bytes: Uint8Array) => void) | undefined;
  let readerGone = false;
  return (text) => {
    if (readerGone) return;
    const bytes = Buffer.from(text, 'utf8');
    if (stream) return stream(bytes);
    let offset = 0;
    try {
      // A write to a pipe may take only part of the bytes (a signal, a full pipe): go on.
      while (offset < bytes.length) offset += write(descriptor, bytes, offset);
    } catch (error) {
      const { code } = error as NodeJS.ErrnoException;
      if (code === 'EPIPE') {
        readerGone = true;
        return;
      }
      if (code !== 'EAGAIN') throw error;
      stream = pipeTolerantWriter(open);
      stream(bytes.subarray(offset));
    }
  };
}
