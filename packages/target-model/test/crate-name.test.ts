import { describe, expect, it } from 'vitest';
import { crateNameProblem, suggestCrateName, toCrateName } from '../src/index.js';

describe('crateNameProblem', () => {
  it.each(['my-os', 'my_os', 'kernel2', 'a', 'x'.repeat(64)])('accepts %s', (name) => {
    expect(crateNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', 'the project name is empty'],
    ['1os', "'1os' starts with a digit; a crate name must start with a letter"],
    ['my os', "'my os' contains a space; use only lowercase ASCII letters, digits, '-' and '_': use 'my-os'"],
    ['my.os', "'my.os' contains '.'; use only lowercase ASCII letters, digits, '-' and '_': use 'my-os'"],
    ['../os', "'../os' must start with a letter: use 'os'"],
    ['_os', "'_os' must start with a letter: use 'os'"],
    // Uppercase: rustc warns about a crate name that is not snake case, and the generated CI's
    // clippy denies warnings.
    ['My_OS2', "'My_OS2' has uppercase letters, which Rust warns about in a crate name: use 'my_os2'"],
    ['Kernel', "'Kernel' has uppercase letters, which Rust warns about in a crate name: use 'kernel'"],
    // A non-ASCII letter is a letter, only not one a crate name may have.
    ['ösi', "'ösi' contains 'ö'; use only lowercase ASCII letters, digits, '-' and '_': use 'osi'"],
    ['データ', "'データ' contains 'デ'; use only lowercase ASCII letters, digits, '-' and '_'"],
    ['core', "'core' is the name of a built-in crate"],
    ['std', "'std' is the name of a built-in crate"],
    ['alloc', "'alloc' is the name of a built-in crate"],
    ['test', "'test' is the name of a built-in crate"],
    ['proc-macro', "'proc-macro' is the name of a built-in crate"],
    ['fn', "'fn' is a Rust keyword"],
    ['deps', "'deps' is a directory name cargo uses in target/"],
    ['nul', "'nul' is a reserved file name on Windows"],
    ['x'.repeat(65), 'the project name is longer than 64 characters'],
  ])('rejects %j', (name, message) => {
    expect(crateNameProblem(name)).toBe(message);
  });

  it('suggests a valid name only where one is close and valid', () => {
    expect(suggestCrateName('My OS')).toBe('my-os');
    expect(suggestCrateName('Ünïcödé')).toBe('unicode');
    expect(suggestCrateName('my-os')).toBeUndefined(); // already valid: nothing to suggest
    expect(suggestCrateName('123')).toBeUndefined();
    expect(suggestCrateName('CORE')).toBeUndefined(); // 'core' is not valid either
  });

  it('turns dashes into underscores for the crate name', () => {
    expect(toCrateName('my-little-os')).toBe('my_little_os');
  });
});

describe('crateNameProblem: the reserved names, each list in full', () => {
  // The Rust Reference, "Keywords": strict (2015, 2018, 2024) and reserved.
  it.each(['as', 'async', 'dyn', 'gen', 'mod', 'self', 'Self', 'while', 'abstract', 'become', 'yield', 'unsized'])('rejects the keyword %s', (name) => {
    expect(crateNameProblem(name)).toBe(`'${name}' is a Rust keyword`);
  });

  it.each(['core', 'std', 'alloc', 'test', 'proc_macro', 'compiler_builtins', 'panic_abort', 'panic-unwind', 'unwind'])(
    'rejects the sysroot crate %s, with - or _',
    (name) => {
      expect(crateNameProblem(name)).toBe(`'${name}' is the name of a built-in crate`);
    },
  );

  it.each(['deps', 'examples', 'build', 'incremental'])('rejects %s, a directory of target/', (name) => {
    expect(crateNameProblem(name)).toBe(`'${name}' is a directory name cargo uses in target/`);
  });

  it.each(['con', 'PRN', 'Aux', 'nul', 'com1', 'COM9', 'lpt1', 'lpt9'])('rejects the Windows device name %s', (name) => {
    expect(crateNameProblem(name)).toBe(`'${name}' is a reserved file name on Windows`);
  });

  it.each(['console', 'falcon', 'com0', 'com10', 'lpt', 'nullos', 'buildx', 'my-core'])('accepts %s, which only looks like a reserved name', (name) => {
    expect(crateNameProblem(name)).toBeUndefined();
  });
});
