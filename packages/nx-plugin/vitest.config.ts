import { defineConfig } from 'vitest/config';
import { testLayers } from '../../tools/vitest/layers.ts';

export default defineConfig(testLayers());
