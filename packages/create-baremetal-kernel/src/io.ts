import { isatty } from 'node:tty';

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
 * The process's own streams, each opened on its first write: Node builds a stream object (and
 * loads the modules behind it) the first time `process.stdout` or `process.stderr` is read, which
 * a run that never writes to one should not pay. `isatty` asks about the descriptors without that.
 */
export function processIo(): Io {
  return {
    stdout: pipeTolerantWriter(() => process.stdout),
    stderr: pipeTolerantWriter(() => process.stderr),
    cwd: process.cwd(),
    env: process.env,
    interactive: isatty(STDIN) && isatty(STDOUT),
  };
}

/** File descriptors of standard input and output (POSIX). */
const STDIN = 0;
const STDOUT = 1;

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
export function pipeTolerantWriter(open: () => NodeJS.WritableStream): (text: string) => void {
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
