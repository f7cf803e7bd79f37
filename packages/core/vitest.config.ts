import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    // The rate-limit test runs in real time; CI shares two cores between packages.
    testTimeout: 30_000,
  },
});
