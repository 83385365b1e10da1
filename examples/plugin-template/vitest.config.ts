import { defineConfig } from 'vitest/config';

// The contract suite starts engines and runs whole backups: give hooks and tests room on slow machines.
export default defineConfig({
  test: { testTimeout: 30_000, hookTimeout: 30_000 },
});
