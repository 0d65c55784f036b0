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
  it('suggests nothing when two names are equally close (a guess is not a suggestion)', () => {
    expect(didYouMean('x86-64-v4', known)).toBeUndefined();
    expect(didYouMean('x86-64-v', known)).toBeUndefined();
    expect(didYouMean('x86-64-v22', known)).toBe('x86-64-v2');
  });
  it('suggests nothing when no name is close', () => {
    expect(didYouMean('turbo', known)).toBeUndefined();
    expect(didYouMean('anything', [])).toBeUndefined();
  });
});

describe('didYouMean: how far a typo may be', () => {
  it('allows two edits even for a short name, and a third of its length for a long one', () => {
    // 'limn' is two edits from 'limine': a short input still gets the minimum tolerance of 2.
    expect(didYouMean('limn', ['multiboot2', 'limine'])).toBe('limine');
    expect(didYouMean('lmn', ['multiboot2', 'limine'])).toBeUndefined();
    // 10 characters: up to 3 edits ('rustup-sta' is three letters short of 'rustup-stable').
    expect(didYouMean('rustup-sta', ['rustup-stable', 'system'])).toBe('rustup-stable');
    expect(didYouMean('rustup-xxxxxxx', ['rustup-stable'])).toBeUndefined();
  });
});
