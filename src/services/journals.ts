/**
 * What finance staff see of the nightly posting: journals with their files and the ledger's answer,
 * one file's bytes for download, and the ledger's feedback files. Routes turn these into pages,
 * JSON and downloads.
 */
import type { Db } from "../db/client.ts";
import { findBatch, type JournalBatch, listBatches } from "../db/journalBatches.ts";
import { findFeedbackFile, listFeedbackFiles } from "../db/ledgerFeedbackFiles.ts";
import { feederFilesOf, feederFilesOfBatches } from "../db/ledgerFeederFiles.ts";
import { partnerNames } from "../db/partners.ts";
import { listRejectedLines } from "../db/revenueLines.ts";
import type { LedgerFeedbackFile, LedgerFeederFile } from "../db/schema.ts";
import type { Journal } from "../domain/journal.ts";
import { formatCents } from "../domain/money.ts";
import { negativeAmount } from "../domain/refundCsv.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { type BatchOutcome, type FeedbackOutcome, storedOutcome } from "./ledgerFeedback.ts";
import { feederFileJournal } from "./ledgerFiles.ts";

export interface JournalFilters {
  from?: string;
  to?: string;
  partner?: string;
}

interface StoredFile {
  key: string;
  sha256: string;
  size: number;
}

function storedFiles(batch: JournalBatch): Record<string, StoredFile> {
  return batch.files ? (JSON.parse(batch.files) as Record<string, StoredFile>) : {};
}

/**
 * The name a journal's file is downloaded under: what it is, its GL date, partner and sequence
 * (journal-2026-11-30-10006-1.csv, detail-..., manifest-...; a refund journal's start refund-), so
 * a folder of downloads never holds two files of the same name. Feeder and trigger files keep the
 * ledger's own names (unique, and what the ledger's feedback refers to).
 */
export function downloadName(
  batch: Pick<JournalBatch, "kind" | "glDate" | "pbcRefNumber" | "sequence">,
  name: string,
  key: string,
) {
  const dot = name.lastIndexOf(".");
  if (dot <= 0) return key.slice(key.lastIndexOf("/") + 1);
  const kind = batch.kind === "refund" ? "refund-" : "";
  return `${kind}${name.slice(0, dot)}-${batch.glDate}-${batch.pbcRefNumber}-${batch.sequence}${name.slice(dot)}`;
}

export function journalSummary(batch: JournalBatch, ledgerFiles: LedgerFeederFile[] = [], partnerName: string | null = null) {
  const total = batch.debitTotalCents;
  const journalKind = journalKindOf(batch);
  return {
    id: batch.id,
    glDate: batch.glDate,
    pbcRefNumber: batch.pbcRefNumber,
    /** The partner's name as registered now (null if the partner is gone). */
    partnerName,
    sequence: batch.sequence,
    /** revenue (payments) or refund (a reversal journal). */
    kind: batch.kind,
    /** For people: money in positive, refunds negative (as GOV.UK Pay's reports show them). */
    amount: total === null ? null : batch.kind === "refund" ? negativeAmount(total) : formatCents(total),
    status: batch.status,
    lineCount: batch.lineCount,
    accountCount: batch.accountCount,
    debitTotal: batch.debitTotalCents === null ? null : formatCents(batch.debitTotalCents),
    creditTotal: batch.creditTotalCents === null ? null : formatCents(batch.creditTotalCents),
    createdAt: batch.claimedAt,
    postedAt: batch.postedAt,
    /** The manifest of a posted journal: its download name (GET .../files/manifest.json). */
    manifest: manifestKey(batch) ? downloadName(batch, MANIFEST, MANIFEST) : null,
    files: Object.entries(storedFiles(batch)).map(([name, file]) => ({
      name,
      fileName: downloadName(batch, name, file.key),
      sha256: file.sha256,
      size: file.size,
    })),
    /** The feeder files sent to the ledger and what its feedback said (SENT until then). */
    ledger: ledgerFiles
      .filter((file) => file.sourceBatchId === batch.id && file.journalKind === journalKind)
      .map((file) => ({
        fileName: file.fileName,
        batchType: file.batchType,
        batchNumber: file.id,
        effectiveDate: file.effectiveDate,
        status: file.status,
        settledAt: file.settledAt,
      })),
  };
}
export type JournalSummary = ReturnType<typeof journalSummary>;

function journalKindOf(batch: JournalBatch) {
  return batch.kind === "refund" ? ("refund" as const) : ("payment" as const);
}

/** Posted revenue, refunds (negative) and the net of a list of journals. */
export function journalTotals(batches: readonly JournalBatch[]) {
  let revenue = 0;
  let refunds = 0;
  for (const batch of batches) {
    if (batch.status !== "POSTED" || batch.debitTotalCents === null) continue;
    if (batch.kind === "refund") refunds += batch.debitTotalCents;
    else revenue += batch.debitTotalCents;
  }
  const net = revenue - refunds;
  return {
    revenue: formatCents(revenue),
    refunds: negativeAmount(refunds),
    net: net < 0 ? negativeAmount(-net) : formatCents(net),
  };
}
export type JournalTotals = ReturnType<typeof journalTotals>;

export async function listJournals(
  db: Db,
  filters: JournalFilters,
): Promise<{ journals: JournalSummary[]; totals: JournalTotals }> {
  const batches = await listBatches(db, { from: filters.from, to: filters.to, pbcRefNumber: filters.partner });
  const ids = (kind: JournalBatch["kind"]) => batches.filter((batch) => batch.kind === kind).map((batch) => batch.id);
  const [payments, refunds, names] = await Promise.all([
    feederFilesOfBatches(db, "payment", ids("revenue")),
    feederFilesOfBatches(db, "refund", ids("refund")),
    partnerNames(db),
  ]);
  const ledgerFiles = [...payments, ...refunds];
  return {
    journals: batches.map((batch) => journalSummary(batch, ledgerFiles, names.get(batch.pbcRefNumber) ?? null)),
    totals: journalTotals(batches),
  };
}

/**
 * One journal for its own page and GET /finance/api/journals/:id: the summary, each journal line
 * as it went to the ledger (from the feeder files' rows), and the control totals a reviewer ticks
 * against the ledger. The totals live here and in the manifest, never as rows of a CSV file, so a
 * spreadsheet pivot over the files does not count them twice.
 */
export async function journalDetail(db: Db, id: number) {
  const batch = Number.isSafeInteger(id) ? await findBatch(db, id) : undefined;
  if (!batch) return null;
  const [feederFiles, names] = await Promise.all([feederFilesOf(db, journalKindOf(batch), batch.id), partnerNames(db)]);
  const journals = feederFiles.map((file) => ({ file, journal: feederFileJournal(file) }));
  const sum = (pick: (journal: Journal) => number) => journals.reduce((total, { journal }) => total + pick(journal), 0);
  return {
    ...journalSummary(batch, feederFiles, names.get(batch.pbcRefNumber) ?? null),
    /** Control totals of the journal as sent (the same figures as its manifest). */
    totals: {
      debitTotal: formatCents(sum((journal) => journal.debitTotalCents)),
      creditTotal: formatCents(sum((journal) => journal.creditTotalCents)),
      journalLineCount: sum((journal) => journal.lines.length),
      revenueLineCount: sum((journal) => journal.revenueLineCount),
      accountCount: sum((journal) => journal.accountCount),
    },
    journals: journals.map(({ file, journal }) => ({
      batchType: file.batchType,
      fileName: file.fileName,
      journalName: journal.journalName,
      effectiveDate: journal.effectiveDate,
      debitTotal: formatCents(journal.debitTotalCents),
      creditTotal: formatCents(journal.creditTotalCents),
      lines: journal.lines.map((line) => ({
        lineNumber: line.lineNumber,
        account: line.account,
        debit: line.side === "D" ? formatCents(line.amountCents) : null,
        credit: line.side === "C" ? formatCents(line.amountCents) : null,
        description: line.description,
        revenueLineCount: line.revenueLineCount,
      })),
    })),
  };
}
export type JournalDetail = NonNullable<Awaited<ReturnType<typeof journalDetail>>>;

/** The journal's manifest (written last, beside its files; what each file holds and its SHA-256). */
export const MANIFEST = "manifest.json";

/** Where a posted journal's manifest is: next to its journal.csv. */
function manifestKey(batch: JournalBatch): string | null {
  const journal = storedFiles(batch)["journal.csv"];
  return batch.status === "POSTED" && journal ? `${journal.key.slice(0, journal.key.lastIndexOf("/") + 1)}${MANIFEST}` : null;
}

/** One of a journal's files (or its manifest), read from R2; null when the journal, the file or the object is missing. */
export async function journalFile(db: Db, bucket: R2Bucket, batchId: number, name: string) {
  const batch = Number.isSafeInteger(batchId) ? await findBatch(db, batchId) : undefined;
  if (batch && name === MANIFEST) {
    const key = manifestKey(batch);
    const object = key ? await bucket.get(key) : null;
    if (!key || !object) return key ? { batch, stored: { key, sha256: "", size: 0 }, object: null } : null;
    // Not recorded in D1 (it lists the others' hashes); small, so hashed as it is read.
    const bytes = new Uint8Array(await object.arrayBuffer());
    const sha256 = await sha256Hex(bytes);
    return {
      batch,
      stored: { key, sha256, size: bytes.length },
      fileName: downloadName(batch, MANIFEST, key),
      object: { body: bytes, size: bytes.length, httpMetadata: { contentType: "application/json" } },
    };
  }
  const stored = batch ? storedFiles(batch)[name] : undefined;
  if (!batch || !stored) return null;
  const object = await bucket.get(stored.key);
  if (!object) return { batch, stored, object: null };
  return { batch, stored, fileName: downloadName(batch, name, stored.key), object };
}

/** A feedback outcome's batches with the partner's name beside its number. */
export function withPartnerNames<T extends { batches: BatchOutcome[] }>(outcome: T, names: Map<string, string>) {
  return {
    ...outcome,
    batches: outcome.batches.map((batch) => ({ ...batch, partnerName: names.get(batch.pbcRefNumber) ?? null })),
  };
}
export type NamedFeedbackOutcome = ReturnType<typeof withPartnerNames<FeedbackOutcome>>;

/** What the ledger's file did, as finance staff read it (partners named). */
export async function namedOutcome(db: Db, outcome: FeedbackOutcome): Promise<NamedFeedbackOutcome> {
  return withPartnerNames(outcome, await partnerNames(db));
}

export function feedbackSummary(row: LedgerFeedbackFile, names: Map<string, string> = new Map()) {
  const outcome = withPartnerNames(storedOutcome(row), names);
  return {
    id: row.id,
    fileName: row.fileName,
    kind: row.kind,
    source: row.source,
    receivedBy: row.receivedBy,
    receivedAt: row.receivedAt,
    processedAt: row.processedAt,
    status: row.status,
    sha256: row.sha256,
    linesProcessed: outcome.linesProcessed,
    linesRejected: outcome.linesRejected,
    batches: outcome.batches,
    problems: outcome.problems,
  };
}

export async function listFeedback(db: Db, limit: number) {
  const [rows, names] = await Promise.all([listFeedbackFiles(db, limit), partnerNames(db)]);
  return rows.map((row) => feedbackSummary(row, names));
}

export async function findFeedback(db: Db, id: number) {
  const row = Number.isSafeInteger(id) ? await findFeedbackFile(db, id) : undefined;
  return row ? feedbackSummary(row, await partnerNames(db)) : null;
}

/** The most lines "Needs attention" lists at once (oldest beyond it appear as the newest are fixed). */
export const REJECTS_SHOWN = 500;

/**
 * Needs attention: revenue lines the ledger rejected (REJECT), with the ledger's message, the partner
 * by number and name, the GL date and the amount; newest GL date first. A line leaves the list once a
 * revenue update corrects it and it is posted again.
 */
export async function rejectedLines(db: Db, filter: { partner?: string } = {}) {
  const [lines, names] = await Promise.all([
    listRejectedLines(db, { ...(filter.partner ? { pbcRefNumber: filter.partner } : {}), limit: REJECTS_SHOWN }),
    partnerNames(db),
  ]);
  return lines.map((line) => ({
    pbcRefNumber: line.pbcRefNumber,
    partnerName: names.get(line.pbcRefNumber) ?? null,
    pbcTxnNumber: line.pbcTxnNumber,
    glDate: line.glDate,
    lineNumber: line.lineNumber,
    revenueAccount: line.revenueAccount,
    amount: formatCents(line.amountCents),
    amountCents: line.amountCents,
    glErrorCode: line.glErrorCode,
    glErrorMessage: line.glErrorMessage,
  }));
}

export type RejectedLineRow = Awaited<ReturnType<typeof rejectedLines>>[number];
