/**
 * The target model's machine probe over the real machine (child processes, PATH, the file system),
 * and toolchain detection with a cache: `@baremetal-kernel/generators/node`. The CLI and the plop
 * generator use it; the model itself stays free of Node's I/O.
 */
import type * as ChildProcess from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, sep } from 'node:path';
import {
  SYSTEM_RUSTC_CANDIDATES,
  detectToolchains,
  type CommandResult,
  type MachineProbe,
  type ToolchainReport,
} from '@baremetal-kernel/target';

/**
 * node:child_process, loaded on the first process started: loading it (with the stream and socket
 * modules behind it) costs a run that finds every answer in the cache a tenth of its start-up.
 */
const childProcess = (() => {
  let loaded: typeof ChildProcess | undefined;
  return () => (loaded ??= createRequire(import.meta.url)('node:child_process') as typeof ChildProcess);
})();

/** A {@link MachineProbe} over the real machine: child processes and the file system. */
export function nodeProbe(env: NodeJS.ProcessEnv = process.env): MachineProbe {
  return {
    run(command, args) {
      const result = childProcess().spawnSync(command, args, { encoding: 'utf8', env, timeout: 15_000 });
      if (result.error) return undefined;
      return { ok: result.status === 0, stdout: result.stdout };
    },
    isDirectory(path) {
      try {
        return statSync(path).isDirectory();
      } catch {
        return false;
      }
    },
  };
}

// -------------------------------------------------------------------------------------------
// The fast path, for commands that run at every start (`create-baremetal-kernel`): the same
// detection, fed from rustup's state on disk and from a few `rustc -vV` run in parallel, instead
// of eight processes one after the other (150-250 ms measured).

/** Where rustup keeps its toolchains: $RUSTUP_HOME, by default ~/.rustup. */
function rustupHome(env: NodeJS.ProcessEnv): string {
  return env.RUSTUP_HOME ?? join(env.HOME ?? homedir(), '.rustup');
}

function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Like `command -v`: the first executable file `program` in the absolute directories of PATH, or
 * `program` itself when it is a path. No process is started.
 */
export function findOnPath(program: string, env: NodeJS.ProcessEnv): string | undefined {
  if (program.includes('/')) return isExecutableFile(program) ? program : undefined;
  for (const directory of (env.PATH ?? '').split(delimiter)) {
    if (!isAbsolute(directory)) continue;
    // The directory as PATH has it, as a shell does: path.join would normalize each of the
    // dozens of candidates a create looks at, enough calls to make V8 optimize it meanwhile.
    const candidate = directory.endsWith(sep) ? directory + program : directory + sep + program;
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Whether an executable is rustup's proxy (`~/.cargo/bin/rustc` links to, or copies, rustup). */
function isRustupProxy(executable: string): boolean {
  try {
    const target = realpathSync(executable);
    return basename(target).startsWith('rustup') || /[\\/]\.cargo[\\/]bin[\\/]/.test(executable);
  } catch {
    return false;
  }
}

function listDirectory(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch {
    return [];
  }
}

/** The directory of the toolchain rustup calls `name` (`stable` is `stable-<host>`). */
function toolchainDirectory(home: string, name: string): string | undefined {
  const toolchains = join(home, 'toolchains');
  const match = listDirectory(toolchains).find((entry) => entry === name || entry.startsWith(`${name}-`));
  return match ? join(toolchains, match) : undefined;
}

/**
 * Answers, from disk, the rustup questions detection asks: `rustup toolchain list` reads
 * toolchains/, `target list --installed` the targets under lib/rustlib/, `component list
 * --installed` the components file rustup keeps there.
 */
function rustupFromDisk(args: readonly string[], env: NodeJS.ProcessEnv): CommandResult | undefined {
  const home = rustupHome(env);
  const [verb, ...rest] = args;
  const toolchainName = rest[rest.indexOf('--toolchain') + 1];
  if (verb === 'toolchain' && rest[0] === 'list') {
    return { ok: true, stdout: listDirectory(join(home, 'toolchains')).map((name) => `${name}\n`).join('') };
  }
  if (!toolchainName) return undefined;
  const toolchain = toolchainDirectory(home, toolchainName);
  if (!toolchain) return { ok: false, stdout: '' };
  const rustlib = join(toolchain, 'lib', 'rustlib');
  if (verb === 'target') {
    const targets = listDirectory(rustlib).filter((entry) => existsSync(join(rustlib, entry, 'lib')));
    return { ok: true, stdout: targets.map((target) => `${target}\n`).join('') };
  }
  if (verb === 'component') {
    try {
      return { ok: true, stdout: readFileSync(join(rustlib, 'components'), 'utf8') };
    } catch {
      return { ok: true, stdout: '' };
    }
  }
  return undefined;
}

function runAsync(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<CommandResult | undefined> {
  return new Promise((resolvePromise) => {
    childProcess().execFile(command, [...args], { env, encoding: 'utf8', timeout: 15_000 }, (error, stdout) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') resolvePromise(undefined);
      else resolvePromise({ ok: !error, stdout });
    });
  });
}

/**
 * The sysroot a rustup proxy would run from: the default toolchain of settings.toml, unless
 * something overrides it (RUSTUP_TOOLCHAIN, a directory override, a rust-toolchain file), when
 * only asking the proxy gives the right answer.
 */
function proxySysroot(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  if (env.RUSTUP_TOOLCHAIN) return undefined;
  for (let directory = cwd; ; directory = dirname(directory)) {
    if (existsSync(join(directory, 'rust-toolchain.toml')) || existsSync(join(directory, 'rust-toolchain'))) return undefined;
    if (dirname(directory) === directory) break;
  }
  let settings: string;
  try {
    settings = readFileSync(join(rustupHome(env), 'settings.toml'), 'utf8');
  } catch {
    return undefined;
  }
  const overrides = /^\[overrides\]\s*\n([^[]*)/m.exec(settings)?.[1] ?? '';
  if (overrides.trim() !== '') return undefined;
  const name = /^default_toolchain\s*=\s*"([^"]+)"/m.exec(settings)?.[1];
  return name ? toolchainDirectory(rustupHome(env), name) : undefined;
}

/**
 * `rustc -vV` answers kept between runs, as cargo keeps them in target/.rustc_info.json: keyed by
 * the compiler binary's path, size and modification time, so an upgraded compiler is asked again.
 */
export class RustcInfoCache {
  private readonly entries: Record<string, { key: string; output: string }>;
  private changed = false;

  constructor(private readonly file: string | undefined) {
    let entries = {};
    try {
      if (file) entries = JSON.parse(readFileSync(file, 'utf8')) as typeof entries;
    } catch {
      // no cache yet, or an unreadable one: start afresh
    }
    this.entries = entries;
  }

  /** The file a real rustc binary is (for a rustup proxy: the toolchain's own rustc). */
  static identity(binary: string): string | undefined {
    try {
      const real = realpathSync(binary);
      const { size, mtimeMs } = statSync(real);
      return `${real}:${size}:${mtimeMs}`;
    } catch {
      return undefined;
    }
  }

  async versionOutput(executable: string, binary: string | undefined, env: NodeJS.ProcessEnv): Promise<CommandResult | undefined> {
    const key = binary ? RustcInfoCache.identity(binary) : undefined;
    const cached = this.entries[executable];
    if (key && cached?.key === key) return { ok: true, stdout: cached.output };
    const result = await runAsync(executable, ['-vV'], env);
    if (key && result?.ok) {
      this.entries[executable] = { key, output: result.stdout };
      this.changed = true;
    }
    return result;
  }

  /** Writes the cache if it changed; a cache that cannot be written is simply not kept. */
  save(): void {
    if (!this.file || !this.changed) return;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const temporary = `${this.file}.${process.pid}`;
      writeFileSync(temporary, JSON.stringify(this.entries));
      renameSync(temporary, this.file);
    } catch {
      // read-only home, full disk: detection still worked
    }
  }
}

/** $XDG_CACHE_HOME/baremetal-kernel/rustc-info.json, or under ~/.cache. */
export function defaultRustcInfoCacheFile(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), '.cache'), 'baremetal-kernel', 'rustc-info.json');
}

/** Detects the toolchains like `detectToolchains(nodeProbe(env))`, in a fraction of the time. */
export async function detectToolchainsFast(
  env: NodeJS.ProcessEnv = process.env,
  cacheFile: string | undefined = defaultRustcInfoCacheFile(env),
): Promise<ToolchainReport> {
  const cache = new RustcInfoCache(cacheFile);
  const rustcOnPath = findOnPath('rustc', env);
  const rustupInstalled = findOnPath('rustup', env) !== undefined;
  // Every rustc detection may ask about, with the absolute path of each.
  const rustcs = new Map<string, string>();
  if (rustcOnPath) rustcs.set('rustc', rustcOnPath);
  for (const candidate of SYSTEM_RUSTC_CANDIDATES) if (existsSync(candidate)) rustcs.set(candidate, candidate);

  const answers = new Map<string, CommandResult | undefined>();
  const key = (command: string, args: readonly string[]) => [command, ...args].join(' ');
  await Promise.all(
    [...rustcs].map(async ([command, executable]) => {
      // A real rustc's sysroot is the parent of its bin/ directory; a rustup proxy's is its
      // active toolchain, which only the proxy knows when something overrides the default.
      const proxy = isRustupProxy(executable);
      const knownSysroot = proxy ? proxySysroot(env, process.cwd()) : dirname(dirname(realpathSync(executable)));
      // The binary that answers: a proxy's answer is cached only when its toolchain is known.
      const binary = proxy ? (knownSysroot ? join(knownSysroot, 'bin', 'rustc') : undefined) : executable;
      const [version, sysroot] = await Promise.all([
        cache.versionOutput(executable, binary, env),
        knownSysroot ? Promise.resolve({ ok: true, stdout: `${knownSysroot}\n` }) : runAsync(executable, ['--print', 'sysroot'], env),
      ]);
      answers.set(key(command, ['-vV']), version);
      answers.set(key(command, ['--print', 'sysroot']), sysroot);
    }),
  );
  cache.save();
  const slow = nodeProbe(env);
  return detectToolchains({
    run(command, args) {
      if (command === 'rustup') return rustupInstalled ? rustupFromDisk(args, env) : undefined;
      const id = key(command, args);
      if (answers.has(id)) return answers.get(id);
      // A rustc detection asks about but that is not there: no process needed to know that.
      if (basename(command) === 'rustc' && !rustcs.has(command)) return undefined;
      return slow.run(command, args);
    },
    isDirectory: slow.isDirectory,
  });
}
