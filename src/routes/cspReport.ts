/**
 * POST /public/csp-report: browsers report Content-Security-Policy violations here (report-uri).
 * A violation on a payment page may be an injected script (PCI DSS 11.6.1), so each is kept and logged.
 * Anyone can post here: bodies are small and checked, and writes are rate-limited per address.
 */
import { Hono } from "hono";
import { z } from "zod";
import { BODY_LIMITS, clientAddress, limitBody, withinLimit } from "../http/limits.ts";
import type { AppEnv } from "../http/types.ts";
import { recordCspReports } from "../services/cspReports.ts";

export const cspReportRoutes = new Hono<AppEnv>();

const fields = z.record(z.string(), z.unknown());
// report-uri sends {"csp-report": {...}}; the Reporting API sends [{type, body: {...}}].
const CspReportBody = z.union([
  z.object({ "csp-report": fields }).transform((body) => [body["csp-report"]]),
  z
    .array(z.object({ body: fields }))
    .min(1)
    .transform((entries) => entries.map((entry) => entry.body)),
]);

cspReportRoutes.post("/csp-report", limitBody(BODY_LIMITS.cspReport, "json"), async (c) => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await c.req.text());
  } catch {
    return c.json({ error: "invalid_report", message: "A CSP report must be JSON" }, 400);
  }
  const reports = CspReportBody.safeParse(parsed);
  if (!reports.success) return c.json({ error: "invalid_report", message: "No CSP report found in the body" }, 400);
  if (!(await withinLimit(c.env.PUBLIC_WRITE_RATE_LIMITER, `csp:${clientAddress(c) ?? "unknown"}`))) {
    return c.json({ error: "rate_limited", message: "Too many reports from this address" }, 429);
  }
  await recordCspReports(c.get("db"), c.get("log"), reports.data, new Date());
  return c.body(null, 204);
});
