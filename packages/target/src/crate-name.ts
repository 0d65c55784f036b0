/**
 * Rules for a kernel's package name, which becomes its crate name (`-` turned into `_`), the
 * binary's file name and the name printed at boot.
 */

const MAX_LENGTH = 64;

/** Keywords of every edition, strict and reserved (The Rust Reference, "Keywords"). */
const RUST_KEYWORDS = new Set(
  (
    'as async await break const continue crate dyn else enum extern false fn for gen if impl in let loop match ' +
    'mod move mut pub ref return self Self static struct super trait true try type unsafe use where while ' +
    'abstract become box do final macro override priv typeof unsized virtual yield'
  ).split(' '),
);

/** Crates of the sysroot: a package of the same name would shadow them in `extern crate`. */
const SYSROOT_CRATES = new Set([
  'core',
  'std',
  'alloc',
  'test',
  'proc_macro',
  'compiler_builtins',
  'panic_abort',
  'panic_unwind',
  'unwind',
]);

/** Directory names cargo uses beside binaries in target/ (cargo refuses them as package names). */
const CARGO_ARTIFACT_DIRECTORIES = new Set(['deps', 'examples', 'build', 'incremental']);

/** Device names Windows reserves in every directory. */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i;

/** Returns why `name` cannot be a kernel's package name, or undefined when it can. */
export function crateNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the project name is empty';
  if (name.length > MAX_LENGTH) return `the project name is longer than ${MAX_LENGTH} characters`;
  if (/^[0-9]/.test(name)) return `'${name}' starts with a digit; a crate name must start with a letter`;
  if (!/^[A-Za-z]/.test(name)) return `'${name}' must start with a letter`;
  const invalid = /[^A-Za-z0-9_-]/.exec(name);
  if (invalid) {
    const shown = invalid[0] === ' ' ? 'a space' : `'${invalid[0]}'`;
    return `'${name}' contains ${shown}; use only letters, digits, '-' and '_'`;
  }
  const crateName = toCrateName(name);
  if (SYSROOT_CRATES.has(crateName)) return `'${name}' is the name of a built-in crate`;
  if (RUST_KEYWORDS.has(name)) return `'${name}' is a Rust keyword`;
  if (CARGO_ARTIFACT_DIRECTORIES.has(name)) return `'${name}' is a directory name cargo uses in target/`;
  if (WINDOWS_RESERVED.test(name)) return `'${name}' is a reserved file name on Windows`;
  return undefined;
}

/** The crate name Rust sees: `-` becomes `_`. */
export function toCrateName(name: string): string {
  return name.replaceAll('-', '_');
}
