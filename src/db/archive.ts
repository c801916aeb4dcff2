/**
 * Owns `archive_runs` and `archived_payments` (migrations/0007_archive.sql), and the reads and
 * deletes of archival (services/archive.ts). Every statement takes at most a handful of bound
 * parameters (D1 allows 100): sets of payments are named by their run, id lists travel as one JSON
 * parameter.
 */
import { and, asc, desc, eq, type SQL, sql } from "drizzle-orm";
import { ATTEMPTS_IN_PROGRESS } from "../domain/archive.ts";
import { runStatement, type Statement } from "./batch.ts";
import type { Db } from "./client.ts";
import {
  type ArchivedPayment,
  type ArchiveKind,
  type ArchiveRun,
  archivedPayments,
  archiveRuns,
  paymentAttempts,
  paymentEvents,
  refundLines,
  refunds,
  revenueLines,
  transactions,
  webhookAttempts,
  webhookOutbox,
} from "./schema.ts";

const IN_PROGRESS = sql.raw(`(${ATTEMPTS_IN_PROGRESS.map((state) => `'${state}'`).join(", ")})`);

/**
 * SQL: what a payment looks like now, as one string: it changes with every event, refund, attempt
 * or notification. A payment is deleted only if this still equals what was archived.
 */
export function fingerprintSql(transactionId: SQL): SQL {
  return sql`(SELECT t.updated_at || '|' || COALESCE(t.paid_at, '')
      || '|' || (SELECT COUNT(*) || ':' || COALESCE(MAX(id), 0) FROM payment_events WHERE transaction_id = t.id)
      || '|' || (SELECT COUNT(*) || ':' || COALESCE(MAX(updated_at), '') FROM payment_attempts WHERE transaction_id = t.id)
      || '|' || (SELECT COUNT(*) || ':' || COALESCE(MAX(updated_at), '') || ':' || COALESCE(MAX(settled_at), '') FROM refunds WHERE transaction_id = t.id)
      || '|' || (SELECT COUNT(*) || ':' || COALESCE(SUM(gl_status = 'CMPLT'), 0) FROM refund_lines WHERE transaction_id = t.id)
      || '|' || (SELECT COUNT(*) || ':' || COALESCE(SUM(gl_status = 'PROCESSED'), 0) || ':' || COALESCE(SUM(revenue_amount_cents), 0) FROM revenue_lines WHERE transaction_id = t.id)
      || '|' || (SELECT COUNT(*) || ':' || COALESCE(MAX(updated_at), '') FROM webhook_outbox WHERE transaction_id = t.id)
    FROM transactions t WHERE t.id = ${transactionId})`;
}

/**
 * SQL condition on `t` (transactions): finished and untouched since `cutoff` (ISO instant). Mirrors
 * domain/archive.ts `unfinishedReasons`, which the service applies again to every record it writes.
 */
function finishedBefore(cutoff: string): SQL {
  return sql`t.payment_status = 'CMPLT' AND t.paid_at IS NOT NULL AND t.paid_at < ${cutoff}
    AND EXISTS (SELECT 1 FROM revenue_lines l WHERE l.transaction_id = t.id)
    AND NOT EXISTS (SELECT 1 FROM revenue_lines l WHERE l.transaction_id = t.id AND l.gl_status <> 'PROCESSED')
    AND NOT EXISTS (SELECT 1 FROM refunds r WHERE r.transaction_id = t.id
      AND (r.status IN ('PENDING', 'UNKNOWN') OR r.updated_at >= ${cutoff} OR r.settled_at >= ${cutoff}))
    AND NOT EXISTS (SELECT 1 FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
      WHERE rl.transaction_id = t.id AND r.status = 'APPROVED' AND rl.gl_status <> 'CMPLT')
    AND NOT EXISTS (SELECT 1 FROM payment_attempts a WHERE a.transaction_id = t.id
      AND (a.state IN ${IN_PROGRESS} OR a.receipt_status = 'REQUESTED' OR a.updated_at >= ${cutoff}))
    AND NOT EXISTS (SELECT 1 FROM webhook_outbox o WHERE o.transaction_id = t.id AND o.status = 'PENDING')
    AND NOT EXISTS (SELECT 1 FROM payment_events e WHERE e.transaction_id = t.id AND e.created_at >= ${cutoff})`;
}

export interface PaymentCandidate {
  id: number;
  paidAt: string;
}

/**
 * Finished payments untouched since the cut-off and not yet claimed, oldest GL date first. The GL
 * date (indexed with the status) is at or after the paid date, so `gl_date < cutoffDate` only narrows.
 */
export async function paymentCandidates(
  db: Db,
  cutoff: { date: string; instant: Date },
  limit: number,
): Promise<PaymentCandidate[]> {
  return runStatement<PaymentCandidate>(
    db,
    sql`SELECT t.id AS id, t.paid_at AS paidAt FROM transactions t
      WHERE t.payment_status = 'CMPLT' AND t.gl_date < ${cutoff.date}
        AND NOT EXISTS (SELECT 1 FROM archived_payments a WHERE a.transaction_id = t.id)
        AND ${finishedBefore(cutoff.instant.toISOString())}
      ORDER BY t.gl_date, t.id LIMIT ${limit}`,
  );
}

export function newRunQuery(
  db: Db,
  run: { runId: string; kind: ArchiveKind; partitionMonth: string; objectKey: string; manifestKey: string },
  now: Date,
) {
  const at = now.toISOString();
  return db
    .insert(archiveRuns)
    .values({ ...run, status: "CLAIMED", createdAt: at, updatedAt: at })
    .returning({ id: archiveRuns.id });
}

/** SQL: the id of the run with this public run id. */
export function runIdSql(runId: string): SQL {
  return sql`(SELECT id FROM archive_runs WHERE run_id = ${runId})`;
}

/**
 * Claims the listed payments for a run (index rows in state CLAIMED), each only if it is still
 * finished and unclaimed: a payment is in one run at most, whatever runs overlap.
 */
export function claimPaymentsQuery(runId: string, transactionIds: readonly number[], cutoff: Date): SQL {
  const at = cutoff.toISOString();
  return sql`INSERT OR IGNORE INTO archived_payments (transaction_id, pbc_ref_number, pbc_txn_number, trn_order_id,
      archive_run_id, trn_amount_cents, payment_status, trn_date, paid_date, fingerprint, state)
    SELECT t.id, t.pbc_ref_number, t.pbc_txn_number, t.trn_order_id, ${runIdSql(runId)}, t.trn_amount_cents,
      t.payment_status, t.trn_date, t.gl_business_date, ${fingerprintSql(sql`t.id`)}, 'CLAIMED'
    FROM transactions t
    WHERE t.id IN (SELECT value FROM json_each(${JSON.stringify(transactionIds)}))
      AND NOT EXISTS (SELECT 1 FROM archived_payments a WHERE a.transaction_id = t.id)
      AND ${finishedBefore(at)}`;
}

/** A run with nothing to archive (every payment changed or was claimed by another run; no audit rows left) ends here. */
export function abandonIfEmptyQuery(runId: string, now: Date): SQL {
  const at = now.toISOString();
  return sql`UPDATE archive_runs SET status = 'ABANDONED', record_count = 0, updated_at = ${at}, finished_at = ${at}
    WHERE run_id = ${runId} AND status = 'CLAIMED'
      AND NOT EXISTS (SELECT 1 FROM archived_payments WHERE archive_run_id = archive_runs.id)`;
}

const claimedOf = (run: number) =>
  sql`(SELECT transaction_id FROM archived_payments WHERE archive_run_id = ${run} AND state = 'CLAIMED')`;

/** Everything a payment's archive record holds, for the payments a run claimed (read in one D1 batch). */
export async function readRunPayments(db: Db, run: number) {
  const ids = claimedOf(run);
  const [txns, fingerprints, lines, attempts, events, refundRows, refundLineRows, webhooks, webhookTries] = await db.batch([
    db.select().from(transactions).where(sql`${transactions.id} IN ${ids}`).orderBy(asc(transactions.id)),
    db
      .select({ id: transactions.id, fingerprint: fingerprintSql(sql`${transactions.id}`).mapWith(String) })
      .from(transactions)
      .where(sql`${transactions.id} IN ${ids}`),
    db
      .select()
      .from(revenueLines)
      .where(sql`${revenueLines.transactionId} IN ${ids}`)
      .orderBy(asc(revenueLines.transactionId), asc(revenueLines.lineNumber)),
    // The link and session are stored only as hashes, of no use once the payment is finished; the
    // receipt address is erased once the receipt is sent (and is not needed afterwards either).
    db
      .select({
        id: paymentAttempts.id,
        externalId: paymentAttempts.externalId,
        transactionId: paymentAttempts.transactionId,
        attemptNumber: paymentAttempts.attemptNumber,
        state: paymentAttempts.state,
        linkUsedAt: paymentAttempts.linkUsedAt,
        orderNumber: paymentAttempts.orderNumber,
        outcomeMessage: paymentAttempts.outcomeMessage,
        redirectedAt: paymentAttempts.redirectedAt,
        expiresAt: paymentAttempts.expiresAt,
        createdAt: paymentAttempts.createdAt,
        updatedAt: paymentAttempts.updatedAt,
        language: paymentAttempts.language,
        receiptLanguage: paymentAttempts.receiptLanguage,
        receiptStatus: paymentAttempts.receiptStatus,
        receiptUpdatedAt: paymentAttempts.receiptUpdatedAt,
      })
      .from(paymentAttempts)
      .where(sql`${paymentAttempts.transactionId} IN ${ids}`)
      .orderBy(asc(paymentAttempts.transactionId), asc(paymentAttempts.attemptNumber)),
    db
      .select()
      .from(paymentEvents)
      .where(sql`${paymentEvents.transactionId} IN ${ids}`)
      .orderBy(asc(paymentEvents.transactionId), asc(paymentEvents.id)),
    db.select().from(refunds).where(sql`${refunds.transactionId} IN ${ids}`).orderBy(asc(refunds.transactionId), asc(refunds.id)),
    db
      .select()
      .from(refundLines)
      .where(sql`${refundLines.transactionId} IN ${ids}`)
      .orderBy(asc(refundLines.transactionId), asc(refundLines.id)),
    // A summary of each notification; its body was the payment as the query service shows it.
    db
      .select({
        id: webhookOutbox.id,
        messageId: webhookOutbox.messageId,
        eventType: webhookOutbox.eventType,
        transactionId: webhookOutbox.transactionId,
        refundId: webhookOutbox.refundId,
        occurredAt: webhookOutbox.occurredAt,
        status: webhookOutbox.status,
        attempts: webhookOutbox.attempts,
        lastStatusCode: webhookOutbox.lastStatusCode,
        lastError: webhookOutbox.lastError,
        deliveredAt: webhookOutbox.deliveredAt,
        createdAt: webhookOutbox.createdAt,
      })
      .from(webhookOutbox)
      .where(sql`${webhookOutbox.transactionId} IN ${ids}`)
      .orderBy(asc(webhookOutbox.id)),
    db
      .select({
        outboxId: webhookAttempts.outboxId,
        attemptNumber: webhookAttempts.attemptNumber,
        statusCode: webhookAttempts.statusCode,
        error: webhookAttempts.error,
        durationMs: webhookAttempts.durationMs,
        attemptedAt: webhookAttempts.attemptedAt,
      })
      .from(webhookAttempts)
      .where(sql`${webhookAttempts.outboxId} IN (SELECT id FROM webhook_outbox WHERE transaction_id IN ${ids})`)
      .orderBy(asc(webhookAttempts.outboxId), asc(webhookAttempts.id)),
  ]);
  return {
    txns,
    fingerprints,
    lines,
    attempts,
    events,
    refunds: refundRows,
    refundLines: refundLineRows,
    webhooks,
    webhookTries,
  };
}

/** The payments of a run that did not go into its object go back to D1's care (their index rows removed). */
export function releaseUnwrittenQuery(run: number, written: readonly number[]): SQL {
  return sql`DELETE FROM archived_payments WHERE archive_run_id = ${run} AND state = 'CLAIMED'
    AND transaction_id NOT IN (SELECT value FROM json_each(${JSON.stringify(written)}))`;
}

/**
 * Where each written payment's record is, what it looked like and its reconciliation facts:
 * `[transactionId, line, fingerprint, facts JSON]`.
 */
export function placeRecordsQuery(run: number, placed: ReadonlyArray<[number, number, string, string]>): SQL {
  const json = JSON.stringify(placed);
  const field = (index: number) =>
    sql`(SELECT json_extract(j.value, ${`$[${index}]`}) FROM json_each(${json}) j WHERE json_extract(j.value, '$[0]') = archived_payments.transaction_id)`;
  return sql`UPDATE archived_payments SET record_line = ${field(1)}, fingerprint = ${field(2)}, facts = ${field(3)}
    WHERE archive_run_id = ${run} AND state = 'CLAIMED'`;
}

/** Reconciliation facts of archived payments (deleted from D1), a keyset page by old transaction id. */
export async function archivedFactsPage(db: Db, afterId: number, limit: number): Promise<Array<{ id: number; facts: string }>> {
  return db
    .select({ id: archivedPayments.transactionId, facts: sql<string>`${archivedPayments.facts}` })
    .from(archivedPayments)
    .where(
      and(
        eq(archivedPayments.state, "ARCHIVED"),
        sql`${archivedPayments.transactionId} > ${afterId}`,
        sql`${archivedPayments.facts} IS NOT NULL`,
      ),
    )
    .orderBy(asc(archivedPayments.transactionId))
    .limit(limit);
}

export function markVerifiedQuery(
  run: number,
  verified: { recordCount: number; totalCents: number; size: number; sha256: string; firstId: number; lastId: number },
  now: Date,
): SQL {
  return sql`UPDATE archive_runs SET status = 'VERIFIED', record_count = ${verified.recordCount},
      total_cents = ${verified.totalCents}, size = ${verified.size}, sha256 = ${verified.sha256},
      first_id = ${verified.firstId}, last_id = ${verified.lastId}, updated_at = ${now.toISOString()}
    WHERE id = ${run} AND status = 'CLAIMED'`;
}

/**
 * Deletes the payments of a run whose ids are in [from, to], in one D1 batch (one transaction):
 * a payment that changed since it was written (a late refund, a notification) keeps its rows and
 * loses its index row; every other one loses its rows and its index row becomes ARCHIVED.
 */
export function deletePaymentsQueries(run: number, from: number, to: number, now: Date): Statement[] {
  const these = sql`archive_run_id = ${run} AND state = 'CLAIMED' AND transaction_id BETWEEN ${from} AND ${to}`;
  const ids = sql`(SELECT transaction_id FROM archived_payments WHERE ${these})`;
  return [
    sql`DELETE FROM archived_payments WHERE ${these}
      AND EXISTS (SELECT 1 FROM transactions WHERE id = archived_payments.transaction_id)
      AND fingerprint IS NOT ${fingerprintSql(sql`archived_payments.transaction_id`)}`,
    sql`DELETE FROM webhook_attempts WHERE outbox_id IN (SELECT id FROM webhook_outbox WHERE transaction_id IN ${ids})`,
    sql`DELETE FROM webhook_outbox WHERE transaction_id IN ${ids}`,
    sql`DELETE FROM refund_lines WHERE transaction_id IN ${ids}`,
    sql`DELETE FROM refunds WHERE transaction_id IN ${ids}`,
    sql`DELETE FROM payment_events WHERE transaction_id IN ${ids}`,
    sql`DELETE FROM payment_attempts WHERE transaction_id IN ${ids}`,
    sql`DELETE FROM revenue_lines WHERE transaction_id IN ${ids}`,
    sql`DELETE FROM transactions WHERE id IN ${ids}`,
    sql`UPDATE archived_payments SET state = 'ARCHIVED', archived_at = ${now.toISOString()} WHERE ${these}`,
    sql`UPDATE archive_runs SET deleted_count =
        (SELECT COUNT(*) FROM archived_payments WHERE archive_run_id = ${run} AND state = 'ARCHIVED'),
        updated_at = ${now.toISOString()} WHERE id = ${run}`,
  ];
}

/** Ends a run once nothing of it is left in D1. */
export function finishRunQuery(run: number, now: Date, deletedCount: number | null = null): SQL {
  const at = now.toISOString();
  const count = deletedCount === null ? sql`deleted_count` : sql`${deletedCount}`;
  return sql`UPDATE archive_runs SET status = 'DELETED', deleted_count = ${count}, updated_at = ${at}, finished_at = ${at}
    WHERE id = ${run} AND status = 'VERIFIED'`;
}

export async function unfinishedRuns(db: Db, kind: ArchiveKind, limit: number): Promise<ArchiveRun[]> {
  return db
    .select()
    .from(archiveRuns)
    .where(and(eq(archiveRuns.kind, kind), sql`${archiveRuns.status} IN ('CLAIMED', 'VERIFIED')`))
    .orderBy(asc(archiveRuns.id))
    .limit(limit);
}

export async function findRun(db: Db, id: number): Promise<ArchiveRun | undefined> {
  return db.select().from(archiveRuns).where(eq(archiveRuns.id, id)).get();
}

export async function findRunByRunId(db: Db, runId: string): Promise<ArchiveRun | undefined> {
  return db.select().from(archiveRuns).where(eq(archiveRuns.runId, runId)).get();
}

export async function listRuns(db: Db, limit: number): Promise<ArchiveRun[]> {
  return db.select().from(archiveRuns).orderBy(desc(archiveRuns.id)).limit(limit);
}

/** Ids (ascending) still claimed by a run: the payments not yet deleted. */
export async function claimedIds(db: Db, run: number): Promise<number[]> {
  const rows = await db
    .select({ id: archivedPayments.transactionId })
    .from(archivedPayments)
    .where(and(eq(archivedPayments.archiveRunId, run), eq(archivedPayments.state, "CLAIMED")))
    .orderBy(asc(archivedPayments.transactionId));
  return rows.map((row) => row.id);
}

/** The index row of a partner's archived payment (deleted from D1), with its run's object. */
export function findArchivedPaymentQuery(db: Db, pbcRefNumber: string, pbcTxnNumber: string) {
  return db
    .select({ payment: archivedPayments, run: archiveRuns })
    .from(archivedPayments)
    .innerJoin(archiveRuns, eq(archiveRuns.id, archivedPayments.archiveRunId))
    .where(
      and(
        eq(archivedPayments.pbcRefNumber, pbcRefNumber),
        eq(archivedPayments.pbcTxnNumber, pbcTxnNumber),
        eq(archivedPayments.state, "ARCHIVED"),
      ),
    );
}

export type ArchivedPaymentHit = { payment: ArchivedPayment; run: ArchiveRun };

export async function findArchivedPayment(
  db: Db,
  pbcRefNumber: string,
  pbcTxnNumber: string,
): Promise<ArchivedPaymentHit | undefined> {
  return findArchivedPaymentQuery(db, pbcRefNumber, pbcTxnNumber).get();
}

/** SQL condition: the transaction number was never archived (a new request with it is a duplicate). */
export function notArchivedCondition(pbcRefNumber: string, pbcTxnNumber: string): SQL {
  return sql`NOT EXISTS (SELECT 1 FROM archived_payments WHERE pbc_ref_number = ${pbcRefNumber} AND pbc_txn_number = ${pbcTxnNumber})`;
}

// ---------------------------------------------------------------- audit rows

/** The oldest audit rows before the cut-off, of one Pacific month (the first such row's). */
export async function oldestAuditRows(db: Db, before: Date, limit: number): Promise<Array<{ id: number; occurredAt: string }>> {
  const result = await db.$client
    .prepare("SELECT id, occurred_at AS occurredAt FROM audit_log WHERE occurred_at < ?1 ORDER BY occurred_at, id LIMIT ?2")
    .bind(before.toISOString(), limit)
    .all<{ id: number; occurredAt: string }>();
  return result.results;
}

/**
 * Claims an audit run: at most one audit run is unfinished at a time, so two overlapping runs never
 * put the same rows in two objects. Returns no row when another run holds the claim.
 */
export function claimAuditRunQuery(
  run: { runId: string; partitionMonth: string; objectKey: string; manifestKey: string; firstId: number; lastId: number },
  now: Date,
): SQL {
  const at = now.toISOString();
  return sql`INSERT INTO archive_runs (run_id, kind, partition_month, object_key, manifest_key, status, first_id, last_id,
      created_at, updated_at)
    SELECT ${run.runId}, 'audit', ${run.partitionMonth}, ${run.objectKey}, ${run.manifestKey}, 'CLAIMED', ${run.firstId},
      ${run.lastId}, ${at}, ${at}
    WHERE NOT EXISTS (SELECT 1 FROM archive_runs WHERE kind = 'audit' AND status IN ('CLAIMED', 'VERIFIED'))
    RETURNING id`;
}

/** The rows of an audit run: its id range, within its month (audit rows never change). */
function auditRowsOf(run: { firstId: number; lastId: number; start: Date; end: Date }): SQL {
  return sql`id BETWEEN ${run.firstId} AND ${run.lastId} AND occurred_at >= ${run.start.toISOString()} AND occurred_at < ${run.end.toISOString()}`;
}

export async function auditRowsOfRun(db: Db, run: { firstId: number; lastId: number; start: Date; end: Date }) {
  const query = sql`SELECT id, occurred_at AS occurredAt, actor, action, target, outcome, source_ip AS sourceIp,
      request_id AS requestId, detail FROM audit_log WHERE ${auditRowsOf(run)} ORDER BY id`;
  return db.all<Record<string, unknown> & { id: number }>(query);
}

/** Deletes the listed audit rows (the ids read back from the run's verified object). */
export function deleteAuditRowsQuery(ids: readonly number[]): SQL {
  return sql`DELETE FROM audit_log WHERE id IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`;
}

export function addDeletedQuery(run: number, count: number, now: Date): SQL {
  return sql`UPDATE archive_runs SET deleted_count = deleted_count + ${count}, updated_at = ${now.toISOString()} WHERE id = ${run}`;
}
