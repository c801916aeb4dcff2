/** Owns `revenue_lines`. */

import { asc, eq, inArray, type Placeholder, type SQL, sql } from "drizzle-orm";
import type { RevenueLine } from "../domain/revenue.ts";
import { prepare, runStatement } from "./batch.ts";
import type { Db } from "./client.ts";
import { compiledRead } from "./compiled.ts";
import { type RevenueLineRow, revenueLines } from "./schema.ts";
import { type PageIds, transactionIdByNumberSql } from "./transactions.ts";

/** Lines per INSERT: 3 parameters each, well inside D1's 100 bound parameters per statement. */
const LINES_PER_INSERT = 25;

/** Replace the lines of the transaction selected by `transactionIdSql` (no-op when it selects nothing). */
export function replaceLinesQueries(transactionIdSql: SQL, lines: readonly RevenueLine[]): SQL[] {
  const inserts: SQL[] = [];
  for (let start = 0; start < lines.length; start += LINES_PER_INSERT) {
    const rows = lines
      .slice(start, start + LINES_PER_INSERT)
      .map((line) => sql`(${line.lineNumber}, ${line.revenueAccount}, ${line.revenueAmountCents})`);
    inserts.push(
      sql`INSERT INTO revenue_lines (transaction_id, line_number, revenue_account, revenue_amount_cents, gl_status)
        SELECT t.id, l.column1, l.column2, l.column3, 'NEW'
        FROM transactions t, (VALUES ${sql.join(rows, sql`, `)}) l WHERE t.id = ${transactionIdSql}`,
    );
  }
  return [sql`DELETE FROM revenue_lines WHERE transaction_id = ${transactionIdSql}`, ...inserts];
}

/** The lines of a transaction named by its partner and number (batched with the transaction's read). */
export function linesOfTransactionQuery(db: Db, pbcRefNumber: string | Placeholder, pbcTxnNumber: string | Placeholder) {
  return db
    .select()
    .from(revenueLines)
    .where(eq(revenueLines.transactionId, transactionIdByNumberSql(pbcRefNumber, pbcTxnNumber)))
    .orderBy(asc(revenueLines.lineNumber));
}

/** The payment's revenue lines by partner and number, compiled once (db/compiled.ts). */
export const linesOfTransactionByNumber = compiledRead(["pbcRefNumber", "pbcTxnNumber"], (db, values) =>
  linesOfTransactionQuery(db, values.pbcRefNumber, values.pbcTxnNumber),
);

export function listLinesQuery(db: Db, transactionId: number) {
  return db
    .select()
    .from(revenueLines)
    .where(eq(revenueLines.transactionId, transactionId))
    .orderBy(asc(revenueLines.lineNumber));
}

export async function listLines(db: Db, transactionId: number): Promise<RevenueLineRow[]> {
  return db
    .select()
    .from(revenueLines)
    .where(eq(revenueLines.transactionId, transactionId))
    .orderBy(asc(revenueLines.lineNumber))
    .all();
}

/** Canonical text of a payment's PROCESSED lines (what the ledger has accepted), for the update guard. */
export function processedLinesSignature(
  lines: readonly Pick<RevenueLine, "lineNumber" | "revenueAccount" | "revenueAmountCents">[],
): string {
  return [...lines]
    .sort((a, b) => a.lineNumber - b.lineNumber)
    .map((line) => `${line.lineNumber}:${line.revenueAccount}:${line.revenueAmountCents}`)
    .join("|");
}

/**
 * Replace a PAID payment's NEW and REJECT revenue lines, all or nothing. Lines the ledger has
 * accepted (PROCESSED) stay as they are: the caller checked the update repeats them unchanged and
 * passes their signature; lines being posted (IN PROCESS) forbid any update. The guard statement
 * marks the transaction with this update's token only if that still holds; the other statements act
 * only on a transaction carrying that token, so a batch whose guard failed changes nothing, and
 * concurrent updates (each one batch, one D1 transaction) never interleave.
 */
export function revenueUpdateQueries(
  transactionId: number,
  token: string,
  newLines: readonly RevenueLine[],
  processedSignature: string,
  now: Date,
): SQL[] {
  const guarded = sql`(SELECT id FROM transactions WHERE id = ${transactionId} AND revenue_update_token = ${token})`;
  const [, ...inserts] = replaceLinesQueries(guarded, newLines);
  // A refunded line must keep its number and at least the amount refunded (or in flight) from it.
  const amounts = JSON.stringify(newLines.map((line) => [line.lineNumber, line.revenueAmountCents]));
  return [
    sql`UPDATE transactions SET revenue_update_token = ${token}, updated_at = ${now.toISOString()}
      WHERE id = ${transactionId} AND payment_status = 'PAID'
      AND NOT EXISTS (SELECT 1 FROM revenue_lines WHERE transaction_id = ${transactionId} AND gl_status = 'IN PROCESS')
      AND COALESCE((SELECT group_concat(signature, '|') FROM (SELECT line_number || ':' || revenue_account || ':' || revenue_amount_cents AS signature
        FROM revenue_lines WHERE transaction_id = ${transactionId} AND gl_status = 'PROCESSED' ORDER BY line_number)), '') = ${processedSignature}
      AND NOT EXISTS (SELECT 1 FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id
        WHERE rl.transaction_id = ${transactionId} AND r.status IN ('PENDING', 'APPROVED', 'UNKNOWN')
        GROUP BY rl.line_number
        HAVING SUM(rl.amount_cents) > COALESCE(
          (SELECT json_extract(value, '$[1]') FROM json_each(${amounts}) WHERE json_extract(value, '$[0]') = rl.line_number),
          (SELECT revenue_amount_cents FROM revenue_lines WHERE transaction_id = ${transactionId}
            AND line_number = rl.line_number AND gl_status = 'PROCESSED'), 0))`,
    sql`DELETE FROM revenue_lines WHERE transaction_id = ${guarded} AND gl_status IN ('NEW', 'REJECT')`,
    ...inserts,
  ];
}

/** Lines whose state forbids a revenue update (for the 409 message): IN PROCESS, or PROCESSED and changed. */
export async function blockingLines(
  db: Db,
  transactionId: number,
  update: readonly RevenueLine[] = [],
): Promise<RevenueLineRow[]> {
  const wanted = new Map(update.map((line) => [line.lineNumber, line]));
  return (await listLines(db, transactionId)).filter((line) => {
    if (line.glStatus === "IN PROCESS") return true;
    if (line.glStatus !== "PROCESSED") return false;
    const same = wanted.get(line.lineNumber);
    return !same || same.revenueAccount !== line.revenueAccount || same.revenueAmountCents !== line.revenueAmountCents;
  });
}

// ---------------------------------------------------------------- GL posting

/** Revenue lines waiting for posting: NEW lines of PAID payments, for partners with GL posting on. */
function postableLines(pbcRefNumber: string, glDate: string): SQL {
  return sql`revenue_lines.gl_status = 'NEW' AND revenue_lines.transaction_id IN (SELECT id FROM transactions
    WHERE pbc_ref_number = ${pbcRefNumber} AND gl_date = ${glDate} AND payment_status = 'PAID')`;
}

export function postableLinesExist(pbcRefNumber: string, glDate: string): SQL {
  return sql`EXISTS (SELECT 1 FROM revenue_lines WHERE ${postableLines(pbcRefNumber, glDate)})`;
}

/** (partner, GL date) groups with lines due: summarised in SQL, oldest first. */
export async function dueGroups(
  db: Db,
  lastDueGlDate: string,
  limit: number,
): Promise<Array<{ pbcRefNumber: string; glDate: string }>> {
  return runStatement<{ pbcRefNumber: string; glDate: string }>(
    db,
    sql`SELECT t.pbc_ref_number AS pbcRefNumber, t.gl_date AS glDate
      FROM transactions t JOIN partners p ON p.pbc_ref_number = t.pbc_ref_number
      WHERE t.payment_status = 'PAID' AND t.gl_date <= ${lastDueGlDate} AND p.gl_posting = 1 AND p.status = 'ACTIVE'
        AND EXISTS (SELECT 1 FROM revenue_lines r WHERE r.transaction_id = t.id AND r.gl_status = 'NEW')
      GROUP BY t.pbc_ref_number, t.gl_date ORDER BY t.gl_date, t.pbc_ref_number LIMIT ${limit}`,
  );
}

/** Ledger validation: lines whose account is not open in the partner's chart become REJECT. */
export function rejectClosedAccountsQuery(pbcRefNumber: string, glDate: string, notOpen: SQL, message: string): SQL {
  return sql`UPDATE revenue_lines SET gl_status = 'REJECT', gl_error_message = ${message}, gl_error_code = NULL
    WHERE ${postableLines(pbcRefNumber, glDate)} AND ${notOpen}`;
}

/** Claim the group's NEW lines for the batch: NEW -> IN PROCESS, each line in exactly one journal. */
export function claimLinesQuery(pbcRefNumber: string, glDate: string, batchId: SQL): SQL {
  return sql`UPDATE revenue_lines SET gl_status = 'IN PROCESS', gl_error_message = NULL, gl_error_code = NULL,
    feeder_file_id = NULL, journal_batch_id = ${batchId}
    WHERE ${postableLines(pbcRefNumber, glDate)} AND ${batchId} IS NOT NULL`;
}

/** The journal's credit side, computed by SQL (GROUP BY), never by loading lines into memory. */
export async function batchAccountTotals(db: Db, batchId: number) {
  return runStatement<{ account: string; amountCents: number; lineCount: number }>(
    db,
    sql`SELECT revenue_account AS account, SUM(revenue_amount_cents) AS amountCents, COUNT(*) AS lineCount
      FROM revenue_lines WHERE journal_batch_id = ${batchId} GROUP BY revenue_account ORDER BY revenue_account`,
  );
}

export interface DetailCursor {
  transactionId: number;
  lineNumber: number;
}

/**
 * A detail line as D1 returns it with `.raw()`: an array, not an object with named properties, so a
 * page of thousands of rows costs the Worker less heap (the detail export's memory is what limits it).
 */
export type BatchDetailRow = [
  transactionId: number,
  lineNumber: number,
  pbcTxnNumber: string,
  revenueAccount: string,
  amountCents: number,
  trnOrderId: string | null,
  paidAt: string | null,
  cardType: string | null,
  cardLastFour: string | null,
  authCode: string | null,
  description: string,
];

/** One page of a journal's lines, by keyset pagination on (transaction_id, line_number). */
export async function batchDetailPage(db: Db, batchId: number, after: DetailCursor, pageSize: number): Promise<BatchDetailRow[]> {
  return prepare(
    db,
    sql`SELECT r.transaction_id, r.line_number, t.pbc_txn_number, r.revenue_account, r.revenue_amount_cents, t.trn_order_id, t.paid_at,
        t.card_type, t.card_last_four, t.payment_auth_code, t.description
      FROM revenue_lines r JOIN transactions t ON t.id = r.transaction_id
      WHERE r.journal_batch_id = ${batchId} AND (r.transaction_id, r.line_number) > (${after.transactionId}, ${after.lineNumber})
      ORDER BY r.transaction_id, r.line_number LIMIT ${pageSize}`,
  ).raw<BatchDetailRow>();
}

/**
 * Record which feeder file each of a batch's lines went out in: GA takes the accounts of the home
 * client code, GI every other. Runs in the D1 batch that creates the file's row.
 */
export function assignFeederFileQuery(batchId: number, feederFileId: SQL, homeClientCode: string, batchType: "GA" | "GI"): SQL {
  const client = sql`substr(revenue_account, 1, 3)`;
  const home = homeClientCode.toUpperCase();
  return sql`UPDATE revenue_lines SET feeder_file_id = ${feederFileId}
    WHERE journal_batch_id = ${batchId} AND gl_status = 'IN PROCESS'
      AND ${batchType === "GA" ? sql`${client} = ${home}` : sql`${client} <> ${home}`}`;
}

// ---------------------------------------------------------------- ledger feedback

/**
 * The ledger rejected a file's lines (all of them, or one account's): IN PROCESS -> REJECT with its
 * message, which the partner sees as glErrorMessage and a revenue update re-posts. `unsettled` is
 * the file's guard, so feedback applies once.
 */
export function rejectFeederLinesQuery(
  feederFileId: number,
  account: string | null,
  code: string,
  message: string,
  unsettled: SQL,
): SQL {
  return sql`UPDATE revenue_lines SET gl_status = 'REJECT', gl_error_code = ${code}, gl_error_message = ${message}
    WHERE feeder_file_id = ${feederFileId} AND gl_status = 'IN PROCESS'
      ${account === null ? sql`` : sql`AND revenue_account = ${account}`} AND ${unsettled}`;
}

/** The rest of the file's lines were accepted (return code 0000): IN PROCESS -> PROCESSED. */
export function processFeederLinesQuery(feederFileId: number, unsettled: SQL): SQL {
  return sql`UPDATE revenue_lines SET gl_status = 'PROCESSED', gl_error_code = NULL, gl_error_message = NULL
    WHERE feeder_file_id = ${feederFileId} AND gl_status = 'IN PROCESS' AND ${unsettled}`;
}

export interface RejectedLine {
  pbcRefNumber: string;
  pbcTxnNumber: string;
  glDate: string;
  lineNumber: number;
  revenueAccount: string;
  amountCents: number;
  glErrorCode: string | null;
  glErrorMessage: string | null;
  feederFileId: number | null;
}

/** REJECT lines with their message, partner and GL date, newest GL date first (finance's "needs attention"). */
export async function listRejectedLines(db: Db, filter: { pbcRefNumber?: string; limit?: number } = {}): Promise<RejectedLine[]> {
  return runStatement<RejectedLine>(
    db,
    sql`SELECT t.pbc_ref_number AS pbcRefNumber, t.pbc_txn_number AS pbcTxnNumber, t.gl_date AS glDate, r.line_number AS lineNumber,
        r.revenue_account AS revenueAccount, r.revenue_amount_cents AS amountCents, r.gl_error_code AS glErrorCode,
        r.gl_error_message AS glErrorMessage, r.feeder_file_id AS feederFileId
      FROM revenue_lines r JOIN transactions t ON t.id = r.transaction_id
      WHERE r.gl_status = 'REJECT' ${filter.pbcRefNumber ? sql`AND t.pbc_ref_number = ${filter.pbcRefNumber}` : sql``}
      ORDER BY t.gl_date DESC, t.pbc_ref_number, t.id, r.line_number LIMIT ${Math.min(filter.limit ?? 200, 1000)}`,
  );
}

/** The lines of the transactions whose ids `transactionIds` selects (a search page), in line order. */
export function linesOfTransactionsQuery(db: Db, transactionIds: PageIds) {
  return db
    .select()
    .from(revenueLines)
    .where(inArray(revenueLines.transactionId, transactionIds))
    .orderBy(asc(revenueLines.transactionId), asc(revenueLines.lineNumber));
}
