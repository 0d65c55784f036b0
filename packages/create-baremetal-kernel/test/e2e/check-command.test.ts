/**
 * `baremetal-kernel check` on a real built multiboot2 kernel: finding the project and its ELF,
 * taking the protocol from --boot, Cargo.toml or the image, the paths it prints, the summary and
 * the exit code. What each finding says is the checker's, compared with readelf in its own
 * package (packages/check/test/e2e/multiboot2.test.ts): here the lines are the checker's own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkKernelImage, formatFinding } from '@baremetal-kernel/check';
import { buildRealKernel, COLD_BUILD_TIMEOUT, type RealKernel } from '../../../check/test/e2e/real-kernel.js';
import { check, temporaryDirectory } from '../check-support.js';

let kernel: RealKernel;

// Builds into the multiboot2 end-to-end tests' cache, compiling whatever it lacks.
beforeAll(() => {
  kernel = buildRealKernel('check-os');
}, COLD_BUILD_TIMEOUT);

/** The checker's lines for an ELF; an intact kernel passes every check (7 for multiboot2 with PVH). */
function findings(path: string): string[] {
  const lines = checkKernelImage(readFileSync(path), 'multiboot2').map(formatFinding);
  expect(lines.every((line) => line.startsWith('ok: '))).toBe(true);
  expect(lines).toHaveLength(7);
  return lines;
}

function summary(path: string, source: string): string {
  return `summary: ${path} passes the multiboot2 checks (protocol ${source}): 7 checks ok, 0 warnings, 0 errors`;
}

describe('check on real built multiboot2 kernels', () => {
  for (const profile of ['debug', 'release'] as const) {
    it(`passes the ${profile} ELF given by path`, () => {
      const path = kernel.elf(profile);
      const run = check([path, '--boot', 'multiboot2'], { cwd: temporaryDirectory() });
      expect(run.stderr).toBe('');
      expect(run.lines).toEqual([...findings(path), summary(path, 'from --boot')]);
      expect(run.status).toBe(0);
    });
  }

  it('detects the protocol from the image when neither --boot nor a project says it', () => {
    const path = kernel.elf('release');
    const run = check([path], { cwd: temporaryDirectory() });
    expect(run.lines).toEqual([...findings(path), summary(path, 'detected from a multiboot2 header in the first 32 KiB')]);
    expect(run.status).toBe(0);
  });

  it('checks the debug build of the project around the working directory, without a path', () => {
    const path = kernel.elf('debug');
    const manifest = join(kernel.directory, 'Cargo.toml');
    for (const cwd of [kernel.directory, join(kernel.directory, 'src', 'boot')]) {
      const run = check([], { cwd, env: { CARGO_TARGET_DIR: kernel.targetDirectory } });
      expect(run.stderr).toBe('');
      expect(run.lines).toEqual([...findings(path), summary(path, `from ${manifest}`)]);
      expect(run.status).toBe(0);
    }
  });

  it("takes the project's protocol for its own kernel given by path, and shows a path below the working directory relatively", () => {
    const path = kernel.elf('release');
    const run = check(['x86_64-unknown-none/release/check-os'], { cwd: kernel.targetDirectory });
    expect(run.lines).toEqual([
      ...findings(path),
      summary('x86_64-unknown-none/release/check-os', 'detected from a multiboot2 header in the first 32 KiB'),
    ]);
    // The project's own kernel (its build under CARGO_TARGET_DIR) gets the project's protocol; the
    // same file, when the project cannot know it as its build, is judged by its own contents.
    const inProject = check([path], { cwd: kernel.directory, env: { CARGO_TARGET_DIR: kernel.targetDirectory } });
    expect(inProject.lines.at(-1)).toBe(summary(path, `from ${join(kernel.directory, 'Cargo.toml')}`));
    const unknownBuild = check([path], { cwd: kernel.directory, env: {} });
    expect(unknownBuild.lines.at(-1)).toBe(summary(path, 'detected from a multiboot2 header in the first 32 KiB'));
  });

  it('asks for `cargo build` when the project has no build in its target directory', () => {
    const run = check([], { cwd: kernel.directory, env: {} });
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('error: no kernel at target/x86_64-unknown-none/debug/check-os: run `cargo build` first\n');
    expect(run.status).toBe(1);
  });
});
