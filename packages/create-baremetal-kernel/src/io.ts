/** What a command may touch of the outside world, so tests can run commands in memory. */
export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Whether a person is at the terminal (stdin and stdout are TTYs). */
  readonly interactive: boolean;
}

export function processIo(): Io {
  return {
    stdout: pipeTolerantWriter(process.stdout),
    stderr: pipeTolerantWriter(process.stderr),
    cwd: process.cwd(),
    env: process.env,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  };
}

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
export function pipeTolerantWriter(stream: NodeJS.WritableStream): (text: string) => void {
  let readerGone = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    readerGone = true;
  });
  return (text) => {
    if (!readerGone) stream.write(text);
  };
}
