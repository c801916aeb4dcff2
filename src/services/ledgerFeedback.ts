/**
 * Ledger feedback: the CAS ledger's FEEDBACK.* files settle the feeder files we sent (ACK.* files are
 * receipts, kept and nothing more). Files arrive in R2 under `ledger-inbox/` (the file transfer's
 * side; read by every scheduled run), or are uploaded by finance staff (pages, API, `npm run journals
 * -- feedback <file>`) and processed at once.
 *
 * Each file is kept once (R2 `ledger-feedback/<sha256>`, a `ledger_feedback_files` row keyed by the
 * hash): the same bytes twice change nothing the second time. Every batch in it is matched by content
 * (batch number, journal name, line number, amount, side, flow-through) against the feeder file row
 * and applied in one D1 batch guarded by that row still being SENT, so a crash mid-file resumes (the
 * row stays RECEIVED and the next run finishes it) and nothing is applied twice. What matches nothing
 * we sent is reported in the outcome, never guessed at.
 */
import type { SQL } from "drizzle-orm";
import type { LedgerConfig } from "../config.ts";
import { runBatch, type Statement } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import {
  findFeedbackFile,
  finishFeedbackFileQuery,
  listUnprocessedFeedbackFiles,
  recordFeedbackFile,
} from "../db/ledgerFeedbackFiles.ts";
import { feederFileUnsettled, findFeederFile, settleFeederFileQuery } from "../db/ledgerFeederFiles.ts";
import { recordRefundFeedbackEventsQuery } from "../db/paymentEvents.ts";
import { acceptRefundFeederLinesQuery, rejectRefundFeederLinesQuery } from "../db/refunds.ts";
import { processFeederLinesQuery, rejectFeederLinesQuery } from "../db/revenueLines.ts";
import type { JournalKind, LedgerFeedbackFile, LedgerFeederFile } from "../db/schema.ts";
import { completeFeederFileQuery } from "../db/transactions.ts";
import { type LedgerFileKind, ledgerFileKind, parseFeedback, type Settlement, settleBatch } from "../domain/ledgerFeedback.ts";
import { parseLedgerJournalName } from "../domain/ledgerFeeder.ts";
import { sha256Hex } from "../lib/crypto.ts";
import type { Logger } from "../lib/logger.ts";
import type { AuditRecorder } from "./audit.ts";
import { feederFileJournal } from "./ledgerFiles.ts";
import type { Notifier } from "./notifications.ts";

export const LEDGER_INBOX_PREFIX = "ledger-inbox/";
export const LEDGER_FEEDBACK_PREFIX = "ledger-feedback/";
/** A feedback file is a few hundred bytes a line; 20 MiB is far beyond any real one. */
export const MAX_FEEDBACK_BYTES = 20 * 1024 * 1024;
/** Files read from the inbox per run (each costs a few D1 queries per batch in it). */
const INBOX_FILES_PER_RUN = 50;

export interface FeedbackDeps {
  db: Db;
  bucket: R2Bucket;
  ledger: LedgerConfig;
  audit: AuditRecorder;
  /** `payment.posted` for the payments the ledger's acceptance completes, in the same batch. */
  notify: Notifier;
  log: Logger;
  now: Date;
  /** Test hook: called after each batch of a file is applied, so a test can make the run die there. */
  afterBatch?: (feederFileId: number) => void | Promise<void>;
}

/**
 * How feedback moves one kind of journal's lines: payment revenue lines here; refund lines plug in
 * their own (INPRG -> CMPLT / RJCT) with the same matching, guard and bookkeeping.
 */
export interface LineLedger {
  /** The ledger rejected the file's lines (account null: all of them). */
  reject(feederFileId: number, account: string | null, code: string, message: string, unsettled: SQL): Statement;
  /** The file's remaining lines were accepted. */
  accept(feederFileId: number, unsettled: SQL): Statement;
  /** What completes once its lines are accepted (payments CMPLT when all their lines are PROCESSED). */
  complete(feederFileId: number, now: Date): Statement;
}

const paymentLines: LineLedger = {
  reject: (id, account, code, message, unsettled) => rejectFeederLinesQuery(id, account, code, message, unsettled),
  accept: (id, unsettled) => processFeederLinesQuery(id, unsettled),
  complete: (id, now) => completeFeederFileQuery(id, now),
};

/** Refund (reversal) lines: INPRG -> CMPLT / RJCT, and one refund_gl_posted event per refund. */
const refundLines: LineLedger = {
  reject: (id, account, code, message, unsettled) => rejectRefundFeederLinesQuery(id, account, code, message, unsettled),
  accept: (id, unsettled) => acceptRefundFeederLinesQuery(id, unsettled),
  complete: (id, now) => recordRefundFeedbackEventsQuery(id, feederFileUnsettled(id), now),
};

/** Line ledgers by journal kind. */
export const LINE_LEDGERS: Partial<Record<JournalKind, LineLedger>> = { payment: paymentLines, refund: refundLines };

export class FeedbackInputError extends Error {
  override name = "FeedbackInputError";
}

export interface BatchOutcome {
  batchNumber: number;
  batchType: string;
  feederFile: string;
  pbcRefNumber: string;
  glDate: string;
  result: "ACCEPTED" | "PARTIAL" | "REJECTED" | "APPLIED_EARLIER";
  rejections: Array<{ account: string | null; code: string; message: string; closedPeriod: boolean }>;
  linesProcessed: number;
  linesRejected: number;
  paymentsCompleted: number;
}

export interface FeedbackOutcome {
  id: number;
  fileName: string;
  kind: LedgerFileKind;
  status: "PROCESSED" | "PROBLEMS";
  /** True when these bytes had been received before: nothing was changed this time. */
  duplicate: boolean;
  batches: BatchOutcome[];
  /** What could not be matched to anything we sent (reported, not applied). */
  problems: string[];
  linesProcessed: number;
  linesRejected: number;
}

const decoder = new TextDecoder();

/** Receive one ledger file (from the inbox or an upload), keep it, and process it. */
export async function receiveLedgerFile(
  deps: FeedbackDeps,
  file: { name: string; bytes: Uint8Array; source: "inbox" | "upload"; receivedBy: string },
): Promise<FeedbackOutcome> {
  const name = file.name.slice(file.name.lastIndexOf("/") + 1).trim();
  const kind = ledgerFileKind(name);
  if (!kind) throw new FeedbackInputError(`"${name}" is not a ledger file: the name must start with FEEDBACK. or ACK.`);
  if (file.bytes.byteLength === 0) throw new FeedbackInputError("the file is empty");
  if (file.bytes.byteLength > MAX_FEEDBACK_BYTES) throw new FeedbackInputError("the file is larger than 20 MiB");
  const sha256 = await sha256Hex(file.bytes);
  const r2Key = `${LEDGER_FEEDBACK_PREFIX}${sha256}`;
  // Kept before it is recorded: a row always has its bytes (the same bytes under the same key).
  if (!(await deps.bucket.head(r2Key))) {
    await deps.bucket.put(r2Key, file.bytes, {
      onlyIf: { etagDoesNotMatch: "*" },
      httpMetadata: { contentType: "text/plain; charset=us-ascii" },
      customMetadata: { fileName: name, source: file.source },
      sha256,
    });
  }
  const { row, created } = await recordFeedbackFile(
    deps.db,
    { fileName: name, kind, sha256, size: file.bytes.byteLength, r2Key, source: file.source, receivedBy: file.receivedBy },
    deps.now,
  );
  if (created) {
    await deps.audit("ledger.feedback_received", "success", {
      actor: file.receivedBy,
      target: name,
      detail: { id: row.id, kind, sha256, size: row.size, source: file.source },
    });
  }
  if (!created && row.status !== "RECEIVED") {
    await deps.audit("ledger.feedback_duplicate", "success", {
      actor: file.receivedBy,
      target: name,
      detail: { id: row.id, firstReceivedAs: row.fileName, sha256 },
    });
    return { ...storedOutcome(row), duplicate: true };
  }
  return processFeedbackRow(deps, row, decoder.decode(file.bytes));
}

/** The outcome kept with a processed row. */
export function storedOutcome(row: LedgerFeedbackFile): FeedbackOutcome {
  const outcome = row.outcome ? (JSON.parse(row.outcome) as FeedbackOutcome) : null;
  return {
    id: row.id,
    fileName: row.fileName,
    kind: row.kind,
    status: row.status === "PROBLEMS" ? "PROBLEMS" : "PROCESSED",
    duplicate: false,
    batches: outcome?.batches ?? [],
    problems: outcome?.problems ?? [],
    linesProcessed: outcome?.linesProcessed ?? 0,
    linesRejected: outcome?.linesRejected ?? 0,
  };
}

function fileStatus(settlement: Extract<Settlement, { kind: "settled" }>): "ACCEPTED" | "PARTIAL" | "REJECTED" {
  if (settlement.rejections.length === 0) return "ACCEPTED";
  if (settlement.accepted.length === 0) return "REJECTED";
  return "PARTIAL";
}

/** The feeder file a feedback batch answers, by its batch number (the journal names are checked by settleBatch). */
async function sentFileOf(db: Db, batchNumber: number | null, journalNames: string[]) {
  if (batchNumber === null || batchNumber < 1) return undefined;
  const file = await findFeederFile(db, batchNumber);
  // Another feeder's batch that happens to share a number carries journal names that are not ours.
  if (!file || journalNames.some((name) => parseLedgerJournalName(file.ministryPrefix, name) === null)) return undefined;
  return file;
}

async function processFeedbackRow(deps: FeedbackDeps, row: LedgerFeedbackFile, text: string): Promise<FeedbackOutcome> {
  const { db, now } = deps;
  const outcome: FeedbackOutcome = {
    id: row.id,
    fileName: row.fileName,
    kind: row.kind,
    status: "PROCESSED",
    duplicate: false,
    batches: [],
    problems: [],
    linesProcessed: 0,
    linesRejected: 0,
  };
  if (row.kind === "FEEDBACK") {
    const parsed = parseFeedback(text);
    outcome.problems.push(...parsed.problems);
    if (parsed.batches.length === 0) outcome.problems.push("the file holds no batch (no BG record)");
    for (const batch of parsed.batches) {
      const names = [...batch.journals.map((journal) => journal.journalName), ...batch.lines.map((line) => line.journalName)];
      const file = await sentFileOf(db, batch.batchNumber, names);
      if (!file) {
        outcome.problems.push(`batch ${batch.batchNumber ?? "(unreadable number)"}: not a batch this portal sent`);
        continue;
      }
      const batchOutcome = await applyBatch(
        deps,
        row,
        file,
        settleBatch({ batchNumber: file.id, batchType: file.batchType, journal: feederFileJournal(file) }, batch),
      );
      if (typeof batchOutcome === "string") outcome.problems.push(batchOutcome);
      else {
        outcome.batches.push(batchOutcome);
        outcome.linesProcessed += batchOutcome.linesProcessed;
        outcome.linesRejected += batchOutcome.linesRejected;
      }
    }
  }
  if (outcome.problems.length > 0) outcome.status = "PROBLEMS";
  // The outcome is kept beside the file; the D1 row is finished last, so a crash before it resumes.
  await deps.bucket.put(`${row.r2Key}.outcome.json`, `${JSON.stringify(outcome, null, 2)}\n`, {
    httpMetadata: { contentType: "application/json" },
  });
  await runBatch(db, [
    finishFeedbackFileQuery(row.id, outcome.status, outcome, now),
    deps.audit.statement("ledger.feedback_processed", outcome.problems.length > 0 ? "failure" : "success", {
      target: row.fileName,
      detail: {
        id: row.id,
        kind: row.kind,
        batches: outcome.batches.length,
        linesProcessed: outcome.linesProcessed,
        linesRejected: outcome.linesRejected,
        problems: outcome.problems.slice(0, 20),
      },
    }),
  ]);
  if (outcome.problems.length > 0)
    deps.log.warn("ledger feedback with problems", { file: row.fileName, problems: outcome.problems });
  return outcome;
}

/** Apply one batch's settlement in one D1 batch; a string is a problem to report instead. */
async function applyBatch(
  deps: FeedbackDeps,
  row: LedgerFeedbackFile,
  file: LedgerFeederFile,
  settlement: Settlement,
): Promise<BatchOutcome | string> {
  const base = {
    batchNumber: file.id,
    batchType: file.batchType,
    feederFile: file.fileName,
    pbcRefNumber: file.pbcRefNumber,
    glDate: file.glDate,
    linesProcessed: 0,
    linesRejected: 0,
    paymentsCompleted: 0,
  };
  if (settlement.kind === "unmatched") return settlement.problems.join("; ");
  if (file.status !== "SENT") {
    // This file resumed after a crash: the batch was applied by this same file before.
    if (file.feedbackFileId === row.id) return { ...base, result: "APPLIED_EARLIER", rejections: settlement.rejections };
    const earlier = file.feedbackFileId ? await findFeedbackFile(deps.db, file.feedbackFileId) : undefined;
    return `batch ${file.id} (${file.fileName}) was already settled ${file.status} by ${earlier?.fileName ?? "an earlier file"}: not applied again`;
  }
  const lines = LINE_LEDGERS[file.journalKind];
  if (!lines) return `batch ${file.id}: ${file.journalKind} journals cannot take feedback yet`;
  const unsettled = feederFileUnsettled(file.id);
  const status = fileStatus(settlement);
  const statements: Statement[] = [
    ...settlement.rejections.map((rejection) =>
      lines.reject(file.id, rejection.account, rejection.code, rejection.message, unsettled),
    ),
    lines.accept(file.id, unsettled),
    lines.complete(file.id, deps.now),
    file.journalKind === "payment" ? deps.notify.postedFeederFile(file.id) : deps.notify.refundsPostedFeederFile(file.id),
    settleFeederFileQuery(file.id, status, row.id, deps.now),
    deps.audit.statement("ledger.batch_settled", status === "ACCEPTED" ? "success" : "failure", {
      target: file.fileName,
      detail: {
        feedbackFile: row.fileName,
        batchNumber: file.id,
        pbcRefNumber: file.pbcRefNumber,
        glDate: file.glDate,
        status,
        rejections: settlement.rejections.slice(0, 20),
        closedPeriod: settlement.rejections.some((rejection) => rejection.closedPeriod),
      },
    }),
  ];
  const results = await runBatch(deps.db, statements);
  const changes = (index: number) => results[index]?.meta.changes ?? 0;
  const rejected = settlement.rejections.reduce((sum, _, index) => sum + changes(index), 0);
  const outcome: BatchOutcome = {
    ...base,
    result: status,
    rejections: settlement.rejections,
    linesRejected: rejected,
    linesProcessed: changes(settlement.rejections.length),
    paymentsCompleted: file.journalKind === "payment" ? changes(settlement.rejections.length + 1) : 0,
  };
  await deps.afterBatch?.(file.id);
  return outcome;
}

export interface InboxReport {
  files: FeedbackOutcome[];
  resumed: number;
  failed: string[];
}

/**
 * Scheduled: finish files a crashed run left RECEIVED, then read the inbox. A file read from the
 * inbox is removed from it (with its .TRG) once kept and processed; other names are left alone.
 */
export async function processLedgerInbox(deps: FeedbackDeps): Promise<InboxReport> {
  const report: InboxReport = { files: [], resumed: 0, failed: [] };
  for (const row of await listUnprocessedFeedbackFiles(deps.db, 20)) {
    const object = await deps.bucket.get(row.r2Key);
    if (!object) {
      deps.log.error("ledger feedback file missing from R2", { id: row.id, key: row.r2Key });
      report.failed.push(row.fileName);
      continue;
    }
    report.files.push(await processFeedbackRow(deps, row, await object.text()));
    report.resumed++;
  }
  const listed = await deps.bucket.list({ prefix: LEDGER_INBOX_PREFIX, limit: 1000 });
  const candidates = listed.objects.filter((object) => ledgerFileKind(object.key.slice(LEDGER_INBOX_PREFIX.length)) !== null);
  const present = new Set(listed.objects.map((object) => object.key));
  for (const object of candidates.slice(0, INBOX_FILES_PER_RUN)) {
    const name = object.key.slice(LEDGER_INBOX_PREFIX.length);
    try {
      const body = await deps.bucket.get(object.key);
      if (!body) continue;
      const bytes = new Uint8Array(await body.arrayBuffer());
      report.files.push(await receiveLedgerFile(deps, { name, bytes, source: "inbox", receivedBy: "system:ledger-inbox" }));
      const trigger = `${object.key}.TRG`;
      await deps.bucket.delete(present.has(trigger) ? [object.key, trigger] : [object.key]);
    } catch (error) {
      // Left in the inbox for the next run; an input error is reported every run until someone acts.
      report.failed.push(name);
      deps.log.error("ledger inbox file failed", { file: name, error: String(error) });
      await deps.audit("ledger.feedback_failed", "failure", { target: name, detail: { error: String(error).slice(0, 300) } });
    }
  }
  return report;
}
