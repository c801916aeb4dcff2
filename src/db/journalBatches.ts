/** Owns `journal_batches`: one row per posted journal (partner, GL date, sequence); the D1 record of each file set. */
import { and, asc, desc, eq, gte, inArray, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { journalBatches } from "./schema.ts";

export type JournalBatch = typeof journalBatches.$inferSelect;

/**
 * Create the next batch of a (partner, GL date) only if it has lines to post. The claim statement
 * that follows in the same D1 batch takes the newest batch of that group.
 */
export function createBatchIfWorkQuery(
  pbcRefNumber: string,
  glDate: string,
  workExists: SQL,
  now: Date,
  kind: JournalBatch["kind"] = "revenue",
): SQL {
  // Sequences are shared by revenue and refund journals of a (partner, GL date): names and R2 keys stay distinct.
  return sql`INSERT INTO journal_batches (pbc_ref_number, gl_date, sequence, status, claimed_at, kind)
    SELECT ${pbcRefNumber}, ${glDate},
      (SELECT COALESCE(MAX(sequence), 0) + 1 FROM journal_batches WHERE pbc_ref_number = ${pbcRefNumber} AND gl_date = ${glDate}),
      'CLAIMED', ${now.toISOString()}, ${kind}
    WHERE ${workExists}
    RETURNING id, sequence`;
}

/** The refund (reversal) batch just created for a group, for the claim statement in the same D1 batch. */
export function newestRefundBatchId(pbcRefNumber: string, glDate: string): SQL {
  return sql`(SELECT MAX(id) FROM journal_batches WHERE pbc_ref_number = ${pbcRefNumber} AND gl_date = ${glDate}
    AND kind = 'refund' AND status = 'CLAIMED')`;
}

export function newestBatchId(pbcRefNumber: string, glDate: string): SQL {
  return sql`(SELECT MAX(id) FROM journal_batches WHERE pbc_ref_number = ${pbcRefNumber} AND gl_date = ${glDate})`;
}

export async function findBatch(db: Db, id: number): Promise<JournalBatch | undefined> {
  return db.select().from(journalBatches).where(eq(journalBatches.id, id)).get();
}

/** The batches of these ids (a payment's history: the journals its lines went out in). */
export async function findBatches(db: Db, ids: readonly number[]): Promise<JournalBatch[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(journalBatches)
    .where(inArray(journalBatches.id, [...ids]))
    .orderBy(asc(journalBatches.id))
    .all();
}

export async function listClaimedBatches(db: Db, limit: number, kind: JournalBatch["kind"] = "revenue"): Promise<JournalBatch[]> {
  return db
    .select()
    .from(journalBatches)
    .where(and(eq(journalBatches.status, "CLAIMED"), eq(journalBatches.kind, kind)))
    .orderBy(asc(journalBatches.id))
    .limit(limit)
    .all();
}

export interface PostedTotals {
  lineCount: number;
  accountCount: number;
  debitTotalCents: number;
  creditTotalCents: number;
  files: Record<string, { key: string; sha256: string; size: number }>;
}

export function markPostedQuery(db: Db, id: number, totals: PostedTotals, now: Date) {
  return db
    .update(journalBatches)
    .set({
      status: "POSTED",
      lineCount: totals.lineCount,
      accountCount: totals.accountCount,
      debitTotalCents: totals.debitTotalCents,
      creditTotalCents: totals.creditTotalCents,
      files: JSON.stringify(totals.files),
      postedAt: now.toISOString(),
    })
    .where(and(eq(journalBatches.id, id), eq(journalBatches.status, "CLAIMED")));
}

export interface BatchFilter {
  from?: string | undefined;
  to?: string | undefined;
  pbcRefNumber?: string | undefined;
  limit?: number | undefined;
}

export async function listBatches(db: Db, filter: BatchFilter): Promise<JournalBatch[]> {
  const conditions: SQL[] = [];
  if (filter.from) conditions.push(gte(journalBatches.glDate, filter.from));
  if (filter.to) conditions.push(lte(journalBatches.glDate, filter.to));
  if (filter.pbcRefNumber) conditions.push(eq(journalBatches.pbcRefNumber, filter.pbcRefNumber));
  return db
    .select()
    .from(journalBatches)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(journalBatches.glDate), asc(journalBatches.pbcRefNumber), asc(journalBatches.sequence))
    .limit(Math.min(filter.limit ?? 200, 1000))
    .all();
}

/** Every POSTED batch's recorded totals beside the sum of the lines that carry its id (reconciliation). */
export async function postedBatchTotals(db: Db) {
  const rows = await db.all<{ id: number; debit: number; credit: number; lines: number }>(sql`SELECT b.id,
      COALESCE(b.debit_total_cents, 0) AS debit, COALESCE(b.credit_total_cents, 0) AS credit,
      CASE b.kind WHEN 'refund'
        THEN (SELECT COALESCE(SUM(amount_cents), 0) FROM refund_lines WHERE journal_batch_id = b.id AND gl_status <> 'RJCT')
        ELSE (SELECT COALESCE(SUM(revenue_amount_cents), 0) FROM revenue_lines WHERE journal_batch_id = b.id AND gl_status <> 'REJECT') END AS lines
    FROM journal_batches b WHERE b.status = 'POSTED' ORDER BY b.id`);
  return rows.map((row) => ({
    batchId: row.id,
    debitTotalCents: row.debit,
    creditTotalCents: row.credit,
    linesCents: row.lines,
  }));
}
