import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ToolchainReport } from '@baremetal-kernel/target';
import { compileTemplates, loadTemplates } from '@baremetal-kernel/generators';
import type { CreateDependencies } from '../src/commands/create.js';
import type { Io } from '../src/io.js';
import type { Prompter } from '../src/prompter.js';

/** An Io that records what a command prints. */
export function memoryIo(cwd: string, options: { interactive?: boolean; env?: NodeJS.ProcessEnv } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    cwd,
    env: options.env ?? {},
    interactive: options.interactive ?? false,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

export function temporaryDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'cli-'));
}

/** A machine with Debian's toolchain found and usable. */
export const SYSTEM_MACHINE: ToolchainReport = {
  rustc: { command: 'rustc', version: '1.96.0', host: 'x86_64-unknown-linux-gnu', sysroot: '/usr', managedByRustup: false },
  statuses: [
    { name: 'rustup-stable', usable: false, detail: 'rustup is not installed', fix: ['install rustup', 'rustup target add x86_64-unknown-none'] },
    { name: 'rustup-nightly', usable: false, detail: 'rustup is not installed', fix: ['install rustup', 'rustup toolchain install nightly'] },
    { name: 'system', usable: true, detail: 'rustc 1.96.0 at rustc with vendored rust-src', fix: [] },
  ],
  recommended: 'system',
  systemVendorDirectory: '/usr/lib/rustlib/src/rust/library/vendor',
};

/** A machine with no Rust at all. */
export const BARE_MACHINE: ToolchainReport = {
  rustc: undefined,
  statuses: SYSTEM_MACHINE.statuses.map((status) =>
    status.name === 'system' ? { ...status, usable: false, detail: 'no system rustc found', fix: ['apt-get install rustc-web'] } : status,
  ),
  recommended: undefined,
  systemVendorDirectory: undefined,
};

const templates = compileTemplates(loadTemplates());

/** Answers the prompts in order; fails the test if asked more, or asked at all when `answers` is undefined. */
export function scriptedPrompter(answers: string[] | undefined, asked: string[] = []): () => Promise<Prompter> {
  return async () => {
    if (!answers) throw new Error('the command prompted, but it must not');
    const next = (message: string, fallback: string | undefined) => {
      asked.push(message);
      const answer = answers.shift();
      if (answer === undefined) throw new Error(`unexpected prompt: ${message}`);
      return Promise.resolve(answer === '' ? (fallback ?? '') : answer);
    };
    return {
      // As a person at a prompt that validates: an answer it refuses is typed again (the refusal is
      // recorded in `asked`).
      input: async (options) => {
        for (;;) {
          const answer = await next(options.message, options.default);
          const verdict = options.validate?.(answer) ?? true;
          if (verdict === true) return answer;
          asked.push(`refused: ${verdict}`);
        }
      },
      select: (options) => next(options.message, options.default ?? options.choices[0]?.value),
      checkbox: async (options) => (await next(options.message, '')).split(',').filter((value) => value !== ''),
    };
  };
}

export function fakeDependencies(overrides: Partial<CreateDependencies> & { report?: ToolchainReport } = {}): CreateDependencies {
  const report = overrides.report ?? SYSTEM_MACHINE;
  return {
    detectToolchains: () => Promise.resolve(report),
    templates: () => Promise.resolve(templates),
    prompter: scriptedPrompter(undefined),
    onPath: () => true,
    watchSignals: () => ({ received: () => Promise.resolve(undefined), stop: () => undefined }),
    ...overrides,
  };
}
