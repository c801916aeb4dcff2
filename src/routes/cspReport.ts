/**
 * POST /public/csp-report: browsers report Content-Security-Policy violations here (report-uri).
 * A violation on a payment page may be an injected script (PCI DSS 11.6.1), so each is kept and logged.
 */
import { Hono } from "hono";
import { recordCspReport } from "../db/cspReports.ts";
import type { AppEnv } from "../http/types.ts";

export const cspReportRoutes = new Hono<AppEnv>();

const MAX_REPORT_BYTES = 16 * 1024;

function text(value: unknown, max = 2000): string | null {
  // Query strings are cut off: report URIs could carry a signed request's parameters.
  return typeof value === "string" ? (value.split("?")[0]?.slice(0, max) ?? null) : null;
}

cspReportRoutes.post("/csp-report", async (c) => {
  const body = await c.req.text();
  if (body.length > MAX_REPORT_BYTES) return c.json({ error: "too_large", message: "Report too large" }, 413);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return c.json({ error: "invalid_report", message: "A CSP report must be JSON" }, 400);
  }
  // report-uri sends {"csp-report": {...}}; the Reporting API sends [{type, body: {...}}].
  const entries = Array.isArray(parsed)
    ? parsed.map((entry) => (entry as { body?: unknown }).body)
    : [(parsed as Record<string, unknown>)["csp-report"]];
  let stored = 0;
  for (const entry of entries.slice(0, 10)) {
    if (!entry || typeof entry !== "object") continue;
    const report = entry as Record<string, unknown>;
    const record = {
      documentUri: text(report["document-uri"] ?? report.documentURL),
      violatedDirective: text(report["violated-directive"] ?? report.effectiveDirective, 200),
      blockedUri: text(report["blocked-uri"] ?? report.blockedURL),
    };
    await recordCspReport(c.get("db"), { ...record, report: JSON.stringify(record) }, new Date());
    c.get("log").warn("csp violation", record);
    stored++;
  }
  if (stored === 0) return c.json({ error: "invalid_report", message: "No CSP report found in the body" }, 400);
  return c.body(null, 204);
});
