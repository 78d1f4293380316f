import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Real sessions, sockets and a browser: keep the load predictable on a 2-core machine.
    fileParallelism: true,
    maxWorkers: 2,
    setupFiles: ['test/helpers/setup.ts'],
  },
});
