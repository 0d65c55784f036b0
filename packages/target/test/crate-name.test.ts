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
