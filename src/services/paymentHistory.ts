/**
 * One payment's whole story for support staff (`npm run support -- payment`): its state, where each
 * revenue and refund line was posted and what the ledger answered, its refunds, the partner
 * notifications about it with every delivery attempt, and its receipt email. A plain object with
 * ISO UTC times; the CLI words it (Pacific) or prints it as JSON.
 *
 * Reads only (one query per table); nothing here changes a payment.
 */
import type { Db } from "../db/client.ts";
import { findBatches, type JournalBatch } from "../db/journalBatches.ts";
import { findFeedbackFiles } from "../db/ledgerFeedbackFiles.ts";
import { findFeederFiles } from "../db/ledgerFeederFiles.ts";
import { findPartner } from "../db/partners.ts";
import { findWebhook } from "../db/partnerWebhooks.ts";
import { receiptRequestsOfTransaction } from "../db/paymentAttempts.ts";
import { listEvents } from "../db/paymentEvents.ts";
import { refundsOfTransaction } from "../db/refunds.ts";
import { listLines } from "../db/revenueLines.ts";
import type {
  LedgerFeedbackFile,
  LedgerFeederFile,
  OutboxRow,
  Partner,
  Refund,
  Transaction,
  WebhookAttemptRow,
} from "../db/schema.ts";
import { attemptsOfRows } from "../db/webhookAttempts.ts";
import { outboxRowsOfTransaction } from "../db/webhookOutbox.ts";
import { cutoffInstant } from "../domain/businessTime.ts";
import { maskEmail } from "../domain/email.ts";
import { ledgerJournalName } from "../domain/ledgerFeeder.ts";
import { formatCents } from "../domain/money.ts";
// The nightly schedule is a constant of the Worker's cron set (that module imports nothing).
import { NIGHTLY_CRON } from "../jobs/crons.ts";
import { POSTING_GRACE_MS } from "./glPosting.ts";
import { journalSummary } from "./journals.ts";

/** The journal a line went out in, named as finance staff see it (`npm run journals -- list`, the finance pages). */
export interface JournalRef {
  /** journal_batches.id: the ID column of `journals list`. */
  batchId: number;
  kind: "revenue" | "refund";
  glDate: string;
  sequence: number;
  status: "CLAIMED" | "POSTED";
  postedAt: string | null;
  /** The ledger's journal name (ministry prefix + feeder file id), null before the feeder file exists. */
  journalName: string | null;
  /** The feeder file sent to the ledger, by its inbox name. */
  feederFile: string | null;
  batchType: "GA" | "GI" | null;
  /** The journal's download names (journal-<GL date>-<partner>-<sequence>.csv, detail-..., ...). */
  files: string[];
}

export interface LedgerAnswer {
  /** AWAITING until the ledger's feedback for the feeder file is applied. */
  result: "AWAITING" | "ACCEPTED" | "REJECTED";
  at: string | null;
  feedbackFile: string | null;
  code: string | null;
  message: string | null;
}

export type NotPostedReason =
  /** Waiting for the nightly run (GL date due, or not due yet). */
  | "waiting"
  /** The partner's GL posting is off: nothing is posted until it is turned on. */
  | "gl-posting-off"
  /** The payment is not paid: there is nothing to post. */
  | "not-paid"
  /** A refund line waits for its revenue line to be accepted by the ledger. */
  | "waiting-for-revenue"
  /** A refund that was not approved is never posted. */
  | "refund-not-approved"
  /** Rejected (by the ledger or, for a closed account, before posting): waits for a correction. */
  | "rejected";

export interface NotPosted {
  reason: NotPostedReason;
  /** The GL date it is (or will be) posted with. */
  glDate: string | null;
  /** For `waiting`: when the nightly run that posts it starts (09:00 UTC once the GL date's cut-off has passed). */
  nextRunAt: string | null;
  /** For `rejected` before posting: the reason given. */
  message: string | null;
}

export interface LinePosting {
  journal: JournalRef | null;
  ledger: LedgerAnswer | null;
  notPosted: NotPosted | null;
}

export interface RevenueLineHistory {
  lineNumber: number;
  revenueAccount: string;
  amountCents: number;
  amount: string;
  glStatus: string;
  posting: LinePosting;
}

export interface RefundHistory {
  refundId: string;
  status: Refund["status"];
  amountCents: number;
  amount: string;
  method: Refund["method"];
  channel: Refund["channel"];
  requestedBy: string;
  reason: string | null;
  requestedAt: string;
  settledAt: string | null;
  /** The processor's reference for the return or void. */
  processorReference: string | null;
  processorMessage: string | null;
  glDate: string | null;
  lines: Array<{
    lineNumber: number;
    revenueAccount: string | null;
    amountCents: number;
    amount: string;
    glStatus: string;
    posting: LinePosting;
  }>;
}

export type DeliveryState = "pending" | "delivered" | "dead" | "disabled" | "cancelled";

export interface NotificationHistory {
  eventId: string;
  type: string;
  createdAt: string;
  state: DeliveryState;
  deliveredAt: string | null;
  /** While pending: when the next try is due. */
  nextRetryAt: string | null;
  /** Why it stopped (dead, disabled, cancelled), or the last failure while pending. */
  lastError: string | null;
  /** When its signed body was cleared after WEBHOOK_BODY_RETENTION_DAYS (services/outboxRetention.ts); the log stays. */
  bodyClearedAt: string | null;
  attempts: Array<{
    number: number;
    at: string;
    httpStatus: number | null;
    error: string | null;
    durationMs: number;
    retryAfterSeconds: number | null;
    /** The next try after this one: when it was made, or (last try, pending) when it is due. */
    nextRetryAt: string | null;
  }>;
}

export interface ReceiptHistory {
  attemptNumber: number;
  status: "REQUESTED" | "SENT" | "FAILED" | "ERASED";
  at: string | null;
  /** Masked (j***@example.com), and only while the address is still held (not yet sent). */
  address: string | null;
}

export interface PaymentHistory {
  payment: {
    pbcRefNumber: string;
    partnerName: string | null;
    pbcTxnNumber: string;
    status: Transaction["paymentStatus"];
    amountCents: number;
    amount: string;
    currency: string;
    description: string;
    trnDate: string;
    glDate: string;
    trnOrderId: string | null;
    authCode: string | null;
    cardType: string | null;
    cardLastFour: string | null;
    paidAt: string | null;
    /** When the ledger's feedback made the payment CMPLT (all its lines accepted). */
    completedAt: string | null;
    authorisingAttemptId: number | null;
    declineCount: number;
  };
  revenueLines: RevenueLineHistory[];
  refunds: RefundHistory[];
  notifications: {
    endpoint: { url: string; status: "ACTIVE" | "DISABLED"; disabledReason: string | null } | null;
    events: NotificationHistory[];
  };
  receipts: ReceiptHistory[];
  events: Array<{ at: string; attemptNumber: number | null; eventType: string; detail: unknown }>;
}

// ---------------------------------------------------------------- the nightly schedule

const CRON_AT = /^(\d{1,2}) (\d{1,2}) \* \* \*$/.exec(NIGHTLY_CRON);

/** The first nightly run at or after `instant` (the cron is a daily UTC time). */
export function nightlyRunAtOrAfter(instant: Date): Date {
  if (!CRON_AT) throw new Error(`the nightly cron is not a daily time: ${NIGHTLY_CRON}`);
  const run = new Date(instant);
  run.setUTCHours(Number(CRON_AT[2]), Number(CRON_AT[1]), 0, 0);
  if (run.getTime() < instant.getTime()) run.setUTCDate(run.getUTCDate() + 1);
  return run;
}

/** The nightly run that posts lines of this GL date: its cut-off (and grace) passed, and not before now. */
export function nextPostingRun(glDate: string, now: Date): Date {
  const due = cutoffInstant(glDate).getTime() + POSTING_GRACE_MS;
  return nightlyRunAtOrAfter(new Date(Math.max(due, now.getTime())));
}

// ---------------------------------------------------------------- GL posting of one line

interface PostingFacts {
  batches: Map<number, JournalBatch>;
  feederFiles: LedgerFeederFile[];
  feedbackFiles: Map<number, LedgerFeedbackFile>;
}

interface PostedLine {
  journalBatchId: number | null;
  feederFileId: number | null;
  glErrorCode: string | null;
  glErrorMessage: string | null;
}

function journalRef(facts: PostingFacts, line: PostedLine): JournalRef | null {
  const batch = line.journalBatchId === null ? undefined : facts.batches.get(line.journalBatchId);
  if (!batch) return null;
  const feeder = facts.feederFiles.find((file) => file.id === line.feederFileId);
  const summary = journalSummary(batch);
  return {
    batchId: batch.id,
    kind: batch.kind,
    glDate: batch.glDate,
    sequence: batch.sequence,
    status: batch.status,
    postedAt: batch.postedAt,
    journalName: feeder ? ledgerJournalName(feeder.ministryPrefix, feeder.id) : null,
    feederFile: feeder?.fileName ?? null,
    batchType: feeder?.batchType ?? null,
    files: [...summary.files.map((file) => file.fileName), ...(summary.manifest ? [summary.manifest] : [])],
  };
}

function ledgerAnswer(facts: PostingFacts, line: PostedLine, accepted: boolean, rejected: boolean): LedgerAnswer | null {
  const feeder = facts.feederFiles.find((file) => file.id === line.feederFileId);
  if (!feeder) return null;
  const feedback = feeder.feedbackFileId === null ? undefined : facts.feedbackFiles.get(feeder.feedbackFileId);
  return {
    result: accepted ? "ACCEPTED" : rejected ? "REJECTED" : "AWAITING",
    at: accepted || rejected ? feeder.settledAt : null,
    feedbackFile: feedback?.fileName ?? null,
    code: rejected ? line.glErrorCode : null,
    message: rejected ? line.glErrorMessage : null,
  };
}

function notPosted(reason: NotPostedReason, glDate: string | null, now: Date, message: string | null = null): NotPosted {
  const nextRunAt = glDate !== null && reason === "waiting" ? nextPostingRun(glDate, now).toISOString() : null;
  return { reason, glDate, nextRunAt, message };
}

function revenuePosting(
  facts: PostingFacts,
  line: PostedLine & { glStatus: string },
  txn: Transaction,
  partner: Partner | undefined,
  now: Date,
): LinePosting {
  const journal = journalRef(facts, line);
  const ledger = ledgerAnswer(facts, line, line.glStatus === "PROCESSED", line.glStatus === "REJECT");
  let waiting: NotPosted | null = null;
  if (line.glStatus === "REJECT") {
    // Rejected by the ledger (it has a feeder file) or before posting (an account not open).
    waiting = notPosted("rejected", txn.glDate, now, ledger ? null : line.glErrorMessage);
  } else if (line.glStatus === "NEW") {
    if (txn.paymentStatus === "PNDNG") waiting = notPosted("not-paid", null, now);
    else if (!partner?.glPosting || partner.status !== "ACTIVE") waiting = notPosted("gl-posting-off", txn.glDate, now);
    else waiting = notPosted("waiting", txn.glDate, now);
  }
  return { journal, ledger, notPosted: waiting };
}

function refundLinePosting(
  facts: PostingFacts,
  line: PostedLine & { glStatus: string; lineNumber: number },
  refund: Refund,
  txn: Transaction,
  revenueStatus: string | undefined,
  partner: Partner | undefined,
  now: Date,
): LinePosting {
  const journal = journalRef(facts, line);
  const ledger = ledgerAnswer(facts, line, line.glStatus === "CMPLT", line.glStatus === "RJCT");
  // A reversal posts on its own GL date, or on its payment's if that is later (db/refunds.ts).
  const glDate = refund.glDate === null ? null : ([refund.glDate, txn.glDate].sort()[1] as string);
  let waiting: NotPosted | null = null;
  if (line.glStatus === "RJCT") waiting = notPosted("rejected", glDate, now);
  else if (line.glStatus === "NEW") {
    if (refund.status !== "APPROVED") waiting = notPosted("refund-not-approved", null, now);
    else if (!partner?.glPosting || partner.status !== "ACTIVE") waiting = notPosted("gl-posting-off", glDate, now);
    // The ledger never sees a refund before the revenue it reverses has been accepted.
    else if (revenueStatus !== "PROCESSED") waiting = notPosted("waiting-for-revenue", glDate, now);
    else waiting = notPosted("waiting", glDate, now);
  }
  return { journal, ledger, notPosted: waiting };
}

// ---------------------------------------------------------------- notifications

function deliveryState(row: OutboxRow, endpointDisabled: boolean): DeliveryState {
  switch (row.status) {
    case "DELIVERED":
      return "delivered";
    case "DEAD":
      return "dead";
    case "CANCELLED":
      // Cancelled because the endpoint was disabled (410 Gone, an operator) or removed.
      return endpointDisabled || /disabled/i.test(row.lastError ?? "") ? "disabled" : "cancelled";
    default:
      return "pending";
  }
}

function notificationHistory(row: OutboxRow, tries: WebhookAttemptRow[], endpointDisabled: boolean): NotificationHistory {
  const state = deliveryState(row, endpointDisabled);
  const nextRetryAt = state === "pending" ? row.nextAttemptAt : null;
  return {
    eventId: row.messageId,
    type: row.eventType,
    createdAt: row.createdAt,
    state,
    deliveredAt: row.deliveredAt,
    nextRetryAt,
    lastError: state === "delivered" ? null : row.lastError,
    bodyClearedAt: row.payloadClearedAt,
    attempts: tries.map((attempt, index) => {
      const next = tries[index + 1];
      const succeeded = attempt.statusCode !== null && attempt.statusCode >= 200 && attempt.statusCode < 300;
      return {
        number: attempt.attemptNumber,
        at: attempt.attemptedAt,
        httpStatus: attempt.statusCode,
        error: attempt.error,
        durationMs: attempt.durationMs,
        retryAfterSeconds: attempt.retryAfterSeconds,
        nextRetryAt: succeeded ? null : next ? next.attemptedAt : nextRetryAt,
      };
    }),
  };
}

// ---------------------------------------------------------------- the whole story

/** An event's detail as recorded (JSON); kept as text if it is not. */
function parseDetail(detail: string | null): unknown {
  if (detail === null) return null;
  try {
    return JSON.parse(detail) as unknown;
  } catch {
    return detail;
  }
}

/** Everything support staff need about one payment. */
export async function paymentHistory(db: Db, txn: Transaction, now: Date): Promise<PaymentHistory> {
  const [partner, lines, refunds, events, outbox, receipts, webhook] = await Promise.all([
    findPartner(db, txn.pbcRefNumber),
    listLines(db, txn.id),
    refundsOfTransaction(db, txn.id),
    listEvents(db, txn.id),
    outboxRowsOfTransaction(db, txn.id),
    receiptRequestsOfTransaction(db, txn.id),
    findWebhook(db, txn.pbcRefNumber),
  ]);
  const postedLines = [...lines, ...refunds.lines];
  const ids = <T>(values: Array<T | null>) => [...new Set(values.filter((value): value is T => value !== null))];
  const [batches, feederFiles, tries] = await Promise.all([
    findBatches(db, ids(postedLines.map((line) => line.journalBatchId))),
    findFeederFiles(db, ids(postedLines.map((line) => line.feederFileId))),
    attemptsOfRows(
      db,
      outbox.map((row) => row.id),
    ),
  ]);
  const feedbackFiles = await findFeedbackFiles(db, ids(feederFiles.map((file) => file.feedbackFileId)));
  const facts: PostingFacts = {
    batches: new Map(batches.map((batch) => [batch.id, batch])),
    feederFiles,
    feedbackFiles: new Map(feedbackFiles.map((file) => [file.id, file])),
  };

  // CMPLT is set in the batch that applies the feedback accepting the last of its lines.
  const settled = lines
    .map((line) => feederFiles.find((file) => file.id === line.feederFileId)?.settledAt ?? null)
    .filter((at): at is string => at !== null)
    .sort();
  const completedAt = txn.paymentStatus === "CMPLT" ? (settled.at(-1) ?? null) : null;
  const revenueStatus = new Map(lines.map((line) => [line.lineNumber, line.glStatus]));
  const endpointDisabled = webhook?.status === "DISABLED";

  return {
    payment: {
      pbcRefNumber: txn.pbcRefNumber,
      partnerName: partner?.name ?? null,
      pbcTxnNumber: txn.pbcTxnNumber,
      status: txn.paymentStatus,
      amountCents: txn.trnAmountCents,
      amount: formatCents(txn.trnAmountCents),
      currency: txn.currency,
      description: txn.description,
      trnDate: txn.trnDate,
      glDate: txn.glDate,
      trnOrderId: txn.trnOrderId,
      authCode: txn.paymentAuthCode,
      cardType: txn.cardType,
      cardLastFour: txn.cardLastFour,
      paidAt: txn.paidAt,
      completedAt,
      authorisingAttemptId: txn.authorisingAttemptId,
      declineCount: txn.declineCount,
    },
    revenueLines: lines.map((line) => ({
      lineNumber: line.lineNumber,
      revenueAccount: line.revenueAccount,
      amountCents: line.revenueAmountCents,
      amount: formatCents(line.revenueAmountCents),
      glStatus: line.glStatus,
      posting: revenuePosting(facts, line, txn, partner, now),
    })),
    refunds: refunds.refunds.map((refund) => ({
      refundId: refund.externalId,
      status: refund.status,
      amountCents: refund.amountCents,
      amount: formatCents(refund.amountCents),
      method: refund.method,
      channel: refund.channel,
      requestedBy: refund.requestedBy,
      reason: refund.reason,
      requestedAt: refund.createdAt,
      settledAt: refund.settledAt,
      processorReference: refund.processorRefundId,
      processorMessage: refund.processorMessage,
      glDate: refund.glDate,
      lines: refunds.lines
        .filter((line) => line.refundId === refund.id)
        .map((line) => ({
          lineNumber: line.lineNumber,
          revenueAccount: line.revenueAccount,
          amountCents: line.amountCents,
          amount: formatCents(line.amountCents),
          glStatus: line.glStatus,
          posting: refundLinePosting(facts, line, refund, txn, revenueStatus.get(line.lineNumber), partner, now),
        })),
    })),
    notifications: {
      endpoint: webhook ? { url: webhook.url, status: webhook.status, disabledReason: webhook.disabledReason } : null,
      events: outbox.map((row) =>
        notificationHistory(
          row,
          tries.filter((attempt) => attempt.outboxId === row.id),
          endpointDisabled,
        ),
      ),
    },
    // The query selects attempts with a receipt status; the guard tells the type so.
    receipts: receipts.flatMap(({ attemptNumber, status, updatedAt, email }) =>
      status === null
        ? []
        : [{ attemptNumber, status, at: updatedAt, address: status === "REQUESTED" && email ? maskEmail(email) : null }],
    ),
    events: events.map((event) => ({
      at: event.createdAt,
      attemptNumber: event.attemptNumber,
      eventType: event.eventType,
      detail: parseDetail(event.detail),
    })),
  };
}
