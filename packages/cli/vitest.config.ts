import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The end-to-end tests run the built bin against the emulator; each spawns Node processes.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
