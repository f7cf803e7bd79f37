import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // The files mostly wait (on the emulator's clock, on child processes): run several at once even on 2 cores.
    maxWorkers: 4,
  },
});
