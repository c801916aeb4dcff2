/**
 * Bounds the partner notification outbox (issue 16, "Bound the data"; docs/SCALING.md): a DELIVERED
 * or CANCELLED notification's frozen signed body, most of the outbox's bytes, is cleared
 * WEBHOOK_BODY_RETENTION_DAYS after its last change. The row (event, status, attempts, last answer)
 * and its delivery log in `webhook_attempts` stay, so support still sees what happened; PENDING rows
 * (still to send, with the bytes every retry must repeat) and DEAD rows (what support would resend)
 * keep theirs until archival takes the payment.
 *
 * Bounded and repeatable: at most `maxBatches` statements of `batchSize` rows a run, each one
 * statement (its own transaction); a run that stops early or dies leaves the rest to the next.
 */
import type { Db } from "../db/client.ts";
import { clearOldBodies } from "../db/webhookOutbox.ts";
import { bodyRetentionCutoff } from "../domain/webhookPolicy.ts";
import type { Logger } from "../lib/logger.ts";
import type { AuditRecorder } from "./audit.ts";

/** Rows per statement: a few MB of bodies freed in one short write (the archive's delete batches are ~50 payments' rows). */
export const BODY_CLEAR_BATCH = 500;
/**
 * Statements per run: 10,000 rows per invocation, well inside an invocation's D1 query budget next
 * to the sweeps and archival. The archive window's 23 invocations a night clear 230,000 rows, about
 * six times the ~36,000 notifications a day of 6 million payments a year; a first run on a full
 * database catches up within days.
 */
export const BODY_CLEAR_MAX_BATCHES = 20;

export interface OutboxRetentionDeps {
  db: Db;
  retentionDays: number;
  audit: AuditRecorder;
  log: Logger;
  now: Date;
  batchSize?: number;
  maxBatches?: number;
}

export interface OutboxRetentionReport {
  /** Bodies of rows last changed before this instant were due. */
  cutoff: string;
  retentionDays: number;
  cleared: number;
  batches: number;
  /** False when the run stopped at its batch limit with rows possibly left for the next run. */
  complete: boolean;
}

export async function clearDeliveredBodies(deps: OutboxRetentionDeps): Promise<OutboxRetentionReport> {
  const batchSize = deps.batchSize ?? BODY_CLEAR_BATCH;
  const maxBatches = deps.maxBatches ?? BODY_CLEAR_MAX_BATCHES;
  const cutoff = bodyRetentionCutoff(deps.now, deps.retentionDays);
  const report: OutboxRetentionReport = {
    cutoff: cutoff.toISOString(),
    retentionDays: deps.retentionDays,
    cleared: 0,
    batches: 0,
    complete: false,
  };
  while (report.batches < maxBatches) {
    const cleared = await clearOldBodies(deps.db, cutoff, batchSize, deps.now);
    report.batches += 1;
    report.cleared += cleared;
    if (cleared < batchSize) {
      report.complete = true;
      break;
    }
  }
  deps.log.info("webhook body retention finished", { ...report });
  if (report.cleared > 0) {
    await deps.audit("webhook.bodies_cleared", "success", {
      detail: { cleared: report.cleared, retentionDays: report.retentionDays, cutoff: report.cutoff, complete: report.complete },
    });
  }
  return report;
}
