/** Owns `ledger_feedback_files`: every FEEDBACK/ACK file received from the ledger and its outcome. */
import { asc, desc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { type LedgerFeedbackFile, ledgerFeedbackFiles } from "./schema.ts";

export interface ReceivedFile {
  fileName: string;
  kind: "FEEDBACK" | "ACK";
  sha256: string;
  size: number;
  r2Key: string;
  source: "inbox" | "upload";
  receivedBy: string;
}

/** Record a file once: the same bytes again return the existing row (and `created: false`). */
export async function recordFeedbackFile(
  db: Db,
  file: ReceivedFile,
  now: Date,
): Promise<{ row: LedgerFeedbackFile; created: boolean }> {
  const inserted = await db
    .insert(ledgerFeedbackFiles)
    .values({ ...file, status: "RECEIVED", receivedAt: now.toISOString() })
    .onConflictDoNothing({ target: ledgerFeedbackFiles.sha256 })
    .returning()
    .get();
  if (inserted) return { row: inserted, created: true };
  const existing = await db.select().from(ledgerFeedbackFiles).where(eq(ledgerFeedbackFiles.sha256, file.sha256)).get();
  if (!existing) throw new Error("feedback file vanished after a conflicting insert");
  return { row: existing, created: false };
}

export async function findFeedbackFile(db: Db, id: number): Promise<LedgerFeedbackFile | undefined> {
  return db.select().from(ledgerFeedbackFiles).where(eq(ledgerFeedbackFiles.id, id)).get();
}

/** The feedback files of these ids (what settled a payment's feeder files). */
export async function findFeedbackFiles(db: Db, ids: readonly number[]): Promise<LedgerFeedbackFile[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(ledgerFeedbackFiles)
    .where(inArray(ledgerFeedbackFiles.id, [...ids]))
    .orderBy(asc(ledgerFeedbackFiles.id))
    .all();
}

export async function listFeedbackFiles(db: Db, limit: number): Promise<LedgerFeedbackFile[]> {
  return db.select().from(ledgerFeedbackFiles).orderBy(desc(ledgerFeedbackFiles.id)).limit(Math.min(limit, 500)).all();
}

/** Files a crashed run left half-done. */
export async function listUnprocessedFeedbackFiles(db: Db, limit: number): Promise<LedgerFeedbackFile[]> {
  return db
    .select()
    .from(ledgerFeedbackFiles)
    .where(eq(ledgerFeedbackFiles.status, "RECEIVED"))
    .orderBy(asc(ledgerFeedbackFiles.id))
    .limit(limit)
    .all();
}

export function finishFeedbackFileQuery(id: number, status: "PROCESSED" | "PROBLEMS", outcome: unknown, now: Date) {
  return sql`UPDATE ledger_feedback_files SET status = ${status}, outcome = ${JSON.stringify(outcome)}, processed_at = ${now.toISOString()}
    WHERE id = ${id} AND status = 'RECEIVED'`;
}
