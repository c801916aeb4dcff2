/**
 * Archival to R2 (issue 16, "Bound the data"): finished payments older than their retention, and
 * audit rows older than theirs, leave D1 as write-once, monthly partitioned, gzip NDJSON objects,
 * each with a manifest (docs/OPERATIONS.md "Archive" describes the format for a restore).
 *
 * Crash-safe and repeatable like the journal run (services/glPosting.ts): a run is claimed in D1
 * first (archive_runs, plus one archived_payments index row per payment), then its object is
 * written only if absent (`onlyIf`), its manifest likewise, both are read back and compared (size,
 * SHA-256, count, first and last id) and only then does D1 record the run VERIFIED and delete its
 * rows, in bounded batches. A run that died at any step is finished by the next one: an object
 * already written is the truth (never written twice, never rebuilt over); a payment that changed
 * after it was written keeps its rows in D1 (the delete re-checks its fingerprint in the same batch).
 */
import type { ArchiveSettings } from "../config.ts";
import {
  type ArchivedPaymentHit,
  abandonIfEmptyQuery,
  addDeletedQuery,
  auditRowsOfRun,
  claimAuditRunQuery,
  claimedIds,
  claimPaymentsQuery,
  deleteAuditRowsQuery,
  deletePaymentsQueries,
  findArchivedPayment,
  findRun,
  findRunByRunId,
  finishRunQuery,
  markVerifiedQuery,
  newRunQuery,
  oldestAuditRows,
  paymentCandidates,
  placeRecordsQuery,
  readRunPayments,
  releaseUnwrittenQuery,
  unfinishedRuns,
} from "../db/archive.ts";
import { runBatch } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import type {
  ArchiveKind,
  ArchiveRun,
  PaymentAttempt,
  Refund,
  RefundLineRow,
  RevenueLineRow,
  Transaction,
} from "../db/schema.ts";
import {
  ARCHIVE_SCHEMA_VERSION,
  type ArchiveManifest,
  archiveObjectKey,
  manifestKeyOf,
  monthSpan,
  ndjson,
  partitionOf,
  type RetentionCutoff,
  retentionCutoff,
  unfinishedReasons,
} from "../domain/archive.ts";
import type { TransactionFacts } from "../domain/reconciliation.ts";
import { sha256Hex } from "../lib/crypto.ts";
import type { Logger } from "../lib/logger.ts";
import type { AuditRecorder } from "./audit.ts";

/** Payments per archive object (one D1 batch reads them all; a query reads the whole object back). */
export const PAYMENTS_PER_OBJECT = 200;
/** Payments per delete batch: 11 statements, each touching at most ~50 payments' rows. */
export const PAYMENT_DELETE_CHUNK = 50;
export const AUDIT_ROWS_PER_OBJECT = 2_000;
/** Audit ids per delete statement (one JSON parameter, well inside D1's 100 KB a statement). */
export const AUDIT_DELETE_CHUNK = 500;
/** D1 queries one invocation may spend on archival (D1 allows 1,000; the sweeps run in the same one). */
export const ARCHIVE_QUERY_BUDGET = 300;

export type { ArchiveSettings };

export type ArchiveStep = "claimed" | "uploaded" | "verified" | "deleted-batch";

export interface ArchiveDeps {
  db: Db;
  bucket: R2Bucket;
  settings: ArchiveSettings;
  audit: AuditRecorder;
  log: Logger;
  now: Date;
  queryBudget?: number;
  /** Test hook: called after each step, so a test can make the run die there. */
  afterStep?: (step: ArchiveStep, run: { id: number; kind: ArchiveKind }) => void | Promise<void>;
}

export interface ArchiveRunSummary {
  runId: string;
  kind: ArchiveKind;
  partition: string;
  objectKey: string;
  status: ArchiveRun["status"];
  records: number;
  deleted: number;
  totalCents: number;
}

export interface ArchiveReport {
  paymentsCutoff: string;
  auditCutoff: string;
  runs: ArchiveRunSummary[];
  paymentsDeleted: number;
  auditRowsDeleted: number;
  queries: number;
}

/** An object or manifest that does not match what was recorded: nothing of its run is deleted. */
export class ArchiveIntegrityError extends Error {}

/** A payment as archived: everything the query service and support show, never card data (none is stored). */
export interface PaymentArchiveRecord {
  schemaVersion: number;
  kind: "payment";
  id: number;
  /** What the payment looked like (db/archive.ts fingerprintSql): deleted from D1 only if unchanged. */
  fingerprint: string;
  transaction: Transaction;
  revenueLines: RevenueLineRow[];
  attempts: Array<Omit<PaymentAttempt, "linkTokenHash" | "sessionHash" | "receiptEmail">>;
  events: Array<{
    id: number;
    attemptId: number | null;
    attemptNumber: number | null;
    eventType: string;
    detail: string | null;
    createdAt: string;
  }>;
  refunds: Refund[];
  refundLines: RefundLineRow[];
  webhooks: Array<{
    messageId: string;
    eventType: string;
    refundId: number | null;
    occurredAt: string;
    status: string;
    attempts: number;
    lastStatusCode: number | null;
    lastError: string | null;
    deliveredAt: string | null;
    deliveries: Array<{
      attemptNumber: number;
      statusCode: number | null;
      error: string | null;
      durationMs: number;
      attemptedAt: string;
    }>;
  }>;
}

export interface AuditArchiveRecord {
  schemaVersion: number;
  kind: "audit";
  id: number;
  occurredAt: string;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  sourceIp: string | null;
  requestId: string | null;
  detail: string | null;
}

type ArchiveRecord = PaymentArchiveRecord | AuditArchiveRecord;

class Budget {
  used = 0;
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
  }
  spend(count = 1): void {
    this.used += count;
  }
  /** Room for `count` more queries. */
  allows(count: number): boolean {
    return this.used + count <= this.limit;
  }
}

export function cutoffs(settings: ArchiveSettings, now: Date): Record<ArchiveKind, RetentionCutoff> {
  return { payments: retentionCutoff(now, settings.paymentsAfterMonths), audit: retentionCutoff(now, settings.auditAfterMonths) };
}

/** One archival pass: finish what an earlier run left, then archive what is due, within the query budget. */
export async function runArchive(deps: ArchiveDeps): Promise<ArchiveReport> {
  const due = cutoffs(deps.settings, deps.now);
  const budget = new Budget(deps.queryBudget ?? ARCHIVE_QUERY_BUDGET);
  const report: ArchiveReport = {
    paymentsCutoff: due.payments.date,
    auditCutoff: due.audit.date,
    runs: [],
    paymentsDeleted: 0,
    auditRowsDeleted: 0,
    queries: 0,
  };
  if (!deps.settings.enabled) return report;
  for (const kind of ["payments", "audit"] as const) {
    budget.spend();
    for (const run of await unfinishedRuns(deps.db, kind, 10)) {
      if (!budget.allows(20)) break;
      await finishRun(deps, run, due[kind], budget, report);
    }
  }
  // New payment runs, one Pacific month per object.
  while (budget.allows(30)) {
    budget.spend();
    const candidates = await paymentCandidates(deps.db, due.payments, PAYMENTS_PER_OBJECT);
    if (candidates.length === 0) break;
    const month = partitionOf(new Date((candidates[0] as { paidAt: string }).paidAt));
    const ids = candidates.filter((row) => partitionOf(new Date(row.paidAt)) === month).map((row) => row.id);
    const run = await claimPaymentRun(deps, month, ids, due.payments, budget);
    if (!run) break; // every candidate changed or was claimed meanwhile: try again next run
    await finishRun(deps, run, due.payments, budget, report);
  }
  while (budget.allows(20)) {
    const run = await claimAuditRun(deps, due.audit, budget);
    if (!run) break;
    await finishRun(deps, run, due.audit, budget, report);
  }
  report.queries = budget.used;
  if (report.runs.length > 0) {
    deps.log.info("archive run finished", { ...report, runs: report.runs.length });
    await deps.audit("archive.run", "success", {
      detail: {
        objects: report.runs.map((run) => run.objectKey),
        paymentsDeleted: report.paymentsDeleted,
        auditRowsDeleted: report.auditRowsDeleted,
      },
    });
  }
  return report;
}

async function claimPaymentRun(
  deps: ArchiveDeps,
  month: string,
  ids: number[],
  cutoff: RetentionCutoff,
  budget: Budget,
): Promise<ArchiveRun | null> {
  const runId = crypto.randomUUID();
  const objectKey = archiveObjectKey("payments", month, runId);
  budget.spend(4);
  await runBatch(deps.db, [
    newRunQuery(
      deps.db,
      { runId, kind: "payments", partitionMonth: month, objectKey, manifestKey: manifestKeyOf(objectKey) },
      deps.now,
    ),
    claimPaymentsQuery(runId, ids, cutoff.instant),
    abandonIfEmptyQuery(runId, deps.now),
  ]);
  const run = await findRunByRunId(deps.db, runId);
  if (run?.status !== "CLAIMED") return null;
  await deps.afterStep?.("claimed", run);
  return run;
}

async function claimAuditRun(deps: ArchiveDeps, cutoff: RetentionCutoff, budget: Budget): Promise<ArchiveRun | null> {
  budget.spend();
  const rows = await oldestAuditRows(deps.db, cutoff.instant, AUDIT_ROWS_PER_OBJECT);
  const first = rows[0];
  if (!first) return null;
  const month = partitionOf(new Date(first.occurredAt));
  const ids = rows.filter((row) => partitionOf(new Date(row.occurredAt)) === month).map((row) => row.id);
  const runId = crypto.randomUUID();
  const objectKey = archiveObjectKey("audit", month, runId);
  budget.spend(2);
  const [claimed] = await runBatch(deps.db, [
    claimAuditRunQuery(
      {
        runId,
        partitionMonth: month,
        objectKey,
        manifestKey: manifestKeyOf(objectKey),
        firstId: Math.min(...ids),
        lastId: Math.max(...ids),
      },
      deps.now,
    ),
  ]);
  const id = (claimed?.results[0] as { id: number } | undefined)?.id;
  if (id === undefined) return null; // another run's audit object is unfinished
  const run = (await findRun(deps.db, id)) ?? null;
  if (run) await deps.afterStep?.("claimed", run);
  return run;
}

async function finishRun(
  deps: ArchiveDeps,
  claimed: ArchiveRun,
  cutoff: RetentionCutoff,
  budget: Budget,
  report: ArchiveReport,
): Promise<void> {
  let run: ArchiveRun | undefined = claimed;
  try {
    if (run.status === "CLAIMED") {
      run = await writeAndVerify(deps, run, cutoff, budget);
      if (!run) return;
    }
    if (run.status === "VERIFIED") run = await deleteArchived(deps, run, budget);
  } catch (error) {
    // Logged loudly and left as it is: the next run starts from the recorded step, nothing was lost.
    deps.log.error("archive run failed", { runId: claimed.runId, objectKey: claimed.objectKey, error: String(error) });
    if (error instanceof ArchiveIntegrityError) {
      await deps.audit("archive.integrity_failed", "failure", { target: claimed.objectKey, detail: { message: error.message } });
    }
    throw error;
  }
  if (!run) return;
  report.runs.push({
    runId: run.runId,
    kind: run.kind,
    partition: run.partitionMonth,
    objectKey: run.objectKey,
    status: run.status,
    records: run.recordCount ?? 0,
    deleted: run.deletedCount,
    totalCents: run.totalCents ?? 0,
  });
  if (run.kind === "payments") report.paymentsDeleted += run.deletedCount;
  else report.auditRowsDeleted += run.deletedCount;
}

// ---------------------------------------------------------------- objects

async function gzip(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function gunzip(bytes: Uint8Array): Promise<string> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Response(stream).text();
}

interface StoredObject {
  bytes: Uint8Array;
  size: number;
  sha256: string;
}

async function readObject(bucket: R2Bucket, key: string): Promise<StoredObject | null> {
  const object = await bucket.get(key);
  if (!object) return null;
  const bytes = new Uint8Array(await object.arrayBuffer());
  return { bytes, size: bytes.byteLength, sha256: await sha256Hex(bytes) };
}

function parseRecords(text: string): ArchiveRecord[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line, index) => {
    const record = JSON.parse(line) as ArchiveRecord;
    if (record.schemaVersion !== ARCHIVE_SCHEMA_VERSION) {
      throw new ArchiveIntegrityError(
        `line ${index + 1}: schema version ${record.schemaVersion}, expected ${ARCHIVE_SCHEMA_VERSION}`,
      );
    }
    return record;
  });
}

function manifestOf(run: ArchiveRun, records: readonly ArchiveRecord[], stored: StoredObject): ArchiveManifest {
  const payments = records.filter((record): record is PaymentArchiveRecord => record.kind === "payment");
  const ids = records.map((record) => record.id);
  return {
    schemaVersion: ARCHIVE_SCHEMA_VERSION,
    kind: run.kind,
    runId: run.runId,
    partition: run.partitionMonth,
    objectKey: run.objectKey,
    contentType: "application/x-ndjson",
    contentEncoding: "gzip",
    count: records.length,
    totalCents: payments.reduce((sum, record) => sum + record.transaction.trnAmountCents, 0),
    refundedCents: payments.reduce(
      (sum, record) =>
        sum +
        record.refunds.filter((refund) => refund.status === "APPROVED").reduce((cents, refund) => cents + refund.amountCents, 0),
      0,
    ),
    size: stored.size,
    sha256: stored.sha256,
    firstId: Math.min(...ids),
    lastId: Math.max(...ids),
    createdAt: run.createdAt,
  };
}

const MANIFEST_FIELDS = ["kind", "runId", "objectKey", "count", "totalCents", "size", "sha256", "firstId", "lastId"] as const;

/**
 * The run's object (written now if absent, else the one an earlier run wrote) and its manifest, both
 * read back and compared; then D1 records where each payment's record is and marks the run VERIFIED.
 * Returns the updated run, or undefined when there was nothing left to archive (run ABANDONED).
 */
async function writeAndVerify(
  deps: ArchiveDeps,
  run: ArchiveRun,
  cutoff: RetentionCutoff,
  budget: Budget,
): Promise<ArchiveRun | undefined> {
  const { bucket, db } = deps;
  let stored = await readObject(bucket, run.objectKey);
  if (!stored) {
    const records =
      run.kind === "payments" ? await buildPaymentRecords(deps, run, cutoff, budget) : await buildAuditRecords(deps, run, budget);
    if (records.length === 0) {
      budget.spend(2);
      await runBatch(db, [releaseUnwrittenQuery(run.id, []), abandonIfEmptyQuery(run.runId, deps.now)]);
      return undefined;
    }
    const bytes = await gzip(ndjson(records));
    const sha256 = await sha256Hex(bytes);
    // Write-once: null means another run wrote it first; what is there is read back below either way.
    await bucket.put(run.objectKey, bytes, {
      onlyIf: { etagDoesNotMatch: "*" },
      sha256,
      httpMetadata: { contentType: "application/gzip" },
      customMetadata: { content: "application/x-ndjson", schemaVersion: String(ARCHIVE_SCHEMA_VERSION), runId: run.runId },
    });
    await deps.afterStep?.("uploaded", run);
    stored = await readObject(bucket, run.objectKey);
    if (!stored) throw new ArchiveIntegrityError(`${run.objectKey} is missing after it was written`);
  }
  const records = parseRecords(await gunzip(stored.bytes));
  if (records.length === 0) throw new ArchiveIntegrityError(`${run.objectKey} holds no records`);
  const manifest = manifestOf(run, records, stored);
  await bucket.put(run.manifestKey, `${JSON.stringify(manifest, null, 2)}\n`, {
    onlyIf: { etagDoesNotMatch: "*" },
    httpMetadata: { contentType: "application/json" },
  });
  const written = await bucket.get(run.manifestKey);
  if (!written) throw new ArchiveIntegrityError(`${run.manifestKey} is missing after it was written`);
  const readBack = (await written.json()) as ArchiveManifest;
  for (const field of MANIFEST_FIELDS) {
    if (readBack[field] !== manifest[field]) {
      throw new ArchiveIntegrityError(`${run.manifestKey}: ${field} is ${readBack[field]}, the object gives ${manifest[field]}`);
    }
  }
  const verified = {
    recordCount: manifest.count,
    totalCents: manifest.totalCents,
    size: manifest.size,
    sha256: manifest.sha256,
    firstId: manifest.firstId,
    lastId: manifest.lastId,
  };
  if (run.kind === "payments") {
    const placed = records.map((record, index): [number, number, string, string] => [
      record.id,
      index + 1,
      (record as PaymentArchiveRecord).fingerprint,
      JSON.stringify(archivedFacts(record as PaymentArchiveRecord)),
    ]);
    budget.spend(3);
    await runBatch(db, [
      releaseUnwrittenQuery(
        run.id,
        placed.map(([id]) => id),
      ),
      placeRecordsQuery(run.id, placed),
      markVerifiedQuery(run.id, verified, deps.now),
    ]);
  } else {
    budget.spend();
    await runBatch(db, [markVerifiedQuery(run.id, verified, deps.now)]);
  }
  await deps.afterStep?.("verified", run);
  budget.spend();
  return findRun(db, run.id);
}

/** The claimed payments as records, each checked once more against the domain's rules (a changed one stays in D1). */
async function buildPaymentRecords(
  deps: ArchiveDeps,
  run: ArchiveRun,
  cutoff: RetentionCutoff,
  budget: Budget,
): Promise<PaymentArchiveRecord[]> {
  budget.spend(9);
  const read = await readRunPayments(deps.db, run.id);
  const group = <T extends { transactionId: number | null }>(rows: readonly T[]) => {
    const map = new Map<number, T[]>();
    for (const row of rows) {
      if (row.transactionId === null) continue;
      const list = map.get(row.transactionId) ?? [];
      list.push(row);
      map.set(row.transactionId, list);
    }
    return map;
  };
  const [lines, attempts, events, refunds, refundLines, webhooks] = [
    group(read.lines),
    group(read.attempts),
    group(read.events),
    group(read.refunds),
    group(read.refundLines),
    group(read.webhooks),
  ];
  const fingerprints = new Map(read.fingerprints.map((row) => [row.id, row.fingerprint]));
  const records: PaymentArchiveRecord[] = [];
  for (const transaction of read.txns) {
    const id = transaction.id;
    const ownRefunds = refunds.get(id) ?? [];
    const record: PaymentArchiveRecord = {
      schemaVersion: ARCHIVE_SCHEMA_VERSION,
      kind: "payment",
      id,
      fingerprint: fingerprints.get(id) ?? "",
      transaction,
      revenueLines: lines.get(id) ?? [],
      attempts: attempts.get(id) ?? [],
      events: (events.get(id) ?? []).map((event) => ({
        id: event.id,
        attemptId: event.attemptId,
        attemptNumber: event.attemptNumber,
        eventType: event.eventType,
        detail: event.detail,
        createdAt: event.createdAt,
      })),
      refunds: ownRefunds,
      refundLines: refundLines.get(id) ?? [],
      webhooks: (webhooks.get(id) ?? []).map((webhook) => ({
        messageId: webhook.messageId,
        eventType: webhook.eventType,
        refundId: webhook.refundId,
        occurredAt: webhook.occurredAt,
        status: webhook.status,
        attempts: webhook.attempts,
        lastStatusCode: webhook.lastStatusCode,
        lastError: webhook.lastError,
        deliveredAt: webhook.deliveredAt,
        deliveries: read.webhookTries
          .filter((attempt) => attempt.outboxId === webhook.id)
          .map(({ outboxId: _, ...attempt }) => attempt),
      })),
    };
    const reasons = unfinishedReasons(
      {
        paymentStatus: transaction.paymentStatus,
        paidAt: transaction.paidAt,
        lines: record.revenueLines,
        refunds: ownRefunds,
        refundLines: record.refundLines.map((line) => ({
          glStatus: line.glStatus,
          refundStatus: ownRefunds.find((refund) => refund.id === line.refundId)?.status ?? "UNKNOWN",
        })),
        attempts: record.attempts,
        webhooks: record.webhooks,
        events: record.events,
      },
      cutoff,
    );
    if (reasons.length > 0) {
      deps.log.info("archive: payment left in D1", { transactionId: id, reasons });
      continue;
    }
    records.push(record);
  }
  return records;
}

async function buildAuditRecords(deps: ArchiveDeps, run: ArchiveRun, budget: Budget): Promise<AuditArchiveRecord[]> {
  budget.spend();
  const rows = await auditRowsOfRun(deps.db, auditRange(run));
  return rows.map((row) => ({
    schemaVersion: ARCHIVE_SCHEMA_VERSION,
    kind: "audit",
    id: row.id,
    occurredAt: String(row.occurredAt),
    actor: String(row.actor),
    action: String(row.action),
    target: (row.target as string | null) ?? null,
    outcome: String(row.outcome),
    sourceIp: (row.sourceIp as string | null) ?? null,
    requestId: (row.requestId as string | null) ?? null,
    detail: (row.detail as string | null) ?? null,
  }));
}

function auditRange(run: ArchiveRun) {
  const span = monthSpan(run.partitionMonth);
  return { firstId: run.firstId ?? 0, lastId: run.lastId ?? -1, start: span.start, end: span.end };
}

/** Deletes a verified run's rows from D1 in bounded batches, then ends the run. */
async function deleteArchived(deps: ArchiveDeps, run: ArchiveRun, budget: Budget): Promise<ArchiveRun | undefined> {
  const { db } = deps;
  if (run.kind === "payments") {
    budget.spend();
    const ids = await claimedIds(db, run.id);
    for (let index = 0; index < ids.length; index += PAYMENT_DELETE_CHUNK) {
      if (!budget.allows(12)) return undefined; // the next run goes on from here
      const chunk = ids.slice(index, index + PAYMENT_DELETE_CHUNK);
      budget.spend(11);
      await runBatch(db, deletePaymentsQueries(run.id, chunk[0] as number, chunk.at(-1) as number, deps.now));
      await deps.afterStep?.("deleted-batch", run);
    }
    budget.spend();
    await runBatch(db, [finishRunQuery(run.id, deps.now)]);
  } else {
    // The ids come from the verified object itself (checked against the run's recorded SHA-256).
    const stored = await readObject(deps.bucket, run.objectKey);
    if (!stored || stored.sha256 !== run.sha256 || stored.size !== run.size) {
      throw new ArchiveIntegrityError(`${run.objectKey} no longer matches its verified size and SHA-256`);
    }
    const ids = parseRecords(await gunzip(stored.bytes)).map((record) => record.id);
    const remaining = await auditRowsOfRun(db, auditRange(run));
    const present = new Set(remaining.map((row) => row.id));
    const toDelete = ids.filter((id) => present.has(id));
    budget.spend();
    for (let index = 0; index < toDelete.length; index += AUDIT_DELETE_CHUNK) {
      if (!budget.allows(3)) return undefined;
      const chunk = toDelete.slice(index, index + AUDIT_DELETE_CHUNK);
      budget.spend(2);
      const [deleted] = await runBatch(db, [deleteAuditRowsQuery(chunk)]);
      await runBatch(db, [addDeletedQuery(run.id, deleted?.meta.changes ?? 0, deps.now)]);
      await deps.afterStep?.("deleted-batch", run);
    }
    budget.spend();
    await runBatch(db, [finishRunQuery(run.id, deps.now)]);
  }
  budget.spend();
  return findRun(db, run.id);
}

/**
 * What reconciliation compares for an archived payment, from its record: the same facts
 * db/transactions.ts reconciliationFactsPage reads from D1 (a finished payment waits for nothing).
 */
export function archivedFacts(record: PaymentArchiveRecord): TransactionFacts {
  const posted = record.revenueLines.filter((line) => line.journalBatchId !== null && line.glStatus !== "REJECT");
  const told = record.events.flatMap((event) => {
    if (event.eventType !== "redirected" || event.detail === null) return [];
    const detail = JSON.parse(event.detail) as { outcome?: string; trnAmountCents?: number };
    return detail.outcome === "approved" ? [detail.trnAmountCents ?? -1] : [];
  });
  return {
    pbcRefNumber: record.transaction.pbcRefNumber,
    pbcTxnNumber: record.transaction.pbcTxnNumber,
    paymentStatus: record.transaction.paymentStatus,
    trnAmountCents: record.transaction.trnAmountCents,
    linesCents: record.revenueLines.reduce((sum, line) => sum + line.revenueAmountCents, 0),
    lineCount: record.revenueLines.length,
    postedLineCount: posted.length,
    postedCents: posted.reduce((sum, line) => sum + line.revenueAmountCents, 0),
    orderNumbers: record.attempts.map((attempt) => attempt.orderNumber),
    awaitingOutcome: false,
    toldApprovedCents: told,
    refundedCents: record.refunds
      .filter((refund) => refund.status === "APPROVED")
      .reduce((sum, refund) => sum + refund.amountCents, 0),
    postedRefundCents: record.refundLines
      .filter((line) => line.glStatus === "CMPLT")
      .reduce((sum, line) => sum + line.amountCents, 0),
    refundOrderNumbers: record.refunds.map((refund) => refund.orderNumber),
    refundAwaitingOutcome: false,
  };
}

// ---------------------------------------------------------------- reading archived payments

export interface ArchivedPaymentRead {
  hit: ArchivedPaymentHit;
  record: PaymentArchiveRecord;
}

/**
 * An archived payment's record, found through its index row and read from its object (checked
 * against the run's SHA-256). Undefined when the number was never archived.
 */
export async function readArchivedPayment(
  db: Db,
  bucket: R2Bucket,
  pbcRefNumber: string,
  pbcTxnNumber: string,
): Promise<ArchivedPaymentRead | undefined> {
  const hit = await findArchivedPayment(db, pbcRefNumber, pbcTxnNumber);
  if (!hit) return undefined;
  const stored = await readObject(bucket, hit.run.objectKey);
  if (!stored || stored.sha256 !== hit.run.sha256) {
    throw new ArchiveIntegrityError(`${hit.run.objectKey} is missing or does not match its SHA-256`);
  }
  const line = (await gunzip(stored.bytes)).split("\n")[(hit.payment.recordLine ?? 0) - 1];
  const record = line ? (JSON.parse(line) as PaymentArchiveRecord) : undefined;
  if (
    record?.kind !== "payment" ||
    record.transaction.pbcRefNumber !== pbcRefNumber ||
    record.transaction.pbcTxnNumber !== pbcTxnNumber
  ) {
    throw new ArchiveIntegrityError(`${hit.run.objectKey} line ${hit.payment.recordLine} is not ${pbcRefNumber}/${pbcTxnNumber}`);
  }
  return { hit, record };
}

/** What `--dry-run` shows: what a run now would archive, without writing anything. */
export async function previewArchive(deps: Pick<ArchiveDeps, "db" | "settings" | "now">) {
  const due = cutoffs(deps.settings, deps.now);
  const candidates = await paymentCandidates(deps.db, due.payments, 10_000);
  const paymentsByMonth: Record<string, number> = {};
  for (const row of candidates) {
    const month = partitionOf(new Date(row.paidAt));
    paymentsByMonth[month] = (paymentsByMonth[month] ?? 0) + 1;
  }
  const audit = await deps.db.$client
    .prepare(
      "SELECT COUNT(*) AS count, MIN(occurred_at) AS oldest, MAX(occurred_at) AS newest FROM audit_log WHERE occurred_at < ?1",
    )
    .bind(due.audit.instant.toISOString())
    .first<{ count: number; oldest: string | null; newest: string | null }>();
  return {
    enabled: deps.settings.enabled,
    paymentsCutoff: due.payments.date,
    auditCutoff: due.audit.date,
    payments: { count: candidates.length, capped: candidates.length === 10_000, byMonth: paymentsByMonth },
    audit: { count: audit?.count ?? 0, oldest: audit?.oldest ?? null, newest: audit?.newest ?? null },
    unfinishedRuns: [...(await unfinishedRuns(deps.db, "payments", 50)), ...(await unfinishedRuns(deps.db, "audit", 50))],
  };
}
