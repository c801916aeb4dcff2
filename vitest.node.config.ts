import { defineConfig } from "vitest/config";

// Node-side tests (test/node): the onboarding CLI run as separate processes, and the Worker run by
// `wrangler dev` on loopback. Plain Node, one file at a time (the machine may have 2 cores), and
// generous timeouts: every CLI run and Worker start boots workerd.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
process.env.WRANGLER_SEND_METRICS = "false";

export default defineConfig({
  test: {
    include: ["test/node/**/*.test.ts"],
    environment: "node",
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 240_000,
    teardownTimeout: 30_000,
    retry: 0,
  },
});
