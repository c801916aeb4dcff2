/**
 * Which D1 database a command-line tool works on: the local one `npm start` uses (migrated first
 * when needed), another local state directory (--persist-to), or a deployed one (--remote --env).
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Db } from "../../src/db/client.ts";
import { database } from "../../src/db/client.ts";
import { type OptionSpec, str, UsageError, userCwd, type Values } from "./cli.ts";

/** The project directory: wrangler.toml, .dev.vars, migrations/. */
export const ROOT = resolve(import.meta.dirname, "../..");

/** wrangler is heavy to load: only once a command reaches a database, not for help and usage errors. */
const platform = () => import("./platform.ts");

export const DATABASE_OPTIONS: Record<string, OptionSpec> = {
  remote: { type: "boolean", help: "work on the deployed D1 database (needs --env)" },
  env: { type: "string", value: "staging|production", help: "the deployed environment (with --remote)" },
  "persist-to": { type: "string", value: "DIR", help: "local state directory, as for wrangler dev (default .wrangler/state)" },
};

export interface Target {
  remote: boolean;
  environment: string | undefined;
  persistDir: string | undefined;
}

/** --remote/--env/--persist-to, checked; relative directories are the user's (see userCwd). */
export function databaseTarget(values: Values, npmScript: string): Target {
  const remote = values.remote === true;
  const environment = str(values, "env");
  const persist = str(values, "persist-to");
  if (remote) {
    if (environment === undefined) throw new UsageError("--remote needs --env staging or --env production");
    if (environment !== "staging" && environment !== "production") {
      throw new UsageError(`--env must be staging or production, not "${environment}"`);
    }
    if (persist !== undefined) throw new UsageError("--persist-to is for the local database only, not with --remote");
  } else if (environment !== undefined) {
    throw new UsageError("--env applies only with --remote (the local database is the one npm start uses)");
  }
  if (persist !== undefined && persist.trim() === "") throw new UsageError("--persist-to needs a directory");
  const persistDir = persist === undefined ? undefined : resolve(userCwd(npmScript), persist);
  if (persistDir !== undefined && existsSync(persistDir) && !statSync(persistDir).isDirectory()) {
    throw new UsageError(`--persist-to ${persist} is not a directory`);
  }
  return { remote, environment, persistDir };
}

/** Migration files not yet recorded in the local database (all of them when it is new). */
async function pendingMigrations(d1: D1Database): Promise<string[]> {
  const files = readdirSync(join(ROOT, "migrations")).filter((f) => f.endsWith(".sql"));
  const table = await d1.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'd1_migrations'").first();
  if (!table) return files;
  const applied = new Set(
    (await d1.prepare("SELECT name FROM d1_migrations").all<{ name: string }>()).results.map((r) => r.name),
  );
  return files.filter((file) => !applied.has(file));
}

const MIGRATIONS_PENDING = Symbol("migrations pending");

/**
 * Runs `work` on the target's database, from the project directory (wrangler.toml, .dev.vars).
 * A local database gets its pending migrations applied first.
 */
export async function withDatabase<T>(where: Target, work: (db: Db, env: Env) => Promise<T>): Promise<T> {
  process.chdir(ROOT);
  const options = {
    remote: where.remote,
    environment: where.environment,
    persistPath: where.persistDir === undefined ? undefined : join(where.persistDir, "v3"),
  };
  const { withPlatform, wrangler } = await platform();
  for (let attempt = 0; ; attempt++) {
    const outcome = await withPlatform(options, async (env) => {
      if (!where.remote && (await pendingMigrations(env.DB)).length > 0) {
        if (attempt > 0) throw new Error("the local D1 migrations did not apply");
        return MIGRATIONS_PENDING;
      }
      return { value: await work(database(env.DB), env) };
    });
    if (outcome !== MIGRATIONS_PENDING) return outcome.value;
    // Apply with the platform proxy closed: wrangler opens the same database files.
    wrangler(["d1", "migrations", "apply", "DB", "--local", ...(where.persistDir ? ["--persist-to", where.persistDir] : [])], {
      quiet: true,
    });
  }
}
