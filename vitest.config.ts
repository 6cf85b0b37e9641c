import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The first gateway of a file builds its PGlite database, which takes seconds on a busy machine.
    testTimeout: 60_000,
  },
});
