/**
 * The shared sysroots on this machine (issue 16): what the kernels' .cargo/sysroot-rustc made in
 * the directory {@link sharedSysrootRoot} names. Each finished sysroot is a directory with a
 * `key.txt` (what it was built for: the compiler's `rustc -vV`, the codegen options); a build in
 * progress is a `.building-<key>.XXXXXX` directory moved into place when done.
 */
import { lstatSync, readdirSync, readFileSync, renameSync, rmSync, type Dirent } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { sharedSysrootRoot } from '@baremetal-kernel/target';

/** The file every finished sysroot holds: its key, as the wrapper wrote it. */
const KEY_FILE = 'key.txt';
/** The prefix of the wrapper's temporary directories (`mktemp -d "$root/.building-$key.XXXXXX"`). */
const BUILDING_PREFIX = '.building-';
/**
 * A temporary directory untouched for this long is left from a build that was killed (the wrapper
 * removes its own on every exit it sees): a sysroot builds in about a minute.
 */
export const ABANDONED_AFTER_MS = 60 * 60 * 1000;

export interface SharedSysroot {
  /** The directory name: `<target>-<rustc release>-<digest of the key>`. */
  readonly name: string;
  readonly path: string;
  /** The compiler's `release:` line, and its first line (`rustc 1.96.0 (... )`). */
  readonly release: string | undefined;
  readonly compiler: string | undefined;
  /** The codegen options that reached `core` (`-C target-cpu=x86-64-v3 ...`), empty for none. */
  readonly codegen: string;
  readonly bytes: number;
}

export interface UnfinishedBuild {
  readonly name: string;
  readonly path: string;
  /** Since its last change. */
  readonly ageMs: number;
}

export interface SysrootCache {
  readonly root: string;
  readonly sysroots: readonly SharedSysroot[];
  readonly unfinished: readonly UnfinishedBuild[];
}

/** The fields of a key.txt: its `name: value` lines, and the compiler's first line (`rustc ...`). */
export function parseSysrootKey(text: string): Pick<SharedSysroot, 'release' | 'compiler' | 'codegen'> {
  const lines = text.split('\n');
  const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
  return {
    release: field('release'),
    compiler: lines.find((line) => /^rustc \d/.test(line)),
    codegen: (field('codegen') ?? '').replace(/-C\s+/g, '-C').trim(),
  };
}

/** The bytes of the files under `path`, without following links (a sysroot links the compiler's own). */
function sizeOf(path: string): number {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) return stat.isSymbolicLink() ? 0 : stat.size;
  return readdirSync(path).reduce((total, entry) => total + sizeOf(join(path, entry)), 0);
}

function entriesOf(root: string): Dirent[] {
  try {
    return readdirSync(root, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

function readKey(path: string): string | undefined {
  try {
    return readFileSync(join(path, KEY_FILE), 'utf8');
  } catch {
    return undefined;
  }
}

/** The sysroots and unfinished builds under `root` (none when it does not exist yet). */
export function readSysrootCache(root: string, now = Date.now()): SysrootCache {
  const sysroots: SharedSysroot[] = [];
  const unfinished: UnfinishedBuild[] = [];
  for (const entry of entriesOf(root)) {
    if (!entry.isDirectory()) continue;
    const path = join(root, entry.name);
    if (entry.name.startsWith(BUILDING_PREFIX)) {
      unfinished.push({ name: entry.name, path, ageMs: now - lstatSync(path).mtimeMs });
      continue;
    }
    const key = readKey(path);
    if (key !== undefined) sysroots.push({ name: entry.name, path, ...parseSysrootKey(key), bytes: sizeOf(path) });
  }
  sysroots.sort((a, b) => a.name.localeCompare(b.name));
  return { root, sysroots, unfinished };
}

/** Where this machine's shared sysroots are, for the environment `env`. */
export function sysrootRootFor(env: NodeJS.ProcessEnv): string {
  return sharedSysrootRoot({ env, platform: process.platform, home: env.HOME || homedir() });
}

export interface CleanResult {
  readonly removed: readonly string[];
  readonly bytes: number;
  /** Builds in progress, left alone. */
  readonly inProgress: readonly string[];
}

/**
 * Removes every finished sysroot, and the temporary directories of builds killed long ago; a build
 * in progress is left alone. Each sysroot is first renamed away, so a kernel build looking for it
 * at that moment finds none and makes a new one instead of reading half a directory.
 */
export function cleanSysroots(cache: SysrootCache): CleanResult {
  const removed: string[] = [];
  let bytes = 0;
  const doomed = [
    ...cache.sysroots,
    ...cache.unfinished.filter((build) => build.ageMs >= ABANDONED_AFTER_MS).map((build) => ({ ...build, bytes: sizeOf(build.path) })),
  ];
  for (const sysroot of doomed) {
    const away = join(cache.root, `${BUILDING_PREFIX}removed-${sysroot.name}-${process.pid}`);
    renameSync(sysroot.path, away);
    rmSync(away, { recursive: true, force: true });
    removed.push(sysroot.name);
    bytes += sysroot.bytes;
  }
  const inProgress = cache.unfinished.filter((build) => build.ageMs < ABANDONED_AFTER_MS).map((build) => build.name);
  return { removed, bytes, inProgress };
}

/** `412.3 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}
