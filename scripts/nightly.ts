/**
 * `npm run nightly -- [--as-of yyyy-MM-dd] [--url URL]`: runs the Worker's nightly Cron Trigger on
 * a running `npm start` now, as it would fire on the morning of the given date (09:00 UTC), so
 * journals can be produced locally at any hour. Default: tomorrow's run (Pacific), which posts
 * today's GL date. Uses the local scheduled endpoint of wrangler dev, which passes the time on as
 * the event's scheduledTime (the `/__scheduled` page ignores a time).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { addDays, isValidDate, pacificDate } from "../src/domain/businessTime.ts";
import { NIGHTLY_CRON } from "../src/jobs/crons.ts";
import { lastDueGlDate } from "../src/services/glPosting.ts";
import { exit, parseSingleCommand, str, UsageError } from "./lib/cli.ts";
import { ROOT } from "./lib/database.ts";

const values = parseSingleCommand(
  {
    program: "npm run nightly --",
    usage: "[--as-of yyyy-MM-dd] [--url URL]",
    description: [
      "Runs the nightly job (payment sweep, then GL posting) on the local portal now, as its Cron",
      "Trigger would run at 09:00 UTC on the --as-of date: every GL date up to the day before is posted.",
      "Needs npm start running.",
    ],
    options: {
      "as-of": { type: "string", value: "yyyy-MM-dd", help: "the date of the run (default tomorrow, Pacific)" },
      url: { type: "string", value: "URL", help: "the local portal (default http://localhost:8787, or $PAYBC_URL)" },
    },
  },
  process.argv.slice(2),
);

async function main(): Promise<void> {
  const asOf = str(values, "as-of") ?? addDays(pacificDate(new Date()), 1);
  if (!isValidDate(asOf)) throw new UsageError(`--as-of must be a date yyyy-MM-dd, not "${asOf}"`);
  const baseUrl = (str(values, "url") ?? process.env.PAYBC_URL ?? "http://localhost:8787").replace(/\/+$/, "");
  if (!/^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(baseUrl)) {
    throw new UsageError(`--url must be a local portal (http://localhost:PORT), not "${baseUrl}"`);
  }
  // The Worker posts only on this schedule: make sure it still is the configured one.
  if (!readFileSync(join(ROOT, "wrangler.toml"), "utf8").includes(`"${NIGHTLY_CRON}"`)) {
    throw new Error(`wrangler.toml no longer lists the nightly cron "${NIGHTLY_CRON}" (src/jobs/crons.ts)`);
  }
  const scheduledTime = new Date(`${asOf}T09:00:00Z`);
  console.log(`Nightly run as of ${scheduledTime.toISOString()}: posts GL dates up to ${lastDueGlDate(scheduledTime)}.`);
  const query = new URLSearchParams({ cron: NIGHTLY_CRON, time: String(scheduledTime.getTime()), format: "json" });
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/cdn-cgi/local/scheduled?${query}`, { signal: AbortSignal.timeout(600_000) });
  } catch (error) {
    throw new UsageError(`cannot reach ${baseUrl} (is npm start running?): ${(error as Error).message}`);
  }
  const body = await response.text();
  if (!response.ok) throw new Error(`the scheduled run failed (${response.status}): ${body.slice(0, 500)}; see npm start's log`);
  console.log("Done: see npm start's log for the run, and npm run journals -- list for what was posted.");
}

try {
  await main();
  await exit(0);
} catch (error) {
  process.stderr.write(`error: ${(error as Error).message}\n`);
  await exit(error instanceof UsageError ? 2 : 1);
}
