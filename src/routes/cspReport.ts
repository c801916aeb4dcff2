/**
 * POST /public/csp-report: browsers report Content-Security-Policy violations here (report-uri).
 * A violation on a payment page may be an injected script (PCI DSS 11.6.1), so each is kept and logged.
 * Anyone can post here: bodies are small and checked, and writes are rate-limited per address.
 */
import { Hono } from "hono";
import { z } from "zod";
import { recordCspReport } from "../db/cspReports.ts";
import { BODY_LIMITS, clientAddress, limitBody, withinLimit } from "../http/limits.ts";
import type { AppEnv } from "../http/types.ts";

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

function text(value: unknown, max = 2000): string | null {
  // Query strings are cut off: report URIs could carry a signed request's parameters.
  return typeof value === "string" ? (value.split("?")[0]?.slice(0, max) ?? null) : null;
}

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
  for (const report of reports.data.slice(0, 10)) {
    const record = {
      documentUri: text(report["document-uri"] ?? report.documentURL),
      violatedDirective: text(report["violated-directive"] ?? report.effectiveDirective, 200),
      blockedUri: text(report["blocked-uri"] ?? report.blockedURL),
    };
    await recordCspReport(c.get("db"), { ...record, report: JSON.stringify(record) }, new Date());
    c.get("log").warn("csp violation", record);
  }
  return c.body(null, 204);
});
