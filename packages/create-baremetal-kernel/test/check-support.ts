/**
 * Helpers for the `check` command's tests: an in-memory Io, temporary files, and the synthetic
 * kernels of @baremetal-kernel/check's own tests (one ELF builder for both packages).
 */
import { tmpdir } from 'node:os';
import type { Io } from '../src/io.js';
import { runCheck } from '../src/commands/check.js';

export * from '../../check/test/elf-builder.js';
export { temporaryDirectory, writeTemporary } from '../../check/test/e2e/real-kernel.js';

export interface CheckRun {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout split into lines, without the trailing empty one. */
  readonly lines: readonly string[];
}

export function memoryIo(cwd: string, env: NodeJS.ProcessEnv = {}): Io & { readonly out: string[]; readonly err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { stdout: (text) => out.push(text), stderr: (text) => err.push(text), cwd, env, interactive: false, out, err };
}

export function check(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CheckRun {
  const io = memoryIo(options.cwd ?? tmpdir(), options.env ?? {});
  const status = runCheck(args, io);
  const stdout = io.out.join('');
  return { status, stdout, stderr: io.err.join(''), lines: stdout.split('\n').filter((line) => line !== '') };
}

