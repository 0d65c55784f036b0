/**
 * The package manifest's bins. `npm ci` links a workspace's bins when it installs, before anything
 * is built, and only to files that exist then: so each bin is a committed entry file (which loads
 * the bundle), not the bundle in dist/. The published side is test/e2e/packed.test.ts.
 */
import { readFileSync, statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

interface Manifest {
  readonly bin: Record<string, string>;
  readonly files: readonly string[];
}

const packageRoot = new URL('../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', packageRoot), 'utf8')) as Manifest;
const lockfile = JSON.parse(readFileSync(new URL('../../package-lock.json', packageRoot), 'utf8')) as { packages: Record<string, Partial<Manifest>> };
/** The bins scripts/build.mjs bundles, with the bundle each loads (create's is CommonJS). */
const BUNDLES: Readonly<Record<string, string>> = {
  'baremetal-kernel': 'baremetal-kernel.js',
  'create-baremetal-kernel': 'create-baremetal-kernel.cjs',
};
const BUNDLED_BINS = Object.keys(BUNDLES);

describe('the bins', () => {
  it('are both bundled entries, each a committed node script outside the build output', () => {
    expect(Object.keys(manifest.bin).sort()).toEqual(BUNDLED_BINS);
    for (const [name, path] of Object.entries(manifest.bin)) {
      // dist/ and build/ are ignored by git and made by the build: not there when `npm ci` links.
      expect(path, name).not.toMatch(/^(\.\/)?(dist|build)\//);
      const file = new URL(path, packageRoot);
      expect(statSync(file).mode & 0o111, `${path} is executable`).not.toBe(0);
      const text = readFileSync(file, 'utf8');
      expect(text.startsWith('#!/usr/bin/env node\n'), path).toBe(true);
      expect(text, path).toContain(`join(__dirname, '..', 'dist', '${BUNDLES[name]}')`);
      // Shipped: the top folder of the bin, and the bundle it loads, are in "files".
      expect(manifest.files, path).toEqual(expect.arrayContaining([path.replace(/^\.\//, '').split('/')[0], 'dist']));
    }
  });

  it('are CommonJS scripts (bin/package.json), which Node starts without its ES module loader', () => {
    const binManifest = JSON.parse(readFileSync(new URL('bin/package.json', packageRoot), 'utf8')) as { type?: string };
    expect(binManifest).toEqual({ type: 'commonjs' });
    for (const path of Object.values(manifest.bin)) expect(path.replace(/^\.\//, '')).toMatch(/^bin\/[^/]+\.js$/);
  });

  it('are the ones package-lock.json records, which npm ci links', () => {
    expect(lockfile.packages['packages/create-baremetal-kernel']?.bin).toEqual(manifest.bin);
  });
});
