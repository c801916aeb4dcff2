/** Content-Security-Policy violation reports: each kept and logged (a violation may be an injected script). */
import type { Db } from "../db/client.ts";
import { recordCspReport } from "../db/cspReports.ts";
import type { Logger } from "../lib/logger.ts";

function text(value: unknown, max = 2000): string | null {
  // Query strings are cut off: report URIs could carry a signed request's parameters.
  return typeof value === "string" ? (value.split("?")[0]?.slice(0, max) ?? null) : null;
}

/** Keep up to 10 reports of one delivery (report-uri and Reporting API field names both read). */
export async function recordCspReports(db: Db, log: Logger, reports: ReadonlyArray<Record<string, unknown>>, now: Date) {
  for (const report of reports.slice(0, 10)) {
    const record = {
      documentUri: text(report["document-uri"] ?? report.documentURL),
      violatedDirective: text(report["violated-directive"] ?? report.effectiveDirective, 200),
      blockedUri: text(report["blocked-uri"] ?? report.blockedURL),
    };
    await recordCspReport(db, { ...record, report: JSON.stringify(record) }, now);
    log.warn("csp violation", record);
  }
}
