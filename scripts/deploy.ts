/**
 * `npm run deploy -- --env staging|production`: apply D1 migrations to that environment's database,
 * then deploy the Worker. Migrations go first and are written to work with the previous Worker
 * version too (see docs/OPERATIONS.md), so a gradual rollout never breaks live payments.
 * `npm run check:deploy` builds every environment with `wrangler deploy --dry-run` (CI runs it).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { wrangler } from "./lib/platform.ts";

const ENVIRONMENTS = ["", "staging", "production"] as const;

const { values } = parseArgs({
  options: {
    env: { type: "string" },
    "dry-run-all": { type: "boolean", default: false },
    "versions-upload": { type: "boolean", default: false },
  },
});

if (values["dry-run-all"]) {
  for (const environment of ENVIRONMENTS) {
    const outdir = mkdtempSync(join(tmpdir(), "paybc-dry-run-"));
    const envArgs = environment ? ["--env", environment] : [];
    console.log(`wrangler deploy --dry-run ${environment || "(local)"}`);
    wrangler(["deploy", "--dry-run", "--outdir", outdir, ...envArgs], { quiet: true });
  }
  console.log("Every environment builds.");
  process.exit(0);
}

const environment = values.env;
if (environment !== "staging" && environment !== "production") {
  console.error("deploy: give --env staging or --env production");
  process.exit(2);
}
console.log(`Applying D1 migrations to ${environment}...`);
wrangler(["d1", "migrations", "apply", "DB", "--remote", "--env", environment]);
if (values["versions-upload"]) {
  // Gradual deployment: upload a version, then shift traffic with `wrangler versions deploy`.
  wrangler(["versions", "upload", "--env", environment]);
} else {
  wrangler(["deploy", "--env", environment]);
}
