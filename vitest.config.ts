import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // Starts one PostgreSQL cluster for the run (or uses PG_ACCESS_TEST_URL); see test/global-setup.ts.
    globalSetup: ['./test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    // The CI machine has 2 cores.
    maxWorkers: 2,
  },
});
