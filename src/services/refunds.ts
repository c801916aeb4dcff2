/**
 * Refunds: reserve the amount in D1 (one conditional INSERT, so simultaneous requests never refund
 * more than was paid), ask the processor once, record its answer. An answer that was not received
 * is UNKNOWN, never DECLINED: the refund's order number is looked up (here when asked again, and by
 * the 5-minute sweep) before anything is reported.
 *
 * State machine: PENDING -> APPROVED | DECLINED | UNKNOWN; UNKNOWN (or a PENDING left by a dead
 * request) -> APPROVED | DECLINED by lookup. Every change goes through `transition()`: one batch
 * with its event row, then its audit entry; that is the place to hook notifications.
 */
import { sql } from "drizzle-orm";
import { findArchivedPaymentQuery } from "../db/archive.ts";
import { runBatch, type Statement } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import { recordEventIfChangedQuery } from "../db/paymentEvents.ts";
import {
  findRefundByIdempotencyKey,
  listUnsettledRefunds,
  refundLinesOfTransactionQuery,
  refundsOfTransactionQuery,
  reserveRefundQueries,
  type Settlement,
  saveResponseQuery,
  settleRefundQuery,
} from "../db/refunds.ts";
import { linesOfTransactionQuery } from "../db/revenueLines.ts";
import type { Refund, RefundLineRow, RefundStatus, RevenueLineRow, Transaction } from "../db/schema.ts";
import { findTransactionQuery, transactionIdByNumberSql } from "../db/transactions.ts";
import { effectiveGlDate, pacificDate } from "../domain/businessTime.ts";
import {
  archivedRefundSummary,
  planRefund,
  type RefundLineRequest,
  type RefundSummary,
  refundMethod,
  refundSummary,
} from "../domain/refund.ts";
import { type RefundResource, refundResource } from "../domain/refundView.ts";
import { randomToken, sha256Hex } from "../lib/crypto.ts";
import type { Logger } from "../lib/logger.ts";
import type { RefundLookupResult, RefundProcessor, RefundResult } from "../processor/types.ts";
import { readArchivedPayment } from "./archive.ts";
import type { AuditRecorder } from "./audit.ts";
import type { Notifier } from "./notifications.ts";

export interface RefundDeps {
  db: Db;
  processor: RefundProcessor;
  audit: AuditRecorder;
  /** Partner notifications: refund.approved / refund.declined commit with the refund's settlement. */
  notify: Notifier;
  log: Logger;
  now: Date;
}

export const DUPLICATE_REFUND_MESSAGE = "Duplicate refund - Refund has been already processed";
/** A PENDING refund untouched this long lost its request: look it up. */
export const STALE_PENDING_MS = 2 * 60_000;
/** How long after the refund was sent a "not found" answer from the processor is believed. */
export const REFUND_NOT_FOUND_GRACE_MS = 2 * 60_000;

export interface RefundAsk {
  pbcRefNumber: string;
  pbcTxnNumber: string;
  /** The partner asking (only its own payments exist for it); null for support staff. */
  ownerRef: string | null;
  channel: Refund["channel"];
  /** `client:<id>` or `staff:<name>`: kept on the refund and in the audit log. */
  requestedBy: string;
  amountCents: number;
  lines?: readonly RefundLineRequest[] | undefined;
  reason?: string | null | undefined;
  /** PayBC service: the payment's trnOrderId, which must match. */
  trnOrderId?: string | undefined;
  /** REST: refundAmountAvailable as the caller last saw it (412 when stale). */
  expectedAvailableCents?: number | undefined;
  /** REST: Idempotency-Key. */
  idempotencyKey?: string | undefined;
  /** PayBC service: the same request again is refused as a duplicate. */
  refuseDuplicate?: boolean | undefined;
}

export type RefundOutcome =
  /** The refund exists; its status says what the processor did (PENDING/UNKNOWN: not known yet). */
  | { kind: "created"; refund: RefundResource; row: Refund; summary: RefundSummary }
  /** The first response to this Idempotency-Key, again. */
  | { kind: "replay"; body: RefundResource }
  | { kind: "not-found" }
  /** The payment left D1 for the archive (finished > 13 months ago): it is known but cannot be refunded here. */
  | { kind: "archived"; archivedOn: string; message: string }
  | { kind: "invalid"; errors: string[] }
  | { kind: "not-refundable"; message: string }
  | { kind: "duplicate"; message: string }
  | { kind: "stale"; amountAvailableCents: number }
  | { kind: "idempotency-conflict"; message: string };

interface PaymentState {
  transaction: Transaction;
  lines: RevenueLineRow[];
  refunds: Refund[];
  refundLines: RefundLineRow[];
}

const HOLDING: readonly RefundStatus[] = ["PENDING", "APPROVED", "UNKNOWN"];
const paid = (transaction: Transaction) => transaction.paymentStatus === "PAID" || transaction.paymentStatus === "CMPLT";

/** The payment with its revenue lines and refunds, in one round trip; another partner's is not found. */
export async function loadPaymentState(
  db: Db,
  ownerRef: string | null,
  pbcRefNumber: string,
  pbcTxnNumber: string,
): Promise<PaymentState | null> {
  if (ownerRef !== null && ownerRef !== pbcRefNumber) return null;
  const [rows, lines, found, foundLines] = await db.batch(paymentStateQueries(db, pbcRefNumber, pbcTxnNumber));
  const transaction = rows[0];
  if (!transaction) return null;
  return { transaction, lines, refunds: found, refundLines: foundLines };
}

function paymentStateQueries(db: Db, pbcRefNumber: string, pbcTxnNumber: string) {
  return [
    findTransactionQuery(db, pbcRefNumber, pbcTxnNumber),
    linesOfTransactionQuery(db, pbcRefNumber, pbcTxnNumber),
    refundsOfTransactionQuery(db, transactionIdByNumberSql(pbcRefNumber, pbcTxnNumber)),
    refundLinesOfTransactionQuery(db, transactionIdByNumberSql(pbcRefNumber, pbcTxnNumber)),
  ] as const;
}

function holdingCents(state: PaymentState): number {
  return state.refunds.filter((refund) => HOLDING.includes(refund.status)).reduce((sum, refund) => sum + refund.amountCents, 0);
}

/** What the refund summary shows for the payment. */
export function summaryOf(state: PaymentState): RefundSummary {
  const approved = state.refunds.filter((r) => r.status === "APPROVED").reduce((sum, r) => sum + r.amountCents, 0);
  const inFlight = state.refunds
    .filter((r) => r.status === "PENDING" || r.status === "UNKNOWN")
    .reduce((sum, r) => sum + r.amountCents, 0);
  return refundSummary(paid(state.transaction), state.transaction.trnAmountCents, approved, inFlight);
}

function refundableLines(state: PaymentState) {
  const holdingIds = new Set(state.refunds.filter((r) => HOLDING.includes(r.status)).map((r) => r.id));
  return state.lines.map((line) => ({
    lineNumber: line.lineNumber,
    amountCents: line.revenueAmountCents,
    heldCents: state.refundLines
      .filter((rl) => rl.lineNumber === line.lineNumber && holdingIds.has(rl.refundId))
      .reduce((sum, rl) => sum + rl.amountCents, 0),
  }));
}

async function fingerprintOf(transactionId: number, ask: RefundAsk): Promise<string> {
  return sha256Hex(
    JSON.stringify([
      transactionId,
      ask.amountCents,
      ask.lines ? [...ask.lines].sort((a, b) => a.lineNumber - b.lineNumber).map((l) => [l.lineNumber, l.amountCents]) : null,
      ask.reason ?? null,
      ask.expectedAvailableCents ?? null,
    ]),
  );
}

function resourceOf(refund: Refund, lines: readonly RefundLineRow[]): RefundResource {
  return refundResource(
    refund,
    lines.filter((line) => line.refundId === refund.id),
  );
}

function replayOrConflict(existing: Refund, fingerprint: string, state: PaymentState | null): RefundOutcome {
  if (existing.requestFingerprint !== fingerprint || (state && existing.transactionId !== state.transaction.id)) {
    return {
      kind: "idempotency-conflict",
      message: "This Idempotency-Key was used with a different request: use a new key for a new refund",
    };
  }
  if (existing.responseBody === null) {
    return {
      kind: "idempotency-conflict",
      message: "A request with this Idempotency-Key is still being processed: try again shortly",
    };
  }
  return { kind: "replay", body: JSON.parse(existing.responseBody) as RefundResource };
}

type RefundTarget = { state: PaymentState } | Extract<RefundOutcome, { kind: "archived" | "not-found" }>;

/**
 * The payment to refund, or why there is none: the archive's index row is read in the same batch
 * (no extra round trip), so an archived payment is refused as archived, not as never received.
 */
async function loadRefundTarget(db: Db, ask: RefundAsk): Promise<RefundTarget> {
  if (ask.ownerRef !== null && ask.ownerRef !== ask.pbcRefNumber) return { kind: "not-found" };
  const [rows, lines, found, foundLines, archived] = await db.batch([
    ...paymentStateQueries(db, ask.pbcRefNumber, ask.pbcTxnNumber),
    findArchivedPaymentQuery(db, ask.pbcRefNumber, ask.pbcTxnNumber),
  ]);
  const transaction = rows[0];
  if (transaction) return { state: { transaction, lines, refunds: found, refundLines: foundLines } };
  const hit = archived[0];
  return hit ? archivedRefusal(hit.payment.archivedAt) : { kind: "not-found" };
}

/**
 * Why an archived payment is not refunded. The processor reference
 * (/work/shared/reference/refunds-and-notifications.md, "The processor") gives one time rule:
 * "Void: POST /v1/payments/{transId}/void with the full amount, only on the day of the purchase
 * (before about 23:59 Eastern); after that only a return", and for returns only "partial returns
 * allowed up to the original amount" — it names no window for returns. The portal's own rule
 * decides: a payment is archived at the earliest 13 months (ARCHIVE_PAYMENTS_AFTER_MONTHS, at least
 * 12) after it was finished, and its lines and refunds have left D1, so the one conditional
 * statement that keeps refunds within what was paid (reserveRefundQueries) has nothing to hold
 * against. Such a refund is a finance decision made outside the portal.
 */
function archivedRefusal(archivedAt: string | null): Extract<RefundOutcome, { kind: "archived" }> {
  const archivedOn = archivedAt ? pacificDate(new Date(archivedAt)) : "an unrecorded date";
  return {
    kind: "archived",
    archivedOn,
    message: `This payment was archived on ${archivedOn} (more than 12 months after it was finished) and can no longer be refunded through the portal: a refund must be made outside it`,
  };
}

export async function requestRefund(deps: RefundDeps, ask: RefundAsk): Promise<RefundOutcome> {
  const { db, now } = deps;
  const target = await loadRefundTarget(db, ask);
  if (!("state" in target)) return refuseArchived(deps, ask, target);
  const { state } = target;
  const { transaction } = state;
  const auditTarget = `${transaction.pbcRefNumber}/${transaction.pbcTxnNumber}`;
  const fingerprint = await fingerprintOf(transaction.id, ask);

  if (ask.idempotencyKey) {
    const existing = await findRefundByIdempotencyKey(db, transaction.pbcRefNumber, ask.idempotencyKey);
    if (existing) return replayOrConflict(existing, fingerprint, state);
  }
  const refuse = async (outcome: Exclude<RefundOutcome, { kind: "created" | "replay" }>): Promise<RefundOutcome> => {
    await deps.audit("refund.refused", "failure", {
      actor: ask.requestedBy,
      target: auditTarget,
      detail: { reason: outcome.kind, amountCents: ask.amountCents },
    });
    return outcome;
  };
  if (!paid(transaction)) {
    return refuse({
      kind: "not-refundable",
      message: "Only a PAID or CMPLT payment can be refunded: this payment is PNDNG (no payment was made)",
    });
  }
  if (ask.trnOrderId !== undefined && ask.trnOrderId !== transaction.trnOrderId) {
    return refuse({ kind: "invalid", errors: ["orderNumber does not match the payment's trnOrderId"] });
  }
  if (ask.refuseDuplicate && state.refunds.some((r) => r.requestFingerprint === fingerprint && HOLDING.includes(r.status))) {
    return refuse({ kind: "duplicate", message: DUPLICATE_REFUND_MESSAGE });
  }
  const available = transaction.trnAmountCents - holdingCents(state);
  if (ask.expectedAvailableCents !== undefined && ask.expectedAvailableCents !== available) {
    return refuse({ kind: "stale", amountAvailableCents: Math.max(0, available) });
  }
  const plan = planRefund(refundableLines(state), ask.amountCents, ask.lines);
  if (!plan.ok) return refuse({ kind: "invalid", errors: plan.errors });

  const externalId = `rf_${randomToken(15)}`;
  const orderNumber = `RF${(await sha256Hex(externalId)).slice(0, 24).toUpperCase()}`;
  const wholePayment = plan.amountCents === transaction.trnAmountCents && state.refunds.every((r) => r.status === "DECLINED");
  const method = refundMethod(new Date(transaction.paidAt ?? now.toISOString()), now, wholePayment);
  const { reserve, lines } = reserveRefundQueries(
    {
      externalId,
      transactionId: transaction.id,
      orderNumber,
      amountCents: plan.amountCents,
      lines: plan.lines,
      channel: ask.channel,
      requestedBy: ask.requestedBy,
      reason: ask.reason ?? null,
      requestFingerprint: fingerprint,
      idempotencyKey: ask.idempotencyKey ?? null,
      expectedAvailableCents: ask.expectedAvailableCents ?? null,
      refuseDuplicate: ask.refuseDuplicate ?? false,
    },
    now,
  );
  const reserved = await runBatch(db, [
    reserve,
    recordEventIfChangedQuery(
      {
        eventType: "refund_requested",
        transactionId: transaction.id,
        pbcRefNumber: transaction.pbcRefNumber,
        pbcTxnNumber: transaction.pbcTxnNumber,
        detail: {
          refundId: externalId,
          amountCents: plan.amountCents,
          lines: plan.lines,
          by: ask.requestedBy,
          channel: ask.channel,
        },
      },
      now,
    ),
    lines,
  ]);
  if (reserved[0]?.meta.changes !== 1) return explainRefusal(deps, ask, fingerprint, refuse);
  await deps.audit("refund.requested", "success", {
    actor: ask.requestedBy,
    target: auditTarget,
    detail: { refundId: externalId, amountCents: plan.amountCents, reason: ask.reason ?? null },
  });

  let result: RefundResult;
  try {
    result = await deps.processor.refund({
      orderNumber,
      purchaseId: transaction.trnOrderId ?? "",
      amountCents: plan.amountCents,
      method,
    });
  } catch (error) {
    deps.log.error("processor refund call failed", { orderNumber, error: String(error) });
    result = { outcome: "unknown", message: "The processor call failed" };
  }
  await settle(deps, { externalId, transactionId: transaction.id }, result, ["PENDING"]);
  const after = await loadPaymentState(db, null, transaction.pbcRefNumber, transaction.pbcTxnNumber);
  const current = after?.refunds.find((r) => r.externalId === externalId);
  if (!after || !current) throw new Error(`refund ${externalId} vanished`);
  const resource = resourceOf(current, after.refundLines);
  if (ask.idempotencyKey) await saveResponseQuery(db, current.id, resource);
  return { kind: "created", refund: resource, row: current, summary: summaryOf(after) };
}

/** Not found is answered as it is; an archived payment's refusal is also kept in the audit log. */
async function refuseArchived(
  deps: RefundDeps,
  ask: RefundAsk,
  outcome: Extract<RefundOutcome, { kind: "archived" | "not-found" }>,
): Promise<RefundOutcome> {
  if (outcome.kind === "archived") {
    await deps.audit("refund.refused", "failure", {
      actor: ask.requestedBy,
      target: `${ask.pbcRefNumber}/${ask.pbcTxnNumber}`,
      detail: { reason: "archived", archivedOn: outcome.archivedOn, amountCents: ask.amountCents },
    });
  }
  return outcome;
}

/** Why the reservation inserted nothing, decided again from a fresh read (a concurrent request won). */
async function explainRefusal(
  deps: RefundDeps,
  ask: RefundAsk,
  fingerprint: string,
  refuse: (outcome: Exclude<RefundOutcome, { kind: "created" | "replay" }>) => Promise<RefundOutcome>,
): Promise<RefundOutcome> {
  const target = await loadRefundTarget(deps.db, ask);
  if (!("state" in target)) return refuseArchived(deps, ask, target);
  const { state } = target;
  if (ask.idempotencyKey) {
    const existing = await findRefundByIdempotencyKey(deps.db, state.transaction.pbcRefNumber, ask.idempotencyKey);
    if (existing) return replayOrConflict(existing, fingerprint, state);
  }
  if (!paid(state.transaction))
    return refuse({ kind: "not-refundable", message: "Only a PAID or CMPLT payment can be refunded" });
  if (ask.refuseDuplicate && state.refunds.some((r) => r.requestFingerprint === fingerprint && HOLDING.includes(r.status))) {
    return refuse({ kind: "duplicate", message: DUPLICATE_REFUND_MESSAGE });
  }
  const available = Math.max(0, state.transaction.trnAmountCents - holdingCents(state));
  if (ask.expectedAvailableCents !== undefined && ask.expectedAvailableCents !== available) {
    return refuse({ kind: "stale", amountAvailableCents: available });
  }
  const plan = planRefund(refundableLines(state), ask.amountCents, ask.lines);
  return refuse({ kind: "invalid", errors: plan.ok ? ["The refund exceeds the amount available for refund"] : plan.errors });
}

/** Record the processor's answer (or lookup) on the refund. */
async function settle(
  deps: RefundDeps,
  refund: Pick<Refund, "externalId"> & { transactionId: number },
  result: RefundResult | RefundLookupResult,
  from: readonly RefundStatus[],
  resolvedBy?: string,
): Promise<boolean> {
  const { db } = deps;
  const [row] = await db.batch([refundsOfTransactionQuery(db, refund.transactionId)]);
  const current = row.find((r) => r.externalId === refund.externalId);
  if (!current) return false;
  let settlement: Settlement;
  switch (result.outcome) {
    case "approved": {
      // The refund's own GL date: its Pacific business date, moved past the 16:00 cut-off.
      const gl = effectiveGlDate(pacificDate(deps.now), deps.now);
      settlement = {
        status: "APPROVED",
        method: result.method,
        processorRefundId: result.refundId,
        processorMessage: result.message,
        businessDate: gl.businessDate,
        glDate: gl.glDate,
        glAfterCutoff: gl.afterCutoff,
      };
      break;
    }
    case "declined":
      settlement = { status: "DECLINED", processorMessage: result.message };
      break;
    case "not_found":
      settlement = { status: "DECLINED", processorMessage: "The processor has no record of this refund: nothing was refunded" };
      break;
    case "unknown":
      if (current.status === "UNKNOWN") return false;
      settlement = { status: "UNKNOWN", processorMessage: result.message };
      break;
  }
  return transition(deps, current, from, settlement, resolvedBy);
}

const EVENT_OF: Record<Settlement["status"], "refund_approved" | "refund_declined" | "refund_unknown"> = {
  APPROVED: "refund_approved",
  DECLINED: "refund_declined",
  UNKNOWN: "refund_unknown",
};

/**
 * The one place a refund changes state: the update, its event row (only if the update changed the
 * row) and then the audit entry. Statements in `extra` commit in the same batch (e.g. an outbox row).
 */
export async function transition(
  deps: RefundDeps,
  refund: Refund,
  from: readonly RefundStatus[],
  settlement: Settlement,
  resolvedBy?: string,
  extra: Statement[] = [],
): Promise<boolean> {
  const results = await runBatch(deps.db, [
    settleRefundQuery(deps.db, refund.id, from, settlement, deps.now),
    recordEventIfChangedQuery(
      {
        eventType: resolvedBy ? "refund_resolved" : EVENT_OF[settlement.status],
        transactionId: refund.transactionId,
        pbcRefNumber: refund.pbcRefNumber,
        pbcTxnNumber: refund.pbcTxnNumber,
        detail: {
          refundId: refund.externalId,
          status: settlement.status,
          amountCents: refund.amountCents,
          method: settlement.method ?? null,
          message: settlement.processorMessage,
          ...(resolvedBy ? { by: resolvedBy } : {}),
        },
      },
      deps.now,
    ),
    ...(settlement.status === "APPROVED" || settlement.status === "DECLINED"
      ? [
          deps.notify.refund(
            settlement.status === "APPROVED" ? "refund.approved" : "refund.declined",
            { pbcRefNumber: refund.pbcRefNumber, transactionId: refund.transactionId, refundId: refund.id },
            sql`EXISTS (SELECT 1 FROM refunds WHERE id = ${refund.id} AND status = ${settlement.status})`,
          ),
        ]
      : []),
    ...extra,
  ]);
  const changed = results[0]?.meta.changes === 1;
  if (changed) {
    await deps.audit(`refund.${settlement.status.toLowerCase()}`, settlement.status === "DECLINED" ? "failure" : "success", {
      target: `${refund.pbcRefNumber}/${refund.pbcTxnNumber}`,
      detail: { refundId: refund.externalId, amountCents: refund.amountCents, message: settlement.processorMessage },
    });
  }
  return changed;
}

/** Look an unsettled refund up at the processor and record what it says (nothing while it cannot tell). */
export async function resolveRefund(deps: RefundDeps, refund: Refund, purchaseId: string): Promise<boolean> {
  if (refund.status === "PENDING" && deps.now.getTime() - Date.parse(refund.updatedAt) < STALE_PENDING_MS) return false;
  let result: RefundLookupResult;
  try {
    result = await deps.processor.lookupRefund(refund.orderNumber, purchaseId);
  } catch (error) {
    deps.log.warn("processor refund lookup failed", { orderNumber: refund.orderNumber, error: String(error) });
    return false;
  }
  if (result.outcome === "unknown") return false;
  // The processor may not show the refund yet: "no record" is final only after a grace period.
  if (result.outcome === "not_found" && deps.now.getTime() - Date.parse(refund.createdAt) < REFUND_NOT_FOUND_GRACE_MS)
    return false;
  return settle(deps, refund, result, ["PENDING", "UNKNOWN"], "lookup");
}

export interface RefundSweepReport {
  resolved: number;
  stillUnknown: number;
}

/** Scheduled (with the payment sweep): settle refunds whose answer was lost, a bounded page at a time. */
export async function sweepRefunds(deps: RefundDeps, pageSize = 100): Promise<RefundSweepReport> {
  let resolved = 0;
  let stillUnknown = 0;
  const stale = new Date(deps.now.getTime() - STALE_PENDING_MS);
  for (const refund of await listUnsettledRefunds(deps.db, stale, pageSize)) {
    const state = await loadPaymentState(deps.db, null, refund.pbcRefNumber, refund.pbcTxnNumber);
    if (!state?.transaction.trnOrderId) continue;
    if (await resolveRefund(deps, refund, state.transaction.trnOrderId)) resolved++;
    else stillUnknown++;
  }
  return { resolved, stillUnknown };
}

/**
 * The partner's refunds of one payment (REST GET), newest last, with the summary. An archived
 * payment's are read from its archive record (given the bucket), as they were when it left D1,
 * with nothing available (it can no longer be refunded here) and when it was archived.
 */
export async function listPaymentRefunds(
  deps: Pick<RefundDeps, "db"> & { archive?: R2Bucket },
  ownerRef: string | null,
  pbcRefNumber: string,
  pbcTxnNumber: string,
): Promise<{ refunds: RefundResource[]; summary: RefundSummary; archivedAt?: string } | null> {
  const state = await loadPaymentState(deps.db, ownerRef, pbcRefNumber, pbcTxnNumber);
  if (state) return { refunds: state.refunds.map((refund) => resourceOf(refund, state.refundLines)), summary: summaryOf(state) };
  if (!deps.archive || (ownerRef !== null && ownerRef !== pbcRefNumber)) return null;
  const archived = await readArchivedPayment(deps.db, deps.archive, pbcRefNumber, pbcTxnNumber);
  if (!archived) return null;
  const { record } = archived;
  const recorded = {
    transaction: record.transaction,
    lines: record.revenueLines,
    refunds: record.refunds,
    refundLines: record.refundLines,
  };
  return {
    refunds: record.refunds.map((refund) => resourceOf(refund, record.refundLines)),
    summary: archivedRefundSummary(summaryOf(recorded)),
    archivedAt: archived.hit.payment.archivedAt ?? "",
  };
}
