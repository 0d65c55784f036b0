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
  // An ASCII character that is not a letter first (`_os`, `../os`); a non-ASCII one (`ösi`) is
  // reported below as what it is: a character a crate name cannot have at all.
  if (/^[\x00-\x7F]/.test(name) && !/^[A-Za-z]/.test(name)) return `'${name}' must start with a letter${suggestionNote(name)}`;
  const invalid = /[^A-Za-z0-9_-]/u.exec(name);
  if (invalid) {
    const shown = invalid[0] === ' ' ? 'a space' : `'${invalid[0]}'`;
    return `'${name}' contains ${shown}; use only lowercase ASCII letters, digits, '-' and '_'${suggestionNote(name)}`;
  }
  const crateName = toCrateName(name);
  if (SYSROOT_CRATES.has(crateName)) return `'${name}' is the name of a built-in crate`;
  if (RUST_KEYWORDS.has(name)) return `'${name}' is a Rust keyword`;
  if (CARGO_ARTIFACT_DIRECTORIES.has(name)) return `'${name}' is a directory name cargo uses in target/`;
  if (WINDOWS_RESERVED.test(name)) return `'${name}' is a reserved file name on Windows`;
  if (/[A-Z]/.test(name)) {
    // rustc's non_snake_case lint warns about the crate name, and the generated CI denies warnings.
    return `'${name}' has uppercase letters, which Rust warns about in a crate name${suggestionNote(name)}`;
  }
  return undefined;
}

/**
 * A valid name close to `name`, to suggest in its place: lowercase ASCII, other characters turned
 * into `-`, leading non-letters dropped. Undefined when nothing valid is left.
 */
export function suggestCrateName(name: string): string | undefined {
  const suggestion = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, MAX_LENGTH);
  return suggestion !== name && crateNameProblem(suggestion) === undefined ? suggestion : undefined;
}

function suggestionNote(name: string): string {
  const suggestion = suggestCrateName(name);
  return suggestion ? `: use '${suggestion}'` : '';
}

/** The crate name Rust sees: `-` becomes `_`. */
export function toCrateName(name: string): string {
  return name.replaceAll('-', '_');
}
