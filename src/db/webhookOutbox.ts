/**
 * Owns `webhook_outbox`: partner events waiting to be delivered, and their delivery state. Rows are
 * written inside the caller's batch (the state change and its event commit together); a queue
 * message carries only the row id and its generation.
 */
import { and, asc, desc, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { type OutboxRow, webhookOutbox } from "./schema.ts";

export interface OutboxEvent {
  eventType: string;
  /** Names the event's subject: the same key is never written twice (INSERT OR IGNORE). */
  eventKey: string;
  pbcRefNumber: string;
  transactionId: number | null;
  refundId: number | null;
}

/**
 * Insert the event only if the partner has an ACTIVE endpoint subscribed to its type and `when`
 * holds (the state the event reports is in the database, whichever request put it there).
 */
export function insertEventQuery(event: OutboxEvent, when: SQL, now: Date): SQL {
  const at = now.toISOString();
  return sql`INSERT OR IGNORE INTO webhook_outbox
      (message_id, event_key, pbc_ref_number, event_type, transaction_id, refund_id, occurred_at, created_at, updated_at)
    SELECT 'msg_' || lower(hex(randomblob(16))), ${event.eventKey}, w.pbc_ref_number, ${event.eventType},
      ${event.transactionId}, ${event.refundId}, ${at}, ${at}, ${at}
    FROM partner_webhooks w
    WHERE w.pbc_ref_number = ${event.pbcRefNumber} AND w.status = 'ACTIVE'
      AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = ${event.eventType})
      AND ${when}`;
}

/**
 * `payment.posted` for every payment of a feeder file that is now CMPLT (set-based: the ledger's
 * feedback completes many payments with one statement).
 */
export function insertPostedEventsQuery(feederFileId: number, now: Date): SQL {
  const at = now.toISOString();
  return sql`INSERT OR IGNORE INTO webhook_outbox
      (message_id, event_key, pbc_ref_number, event_type, transaction_id, refund_id, occurred_at, created_at, updated_at)
    SELECT 'msg_' || lower(hex(randomblob(16))), 'payment.posted:' || t.id, t.pbc_ref_number, 'payment.posted',
      t.id, NULL, ${at}, ${at}, ${at}
    FROM transactions t JOIN partner_webhooks w ON w.pbc_ref_number = t.pbc_ref_number
    WHERE t.payment_status = 'CMPLT'
      AND t.id IN (SELECT transaction_id FROM revenue_lines WHERE feeder_file_id = ${feederFileId})
      AND w.status = 'ACTIVE'
      AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = 'payment.posted')`;
}

/**
 * `refund.posted` for every refund of a feeder file whose lines the ledger has now all accepted
 * (CMPLT), set-based like `payment.posted`.
 */
export function insertRefundPostedEventsQuery(feederFileId: number, now: Date): SQL {
  const at = now.toISOString();
  return sql`INSERT OR IGNORE INTO webhook_outbox
      (message_id, event_key, pbc_ref_number, event_type, transaction_id, refund_id, occurred_at, created_at, updated_at)
    SELECT 'msg_' || lower(hex(randomblob(16))), 'refund.posted:refund:' || r.id, r.pbc_ref_number, 'refund.posted',
      r.transaction_id, r.id, ${at}, ${at}, ${at}
    FROM refunds r JOIN partner_webhooks w ON w.pbc_ref_number = r.pbc_ref_number
    WHERE r.id IN (SELECT refund_id FROM refund_lines WHERE feeder_file_id = ${feederFileId})
      AND NOT EXISTS (SELECT 1 FROM refund_lines l WHERE l.refund_id = r.id AND l.gl_status <> 'CMPLT')
      AND w.status = 'ACTIVE'
      AND EXISTS (SELECT 1 FROM json_each(w.events) WHERE value = 'refund.posted')`;
}

/** A ping for `test-webhook`: written directly, whatever the subscription. */
export async function insertPing(db: Db, pbcRefNumber: string, now: Date): Promise<OutboxRow> {
  const at = now.toISOString();
  const id = crypto.randomUUID().replaceAll("-", "");
  const row = await db
    .insert(webhookOutbox)
    .values({
      messageId: `msg_${id}`,
      eventKey: `ping:${id}`,
      pbcRefNumber,
      eventType: "ping",
      occurredAt: at,
      // Sent by the CLI itself, never through the queue: out of the sweep's sight while it runs.
      enqueuedAt: at,
      nextAttemptAt: new Date(now.getTime() + 3_600_000).toISOString(),
      createdAt: at,
      updatedAt: at,
    })
    .returning()
    .get();
  return row;
}

export async function findOutboxRow(db: Db, id: number): Promise<OutboxRow | undefined> {
  return db.select().from(webhookOutbox).where(eq(webhookOutbox.id, id)).get();
}

/**
 * Take rows to (re-)send to the queue: never sent, or overdue by `overdueBefore` (their message was
 * lost). Each taken row gets a new generation, which voids any older message still in the queue.
 */
export async function claimForEnqueue(
  db: Db,
  now: Date,
  limit: number,
  overdueBefore: Date | null,
): Promise<Array<{ id: number; generation: number }>> {
  const at = now.toISOString();
  const overdue = overdueBefore
    ? sql`OR (next_attempt_at < ${overdueBefore.toISOString()} AND (claimed_until IS NULL OR claimed_until < ${at}))`
    : sql``;
  return db.all<{ id: number; generation: number }>(sql`UPDATE webhook_outbox
    SET generation = generation + 1, enqueued_at = ${at}, next_attempt_at = COALESCE(next_attempt_at, ${at}), updated_at = ${at}
    WHERE id IN (SELECT id FROM webhook_outbox WHERE status = 'PENDING' AND (enqueued_at IS NULL ${overdue}) ORDER BY id LIMIT ${limit})
    RETURNING id, generation`);
}

/** The queue send failed: leave the rows for the sweep. */
export async function releaseEnqueue(db: Db, rows: ReadonlyArray<{ id: number; generation: number }>, now: Date): Promise<void> {
  if (rows.length === 0) return;
  await db.run(sql`UPDATE webhook_outbox SET enqueued_at = NULL, updated_at = ${now.toISOString()}
    WHERE status = 'PENDING' AND (id, generation) IN (VALUES ${sql.join(
      rows.map((row) => sql`(${row.id}, ${row.generation})`),
      sql`, `,
    )})`);
}

/** One consumer at a time delivers a row; the claim lapses on its own if that consumer dies. */
export async function claimForDelivery(db: Db, id: number, generation: number, now: Date, holdMs: number): Promise<boolean> {
  const at = now.toISOString();
  const rows = await db
    .update(webhookOutbox)
    .set({ claimedUntil: new Date(now.getTime() + holdMs).toISOString(), updatedAt: at })
    .where(
      and(
        eq(webhookOutbox.id, id),
        eq(webhookOutbox.generation, generation),
        eq(webhookOutbox.status, "PENDING"),
        sql`(claimed_until IS NULL OR claimed_until < ${at})`,
      ),
    )
    .returning({ id: webhookOutbox.id });
  return rows.length === 1;
}

export function freezePayloadQuery(db: Db, id: number, payload: string) {
  return db
    .update(webhookOutbox)
    .set({ payload })
    .where(and(eq(webhookOutbox.id, id), sql`payload IS NULL`));
}

export interface AttemptOutcome {
  status: "PENDING" | "DELIVERED" | "DEAD" | "CANCELLED";
  attempts: number;
  nextAttemptAt: Date | null;
  statusCode: number | null;
  error: string | null;
}

export function recordOutcomeQuery(db: Db, id: number, outcome: AttemptOutcome, now: Date) {
  const at = now.toISOString();
  return db
    .update(webhookOutbox)
    .set({
      status: outcome.status,
      attempts: outcome.attempts,
      nextAttemptAt: outcome.nextAttemptAt?.toISOString() ?? null,
      claimedUntil: null,
      lastStatusCode: outcome.statusCode,
      lastError: outcome.error,
      deliveredAt: outcome.status === "DELIVERED" ? at : null,
      updatedAt: at,
    })
    .where(eq(webhookOutbox.id, id));
}

/** The partner's endpoint was removed or is gone: nothing pending is sent to it any more. */
export function cancelPendingQuery(db: Db, pbcRefNumber: string, reason: string, now: Date) {
  return db
    .update(webhookOutbox)
    .set({ status: "CANCELLED", lastError: reason, claimedUntil: null, updatedAt: now.toISOString() })
    .where(and(eq(webhookOutbox.pbcRefNumber, pbcRefNumber), eq(webhookOutbox.status, "PENDING")));
}

export async function recentDeliveries(db: Db, filter: { pbcRefNumber?: string; status?: string }, limit: number) {
  const conditions: SQL[] = [];
  if (filter.pbcRefNumber) conditions.push(eq(webhookOutbox.pbcRefNumber, filter.pbcRefNumber));
  if (filter.status) conditions.push(sql`${webhookOutbox.status} = ${filter.status}`);
  return db
    .select()
    .from(webhookOutbox)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(webhookOutbox.id))
    .limit(limit)
    .all();
}

/** Every event about one payment (its refunds' too), oldest first. */
export async function outboxRowsOfTransaction(db: Db, transactionId: number): Promise<OutboxRow[]> {
  return db
    .select()
    .from(webhookOutbox)
    .where(eq(webhookOutbox.transactionId, transactionId))
    .orderBy(asc(webhookOutbox.id))
    .all();
}

/**
 * Clears the bodies of up to `limit` DELIVERED or CANCELLED notifications last changed before
 * `cutoff`, oldest first (`clearOldBodies` returns how many). Such a row is never sent again (delivery takes only
 * PENDING rows), and PENDING and DEAD rows are never touched: a DEAD row's body is what support
 * would resend. `updated_at` is left as it is: the notification's state did not change, and
 * archival's fingerprint (db/archive.ts) must not see a payment as changed because of it.
 *
 * Plan: SEARCH webhook_outbox USING INDEX webhook_outbox_retention (updated_at<?), the partial index
 * of migrations/0008_outbox_retention.sql, whose WHERE this repeats term for term (SQLite uses a
 * partial index only then). Ordered by its own column, so no sort; a cleared row leaves the index,
 * so a run reads only rows still to clear. `webhook_outbox_sweep (status, next_attempt_at)` does not
 * fit: next_attempt_at is NULL once a row is delivered, and that index holds every row ever sent,
 * so it would be walked whole for both statuses and sorted. Without statistics (D1 runs no ANALYZE)
 * SQLite prefers it for `status IN (...)`, hence INDEXED BY: the statement fails rather than scan
 * should the index ever be missing (test/outboxRetention.test.ts checks the plan).
 */
export function clearOldBodiesQuery(cutoff: Date, limit: number, now: Date): SQL {
  return sql`UPDATE webhook_outbox SET payload = NULL, payload_cleared_at = ${now.toISOString()}
    WHERE id IN (SELECT id FROM webhook_outbox INDEXED BY webhook_outbox_retention
      WHERE payload IS NOT NULL AND status IN ('DELIVERED', 'CANCELLED') AND updated_at < ${cutoff.toISOString()}
      ORDER BY updated_at LIMIT ${limit})`;
}

export async function clearOldBodies(db: Db, cutoff: Date, limit: number, now: Date): Promise<number> {
  const result = await db.run(clearOldBodiesQuery(cutoff, limit, now));
  return result.meta.changes ?? 0;
}
