import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration suites start real worker processes; two cores do not like many at once.
    fileParallelism: false,
    // The JSON report feeds the one-line summary `scripts/test-summary.ts` prints at the end of `npm test`.
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
