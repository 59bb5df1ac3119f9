import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Each file in its own process: the CLI and worker-thread tests start processes of their own.
    pool: 'forks',
  },
});
