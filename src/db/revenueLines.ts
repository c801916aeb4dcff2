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
