/** Owns `csp_reports`: Content-Security-Policy violation reports sent by browsers. */
import type { Db } from "./client.ts";
import { cspReports } from "./schema.ts";

export interface CspReport {
  documentUri: string | null;
  violatedDirective: string | null;
  blockedUri: string | null;
  report: string;
}

export async function recordCspReport(db: Db, report: CspReport, now: Date): Promise<void> {
  await db.insert(cspReports).values({ ...report, receivedAt: now.toISOString() });
}
