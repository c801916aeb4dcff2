/**
 * The nightly GL posting ("Financial Accounting data flow"): for every due GL date and partner with
 * GL posting on, reject lines whose account is not open, claim the rest (NEW -> IN PROCESS), record
 * one ledger feeder file per batch type (GA: home client code, GI: others) with its unique inbox name,
 * and write the journal files to R2 once. Lines stay IN PROCESS until the ledger's feedback accepts
 * them (services/ledgerFeedback.ts): only then are they PROCESSED and their payments CMPLT.
 *
 * Safe to run twice, late, overlapping or after a crash: the claim is one atomic D1 statement, so a
 * line is in exactly one batch; the feeder files' rows (names, journals) are created in one D1 batch
 * before anything is written, every file's content is determined by those rows and written only if
 * absent; a batch left CLAIMED by a crashed run is finished by the next run.
 */
import type { SQL } from "drizzle-orm";
import type { LedgerConfig } from "../config.ts";
import { runBatch } from "../db/batch.ts";
import { accountNotOpenCondition } from "../db/chartOfAccounts.ts";
import type { Db } from "../db/client.ts";
import {
  createBatchIfWorkQuery,
  findBatch,
  type JournalBatch,
  listClaimedBatches,
  markPostedQuery,
  newestBatchId,
  type PostedTotals,
} from "../db/journalBatches.ts";
import { feederFilesOf } from "../db/ledgerFeederFiles.ts";
import { findPartner } from "../db/partners.ts";
import {
  assignFeederFileQuery,
  batchAccountTotals,
  batchDetailPage,
  claimLinesQuery,
  type DetailCursor,
  dueGroups,
  postableLinesExist,
  rejectClosedAccountsQuery,
} from "../db/revenueLines.ts";
import type { JournalKind, LedgerFeederFile } from "../db/schema.ts";
import { ledgerEffectiveDate } from "../domain/businessDays.ts";
import { addDays, cutoffInstant, formatPacificTime, pacificDate } from "../domain/businessTime.ts";
import {
  type AccountTotal,
  buildJournal,
  type Journal,
  type JournalInput,
  journalObjectPrefix,
  splitCreditsByClient,
} from "../domain/journal.ts";
import {
  DETAIL_CSV_PREAMBLE,
  type DetailRowCells,
  detailRowRenderer,
  detailRowWriter,
  renderJournalCsv,
} from "../domain/journalCsv.ts";
import { formatCents } from "../domain/money.ts";
import { catalogue } from "../i18n/index.ts";
import { sha256Hex } from "../lib/crypto.ts";
import { bytesToHex } from "../lib/encoding.ts";
import type { Logger } from "../lib/logger.ts";
import type { AuditRecorder } from "./audit.ts";
import { feederFileJournal, recordFeederFiles, renderFeederFileOf } from "./ledgerFiles.ts";

export const INVALID_ACCOUNT_MESSAGE = "Invalid revenue account";
const BRAND_NAMES = catalogue("en").brands;

/** The brand's name for people and merchant statements (Visa), from the card type code kept (VI). */
export function cardBrandName(cardType: string | null): string {
  return cardType ? (BRAND_NAMES[cardType] ?? cardType) : "";
}

/** A GL date is posted once its cut-off has passed by this much (late commits of approvals). */
export const POSTING_GRACE_MS = 30 * 60_000;
/**
 * Rows per keyset page of the detail file; 1,000,000 lines take 200 queries. Smaller pages keep the
 * heap down (locally, reading 1,000,000 lines grew the runtime by 130 MB at 5,000 rows, 193 MB at
 * 10,000; 2,000 rows saved little more, 120 MB, for 2.5 times the queries).
 */
export const DETAIL_PAGE_SIZE = 5_000;
/** Queries kept back for what follows the detail file (finishing the batch). */
const DETAIL_BUDGET_RESERVE = 10;
/** R2 multipart parts must be at least 5 MiB, except the last. */
export const PART_SIZE = 5 * 1024 * 1024;
/** Stay well inside D1's 1,000 queries per invocation. */
export const QUERY_BUDGET = 800;

export interface GlPostingDeps {
  db: Db;
  bucket: R2Bucket;
  ledger: LedgerConfig;
  audit: AuditRecorder;
  log: Logger;
  now: Date;
  /** Test hook: called after each step, so a test can make the run die there. */
  afterStep?: (step: PostingStep, batchId: number) => void | Promise<void>;
}

export type PostingStep =
  | "claimed"
  | "feeder-files"
  | "journal.csv"
  | "feeder"
  | "trigger"
  | "detail.csv"
  | "manifest.json"
  | "posted";

export interface PostingReport {
  lastDueGlDate: string;
  rejectedGroups: number;
  batchesPosted: Array<{
    id: number;
    pbcRefNumber: string;
    glDate: string;
    sequence: number;
    lines: number;
    totalCents: number;
    /** The feeder files (inbox names) the batch went out in. */
    feederFiles: string[];
  }>;
  queries: number;
}

/** The latest GL date whose cut-off (plus grace) has passed: decided here, so the cron never changes with DST. */
export function lastDueGlDate(now: Date): string {
  const today = pacificDate(now);
  return now.getTime() >= cutoffInstant(today).getTime() + POSTING_GRACE_MS ? today : addDays(today, -1);
}

export class Budget {
  used = 0;
  spend(count = 1): void {
    this.used += count;
  }
  get exhausted(): boolean {
    return this.used >= QUERY_BUDGET;
  }
}

export async function runGlPosting(deps: GlPostingDeps): Promise<PostingReport> {
  const budget = new Budget();
  const report: PostingReport = { lastDueGlDate: lastDueGlDate(deps.now), rejectedGroups: 0, batchesPosted: [], queries: 0 };

  // First finish what a crashed or overlapping run left claimed.
  budget.spend();
  for (const batch of await listClaimedBatches(deps.db, 20)) {
    if (budget.exhausted) break;
    await postBatch(deps, batch, budget, report);
  }

  while (!budget.exhausted) {
    budget.spend();
    const groups = await dueGroups(deps.db, report.lastDueGlDate, 20);
    if (groups.length === 0) break;
    for (const group of groups) {
      if (budget.exhausted) break;
      const batch = await claimGroup(deps, group.pbcRefNumber, group.glDate, budget, report);
      if (batch) await postBatch(deps, batch, budget, report);
    }
  }
  report.queries = budget.used;
  deps.log.info("gl posting finished", { ...report, batchesPosted: report.batchesPosted.length });
  return report;
}

async function claimGroup(
  deps: GlPostingDeps,
  pbcRefNumber: string,
  glDate: string,
  budget: Budget,
  report: PostingReport,
): Promise<JournalBatch | null> {
  const { db, now } = deps;
  const batchId = newestBatchId(pbcRefNumber, glDate);
  budget.spend(3);
  const results = await runBatch(db, [
    rejectClosedAccountsQuery(pbcRefNumber, glDate, accountNotOpenCondition(pbcRefNumber), INVALID_ACCOUNT_MESSAGE),
    createBatchIfWorkQuery(pbcRefNumber, glDate, postableLinesExist(pbcRefNumber, glDate), now),
    claimLinesQuery(pbcRefNumber, glDate, batchId),
  ]);
  const rejected = results[0]?.meta.changes ?? 0;
  if (rejected > 0) {
    report.rejectedGroups++;
    await deps.audit("gl.lines_rejected", "failure", {
      target: `${pbcRefNumber}/${glDate}`,
      detail: { lines: rejected, reason: INVALID_ACCOUNT_MESSAGE },
    });
  }
  const created = results[1]?.results[0] as { id: number; sequence: number } | undefined;
  if (!created) return null; // nothing left to post (all rejected, or another run claimed it)
  budget.spend();
  const batch = await findBatch(db, created.id);
  if (!batch) return null;
  await deps.afterStep?.("claimed", batch.id);
  return batch;
}

export interface FileRecord {
  key: string;
  sha256: string;
  size: number;
}

/** How one kind of journal (revenue, refund reversal) turns a claimed batch into GA/GI feeder files. */
export interface FeederFileKind {
  journalKind: JournalKind;
  /** Amount per account of the batch's lines. */
  accountTotals: (db: Db, batchId: number) => Promise<AccountTotal[]>;
  /** The journal of those amounts (`credits` are the accounts' amounts, whichever side they go on). */
  build: (input: JournalInput) => Journal;
  /** Marks the batch's lines of one batch type with the feeder file that carries them. */
  assignLines: (batchId: number, feederFileId: SQL, homeClientCode: string, type: "GA" | "GI") => SQL;
}

const REVENUE_FEEDER_FILES: FeederFileKind = {
  journalKind: "payment",
  accountTotals: batchAccountTotals,
  build: buildJournal,
  assignLines: assignFeederFileQuery,
};

/**
 * The steps every journal kind (revenue, refund reversal) shares after its claim: the partner's cash
 * account, the feeder files recorded once, then the journal and feeder files written (each only if
 * absent). Undefined, logged, when the partner has no cash account: the batch waits for one.
 */
export async function writeJournalFiles(deps: GlPostingDeps, batch: JournalBatch, budget: Budget, kind: FeederFileKind) {
  budget.spend();
  const partner = await findPartner(deps.db, batch.pbcRefNumber);
  if (!partner?.cashAccount) {
    deps.log.error(`${kind.journalKind} posting: partner has no cash account`, {
      pbcRefNumber: batch.pbcRefNumber,
      batchId: batch.id,
    });
    return undefined;
  }
  const feederFiles = await ensureFeederFiles(
    deps,
    batch,
    { name: partner.name, cashAccount: partner.cashAccount },
    budget,
    kind,
  );
  await deps.afterStep?.("feeder-files", batch.id);
  const journals = feederFiles.map(feederFileJournal);
  const prefix = journalObjectPrefix(batch.pbcRefNumber, batch.glDate, batch.sequence);
  const files = await putJournalFiles(deps, batch.id, prefix, journals, feederFiles);
  return { partner, feederFiles, journals, prefix, files };
}

/** The batch's feeder files (GA and/or GI by the accounts' client code), recorded once before any file is written. */
async function ensureFeederFiles(
  deps: GlPostingDeps,
  batch: JournalBatch,
  partner: { name: string; cashAccount: string },
  budget: Budget,
  kind: FeederFileKind,
): Promise<LedgerFeederFile[]> {
  const { db, ledger } = deps;
  budget.spend(2);
  const existing = await feederFilesOf(db, kind.journalKind, batch.id);
  if (existing.length > 0) return existing;
  const split = splitCreditsByClient(await kind.accountTotals(db, batch.id), ledger.homeClientCode);
  const effectiveDate = ledgerEffectiveDate(batch.glDate, ledger.openFrom);
  const journals: Partial<Record<"GA" | "GI", Journal>> = {};
  for (const type of ["GA", "GI"] as const) {
    if (split[type].length === 0) continue;
    journals[type] = kind.build({
      pbcRefNumber: batch.pbcRefNumber,
      partnerName: partner.name,
      glDate: batch.glDate,
      sequence: batch.sequence,
      cashAccount: partner.cashAccount,
      credits: split[type],
      journalName: "", // named from the feeder file row's id (feederFileJournal)
      effectiveDate,
      lineStyle: ledger.lineStyle,
    });
  }
  budget.spend(4);
  return recordFeederFiles(db, ledger, deps.now, {
    journalKind: kind.journalKind,
    sourceBatchId: batch.id,
    pbcRefNumber: batch.pbcRefNumber,
    glDate: batch.glDate,
    journals,
    assignLines: (type, feederFileId) => kind.assignLines(batch.id, feederFileId, ledger.homeClientCode, type),
  });
}

/**
 * journal.csv, then each feeder file followed by its trigger (the ledger's transfer picks a file up
 * when its trigger appears), each written only if absent. Shared by revenue and refund journals.
 */
async function putJournalFiles(
  deps: GlPostingDeps,
  batchId: number,
  prefix: string,
  journals: Journal[],
  feederFiles: LedgerFeederFile[],
): Promise<Record<string, FileRecord>> {
  const { bucket } = deps;
  const files: Record<string, FileRecord> = {};
  files["journal.csv"] = await putOnce(bucket, `${prefix}journal.csv`, renderJournalCsv(journals), "text/csv; charset=utf-8");
  await deps.afterStep?.("journal.csv", batchId);
  for (const file of feederFiles) {
    files[`feeder-${file.batchType}`] = await putOnce(
      bucket,
      `${prefix}${file.fileName}`,
      renderFeederFileOf(file),
      "text/plain; charset=us-ascii",
    );
    await deps.afterStep?.("feeder", batchId);
    files[`trigger-${file.batchType}`] = await putOnce(bucket, `${prefix}${file.fileName}.TRG`, "", "text/plain");
    await deps.afterStep?.("trigger", batchId);
  }
  return files;
}

/** The totals a posted batch records, summed over its journals (one per feeder file). */
export function postedTotals(journals: readonly Journal[], files: Record<string, FileRecord>): PostedTotals {
  const sum = (pick: (journal: Journal) => number) => journals.reduce((total, journal) => total + pick(journal), 0);
  return {
    lineCount: sum((journal) => journal.revenueLineCount),
    accountCount: sum((journal) => journal.accountCount),
    debitTotalCents: sum((journal) => journal.debitTotalCents),
    creditTotalCents: sum((journal) => journal.creditTotalCents),
    files,
  };
}

/** Write the batch's files (each only if absent) and finish it. Idempotent. */
async function postBatch(deps: GlPostingDeps, batch: JournalBatch, budget: Budget, report: PostingReport): Promise<void> {
  const { db, bucket } = deps;
  const written = await writeJournalFiles(deps, batch, budget, REVENUE_FEEDER_FILES);
  if (!written) return;
  const { partner, feederFiles, journals, prefix, files } = written;
  const totals = postedTotals(journals, files);
  const lineCount = totals.lineCount;
  files["detail.csv"] = await writeDetail(deps, batch, `${prefix}detail.csv`, lineCount, budget);
  await deps.afterStep?.("detail.csv", batch.id);

  const manifest = {
    batchId: batch.id,
    pbcRefNumber: batch.pbcRefNumber,
    partnerName: partner.name,
    glDate: batch.glDate,
    sequence: batch.sequence,
    revenueLineCount: lineCount,
    journalLineCount: journals.reduce((total, journal) => total + journal.lines.length, 0),
    accountCount: totals.accountCount,
    debitTotal: formatCents(totals.debitTotalCents),
    creditTotal: formatCents(totals.creditTotalCents),
    createdAt: batch.claimedAt,
    ledgerFiles: feederFiles.map((file, index) => {
      const journal = journals[index] as Journal;
      return {
        fileName: file.fileName,
        batchType: file.batchType,
        batchNumber: file.id,
        journalName: journal.journalName,
        effectiveDate: journal.effectiveDate,
        fiscalYear: journal.fiscalYear,
        lineStyle: journal.lineStyle,
        revenueLineCount: journal.revenueLineCount,
        total: formatCents(journal.creditTotalCents),
      };
    }),
    files,
  };
  await putOnce(bucket, `${prefix}manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`, "application/json");
  await deps.afterStep?.("manifest.json", batch.id);

  // Lines stay IN PROCESS and payments PAID: the ledger's feedback decides (services/ledgerFeedback.ts).
  budget.spend();
  await runBatch(db, [markPostedQuery(db, batch.id, totals, deps.now)]);
  await deps.afterStep?.("posted", batch.id);
  const fileNames = feederFiles.map((file) => file.fileName);
  await deps.audit("gl.journal_posted", "success", {
    actor: "system:gl-posting",
    target: `${batch.pbcRefNumber}/${batch.glDate}/${batch.sequence}`,
    detail: { batchId: batch.id, lines: lineCount, totalCents: totals.debitTotalCents, feederFiles: fileNames },
  });
  report.batchesPosted.push({
    id: batch.id,
    pbcRefNumber: batch.pbcRefNumber,
    glDate: batch.glDate,
    sequence: batch.sequence,
    lines: lineCount,
    totalCents: totals.debitTotalCents,
    feederFiles: fileNames,
  });
}

const encoder = new TextEncoder();

/** Write-once put: an existing object is kept (and must hold the same bytes), never overwritten. */
export async function putOnce(bucket: R2Bucket, key: string, body: string, contentType: string): Promise<FileRecord> {
  const bytes = encoder.encode(body);
  const sha256 = await sha256Hex(bytes);
  const existing = await bucket.head(key);
  if (existing) return verifyExisting(existing, key, sha256, bytes.byteLength);
  const written = await bucket.put(key, bytes, {
    onlyIf: { etagDoesNotMatch: "*" },
    httpMetadata: { contentType },
    customMetadata: { sha256 },
    sha256,
  });
  if (written === null) {
    const raced = await bucket.head(key);
    if (!raced) throw new Error(`R2 refused to write ${key}`);
    return verifyExisting(raced, key, sha256, bytes.byteLength);
  }
  return { key, sha256, size: bytes.byteLength };
}

function verifyExisting(object: R2Object, key: string, sha256: string, size: number): FileRecord {
  if (object.customMetadata?.sha256 !== sha256) {
    throw new Error(`R2 object ${key} already exists with different content: refusing to overwrite a posted journal`);
  }
  return { key, sha256, size };
}

/**
 * The detail file (one row per revenue line; a million rows is ~100 MB): keyset pages from D1,
 * written row by row as bytes straight into one reused part buffer, each part hashed (DigestStream) and then
 * uploaded to R2 as a multipart upload. Memory is one page of rows plus one part, whatever the volume.
 */
async function writeDetail(
  deps: GlPostingDeps,
  batch: JournalBatch,
  key: string,
  lineCount: number,
  budget: Budget,
): Promise<FileRecord> {
  const { bucket, db } = deps;
  // Multipart objects appear only when complete: one that exists was fully written by an earlier run.
  const existing = await bucket.get(key);
  if (existing) {
    const digest = new crypto.DigestStream("SHA-256");
    await existing.body.pipeTo(digest);
    return { key, sha256: bytesToHex(new Uint8Array(await digest.digest)), size: existing.size };
  }

  const digest = new crypto.DigestStream("SHA-256");
  const hasher = digest.getWriter();
  const upload = await bucket.createMultipartUpload(key, { httpMetadata: { contentType: "text/csv; charset=utf-8" } });
  const parts: R2UploadedPart[] = [];
  // R2 wants every part but the last to be the same size: the buffer is cut at exactly PART_SIZE.
  // It is reused only after the hash and the upload of its bytes have resolved.
  const part = new Uint8Array(PART_SIZE);
  let filled = 0;
  let size = 0;
  const sendPart = async (bytes: Uint8Array) => {
    await hasher.write(bytes);
    parts.push(await upload.uploadPart(parts.length + 1, bytes));
    size += bytes.byteLength;
    filled = 0;
  };
  // The slow path, once per part: text that may not fit is encoded on its own and split at the byte.
  const spill = async (text: string) => {
    let bytes = encoder.encode(text);
    while (bytes.byteLength > 0) {
      const take = Math.min(bytes.byteLength, PART_SIZE - filled);
      part.set(bytes.subarray(0, take), filled);
      filled += take;
      bytes = bytes.subarray(take);
      if (filled === PART_SIZE) await sendPart(part);
    }
  };
  try {
    await spill(DETAIL_CSV_PREAMBLE);
    // Rows are written as bytes into the part; the last row of a part (or an odd one) goes through a string.
    const write = detailRowWriter(batch.glDate, batch.pbcRefNumber);
    const render = detailRowRenderer(batch.glDate, batch.pbcRefNumber);
    // A batch too big for the budget left at that page size reads bigger pages rather than overrun D1's limit.
    const pagesLeft = Math.max(1, QUERY_BUDGET - budget.used - DETAIL_BUDGET_RESERVE);
    const pageSize = Math.max(DETAIL_PAGE_SIZE, Math.ceil((lineCount + 1) / pagesLeft));
    let cursor: DetailCursor = { transactionId: 0, lineNumber: -1 };
    for (;;) {
      budget.spend();
      const rows = await batchDetailPage(db, batch.id, cursor, pageSize);
      for (const row of rows) {
        const [, lineNumber, pbcTxnNumber, revenueAccount, amountCents, trnOrderId, paidAt, cardType, lastFour, authCode, text] =
          row;
        const cells: DetailRowCells = [
          pbcTxnNumber,
          lineNumber,
          revenueAccount,
          amountCents,
          trnOrderId ?? "",
          paidAt ?? "",
          cardBrandName(cardType),
          lastFour ?? "",
          authCode ?? "",
          paidAt ? formatPacificTime(paidAt, { seconds: true }) : "",
          text,
        ];
        const end = write(part, filled, ...cells);
        if (end !== -1) filled = end;
        else await spill(render(...cells));
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < pageSize) break;
      cursor = { transactionId: last[0], lineNumber: last[1] };
    }
    if (filled > 0) await sendPart(part.subarray(0, filled));
    await hasher.close();
    const sha256 = bytesToHex(new Uint8Array(await digest.digest));
    // Multipart objects cannot take metadata at the end: the hash is in the manifest and in D1.
    await upload.complete(parts);
    return { key, sha256, size };
  } catch (error) {
    await upload.abort().catch(() => undefined);
    throw error;
  }
}
