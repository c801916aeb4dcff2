/** Payments left behind: expiry, outcomes we did not get (looked up at the processor), and the 5-minute sweep. */

import { runBatch } from "../../db/batch.ts";
import { findPartner } from "../../db/partners.ts";
import { listExpiredOpenAttempts, listUnknownAttempts, transitionAttemptQuery } from "../../db/paymentAttempts.ts";
import { type PaymentEvent, recordEvent, recordEventIfChangedQuery } from "../../db/paymentEvents.ts";
import { findTransactionById } from "../../db/transactions.ts";
import { AWAITING_OUTCOME, isIn, TRANSITIONS } from "../../domain/paymentAttempt.ts";
import type { AuthorisationResult, PaymentProcessor } from "../../processor/types.ts";
import { event, paid, reload } from "./context.ts";
import { outcomeState, responseOutcome } from "./delivery.ts";
import { recordOutcome } from "./outcomes.ts";
import type { CardDeps, CardView, PaymentContext } from "./types.ts";

/** How long an AUTHORISING attempt may sit before we assume its request died and look it up. */
const STALE_AUTHORISING_MS = 2 * 60_000;
/** How long after an unknown outcome a "not found" answer from the processor is believed. */
export const NOT_FOUND_GRACE_MS = 2 * 60_000;

/** The attempt's time ran out before a card was submitted: EXPIRED, and the page says so. */
export async function expire(deps: CardDeps, context: PaymentContext): Promise<CardView> {
  await expireAttempt(deps, context.attempt.id, event(context, "expired"), context.transaction.pbcRefNumber);
  const updated = await reload(deps, context);
  return { kind: "outcome", context: updated, state: outcomeState(responseOutcome(updated) ?? "expired") };
}

/** OPEN/FAILED -> EXPIRED with its event and the partner notification in one batch; whether this call did it. */
async function expireAttempt(
  deps: CardDeps,
  attemptId: number,
  expired: PaymentEvent,
  pbcRefNumber: string | null,
): Promise<boolean> {
  const [changed] = await runBatch(deps.db, [
    transitionAttemptQuery(deps.db, attemptId, TRANSITIONS.expire, deps.now, "Expired"),
    recordEventIfChangedQuery(expired, deps.now),
    ...(pbcRefNumber !== null && expired.transactionId != null
      ? [deps.notify.payment("payment.expired", { pbcRefNumber, transactionId: expired.transactionId, attemptId })]
      : []),
  ]);
  return changed?.meta.changes === 1;
}

/** Ask the processor what happened to an order whose outcome we did not get. */
export async function resolveUnknown(deps: CardDeps, context: PaymentContext): Promise<PaymentContext> {
  const { attempt } = context;
  if (attempt.state === "AUTHORISING" && deps.now.getTime() - Date.parse(attempt.updatedAt) < STALE_AUTHORISING_MS) {
    return context; // the authorising request is still running
  }
  let result: Awaited<ReturnType<PaymentProcessor["lookup"]>>;
  try {
    result = await deps.processor.lookup(attempt.orderNumber);
  } catch (error) {
    deps.log.warn("processor lookup failed", { orderNumber: attempt.orderNumber, error });
    return context;
  }
  if (result.outcome === "unknown") return context;
  // The processor may still be waiting on the bank when our call timed out: "no record" is final
  // only once the order has had time to appear, so an approval is never reported as a failure.
  if (result.outcome === "not_found" && deps.now.getTime() - Date.parse(attempt.updatedAt) < NOT_FOUND_GRACE_MS) return context;
  await recordEvent(deps.db, event(context, "outcome_resolved", { outcome: result.outcome }), deps.now);
  const resolved: AuthorisationResult =
    result.outcome === "not_found" ? { outcome: "failed", message: "The processor has no record of this payment" } : result;
  await recordOutcome(deps, context, resolved, null);
  return reload(deps, context);
}

/** Settle the attempt's outcome if it is still awaited (and a lookup is due). */
export async function settle(deps: CardDeps, context: PaymentContext): Promise<PaymentContext> {
  if (isIn(AWAITING_OUTCOME, context.attempt.state) && !paid(context.transaction)) return resolveUnknown(deps, context);
  return context;
}

/** Whether the waiting page can move on: the outcome is known (resolving an unknown one if it is due). */
export async function outcomeKnown(deps: CardDeps, context: PaymentContext): Promise<boolean> {
  const current = await settle(deps, context);
  if (paid(current.transaction)) return true;
  if (isIn(AWAITING_OUTCOME, current.attempt.state)) return false;
  // Waiting on another attempt of the same transaction.
  return current.transaction.authorisingAttemptId === null;
}

export interface SweepReport {
  expired: number;
  resolved: number;
}

/** Scheduled: expire abandoned payments and resolve unknown outcomes, a bounded page at a time. */
export async function sweepPayments(deps: CardDeps, pageSize = 100): Promise<SweepReport> {
  let expired = 0;
  for (const attempt of await listExpiredOpenAttempts(deps.db, deps.now, pageSize)) {
    const transaction = await findTransactionById(deps.db, attempt.transactionId);
    const expiredEvent: PaymentEvent = {
      eventType: "expired",
      transactionId: attempt.transactionId,
      attemptId: attempt.id,
      attemptNumber: attempt.attemptNumber,
      pbcRefNumber: transaction?.pbcRefNumber ?? null,
      pbcTxnNumber: transaction?.pbcTxnNumber ?? null,
      detail: { by: "sweep" },
    };
    if (await expireAttempt(deps, attempt.id, expiredEvent, transaction?.pbcRefNumber ?? null)) expired++;
  }
  let resolved = 0;
  for (const attempt of await listUnknownAttempts(deps.db, pageSize)) {
    const transaction = await findTransactionById(deps.db, attempt.transactionId);
    const partner = transaction ? await findPartner(deps.db, transaction.pbcRefNumber) : undefined;
    if (!transaction || !partner) continue;
    const after = await resolveUnknown(deps, { attempt, transaction, partner });
    if (after.attempt.state !== attempt.state) resolved++;
  }
  return { expired, resolved };
}
