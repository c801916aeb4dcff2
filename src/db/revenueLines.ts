/** Owns `revenue_lines`. */
import { asc, eq, type SQL, sql } from "drizzle-orm";
import type { RevenueLine } from "../domain/revenue.ts";
import type { Db } from "./client.ts";
import { type RevenueLineRow, revenueLines } from "./schema.ts";

/** Replace the lines of the transaction selected by `transactionIdSql` (no-op when it selects nothing). */
export function replaceLinesQueries(transactionIdSql: SQL, lines: readonly RevenueLine[]): SQL[] {
  return [
    sql`DELETE FROM revenue_lines WHERE transaction_id = ${transactionIdSql}`,
    ...lines.map(
      (line) =>
        sql`INSERT INTO revenue_lines (transaction_id, line_number, revenue_account, revenue_amount_cents, gl_status)
        SELECT id, ${line.lineNumber}, ${line.revenueAccount}, ${line.revenueAmountCents}, 'NEW'
        FROM transactions WHERE id = ${transactionIdSql}`,
    ),
  ];
}

export async function listLines(db: Db, transactionId: number): Promise<RevenueLineRow[]> {
  return db
    .select()
    .from(revenueLines)
    .where(eq(revenueLines.transactionId, transactionId))
    .orderBy(asc(revenueLines.lineNumber))
    .all();
}

/**
 * Replace a PAID payment's revenue lines, all or nothing. The guard statement marks the
 * transaction with this update's token only if it is PAID and every line is NEW or REJECT; the
 * other statements act only on a transaction carrying that token, so a batch whose guard failed
 * changes nothing, and concurrent updates (each one batch, one D1 transaction) never interleave.
 */
export function revenueUpdateQueries(transactionId: number, token: string, lines: readonly RevenueLine[], now: Date): SQL[] {
  const guarded = sql`(SELECT id FROM transactions WHERE id = ${transactionId} AND revenue_update_token = ${token})`;
  return [
    sql`UPDATE transactions SET revenue_update_token = ${token}, updated_at = ${now.toISOString()}
      WHERE id = ${transactionId} AND payment_status = 'PAID'
      AND NOT EXISTS (SELECT 1 FROM revenue_lines WHERE transaction_id = ${transactionId} AND gl_status NOT IN ('NEW', 'REJECT'))`,
    ...replaceLinesQueries(guarded, lines),
  ];
}

/** Lines whose state forbids a revenue update (for the 409 message). */
export async function blockingLines(db: Db, transactionId: number): Promise<RevenueLineRow[]> {
  return (await listLines(db, transactionId)).filter((line) => line.glStatus !== "NEW" && line.glStatus !== "REJECT");
}
