import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The end-to-end tests spawn the bundle against the emulator; the check-dist test runs ncc.
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
