/**
 * Owns `refunds` and `refund_lines`. The reservation is one conditional INSERT: it checks, in the
 * same statement, that the payment is paid, that every line has the amount left (counting APPROVED
 * refunds and those still in flight), the optimistic `refundAmountAvailable` guard and the duplicate
 * check. D1 runs statements one at a time, so simultaneous requests can never hold more than was paid.
 */

import { and, asc, desc, eq, inArray, lt, or, type SQL, sql } from "drizzle-orm";
import type { RefundLineRequest } from "../domain/refund.ts";
import type { Db } from "./client.ts";
import { compiledRead } from "./compiled.ts";
import { type Refund, type RefundLineRow, type RefundStatus, refundLines, refunds } from "./schema.ts";
import { type PageIds, transactionIdByNumberSql } from "./transactions.ts";

/** Statuses that hold money: refunded, or possibly refunded. */
const HOLDING = sql.raw("('PENDING', 'APPROVED', 'UNKNOWN')");

export interface NewRefund {
  externalId: string;
  transactionId: number;
  orderNumber: string;
  amountCents: number;
  lines: readonly RefundLineRequest[];
  channel: Refund["channel"];
  requestedBy: string;
  reason: string | null;
  requestFingerprint: string;
  idempotencyKey: string | null;
  /** The REST guard: the amount the caller believes is available; null = not checked. */
  expectedAvailableCents: number | null;
  /** The PayBC service's duplicate check: refuse if a refund with this fingerprint holds money. */
  refuseDuplicate: boolean;
}

const linesJson = (lines: readonly RefundLineRequest[]) =>
  JSON.stringify(lines.map((line) => [line.lineNumber, line.amountCents]));

function heldOnPayment(transactionId: SQL): SQL {
  return sql`(SELECT COALESCE(SUM(amount_cents), 0) FROM refunds WHERE transaction_id = ${transactionId} AND status IN ${HOLDING})`;
}

/**
 * The reservation (PENDING refund) and its lines. The first statement inserts nothing when any
 * check fails (or the idempotency key is taken); the second inserts lines only for a refund the
 * first inserted. Callers put an event after the first (it changed one row or none).
 */
export function reserveRefundQueries(refund: NewRefund, now: Date): { reserve: SQL; lines: SQL } {
  const at = now.toISOString();
  const json = linesJson(refund.lines);
  const id = sql`t.id`;
  const reserve = sql`INSERT INTO refunds (external_id, transaction_id, pbc_ref_number, pbc_txn_number, order_number,
      amount_cents, status, channel, requested_by, reason, request_fingerprint, idempotency_key, created_at, updated_at)
    SELECT ${refund.externalId}, t.id, t.pbc_ref_number, t.pbc_txn_number, ${refund.orderNumber}, ${refund.amountCents},
      'PENDING', ${refund.channel}, ${refund.requestedBy}, ${refund.reason}, ${refund.requestFingerprint},
      ${refund.idempotencyKey}, ${at}, ${at}
    FROM transactions t
    WHERE t.id = ${refund.transactionId} AND t.payment_status IN ('PAID', 'CMPLT') AND t.trn_order_id IS NOT NULL
      AND ${refund.amountCents} = (SELECT COALESCE(SUM(json_extract(value, '$[1]')), 0) FROM json_each(${json}))
      AND NOT EXISTS (
        SELECT 1 FROM json_each(${json}) req
        LEFT JOIN revenue_lines l ON l.transaction_id = t.id AND l.line_number = json_extract(req.value, '$[0]')
        WHERE l.line_number IS NULL OR json_extract(req.value, '$[1]') <= 0
          OR json_extract(req.value, '$[1]') > l.revenue_amount_cents - (SELECT COALESCE(SUM(rl.amount_cents), 0)
            FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
            WHERE rl.transaction_id = t.id AND rl.line_number = l.line_number AND r.status IN ${HOLDING}))
      AND ${refund.amountCents} <= t.trn_amount_cents - ${heldOnPayment(id)}
      AND (${refund.expectedAvailableCents} IS NULL OR ${refund.expectedAvailableCents} = t.trn_amount_cents - ${heldOnPayment(id)})
      AND (${refund.refuseDuplicate ? 1 : 0} = 0 OR NOT EXISTS (SELECT 1 FROM refunds d
        WHERE d.transaction_id = t.id AND d.request_fingerprint = ${refund.requestFingerprint} AND d.status IN ${HOLDING}))
    ON CONFLICT (pbc_ref_number, idempotency_key) DO NOTHING`;
  const lines = sql`INSERT INTO refund_lines (refund_id, transaction_id, line_number, amount_cents, gl_status)
    SELECT r.id, r.transaction_id, json_extract(req.value, '$[0]'), json_extract(req.value, '$[1]'), 'NEW'
    FROM refunds r, json_each(${json}) req WHERE r.external_id = ${refund.externalId}`;
  return { reserve, lines };
}

export interface Settlement {
  status: Exclude<RefundStatus, "PENDING">;
  method?: "void" | "return" | null;
  processorRefundId?: string | null;
  processorMessage: string;
  /** Set on approval. */
  businessDate?: string | null;
  glDate?: string | null;
  glAfterCutoff?: boolean | null;
}

/** Move a refund from one of `from` to the settlement's status; changes one row or none. */
export function settleRefundQuery(db: Db, refundId: number, from: readonly RefundStatus[], settlement: Settlement, now: Date) {
  const at = now.toISOString();
  const final = settlement.status === "APPROVED" || settlement.status === "DECLINED";
  return db
    .update(refunds)
    .set({
      status: settlement.status,
      processorMessage: settlement.processorMessage,
      updatedAt: at,
      ...(settlement.method !== undefined ? { method: settlement.method } : {}),
      ...(settlement.processorRefundId !== undefined ? { processorRefundId: settlement.processorRefundId } : {}),
      ...(settlement.businessDate !== undefined ? { businessDate: settlement.businessDate } : {}),
      ...(settlement.glDate !== undefined ? { glDate: settlement.glDate } : {}),
      ...(settlement.glAfterCutoff !== undefined ? { glAfterCutoff: settlement.glAfterCutoff } : {}),
      ...(final ? { settledAt: at } : {}),
    })
    .where(and(eq(refunds.id, refundId), inArray(refunds.status, [...from])));
}

/** Keep the first response to an Idempotency-Key request, once. */
export function saveResponseQuery(db: Db, refundId: number, body: unknown) {
  return db
    .update(refunds)
    .set({ responseBody: JSON.stringify(body) })
    .where(and(eq(refunds.id, refundId), sql`${refunds.responseBody} IS NULL`));
}

export async function findRefundByExternalId(db: Db, externalId: string): Promise<Refund | undefined> {
  return db.select().from(refunds).where(eq(refunds.externalId, externalId)).get();
}

export async function findRefundByIdempotencyKey(db: Db, pbcRefNumber: string, key: string): Promise<Refund | undefined> {
  return db
    .select()
    .from(refunds)
    .where(and(eq(refunds.pbcRefNumber, pbcRefNumber), eq(refunds.idempotencyKey, key)))
    .get();
}

export function refundsOfTransactionQuery(db: Db, transactionId: number | SQL) {
  return db.select().from(refunds).where(eq(refunds.transactionId, transactionId)).orderBy(asc(refunds.id));
}

export function refundLinesOfTransactionQuery(db: Db, transactionId: number | SQL) {
  return db.select().from(refundLines).where(eq(refundLines.transactionId, transactionId)).orderBy(asc(refundLines.id));
}

/** The payment's refunds by partner and number, compiled once (db/compiled.ts): the partner query's read. */
export const refundsOfTransactionByNumber = compiledRead(["pbcRefNumber", "pbcTxnNumber"], (db, values) =>
  refundsOfTransactionQuery(db, transactionIdByNumberSql(values.pbcRefNumber, values.pbcTxnNumber)),
);

/** The payment's refund lines by partner and number, compiled once (db/compiled.ts). */
export const refundLinesOfTransactionByNumber = compiledRead(["pbcRefNumber", "pbcTxnNumber"], (db, values) =>
  refundLinesOfTransactionQuery(db, transactionIdByNumberSql(values.pbcRefNumber, values.pbcTxnNumber)),
);

export async function refundsOfTransaction(
  db: Db,
  transactionId: number,
): Promise<{ refunds: Refund[]; lines: RefundLineRow[] }> {
  const [found, lines] = await db.batch([
    refundsOfTransactionQuery(db, transactionId),
    refundLinesOfTransactionQuery(db, transactionId),
  ]);
  return { refunds: found, lines };
}

/**
 * Refunds whose outcome is to be looked up: UNKNOWN ones, and PENDING ones older than `staleBefore`
 * (their request died between the reservation and the processor's answer).
 */
export async function listUnsettledRefunds(db: Db, staleBefore: Date, limit: number): Promise<Refund[]> {
  return db
    .select()
    .from(refunds)
    .where(
      or(eq(refunds.status, "UNKNOWN"), and(eq(refunds.status, "PENDING"), lt(refunds.updatedAt, staleBefore.toISOString()))),
    )
    .orderBy(asc(refunds.updatedAt))
    .limit(limit)
    .all();
}

export async function recentRefunds(db: Db, limit: number): Promise<Refund[]> {
  return db.select().from(refunds).orderBy(desc(refunds.id)).limit(limit).all();
}

// ---------------------------------------------------------------- GL posting of refunds (reversals)

/**
 * Refund lines due for a reversal journal of (partner, GL date): NEW lines of APPROVED refunds whose
 * revenue line is already PROCESSED (the ledger never sees a refund before its revenue). A refund is
 * posted on its own GL date, or on its payment's if that is later (a payment with a future glDate).
 */
function postableRefundLines(pbcRefNumber: string, glDate: string): SQL {
  return sql`refund_lines.gl_status = 'NEW' AND refund_lines.refund_id IN (SELECT r.id FROM refunds r
      JOIN transactions t ON t.id = r.transaction_id
      WHERE r.status = 'APPROVED' AND r.pbc_ref_number = ${pbcRefNumber} AND MAX(r.gl_date, t.gl_date) = ${glDate})
    AND EXISTS (SELECT 1 FROM revenue_lines l WHERE l.transaction_id = refund_lines.transaction_id
      AND l.line_number = refund_lines.line_number AND l.gl_status = 'PROCESSED')`;
}

export function postableRefundLinesExist(pbcRefNumber: string, glDate: string): SQL {
  return sql`EXISTS (SELECT 1 FROM refund_lines WHERE ${postableRefundLines(pbcRefNumber, glDate)})`;
}

/** (partner, GL date) groups with refund lines due, oldest first, for partners with GL posting on. */
export async function refundDueGroups(db: Db, lastDueGlDate: string, limit: number) {
  return db.all<{ pbcRefNumber: string; glDate: string }>(sql`SELECT r.pbc_ref_number AS pbcRefNumber,
      MAX(r.gl_date, t.gl_date) AS glDate
    FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id JOIN transactions t ON t.id = r.transaction_id
      JOIN partners p ON p.pbc_ref_number = r.pbc_ref_number
      JOIN revenue_lines l ON l.transaction_id = rl.transaction_id AND l.line_number = rl.line_number
    WHERE rl.gl_status = 'NEW' AND r.status = 'APPROVED' AND l.gl_status = 'PROCESSED'
      AND p.gl_posting = 1 AND p.status = 'ACTIVE' AND MAX(r.gl_date, t.gl_date) <= ${lastDueGlDate}
    GROUP BY 1, 2 ORDER BY 2, 1 LIMIT ${limit}`);
}

/** NEW -> INPRG into the batch, each line in exactly one journal; the account reversed is copied from its revenue line. */
export function claimRefundLinesQuery(pbcRefNumber: string, glDate: string, batchId: SQL): SQL {
  return sql`UPDATE refund_lines SET gl_status = 'INPRG', gl_error_message = NULL, journal_batch_id = ${batchId},
      revenue_account = (SELECT l.revenue_account FROM revenue_lines l
        WHERE l.transaction_id = refund_lines.transaction_id AND l.line_number = refund_lines.line_number)
    WHERE ${postableRefundLines(pbcRefNumber, glDate)} AND ${batchId} IS NOT NULL`;
}

/** The reversal's debit side, by SQL GROUP BY. */
export async function refundBatchAccountTotals(db: Db, batchId: number) {
  return db.all<{ account: string; amountCents: number; lineCount: number }>(sql`SELECT revenue_account AS account,
      SUM(amount_cents) AS amountCents, COUNT(*) AS lineCount
    FROM refund_lines WHERE journal_batch_id = ${batchId} GROUP BY revenue_account ORDER BY revenue_account`);
}

export interface RefundDetailRow {
  pbcTxnNumber: string;
  lineNumber: number;
  account: string;
  amountCents: number;
  refundId: string;
  processorRefundId: string | null;
  trnOrderId: string | null;
  refundedAt: string | null;
  /** The paid card's type code (VI) and last four: never more of the card. */
  cardType: string | null;
  cardLastFour: string | null;
  /** The payment's description as the partner sent it. */
  description: string;
}

/** One keyset page of the reversal's refund lines (by refund line id). */
export async function refundBatchDetailPage(db: Db, batchId: number, afterId: number, limit: number) {
  return db.all<
    RefundDetailRow & { id: number }
  >(sql`SELECT rl.id, r.pbc_txn_number AS pbcTxnNumber, rl.line_number AS lineNumber,
      rl.revenue_account AS account, rl.amount_cents AS amountCents, r.external_id AS refundId,
      r.processor_refund_id AS processorRefundId, t.trn_order_id AS trnOrderId, r.settled_at AS refundedAt,
      t.card_type AS cardType, t.card_last_four AS cardLastFour, t.description AS description
    FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id JOIN transactions t ON t.id = r.transaction_id
    WHERE rl.journal_batch_id = ${batchId} AND rl.id > ${afterId} ORDER BY rl.id LIMIT ${limit}`);
}

/** Which feeder file each of a reversal batch's lines went out in (GA: home client code, GI: others). */
export function assignRefundFeederFileQuery(
  batchId: number,
  feederFileId: SQL,
  homeClientCode: string,
  batchType: "GA" | "GI",
): SQL {
  const client = sql`substr(revenue_account, 1, 3)`;
  const home = homeClientCode.toUpperCase();
  return sql`UPDATE refund_lines SET feeder_file_id = ${feederFileId}
    WHERE journal_batch_id = ${batchId} AND gl_status = 'INPRG'
      AND ${batchType === "GA" ? sql`${client} = ${home}` : sql`${client} <> ${home}`}`;
}

// ---------------------------------------------------------------- ledger feedback of reversals

/** The ledger rejected a reversal's lines (all, or one account's): INPRG -> RJCT with its message. */
export function rejectRefundFeederLinesQuery(
  feederFileId: number,
  account: string | null,
  code: string,
  message: string,
  unsettled: SQL,
): SQL {
  return sql`UPDATE refund_lines SET gl_status = 'RJCT', gl_error_code = ${code}, gl_error_message = ${message}
    WHERE feeder_file_id = ${feederFileId} AND gl_status = 'INPRG'
      ${account === null ? sql`` : sql`AND revenue_account = ${account}`} AND ${unsettled}`;
}

/** The rest of the reversal's lines were accepted: INPRG -> CMPLT (posted). */
export function acceptRefundFeederLinesQuery(feederFileId: number, unsettled: SQL): SQL {
  return sql`UPDATE refund_lines SET gl_status = 'CMPLT', gl_error_code = NULL, gl_error_message = NULL
    WHERE feeder_file_id = ${feederFileId} AND gl_status = 'INPRG' AND ${unsettled}`;
}

/**
 * An RJCT refund line goes back to NEW, to be posted again by the next night (after the account was
 * fixed in the partner's chart, or its revenue line re-coded), as REJECT revenue lines are after a
 * revenue update.
 */
export function repostRejectedRefundLinesQuery(transactionId: SQL): SQL {
  return sql`UPDATE refund_lines SET gl_status = 'NEW', journal_batch_id = NULL, feeder_file_id = NULL
    WHERE transaction_id = ${transactionId} AND gl_status = 'RJCT'`;
}

/** The refunds of the payments whose ids `transactionIds` selects (a search page), oldest first. */
export function refundsOfTransactionsQuery(db: Db, transactionIds: PageIds) {
  return db.select().from(refunds).where(inArray(refunds.transactionId, transactionIds)).orderBy(asc(refunds.id));
}

/** The refund lines of the payments whose ids `transactionIds` selects (a search page), oldest first. */
export function refundLinesOfTransactionsQuery(db: Db, transactionIds: PageIds) {
  return db.select().from(refundLines).where(inArray(refundLines.transactionId, transactionIds)).orderBy(asc(refundLines.id));
}
