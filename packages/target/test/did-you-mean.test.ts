import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from '../src/index.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['kitten', 'sitting', 3],
    ['limine', 'limine', 0],
    ['multiboot', 'multiboot2', 1],
  ])('%j -> %j is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('didYouMean', () => {
  const known = ['baseline', 'x86-64-v2', 'x86-64-v3'];
  it('suggests the closest name, ignoring case', () => {
    expect(didYouMean('BASELINE', known)).toBe('baseline');
    expect(didYouMean('basline', known)).toBe('baseline');
  });
  it('suggests nothing when no name is close', () => {
    expect(didYouMean('turbo', known)).toBeUndefined();
    expect(didYouMean('anything', [])).toBeUndefined();
  });
});
