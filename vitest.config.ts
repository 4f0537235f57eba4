import { defineConfig } from 'vitest/config';

// Two tiers, told apart by file name: `*.test.ts` are pure and fast; `*.int.test.ts` run against
// the real servers of the local stack, which the int project's global setup brings up.
export default defineConfig({
  test: {
    reporters: ['default', './scripts/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['services/*/{src,test}/**/*.test.ts', 'scripts/test/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
        },
      },
      {
        test: {
          name: 'int',
          include: ['services/*/{src,test}/**/*.int.test.ts'],
          globalSetup: ['services/testkit/src/global-setup.ts'],
          // One file at a time: they share one server of each kind on 2 cores, and tests that
          // measure WAL lag or latency must not see another file's load.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
