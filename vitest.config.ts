import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Tests never leave loopback: no Request.cf download, no telemetry.
process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
process.env.WRANGLER_SEND_METRICS = "false";
// wrangler notes where it found the secrets at every start: warnings only.
process.env.WRANGLER_LOG ??= "warn";

// The Worker's required secrets (wrangler.toml `secrets.required`), test-only values. In the
// environment, so that wrangler finds them (instead of warning that .dev.vars lacks them).
const TEST_SECRETS = {
  API_KEY_ENCRYPTION_KEY: "dGVzdC1vbmx5LWFlcy1rZXktMzItYnl0ZXMtbG9uZyE=",
  TOKEN_SIGNING_KEY: "test-only-token-signing-key-0123456789abcdef",
  FINANCE_TOKEN: "test-finance-token",
};
Object.assign(process.env, TEST_SECRETS);

// Tests run inside workerd with the Worker's own wrangler.toml bindings (local D1, R2, rate limiter),
// test secrets instead of .dev.vars, and the migrations applied in test/setup.ts.
export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      main: "./src/index.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations("./migrations"),
          ...TEST_SECRETS,
        },
        // Webhook messages go to a queue nobody consumes: tests drive the queue handler themselves
        // with the messages they choose (createMessageBatch), so no delivery runs behind their back.
        queueProducers: { WEBHOOKS: { queueName: "paybc-webhooks-test-inbox" } },
      },
    })),
  ],
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    exclude: ["test/e2e/**", "test/node/**"],
    setupFiles: ["./test/setup.ts"],
    globalSetup: ["./test/fakes/globalSetup.ts"],
    // A bound for a hung test, not a speed check (speed is `npm run bench`): the property and fuzz
    // suites take 10-40 s a test when the 2 cores are shared, and failed at 30 s under load.
    testTimeout: 120_000,
    // Every request logs JSON lines: keep them only for the tests that fail, where they explain why.
    silent: "passed-only",
  },
});
