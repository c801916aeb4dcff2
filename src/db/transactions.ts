/** Owns `transactions`. */
import { and, asc, eq, type Placeholder, type SQL, sql } from "drizzle-orm";
import type { DirectSaleRequest } from "../domain/directSaleRequest.ts";
import { AWAITING_OUTCOME, PAYABLE } from "../domain/paymentAttempt.ts";
import type { Db } from "./client.ts";
import { compiledRead } from "./compiled.ts";
import { attemptStateIn } from "./paymentAttempts.ts";
import { type Transaction, transactions } from "./schema.ts";

/**
 * SQL: the id of the transaction if it can take a new attempt (pending, nobody talking to the
 * processor, not locked by too many declines) and `authority` (the partner's right to ask) holds.
 */
export function openTransactionId(
  pbcRefNumber: string,
  pbcTxnNumber: string,
  moneyDigest: string,
  maxDeclines: number,
  authority: SQL,
) {
  return sql`(SELECT id FROM transactions WHERE pbc_ref_number = ${pbcRefNumber} AND pbc_txn_number = ${pbcTxnNumber}
    AND payment_status = 'PNDNG' AND authorising_attempt_id IS NULL AND decline_count < ${maxDeclines}
    AND money_digest = ${moneyDigest} AND ${authority})`;
}

/**
 * Create the transaction, or refresh a pending one with the new request (a retry after a decline).
 * Paid transactions, ones being authorised and ones whose money (amount, currency, revenue lines)
 * differs from this request are left untouched: the WHERE makes it atomic. Nothing is written unless
 * `authority` still holds when the batch runs.
 */
export function upsertPendingQuery(
  request: DirectSaleRequest,
  moneyDigest: string,
  apiKeyId: number,
  maxDeclines: number,
  now: Date,
  authority: SQL,
) {
  const at = now.toISOString();
  // INSERT ... SELECT ... WHERE: SQLite's upsert needs the WHERE to parse ON CONFLICT after a SELECT.
  return sql`INSERT INTO transactions (pbc_ref_number, pbc_txn_number, trn_date, requested_gl_date, gl_date,
      description, trn_amount_cents, payment_method, currency, redirect_uri, ref1, ref2, ref3, api_key_id, money_digest,
      created_at, updated_at)
    SELECT ${request.pbcRefNumber}, ${request.pbcTxnNumber}, ${request.trnDate}, ${request.glDate}, ${request.glDate},
      ${request.description}, ${request.trnAmountCents}, ${request.paymentMethod}, ${request.currency},
      ${request.redirectUri}, ${request.ref1}, ${request.ref2}, ${request.ref3}, ${apiKeyId}, ${moneyDigest}, ${at}, ${at}
    WHERE ${authority}
    ON CONFLICT (pbc_ref_number, pbc_txn_number) DO UPDATE SET
      trn_date = excluded.trn_date, requested_gl_date = excluded.requested_gl_date, gl_date = excluded.gl_date,
      description = excluded.description, trn_amount_cents = excluded.trn_amount_cents,
      payment_method = excluded.payment_method, currency = excluded.currency, redirect_uri = excluded.redirect_uri,
      ref1 = excluded.ref1, ref2 = excluded.ref2, ref3 = excluded.ref3, api_key_id = excluded.api_key_id,
      money_digest = excluded.money_digest, updated_at = excluded.updated_at
    WHERE transactions.payment_status = 'PNDNG' AND transactions.authorising_attempt_id IS NULL
      AND transactions.decline_count < ${maxDeclines}
      AND (transactions.money_digest IS NULL OR transactions.money_digest = excluded.money_digest)`;
}

/** SQL: the id of the payment named by partner and number (for reads batched with the payment's). */
export function transactionIdByNumberSql(pbcRefNumber: string | Placeholder, pbcTxnNumber: string | Placeholder): SQL {
  return sql`(SELECT id FROM transactions WHERE pbc_ref_number = ${pbcRefNumber} AND pbc_txn_number = ${pbcTxnNumber})`;
}

export function findTransactionQuery(db: Db, pbcRefNumber: string | Placeholder, pbcTxnNumber: string | Placeholder) {
  return db
    .select()
    .from(transactions)
    .where(and(eq(transactions.pbcRefNumber, pbcRefNumber), eq(transactions.pbcTxnNumber, pbcTxnNumber)));
}

/** The payment by partner and number, compiled once (db/compiled.ts): the partner query's read. */
export const transactionByNumber = compiledRead(["pbcRefNumber", "pbcTxnNumber"], (db, values) =>
  findTransactionQuery(db, values.pbcRefNumber, values.pbcTxnNumber),
);

export async function findTransaction(db: Db, pbcRefNumber: string, pbcTxnNumber: string): Promise<Transaction | undefined> {
  return findTransactionQuery(db, pbcRefNumber, pbcTxnNumber).get();
}

export function findTransactionByIdSqlQuery(db: Db, idSql: SQL) {
  return db.select().from(transactions).where(eq(transactions.id, idSql));
}

export async function findTransactionById(db: Db, id: number): Promise<Transaction | undefined> {
  return db.select().from(transactions).where(eq(transactions.id, id)).get();
}

/**
 * Take the transaction's authorisation lock for the attempt the browser holds (its public id and
 * the hash of its session), in the statement that also checks everything a payment needs: the
 * attempt is payable and unexpired, the payment pending, nobody else talking to the processor, and
 * the card may pay this payment method. Only one attempt at a time may talk to the processor,
 * whatever the number of simultaneous submissions: this is the double-charge guard. RETURNING gives
 * the locked row's amount, the amount the processor is asked for (it cannot change while locked:
 * the direct sale refuses a transaction being authorised). Changes one row when the lock was taken,
 * none otherwise; statements after it in the same batch may test `changes() = 1`.
 */
export function claimAuthorisationQuery(
  attempt: { externalId: string; sessionHash: string },
  paymentMethods: readonly string[],
  now: Date,
): SQL {
  const at = now.toISOString();
  // The session hash is compared in SQL: it is the SHA-256 of a 256-bit random token, so how long
  // the comparison takes tells nothing about the token.
  const attemptOf = (column: SQL) => sql`(SELECT ${column} FROM payment_attempts
      WHERE external_id = ${attempt.externalId} AND session_hash = ${attempt.sessionHash}
        AND ${attemptStateIn(PAYABLE)} AND expires_at > ${at})`;
  return sql`UPDATE transactions SET authorising_attempt_id = ${attemptOf(sql`id`)}, updated_at = ${at}
    WHERE id = ${attemptOf(sql`transaction_id`)} AND payment_status = 'PNDNG' AND authorising_attempt_id IS NULL
      AND payment_method IN (${sql.join(
        paymentMethods.map((method) => sql`${method}`),
        sql`, `,
      )})
    RETURNING id, trn_amount_cents AS trnAmountCents`;
}

export interface Approval {
  trnOrderId: string;
  paymentAuthCode: string;
  cardType: string;
  cardLastFour: string;
  paidAt: Date;
  glDate: string;
  glBusinessDate: string;
  glAfterCutoff: boolean;
}

export function markPaidQuery(db: Db, transactionId: number, attemptId: number, approval: Approval) {
  return db
    .update(transactions)
    .set({
      paymentStatus: "PAID",
      trnOrderId: approval.trnOrderId,
      paymentAuthCode: approval.paymentAuthCode,
      cardType: approval.cardType,
      cardLastFour: approval.cardLastFour,
      paidAt: approval.paidAt.toISOString(),
      glDate: approval.glDate,
      glBusinessDate: approval.glBusinessDate,
      glAfterCutoff: approval.glAfterCutoff,
      authorisingAttemptId: null,
      updatedAt: approval.paidAt.toISOString(),
    })
    .where(and(eq(transactions.id, transactionId), eq(transactions.authorisingAttemptId, attemptId)));
}

/** Give the lock back after a decline or a definite failure; declines are counted against card testing. */
export function releaseAuthorisationQuery(
  db: Db,
  transactionId: number,
  attemptId: number,
  declined: { trnOrderId: string | null; cardType: string | null } | null,
  now: Date,
) {
  return db
    .update(transactions)
    .set({
      authorisingAttemptId: null,
      updatedAt: now.toISOString(),
      ...(declined
        ? {
            declineCount: sql`${transactions.declineCount} + 1`,
            trnOrderId: declined.trnOrderId,
            cardType: declined.cardType,
          }
        : {}),
    })
    .where(and(eq(transactions.id, transactionId), eq(transactions.authorisingAttemptId, attemptId)));
}

/**
 * PAID -> CMPLT for the payments with lines in this feeder file whose every line is now PROCESSED
 * (lines of one payment may go out in a GA and a GI file: it completes when the ledger has accepted both).
 */
export function completeFeederFileQuery(feederFileId: number, now: Date) {
  return sql`UPDATE transactions SET payment_status = 'CMPLT', updated_at = ${now.toISOString()}
    WHERE payment_status = 'PAID'
      AND id IN (SELECT transaction_id FROM revenue_lines WHERE feeder_file_id = ${feederFileId})
      AND NOT EXISTS (SELECT 1 FROM revenue_lines r WHERE r.transaction_id = transactions.id AND r.gl_status <> 'PROCESSED')`;
}

interface FactsRow {
  id: number;
  pbc_ref_number: string;
  pbc_txn_number: string;
  payment_status: "PNDNG" | "PAID" | "CMPLT";
  trn_amount_cents: number;
  lines_cents: number;
  line_count: number;
  posted_cents: number;
  posted_line_count: number;
  order_numbers: string;
  awaiting: number;
  told: string;
  refunded_cents: number;
  posted_refund_cents: number;
  refund_orders: string;
  refund_awaiting: number;
}

/**
 * One keyset page of what reconciliation compares for each transaction: its lines, what was posted
 * (lines in a POSTED journal batch that the ledger has not rejected), its attempts' order numbers and the amounts of the signed
 * "approved" responses sent to the partner (recorded with each delivery).
 */
export async function reconciliationFactsPage(db: Db, afterId: number, limit: number) {
  const rows = await db.all<FactsRow>(sql`SELECT t.id, t.pbc_ref_number, t.pbc_txn_number, t.payment_status, t.trn_amount_cents,
      (SELECT COALESCE(SUM(revenue_amount_cents), 0) FROM revenue_lines WHERE transaction_id = t.id) AS lines_cents,
      (SELECT COUNT(*) FROM revenue_lines WHERE transaction_id = t.id) AS line_count,
      (SELECT COALESCE(SUM(r.revenue_amount_cents), 0) FROM revenue_lines r JOIN journal_batches b ON b.id = r.journal_batch_id
        WHERE r.transaction_id = t.id AND b.status = 'POSTED' AND r.gl_status <> 'REJECT') AS posted_cents,
      (SELECT COUNT(*) FROM revenue_lines r JOIN journal_batches b ON b.id = r.journal_batch_id
        WHERE r.transaction_id = t.id AND b.status = 'POSTED' AND r.gl_status <> 'REJECT') AS posted_line_count,
      (SELECT json_group_array(order_number) FROM payment_attempts WHERE transaction_id = t.id) AS order_numbers,
      EXISTS (SELECT 1 FROM payment_attempts WHERE transaction_id = t.id AND ${attemptStateIn(AWAITING_OUTCOME)}) AS awaiting,
      (SELECT json_group_array(json_extract(detail, '$.trnAmountCents')) FROM payment_events
        WHERE transaction_id = t.id AND event_type = 'redirected' AND json_extract(detail, '$.outcome') = 'approved') AS told,
      (SELECT COALESCE(SUM(amount_cents), 0) FROM refunds WHERE transaction_id = t.id AND status = 'APPROVED') AS refunded_cents,
      (SELECT COALESCE(SUM(amount_cents), 0) FROM refund_lines WHERE transaction_id = t.id AND gl_status = 'CMPLT') AS posted_refund_cents,
      (SELECT json_group_array(order_number) FROM refunds WHERE transaction_id = t.id) AS refund_orders,
      EXISTS (SELECT 1 FROM refunds WHERE transaction_id = t.id AND status IN ('PENDING', 'UNKNOWN')) AS refund_awaiting
    FROM transactions t WHERE t.id > ${afterId} ORDER BY t.id LIMIT ${limit}`);
  return rows.map((row) => ({
    id: row.id,
    pbcRefNumber: row.pbc_ref_number,
    pbcTxnNumber: row.pbc_txn_number,
    paymentStatus: row.payment_status,
    trnAmountCents: row.trn_amount_cents,
    linesCents: row.lines_cents,
    lineCount: row.line_count,
    postedCents: row.posted_cents,
    postedLineCount: row.posted_line_count,
    orderNumbers: JSON.parse(row.order_numbers) as string[],
    awaitingOutcome: row.awaiting === 1,
    toldApprovedCents: (JSON.parse(row.told) as Array<number | null>).map((cents) => cents ?? -1),
    refundedCents: row.refunded_cents,
    postedRefundCents: row.posted_refund_cents,
    refundOrderNumbers: JSON.parse(row.refund_orders) as string[],
    refundAwaitingOutcome: row.refund_awaiting === 1,
  }));
}

export interface SearchFilter {
  pbcRefNumber: string;
  /** trnDate, or the Pacific business date of the payment (gl_business_date). */
  by: "trnDate" | "paid";
  from: string | null;
  to: string | null;
  status: "PNDNG" | "PAID" | "CMPLT" | null;
  /** Keyset position: rows strictly after (date, id). */
  after: { date: string; id: number } | null;
  limit: number;
}

function searchWhere(filter: Omit<SearchFilter, "limit">) {
  const column = filter.by === "paid" ? transactions.glBusinessDate : transactions.trnDate;
  const conditions: SQL[] = [eq(transactions.pbcRefNumber, filter.pbcRefNumber)];
  if (filter.by === "paid") conditions.push(sql`${transactions.glBusinessDate} IS NOT NULL`);
  if (filter.from !== null) conditions.push(sql`${column} >= ${filter.from}`);
  if (filter.to !== null) conditions.push(sql`${column} <= ${filter.to}`);
  if (filter.status !== null) conditions.push(eq(transactions.paymentStatus, filter.status));
  if (filter.after !== null) conditions.push(sql`(${column}, ${transactions.id}) > (${filter.after.date}, ${filter.after.id})`);
  return { column, where: and(...conditions) as SQL };
}

/** One keyset page of a partner's transactions, oldest first (only the partner's own rows). */
export function searchTransactionsPageQuery(db: Db, filter: SearchFilter) {
  const { column, where } = searchWhere(filter);
  return db.select().from(transactions).where(where).orderBy(asc(column), asc(transactions.id)).limit(filter.limit);
}

/**
 * The ids of the same keyset page (same conditions, order and limit), as a subquery: the page's
 * lines, attempts and refunds are read in the page's batch without binding its ids (D1 takes 100
 * bound parameters a statement; a page holds 200).
 */
export function searchTransactionsPageIdsQuery(db: Db, filter: SearchFilter) {
  const { column, where } = searchWhere(filter);
  return db
    .select({ id: transactions.id })
    .from(transactions)
    .where(where)
    .orderBy(asc(column), asc(transactions.id))
    .limit(filter.limit);
}
export type PageIds = ReturnType<typeof searchTransactionsPageIdsQuery>;
