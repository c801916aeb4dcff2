/** Uptime checks: /healthz (the Worker answers) and /readyz (it can do its job). */
import { Hono } from "hono";
import { configurationProblems } from "../config.ts";
import { database } from "../db/client.ts";
import type { AppEnv } from "../http/types.ts";
import { readiness } from "../services/health.ts";

export const healthRoutes = new Hono<AppEnv>();

healthRoutes.get("/healthz", (c) => c.json({ status: "ok" }));

// Mounted before the configuration gate, so it reports a half-configured Worker instead of refusing.
healthRoutes.get("/readyz", async (c) => {
  const { ready, checks } = await readiness(database(c.env.DB), c.env.JOURNALS, configurationProblems(c.env));
  return c.json({ status: ready ? "ready" : "not ready", checks }, ready ? 200 : 503);
});
