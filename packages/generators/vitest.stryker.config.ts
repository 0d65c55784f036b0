/**
 * The fast tests Stryker runs against the planner (stryker.config.mjs): the fast layer less
 * snapshots.test.ts, which compares whole files with .snap files that `-u` rewrites: a mutant only
 * it kills is one no semantic test catches (issue 8), and should show as surviving. (The runner
 * tests, which run the rendered scripts under bash, are in the slow layer, which Stryker never runs.)
 */
import { defineConfig, mergeConfig } from 'vitest/config';
import fastLayer from '../../tools/vitest/stryker.config.ts';

export default mergeConfig(fastLayer, defineConfig({ test: { exclude: ['test/snapshots.test.ts'] } }));
