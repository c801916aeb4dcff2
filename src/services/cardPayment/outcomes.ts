/**
 * Recording what the processor said, one function per outcome. With `delivery` (the person is
 * waiting on this request) the signed return URL is built from the given keys and the outcome, its
 * delivery and the audit entry are written in one batch; without, the next page view delivers.
 */
import { runBatch } from "../../db/batch.ts";
import type { ApiKeyRow } from "../../db/partnerApiKeys.ts";
import { transitionAttemptQuery } from "../../db/paymentAttempts.ts";
import { recordEventQuery } from "../../db/paymentEvents.ts";
import { markPaidQuery, releaseAuthorisationQuery } from "../../db/transactions.ts";
import { effectiveGlDate } from "../../domain/businessTime.ts";
import { TRANSITIONS } from "../../domain/paymentAttempt.ts";
import type { AuthorisationResult } from "../../processor/types.ts";
import { enqueueReceipt } from "../receipts.ts";
import { event, reload, retriesInPlace } from "./context.ts";
import { deliveryQueries, partnerReturnUrl } from "./delivery.ts";
import type { CardDeps, CardView, PaymentContext } from "./types.ts";

type Delivery = { keyRows: readonly ApiKeyRow[] } | undefined;
type Result<K extends AuthorisationResult["outcome"]> = Extract<AuthorisationResult, { outcome: K }>;

export function recordOutcome(
  deps: CardDeps,
  context: PaymentContext,
  result: AuthorisationResult,
  lastFour: string | null,
  delivery?: Delivery,
): Promise<CardView> {
  switch (result.outcome) {
    case "approved":
      return recordApproval(deps, context, result, lastFour, delivery);
    case "declined":
      return recordDecline(deps, context, result, delivery);
    case "failed":
      return recordFailure(deps, context, result);
    case "unknown":
      return recordUnknown(deps, context, result);
  }
}

/** Approved -> PAID with the effective GL date (16:00 Pacific cut-off). */
async function recordApproval(
  deps: CardDeps,
  context: PaymentContext,
  result: Result<"approved">,
  lastFour: string | null,
  delivery: Delivery,
): Promise<CardView> {
  const { db, now } = deps;
  const { attempt, transaction } = context;
  const gl = effectiveGlDate(transaction.requestedGlDate, now);
  const approval = {
    trnOrderId: result.trnOrderId,
    paymentAuthCode: result.authCode,
    cardType: result.cardType,
    cardLastFour: result.lastFour || lastFour || "",
    paidAt: now,
    glDate: gl.glDate,
    glBusinessDate: gl.businessDate,
    glAfterCutoff: gl.afterCutoff,
  };
  // What the batch below writes, so the redirect is built without reading it back.
  const updated: PaymentContext = {
    ...context,
    attempt: { ...attempt, state: "APPROVED" },
    transaction: { ...transaction, ...approval, paidAt: now.toISOString(), paymentStatus: "PAID", authorisingAttemptId: null },
  };
  const location = delivery ? await partnerReturnUrl(deps, updated, "approved", delivery.keyRows) : null;
  await runBatch(db, [
    markPaidQuery(db, transaction.id, attempt.id, approval),
    transitionAttemptQuery(db, attempt.id, TRANSITIONS.approve, now, result.message),
    recordEventQuery(
      db,
      event(context, "approved", {
        trnOrderId: result.trnOrderId,
        cardType: result.cardType,
        glDate: gl.glDate,
        afterCutoff: gl.afterCutoff,
      }),
      now,
    ),
    deps.notify.payment("payment.approved", { pbcRefNumber: transaction.pbcRefNumber, transactionId: transaction.id }),
    ...(location ? deliveryQueries(deps, updated, "approved") : []),
    deps.audit.statement("payment.approved", "success", { target: `${transaction.pbcRefNumber}/${transaction.pbcTxnNumber}` }),
  ]);
  // Only now that the approval is committed; the queue sends it after the person has moved on.
  if (attempt.receiptStatus === "REQUESTED") await enqueueReceipt(deps.receipts, attempt.id, deps.log);
  return location ? { kind: "redirect", location } : { kind: "card-page", externalId: attempt.externalId };
}

/**
 * Declined -> lock released and the decline counted; LOCKED after the configured number of declines.
 * A partner that retries in place hears of a decline only when the person chooses to return to it
 * (or the payment is locked): until then the page offers another card.
 */
async function recordDecline(
  deps: CardDeps,
  context: PaymentContext,
  result: Result<"declined">,
  delivery: Delivery,
): Promise<CardView> {
  const { db, now } = deps;
  const { attempt, transaction } = context;
  const lock = transaction.declineCount + 1 >= deps.config.maxDeclinesPerPayment;
  const outcome = lock ? "locked" : "declined";
  const updated: PaymentContext = {
    ...context,
    attempt: { ...attempt, state: lock ? "LOCKED" : "DECLINED" },
    transaction: {
      ...transaction,
      declineCount: transaction.declineCount + 1,
      trnOrderId: result.trnOrderId,
      cardType: result.cardType,
      authorisingAttemptId: null,
    },
  };
  const redirectNow = delivery !== undefined && (lock || !retriesInPlace(context));
  const location = redirectNow ? await partnerReturnUrl(deps, updated, outcome, delivery.keyRows) : null;
  await runBatch(db, [
    releaseAuthorisationQuery(db, transaction.id, attempt.id, { trnOrderId: result.trnOrderId, cardType: result.cardType }, now),
    transitionAttemptQuery(db, attempt.id, lock ? TRANSITIONS.lock : TRANSITIONS.decline, now, result.message),
    recordEventQuery(db, event(context, "declined", { trnOrderId: result.trnOrderId, cardType: result.cardType }), now),
    ...(lock ? [recordEventQuery(db, event(context, "locked", { declines: transaction.declineCount + 1 }), now)] : []),
    // Every decline is reported, also the second one of an attempt retried in place (docs/OPERATIONS.md).
    deps.notify.payment("payment.declined", {
      pbcRefNumber: transaction.pbcRefNumber,
      transactionId: transaction.id,
      attemptId: attempt.id,
      decline: transaction.declineCount + 1,
    }),
    ...(location ? deliveryQueries(deps, updated, outcome) : []),
    deps.audit.statement(lock ? "payment.locked" : "payment.declined", "failure", {
      target: `${transaction.pbcRefNumber}/${transaction.pbcTxnNumber}`,
    }),
  ]);
  return location ? { kind: "redirect", location } : { kind: "card-page", externalId: attempt.externalId };
}

/** Definitely not charged (refused before authorisation): the lock is released and the form shown again. */
async function recordFailure(deps: CardDeps, context: PaymentContext, result: Result<"failed">): Promise<CardView> {
  const { db, now } = deps;
  const { attempt, transaction } = context;
  await runBatch(db, [
    releaseAuthorisationQuery(db, transaction.id, attempt.id, null, now),
    transitionAttemptQuery(db, attempt.id, TRANSITIONS.fail, now, result.message),
    recordEventQuery(db, event(context, "processor_failed", { message: result.message }), now),
  ]);
  return { kind: "form", context: await reload(deps, context), errors: {}, values: {}, notice: "processing-failed" };
}

/** Never reported as declined: it may have been charged. The waiting page and the sweep look it up. */
async function recordUnknown(deps: CardDeps, context: PaymentContext, result: Result<"unknown">): Promise<CardView> {
  const { db, now } = deps;
  await runBatch(db, [
    transitionAttemptQuery(db, context.attempt.id, TRANSITIONS.lose, now, result.message),
    recordEventQuery(db, event(context, "outcome_unknown", { message: result.message }), now),
  ]);
  return { kind: "card-page", externalId: context.attempt.externalId };
}
