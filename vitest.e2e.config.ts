import { defineConfig } from "vitest/config";

// End-to-end tests: plain Node (not the Workers pool), driving headless Chromium against the
// portals that scripts/e2e.ts starts. One browser at a time: the machine has 2 cores.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.ts"],
    environment: "node",
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    retry: 0,
  },
});
