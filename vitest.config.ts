import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{shared,server,agent,web}/src/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts', 'tests/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Process-level tests start servers and agents; two cores do not gain from running many at once.
    maxWorkers: 2,
    // In CI, also a JSON report, from which .ci/run prints the plain 'N passed, N failed' line.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-artifacts/vitest.json' }]] : ['default'],
  },
});
