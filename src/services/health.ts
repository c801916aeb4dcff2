/** Readiness: can this Worker do its job (secrets, D1 at the expected migration, R2)? */
import { sql } from "drizzle-orm";
import type { Db } from "../db/client.ts";
import { LATEST_MIGRATION } from "../db/migrations.ts";
import { describeError } from "../lib/logger.ts";

export type Checks = Record<string, { ok: boolean; detail?: string }>;

export async function readiness(
  db: Db,
  bucket: R2Bucket,
  configurationProblems: string[],
): Promise<{ ready: boolean; checks: Checks }> {
  const checks: Checks = {};
  checks.secrets = configurationProblems.length === 0 ? { ok: true } : { ok: false, detail: configurationProblems.join("; ") };
  try {
    const row = await db.get<{ name: string } | undefined>(sql`SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1`);
    checks.d1 = { ok: true };
    checks.migrations =
      row?.name === LATEST_MIGRATION
        ? { ok: true }
        : { ok: false, detail: `database at ${row?.name ?? "no migrations"}, code expects ${LATEST_MIGRATION}` };
  } catch (error) {
    checks.d1 = { ok: false, detail: `D1 unreachable: ${describeError(error)}` };
    checks.migrations = { ok: false, detail: "unknown" };
  }
  try {
    await bucket.head("readyz-probe");
    checks.r2 = { ok: true };
  } catch (error) {
    checks.r2 = { ok: false, detail: `R2 unreachable: ${describeError(error)}` };
  }
  return { ready: Object.values(checks).every((check) => check.ok), checks };
}
