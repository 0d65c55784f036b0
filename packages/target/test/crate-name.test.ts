import { describe, expect, it } from 'vitest';
import { crateNameProblem, toCrateName } from '../src/index.js';

describe('crateNameProblem', () => {
  it.each(['my-os', 'my_os', 'Kernel2', 'a', 'x'.repeat(64)])('accepts %s', (name) => {
    expect(crateNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', 'the project name is empty'],
    ['1os', "'1os' starts with a digit; a crate name must start with a letter"],
    ['my os', "'my os' contains a space; use only letters, digits, '-' and '_'"],
    ['my.os', "'my.os' contains '.'; use only letters, digits, '-' and '_'"],
    ['../os', "'../os' must start with a letter"],
    ['_os', "'_os' must start with a letter"],
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
