/**
 * Archival rules (issue 16, "Bound the data"): when a payment is finished, how old it must be, which
 * monthly partition a row belongs to and what an archive object and its manifest are. Pure: the
 * service (services/archive.ts) reads and writes; the SQL that picks candidates (db/archive.ts)
 * mirrors `unfinishedReasons`, which is applied again to every record before it is written.
 */
import { BUSINESS_TIME_ZONE, pacificDate, pacificInstant } from "./businessTime.ts";

/** Bumped when a record's or manifest's shape changes incompatibly; restores read it first. */
export const ARCHIVE_SCHEMA_VERSION = 1;
export const DEFAULT_PAYMENT_RETENTION_MONTHS = 13;
/** PCI DSS 10.5.1: audit history kept one year, the last three months at hand (D1 keeps twelve). */
export const DEFAULT_AUDIT_RETENTION_MONTHS = 12;
/** Audit history must stay at hand for at least three months (PCI DSS 10.5.1). */
export const MIN_AUDIT_RETENTION_MONTHS = 3;
/** A payment can be refunded and queried by partners for a year: never archive sooner. */
export const MIN_PAYMENT_RETENTION_MONTHS = 12;
export const MAX_RETENTION_MONTHS = 120;

export type ArchiveKind = "payments" | "audit";

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MONTH = /^(\d{4})-(\d{2})$/;

/** The same day `months` later (earlier if negative), clamped to the month's last day (31 Mar - 1 month = 28/29 Feb). */
export function addMonths(date: string, months: number): string {
  const match = DATE.exec(date);
  if (!match) throw new RangeError(`not a date: ${date}`);
  const index = Number(match[1]) * 12 + Number(match[2]) - 1 + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const day = Math.min(Number(match[3]), lastDay);
  return `${String(year).padStart(4, "0")}-${String(month + 1).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

export interface RetentionCutoff {
  /** Pacific business date: what was last touched before this date is old enough. */
  date: string;
  /** Midnight Pacific at the start of `date`. */
  instant: Date;
}

/** Rows whose last activity is before the start of (today, Pacific) minus `months` are due. */
export function retentionCutoff(now: Date, months: number): RetentionCutoff {
  const date = addMonths(pacificDate(now), -months);
  return { date, instant: pacificInstant(date, 0) };
}

/** The Pacific month ('yyyy-MM') an instant belongs to: the partition of its archive object. */
export function partitionOf(instant: Date): string {
  return pacificDate(instant).slice(0, 7);
}

/** The instants a Pacific month spans, [start, end). */
export function monthSpan(month: string): { start: Date; end: Date } {
  if (!MONTH.test(month)) throw new RangeError(`not a month: ${month}`);
  return { start: pacificInstant(`${month}-01`, 0), end: pacificInstant(addMonths(`${month}-01`, 1), 0) };
}

/** `archive/payments/2025/10/<runId>.ndjson.gz`: a new key per run, so an object is never replaced. */
export function archiveObjectKey(kind: ArchiveKind, month: string, runId: string): string {
  if (!MONTH.test(month)) throw new RangeError(`not a month: ${month}`);
  if (!/^[0-9a-z-]{8,64}$/.test(runId)) throw new RangeError(`not a run id: ${runId}`);
  return `archive/${kind}/${month.replace("-", "/")}/${runId}.ndjson.gz`;
}

export function manifestKeyOf(objectKey: string): string {
  return objectKey.replace(/\.ndjson\.gz$/, ".manifest.json");
}

/** What decides whether a payment is finished: everything the query service or a refund could still change. */
export interface PaymentState {
  paymentStatus: string;
  paidAt: string | null;
  lines: ReadonlyArray<{ glStatus: string }>;
  refunds: ReadonlyArray<{ status: string; updatedAt: string; settledAt: string | null }>;
  refundLines: ReadonlyArray<{ refundStatus: string; glStatus: string }>;
  attempts: ReadonlyArray<{ state: string; receiptStatus: string | null; updatedAt: string }>;
  webhooks: ReadonlyArray<{ status: string }>;
  events: ReadonlyArray<{ createdAt: string }>;
}

/** Attempt states that can still change the payment (db/archive.ts lists the same). */
export const ATTEMPTS_IN_PROGRESS = ["CREATED", "OPEN", "FAILED", "AUTHORISING", "UNKNOWN"] as const;

/** The last time anything happened to the payment: paid, posted, refunded, refund posted, notified. */
export function lastActivity(state: PaymentState): string | null {
  let latest = state.paidAt;
  const later = (value: string | null) => {
    if (value !== null && (latest === null || value > latest)) latest = value;
  };
  for (const event of state.events) later(event.createdAt);
  for (const refund of state.refunds) {
    later(refund.updatedAt);
    later(refund.settledAt);
  }
  for (const attempt of state.attempts) later(attempt.updatedAt);
  return latest;
}

/**
 * Why a payment may not be archived yet; none means it is finished and old enough. Finished: CMPLT
 * with every revenue line PROCESSED by the ledger, no refund waiting for the processor, every
 * approved refund's lines posted (CMPLT), no attempt that could still change, no receipt email or
 * partner notification waiting to go.
 */
export function unfinishedReasons(state: PaymentState, cutoff: RetentionCutoff): string[] {
  const reasons: string[] = [];
  if (state.paymentStatus !== "CMPLT") reasons.push(`payment is ${state.paymentStatus}, not CMPLT`);
  if (state.paidAt === null) reasons.push("payment has no paid time");
  if (state.lines.length === 0 || state.lines.some((line) => line.glStatus !== "PROCESSED"))
    reasons.push("a revenue line is not PROCESSED by the ledger");
  if (state.refunds.some((refund) => refund.status === "PENDING" || refund.status === "UNKNOWN"))
    reasons.push("a refund is waiting for the processor");
  if (state.refundLines.some((line) => line.refundStatus === "APPROVED" && line.glStatus !== "CMPLT"))
    reasons.push("a refund line is not posted (CMPLT)");
  if (state.attempts.some((attempt) => (ATTEMPTS_IN_PROGRESS as readonly string[]).includes(attempt.state)))
    reasons.push("an attempt is still in progress");
  if (state.attempts.some((attempt) => attempt.receiptStatus === "REQUESTED")) reasons.push("a receipt email is waiting");
  if (state.webhooks.some((webhook) => webhook.status === "PENDING")) reasons.push("a partner notification is waiting");
  const last = lastActivity(state);
  if (last !== null && new Date(last).getTime() >= cutoff.instant.getTime())
    reasons.push(`last activity ${pacificDate(new Date(last))} is not before ${cutoff.date} (${BUSINESS_TIME_ZONE})`);
  return reasons;
}

/** Written beside every archive object; the object is deleted from nowhere until both read back equal. */
export interface ArchiveManifest {
  schemaVersion: number;
  kind: ArchiveKind;
  runId: string;
  /** Pacific month, yyyy-MM. */
  partition: string;
  objectKey: string;
  contentType: "application/x-ndjson";
  contentEncoding: "gzip";
  /** Records (lines) in the object. */
  count: number;
  /** Payments: sum of trnAmountCents; audit: 0. */
  totalCents: number;
  /** Payments: sum of approved refunds' cents. */
  refundedCents: number;
  /** Bytes of the compressed object and its SHA-256 (hex). */
  size: number;
  sha256: string;
  /** Ids of the first and last record (transactions.id / audit_log.id), ascending. */
  firstId: number;
  lastId: number;
  createdAt: string;
}

/** NDJSON: one JSON document per line, '\n' after each. */
export function ndjson(records: readonly unknown[]): string {
  return records.map((record) => `${JSON.stringify(record)}\n`).join("");
}
