import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', '../../tools/vitest/summary-reporter.ts'],
  },
});
