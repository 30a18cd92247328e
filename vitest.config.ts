import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // One test run per machine at a time: real-kernel tests share the host's aio-nr.
    globalSetup: ['test/support/global-lock.ts'],
    // Real-kernel tests spawn worker processes and share the host's aio-nr: run files one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
