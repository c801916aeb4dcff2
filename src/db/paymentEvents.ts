/** Owns `payment_events`: every lifecycle step, with time and attempt, so support can replay a payment. */
import { asc, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { paymentEvents } from "./schema.ts";

export type PaymentEventType =
  | "request_received"
  | "validation_failed"
  | "request_refused"
  | "attempt_created"
  | "card_page_shown"
  | "card_details_invalid"
  | "authorisation_started"
  | "approved"
  | "declined"
  | "processor_failed"
  | "outcome_unknown"
  | "outcome_resolved"
  | "cancelled"
  | "expired"
  | "locked"
  | "redirected"
  | "revenue_updated"
  | "gl_claimed"
  | "gl_rejected"
  | "gl_processed"
  | "completed"
  | "retry_after_decline"
  | "receipt_sent"
  | "receipt_failed"
  // refunds (services/refunds.ts): detail carries the refund's public id
  | "refund_requested"
  | "refund_approved"
  | "refund_declined"
  | "refund_unknown"
  | "refund_resolved"
  | "refund_gl_claimed"
  | "refund_gl_posted";

export interface PaymentEvent {
  eventType: PaymentEventType;
  transactionId?: number | null;
  attemptId?: number | null;
  attemptNumber?: number | null;
  pbcRefNumber?: string | null;
  pbcTxnNumber?: string | null;
  /** Never card data: brand, last four and outcome messages at most. */
  detail?: Record<string, unknown> | null;
}

const detailJson = (detail: PaymentEvent["detail"]) => (detail ? JSON.stringify(detail) : null);

/** The head of the conditional INSERT ... SELECT statements below. */
const INSERT_EVENT = sql.raw(
  "INSERT INTO payment_events (transaction_id, attempt_id, attempt_number, pbc_ref_number, pbc_txn_number, event_type, detail, created_at)",
);

export function recordEventQuery(db: Db, event: PaymentEvent, now: Date) {
  return db.insert(paymentEvents).values({
    eventType: event.eventType,
    transactionId: event.transactionId ?? null,
    attemptId: event.attemptId ?? null,
    attemptNumber: event.attemptNumber ?? null,
    pbcRefNumber: event.pbcRefNumber ?? null,
    pbcTxnNumber: event.pbcTxnNumber ?? null,
    detail: detailJson(event.detail),
    createdAt: now.toISOString(),
  });
}

/** Record the event only if the previous statement of the batch changed exactly one row. */
export function recordEventIfChangedQuery(event: PaymentEvent, now: Date): SQL {
  return sql`${INSERT_EVENT}
    SELECT ${event.transactionId ?? null}, ${event.attemptId ?? null}, ${event.attemptNumber ?? null}, ${event.pbcRefNumber ?? null},
      ${event.pbcTxnNumber ?? null}, ${event.eventType}, ${detailJson(event.detail)}, ${now.toISOString()}
    WHERE changes() = 1`;
}

/**
 * Record an event of the attempt with this public id (its transaction's numbers read in the
 * statement), only if the previous statement of the batch changed exactly one row.
 */
export function recordAttemptEventIfChangedQuery(
  externalId: string,
  eventType: PaymentEventType,
  detail: PaymentEvent["detail"],
  now: Date,
): SQL {
  return sql`${INSERT_EVENT}
    SELECT a.transaction_id, a.id, a.attempt_number, t.pbc_ref_number, t.pbc_txn_number, ${eventType}, ${detailJson(detail)},
      ${now.toISOString()}
    FROM payment_attempts a JOIN transactions t ON t.id = a.transaction_id
    WHERE a.external_id = ${externalId} AND changes() = 1`;
}

export async function recordEvent(db: Db, event: PaymentEvent, now: Date): Promise<void> {
  await recordEventQuery(db, event, now);
}

export async function listEvents(db: Db, transactionId: number) {
  return db
    .select()
    .from(paymentEvents)
    .where(eq(paymentEvents.transactionId, transactionId))
    .orderBy(asc(paymentEvents.id))
    .all();
}

/**
 * Record events of the attempt identified by its link token hash, in the batch that creates it (they
 * select nothing when no attempt was created). One statement for all, inserted in the given order.
 */
export function recordAttemptEventsQuery(
  linkTokenHash: string,
  common: Pick<PaymentEvent, "pbcRefNumber" | "pbcTxnNumber">,
  events: ReadonlyArray<{ eventType: PaymentEvent["eventType"]; detail: Record<string, unknown> | null }>,
  now: Date,
): SQL {
  const rows = sql.join(
    events.map((event, index) => sql`(${index}, ${event.eventType}, ${detailJson(event.detail)})`),
    sql`, `,
  );
  return sql`${INSERT_EVENT}
    SELECT a.transaction_id, a.id, a.attempt_number, ${common.pbcRefNumber ?? null}, ${common.pbcTxnNumber ?? null}, e.column2, e.column3,
      ${now.toISOString()}
    FROM payment_attempts a, (VALUES ${rows}) e WHERE a.link_token_hash = ${linkTokenHash} ORDER BY e.column1`;
}

/** One event per refund whose lines a reversal batch claimed; must follow the claim (acts only if it changed rows). */
export function recordRefundClaimEventsQuery(batchId: SQL, now: Date): SQL {
  return sql`INSERT INTO payment_events (transaction_id, pbc_ref_number, pbc_txn_number, event_type, detail, created_at)
    SELECT r.transaction_id, r.pbc_ref_number, r.pbc_txn_number, 'refund_gl_claimed',
      json_object('refundId', r.external_id, 'batchId', ${batchId}), ${now.toISOString()}
    FROM refunds r WHERE r.id IN (SELECT DISTINCT refund_id FROM refund_lines WHERE journal_batch_id = ${batchId}) AND changes() > 0`;
}

/** One event per refund with lines in a feeder file whose feedback is being applied (guarded like the file's lines). */
export function recordRefundFeedbackEventsQuery(feederFileId: number, unsettled: SQL, now: Date): SQL {
  return sql`INSERT INTO payment_events (transaction_id, pbc_ref_number, pbc_txn_number, event_type, detail, created_at)
    SELECT r.transaction_id, r.pbc_ref_number, r.pbc_txn_number, 'refund_gl_posted',
      json_object('refundId', r.external_id, 'feederFileId', ${feederFileId},
        'rejectedLines', (SELECT COUNT(*) FROM refund_lines x WHERE x.refund_id = r.id AND x.feeder_file_id = ${feederFileId} AND x.gl_status = 'RJCT')),
      ${now.toISOString()}
    FROM refunds r WHERE r.id IN (SELECT DISTINCT refund_id FROM refund_lines WHERE feeder_file_id = ${feederFileId}) AND ${unsettled}`;
}
