/**
 * `npm run deploy -- --env staging|production`: check that the environment's D1 database has read
 * replication on, apply D1 migrations to it, then deploy the Worker. Migrations go first and are written to work with the previous Worker
 * version too (see docs/OPERATIONS.md), so a gradual rollout never breaks live payments.
 * `npm run check:deploy` builds every environment with `wrangler deploy --dry-run` (CI runs it).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { wrangler, wranglerOutput } from "./lib/platform.ts";

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
// Partner queries read through D1 sessions (src/db/session.ts); without read replication they all
// go to the primary. It is a setting of the database (REST API or dashboard), not of wrangler.toml.
const info = JSON.parse(wranglerOutput(["d1", "info", "DB", "--env", environment, "--json"])) as {
  uuid?: string;
  read_replication?: { mode?: string };
};
if (info.read_replication?.mode !== "auto") {
  console.error(
    `deploy: read replication is "${info.read_replication?.mode ?? "disabled"}" on the ${environment} D1 database. Turn it on (docs/OPERATIONS.md, "Read replication"):\n` +
      `  curl -X PUT "https://api.cloudflare.com/client/v4/accounts/$CLOUDFLARE_ACCOUNT_ID/d1/database/${info.uuid ?? "<database_id>"}" \\\n` +
      `    -H "Authorization: Bearer $CLOUDFLARE_API_TOKEN" -H "Content-Type: application/json" \\\n` +
      `    --data '{"read_replication": {"mode": "auto"}}'`,
  );
  process.exit(1);
}
console.log(`Applying D1 migrations to ${environment}...`);
wrangler(["d1", "migrations", "apply", "DB", "--remote", "--env", environment]);
if (values["versions-upload"]) {
  // Gradual deployment: upload a version, then shift traffic with `wrangler versions deploy`.
  wrangler(["versions", "upload", "--env", environment]);
} else {
  wrangler(["deploy", "--env", environment]);
}
