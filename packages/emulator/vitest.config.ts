import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real HTTP on a shared 2-core CI machine: the default 5 s is too tight when other packages test too.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
