/**
 * `npm start`: the portal locally on embedded defaults. Creates .dev.vars from the example,
 * applies the local D1 migrations, seeds the demo partner (idempotent), then runs wrangler dev
 * on port 8787 with the sandbox processor and the demo partner page.
 */
import { spawn } from "node:child_process";
import { database } from "../src/db/client.ts";
import { createPartner, DEMO_PARTNER } from "../src/services/onboarding.ts";
import { ensureDevVars, OFFLINE_ENV, readDevVars, withPlatform, wrangler } from "./lib/platform.ts";

const extraArgs = process.argv.slice(2);
ensureDevVars();
console.log("Applying local D1 migrations...");
wrangler(["d1", "migrations", "apply", "DB", "--local"], { quiet: true });

const secrets = readDevVars();
await withPlatform({ remote: false }, async (env) => {
  const { created } = await createPartner(
    database(env.DB),
    secrets.API_KEY_ENCRYPTION_KEY as string,
    DEMO_PARTNER.spec,
    new Date(),
    { apiKey: DEMO_PARTNER.apiKey, clientId: DEMO_PARTNER.clientId, clientSecret: DEMO_PARTNER.clientSecret },
  );
  console.log(created ? "Seeded the demo partner 10006." : "Demo partner 10006 already present.");
});

console.log("Starting the portal on http://localhost:8787 (demo partner page: http://localhost:8787/demo)");
const child = spawn(
  process.execPath,
  [
    "node_modules/wrangler/bin/wrangler.js",
    "dev",
    "--port",
    "8787",
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    ...extraArgs,
  ],
  { stdio: "inherit", env: { ...process.env, ...OFFLINE_ENV } },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
