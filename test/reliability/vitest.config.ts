// Test runner config of the reliability suite (npm run test:reliability): long SIGKILL and restart trials,
// kept out of the default `npm test` (the root vitest.config.ts excludes test/reliability).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // One trial at a time: files share the machine's CPUs, and the timings printed are part of the result.
    fileParallelism: false,
  },
});
