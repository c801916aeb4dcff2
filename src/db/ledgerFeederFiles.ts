/**
 * Owns `ledger_feeder_files`: one row per feeder file sent to the ledger (one batch, one journal).
 * The row is created, with its unique file name, before any file is written, so a resumed run
 * writes the same file under the same name; the ledger's feedback settles it (SENT -> ACCEPTED,
 * PARTIAL or REJECTED) exactly once.
 */
import { and, asc, desc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { FeederBatchType } from "../domain/ledgerFeeder.ts";
import type { Db } from "./client.ts";
import { type JournalKind, type LedgerFeederFile, ledgerFeederFiles } from "./schema.ts";

export interface NewFeederFile {
  journalKind: JournalKind;
  sourceBatchId: number;
  pbcRefNumber: string;
  glDate: string;
  effectiveDate: string;
  batchType: FeederBatchType;
  feederNumber: string;
  ministryPrefix: string;
  fileName: string;
  /** JSON of the journal as rendered, without its name (the name is derived from the id). */
  journal: string;
  totalCents: number;
  lineCount: number;
}

/** The feeder files of one posted batch, GA before GI. */
export async function feederFilesOf(db: Db, journalKind: JournalKind, sourceBatchId: number): Promise<LedgerFeederFile[]> {
  return db
    .select()
    .from(ledgerFeederFiles)
    .where(and(eq(ledgerFeederFiles.journalKind, journalKind), eq(ledgerFeederFiles.sourceBatchId, sourceBatchId)))
    .orderBy(asc(ledgerFeederFiles.batchType))
    .all();
}

export async function feederFilesOfBatches(
  db: Db,
  journalKind: JournalKind,
  sourceBatchIds: number[],
): Promise<LedgerFeederFile[]> {
  if (sourceBatchIds.length === 0) return [];
  return db
    .select()
    .from(ledgerFeederFiles)
    .where(and(eq(ledgerFeederFiles.journalKind, journalKind), inArray(ledgerFeederFiles.sourceBatchId, sourceBatchIds)))
    .orderBy(asc(ledgerFeederFiles.id))
    .all();
}

export async function findFeederFile(db: Db, id: number): Promise<LedgerFeederFile | undefined> {
  return db.select().from(ledgerFeederFiles).where(eq(ledgerFeederFiles.id, id)).get();
}

/** The feeder files of these ids (a payment's history: the files its lines went out in). */
export async function findFeederFiles(db: Db, ids: readonly number[]): Promise<LedgerFeederFile[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(ledgerFeederFiles)
    .where(inArray(ledgerFeederFiles.id, [...ids]))
    .orderBy(asc(ledgerFeederFiles.id))
    .all();
}

/** The newest name used by a feeder number (names sort by their UTC stamp). */
export async function newestFeederFileName(db: Db, feederNumber: string): Promise<string | null> {
  const row = await db
    .select({ fileName: ledgerFeederFiles.fileName })
    .from(ledgerFeederFiles)
    .where(eq(ledgerFeederFiles.feederNumber, feederNumber))
    .orderBy(desc(ledgerFeederFiles.fileName))
    .limit(1)
    .get();
  return row?.fileName ?? null;
}

export function insertFeederFileQuery(db: Db, file: NewFeederFile, now: Date) {
  return db.insert(ledgerFeederFiles).values({ ...file, status: "SENT", createdAt: now.toISOString() });
}

/** SQL: the id of a batch's file of one type (for statements in the same D1 batch as its insert). */
export function feederFileIdSql(journalKind: JournalKind, sourceBatchId: number, batchType: FeederBatchType): SQL {
  return sql`(SELECT id FROM ledger_feeder_files WHERE journal_kind = ${journalKind} AND source_batch_id = ${sourceBatchId} AND batch_type = ${batchType})`;
}

/** SQL condition: the file is still waiting for the ledger. Every statement applying feedback checks it. */
export function feederFileUnsettled(id: number): SQL {
  return sql`EXISTS (SELECT 1 FROM ledger_feeder_files WHERE id = ${id} AND status = 'SENT')`;
}

/** Settle the file; the last statement of the D1 batch that applies its feedback. */
export function settleFeederFileQuery(
  id: number,
  status: "ACCEPTED" | "PARTIAL" | "REJECTED",
  feedbackFileId: number,
  now: Date,
): SQL {
  return sql`UPDATE ledger_feeder_files SET status = ${status}, feedback_file_id = ${feedbackFileId}, settled_at = ${now.toISOString()}
    WHERE id = ${id} AND status = 'SENT'`;
}

export async function listUnsettledFeederFiles(db: Db, limit: number): Promise<LedgerFeederFile[]> {
  return db
    .select()
    .from(ledgerFeederFiles)
    .where(eq(ledgerFeederFiles.status, "SENT"))
    .orderBy(asc(ledgerFeederFiles.id))
    .limit(limit)
    .all();
}
