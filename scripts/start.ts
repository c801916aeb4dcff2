/**
 * `npm start [-- --port N]` (or `PORT=N npm start`): the portal locally on embedded defaults.
 * Creates .dev.vars from the example, applies the local D1 migrations, seeds the demo partner
 * (idempotent), then runs wrangler dev with the sandbox processor and the demo partner page.
 * Arguments after a second `--` go to wrangler dev as they are.
 */
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { database } from "../src/db/client.ts";
import { createPartner, DEMO_PARTNER } from "../src/services/onboarding.ts";
import { exit, parseSingleCommand, str, UsageError } from "./lib/cli.ts";
import { ensureDevVars, OFFLINE_ENV, readDevVars, withPlatform, wrangler } from "./lib/platform.ts";

const PROGRAM = "npm start --";
const separator = process.argv.indexOf("--", 2);
const ownArgs = separator === -1 ? process.argv.slice(2) : process.argv.slice(2, separator);
const wranglerArgs = separator === -1 ? [] : process.argv.slice(separator + 1);

const values = parseSingleCommand(
  {
    program: PROGRAM,
    usage: "[--port N] [-- WRANGLER_DEV_ARGS...]",
    description: [
      "The portal on this machine: local D1 and R2, the sandbox processor, the demo partner page.",
      "The port also comes from $PORT (default 8787).",
    ],
    options: { port: { type: "string", value: "N", help: "the port to listen on (default $PORT, else 8787)" } },
  },
  ownArgs,
);

function port(): number {
  const given = str(values, "port") ?? process.env.PORT ?? "8787";
  const number = Number(given);
  if (!/^\d+$/.test(given.trim()) || number < 1 || number > 65535) {
    throw new UsageError(`the port must be a number from 1 to 65535, not "${given}"`);
  }
  return number;
}

/** Refuses a port already in use with one line, rather than wrangler's long error. */
function checkFree(port: number): Promise<void> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      fail(
        new UsageError(
          error.code === "EADDRINUSE"
            ? `port ${port} is in use (another npm start?); choose one with ${PROGRAM} --port N`
            : `cannot listen on port ${port}: ${error.message}`,
        ),
      ),
    );
    server.listen(port, "localhost", () => server.close(() => done()));
  });
}

const listenOn = await (async () => {
  try {
    const chosen = port();
    await checkFree(chosen);
    return chosen;
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return exit(2);
  }
})();

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

const address = `http://localhost:${listenOn}`;
console.log(`Starting the portal on ${address} (demo partner page: ${address}/demo)`);
const child = spawn(
  process.execPath,
  [
    "node_modules/wrangler/bin/wrangler.js",
    "dev",
    "--ip",
    "localhost",
    "--port",
    String(listenOn),
    "--test-scheduled",
    "--show-interactive-dev-session=false",
    ...wranglerArgs,
  ],
  { stdio: "inherit", env: { ...process.env, ...OFFLINE_ENV } },
);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", (code) => process.exit(code ?? 0));
