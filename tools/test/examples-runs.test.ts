import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BOOT_PROTOCOLS } from '@baremetal-kernel/target';
// @ts-expect-error: a plain ES module of tools/, without declarations
import { examplesRuns, kernelTargetNames, runManyArguments, PLUGIN_PROJECT } from '../examples/test.mjs';
// @ts-expect-error: a plain ES module of tools/, without declarations
import { EXAMPLES, exampleConfig } from '../examples/examples.mjs';

type Example = { name: string };
type Run = { targets: string[]; projects: string[] };

const nxJson = JSON.parse(readFileSync(new URL('../../nx.json', import.meta.url), 'utf8'));
const targets = kernelTargetNames(nxJson);
const fetched = BOOT_PROTOCOLS.filter((protocol) => protocol.loaderReleaseVariable !== undefined);
const bootsOf = (runs: Run[]) => runs.find((run) => run.targets.includes(targets.test))?.projects ?? [];

describe('the examples run through Nx (npm run test:examples)', () => {
  it("uses this workspace's target names for the plugin", () => {
    expect(targets).toEqual({ clippy: 'kernel-clippy', check: 'kernel-check', run: 'kernel-run', test: 'kernel-test' });
    expect(() => kernelTargetNames({ plugins: [] })).toThrow(/does not load @baremetal-kernel\/nx\/plugin/);
    expect(kernelTargetNames({ plugins: ['@baremetal-kernel/nx/plugin'] })).toEqual({ clippy: 'clippy', check: 'check', run: 'run', test: 'test' });
  });

  it('lints and checks every example, after building the plugin whose executor checks', () => {
    const { runs } = examplesRuns(EXAMPLES, targets, {});
    expect(runs[0]).toEqual({ targets: ['build'], projects: [PLUGIN_PROJECT] });
    expect(runs[1]).toEqual({ targets: ['kernel-clippy', 'kernel-check'], projects: EXAMPLES.map((example: Example) => example.name) });
  });

  it('boots the examples whose loader is here, and says why the others are skipped', () => {
    expect(fetched.length, 'a protocol whose runner fetches its loader (Limine)').toBeGreaterThan(0);
    const { runs, skipped } = examplesRuns(EXAMPLES, targets, {});
    const needsRelease = (example: Example) => fetched.some((protocol) => protocol.name === exampleConfig(example).boot.name);
    expect(bootsOf(runs)).toEqual(EXAMPLES.filter((example: Example) => !needsRelease(example)).map((example: Example) => example.name));
    expect(skipped.map((skip: { example: string }) => skip.example)).toEqual(EXAMPLES.filter(needsRelease).map((example: Example) => example.name));
    for (const skip of skipped) expect(skip.reason).toMatch(/set LIMINE_DIR to a release/);
    const withRelease = examplesRuns(EXAMPLES, targets, Object.fromEntries(fetched.map((protocol) => [protocol.loaderReleaseVariable, '/opt/release'])));
    expect(bootsOf(withRelease.runs)).toEqual(EXAMPLES.map((example: Example) => example.name));
    expect(withRelease.skipped).toEqual([]);
  });

  it('passes the caller’s options on to nx run-many, one project at a time', () => {
    expect(runManyArguments({ targets: ['a', 'b'], projects: ['x', 'y'] }, ['--skip-nx-cache'])).toEqual([
      'nx', 'run-many', '-t', 'a', 'b', '--projects=x,y', '--parallel=1', '--output-style=static', '--skip-nx-cache',
    ]);
  });
});
