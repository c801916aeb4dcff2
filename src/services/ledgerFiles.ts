/**
 * Feeder files for any kind of journal (payments today, refund reversals next): the rules the ledger
 * needs are kept here once. A posting service builds its journals (one per batch type: GA for the
 * home client code's accounts, GI for the others) and hands them over; this records one
 * `ledger_feeder_files` row per journal with its unique inbox name and the journal as sent, in the
 * same D1 batch as the statements that tie the posted lines to their file. The rows then render the
 * feeder files byte for byte (a resumed run writes the same bytes under the same names) and are what
 * the ledger's feedback is matched against (services/ledgerFeedback.ts).
 */
import type { SQL } from "drizzle-orm";
import type { LedgerConfig } from "../config.ts";
import { runBatch, type Statement } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import { feederFileIdSql, feederFilesOf, insertFeederFileQuery, newestFeederFileName } from "../db/ledgerFeederFiles.ts";
import type { JournalKind, LedgerFeederFile } from "../db/schema.ts";
import type { Journal } from "../domain/journal.ts";
import {
  type FeederBatchType,
  feederFileInstant,
  ledgerJournalName,
  nextFeederFileName,
  renderFeederFile,
} from "../domain/ledgerFeeder.ts";

export interface FeederFileSpec {
  journalKind: JournalKind;
  /** The posting batch the files belong to (journal_batches.id for payments). */
  sourceBatchId: number;
  pbcRefNumber: string;
  glDate: string;
  /** Journals by batch type, built with `journalName: ""` (named from the row id) and the effective date. */
  journals: Partial<Record<FeederBatchType, Journal>>;
  /** Statement recording which file a line goes out in (runs in the same D1 batch as the row's insert). */
  assignLines(batchType: FeederBatchType, feederFileId: SQL): Statement;
}

interface StoredJournal {
  journal: Journal;
  supplierNumber: string;
}

function isUniqueViolation(error: unknown): boolean {
  return /UNIQUE constraint failed/i.test(String((error as Error)?.message ?? error));
}

/**
 * The files of a posting batch, created once. Names are unique across every file ever sent: `now`,
 * or one second after the newest name used; a concurrent run that took the same name makes the
 * D1 batch fail on the UNIQUE name, and it is retried with the next second (or finds the rows that
 * an overlapping run of the same batch created).
 */
export async function recordFeederFiles(
  db: Db,
  ledger: LedgerConfig,
  now: Date,
  spec: FeederFileSpec,
): Promise<LedgerFeederFile[]> {
  const existing = await feederFilesOf(db, spec.journalKind, spec.sourceBatchId);
  if (existing.length > 0) return existing;
  const types = (["GA", "GI"] as const).filter((type) => spec.journals[type] !== undefined);
  for (let attempt = 1; ; attempt++) {
    let name = await newestFeederFileName(db, ledger.feederNumber);
    const statements: Statement[] = [];
    for (const type of types) {
      const journal = spec.journals[type] as Journal;
      name = nextFeederFileName(ledger.feederNumber, now, name);
      const stored: StoredJournal = { journal, supplierNumber: ledger.supplierNumber };
      statements.push(
        insertFeederFileQuery(
          db,
          {
            journalKind: spec.journalKind,
            sourceBatchId: spec.sourceBatchId,
            pbcRefNumber: spec.pbcRefNumber,
            glDate: spec.glDate,
            effectiveDate: journal.effectiveDate,
            batchType: type,
            feederNumber: ledger.feederNumber,
            ministryPrefix: ledger.ministryPrefix,
            fileName: name,
            journal: JSON.stringify(stored),
            totalCents: journal.creditTotalCents,
            lineCount: journal.revenueLineCount,
          },
          now,
        ),
        spec.assignLines(type, feederFileIdSql(spec.journalKind, spec.sourceBatchId, type)),
      );
    }
    try {
      await runBatch(db, statements);
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= 5) throw error;
    }
    const files = await feederFilesOf(db, spec.journalKind, spec.sourceBatchId);
    if (files.length > 0) return files;
  }
}

/** The journal a feeder file row carries, named from the row's id (prefix + 8 digits). */
export function feederFileJournal(file: LedgerFeederFile): Journal {
  const stored = JSON.parse(file.journal) as StoredJournal;
  return { ...stored.journal, journalName: ledgerJournalName(file.ministryPrefix, file.id) };
}

/** The feeder file's bytes, from its row alone. */
export function renderFeederFileOf(file: LedgerFeederFile): string {
  const stored = JSON.parse(file.journal) as StoredJournal;
  return renderFeederFile(feederFileJournal(file), {
    feederNumber: file.feederNumber,
    batchNumber: file.id,
    ministryPrefix: file.ministryPrefix,
    batchType: file.batchType,
    supplierNumber: stored.supplierNumber,
    createdAt: feederFileInstant(file.fileName) ?? new Date(file.createdAt),
  });
}
