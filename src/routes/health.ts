/** Uptime checks: /healthz (the Worker answers) and /readyz (it can do its job). */
import { Hono } from "hono";
import { configurationProblems } from "../config.ts";
import { LATEST_MIGRATION } from "../db/migrations.ts";
import { describeError } from "../http/logger.ts";
import type { AppEnv } from "../http/types.ts";

export const healthRoutes = new Hono<AppEnv>();

healthRoutes.get("/healthz", (c) => c.json({ status: "ok" }));

healthRoutes.get("/readyz", async (c) => {
  const checks: Record<string, { ok: boolean; detail?: string }> = {};
  const problems = configurationProblems(c.env);
  checks.secrets = problems.length === 0 ? { ok: true } : { ok: false, detail: problems.join("; ") };
  try {
    const row = await c.env.DB.prepare("SELECT name FROM d1_migrations ORDER BY id DESC LIMIT 1").first<{ name: string }>();
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
    await c.env.JOURNALS.head("readyz-probe");
    checks.r2 = { ok: true };
  } catch (error) {
    checks.r2 = { ok: false, detail: `R2 unreachable: ${describeError(error)}` };
  }
  const ready = Object.values(checks).every((check) => check.ok);
  return c.json({ status: ready ? "ready" : "not ready", checks }, ready ? 200 : 503);
});
