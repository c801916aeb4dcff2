/**
 * The state enforcer: every card-page GET lands here and gets the page the payment's state calls for,
 * never a form that can charge twice. It answers a state; views word it and routes choose the status.
 */
import { transitionAttempt } from "../../db/paymentAttempts.ts";
import { recordEvent } from "../../db/paymentEvents.ts";
import { CLOSABLE, isIn, TRANSITIONS } from "../../domain/paymentAttempt.ts";
import { event, isExpired, paid, retriesInPlace } from "./context.ts";
import { deliver, outcomeState, responseOutcome } from "./delivery.ts";
import { expire, settle } from "./recovery.ts";
import type { CardDeps, CardView, PaymentContext } from "./types.ts";

export async function cardPageView(deps: CardDeps, initial: PaymentContext): Promise<CardView> {
  const context = await settle(deps, initial);
  const outcome = responseOutcome(context);
  if (outcome === "declined" && retriesInPlace(context) && context.attempt.redirectedAt === null) {
    // Retry in place: the person chooses between another card and the signed Declined response.
    if (isExpired(deps, context.attempt)) return expire(deps, context);
    return { kind: "outcome", context, state: "declined-retry", triesLeft: triesLeft(deps, context) };
  }
  if (outcome !== null) {
    // First view after the outcome is known (e.g. from the waiting page): take the person back.
    if (context.attempt.redirectedAt === null && (context.attempt.state !== "EXPIRED" || paid(context.transaction))) {
      // Paid through another attempt: this page says so and does not redirect for it.
      if (paid(context.transaction) && context.attempt.state !== "APPROVED")
        return { kind: "outcome", context, state: "success" };
      return deliver(deps, context, outcome);
    }
    return { kind: "outcome", context, state: outcomeState(outcome) };
  }

  const { state } = context.attempt;
  if (state === "AUTHORISING" || state === "UNKNOWN") return { kind: "outcome", context, state: "waiting" };
  if (state === "SUPERSEDED") return { kind: "outcome", context, state: "superseded" };
  if (!isIn(CLOSABLE, state)) return { kind: "outcome", context, state: "in-progress" };
  if (isExpired(deps, context.attempt)) return expire(deps, context);
  if (context.transaction.authorisingAttemptId !== null) return { kind: "outcome", context, state: "in-progress" };
  if (state !== "FAILED") await recordEvent(deps.db, event(context, "card_page_shown"), deps.now);
  return { kind: "form", context, errors: {}, values: {}, notice: formNotice(context) };
}

/** Declines left before the payment is stopped (at least 1 while the attempt can still be retried). */
function triesLeft(deps: CardDeps, context: PaymentContext): number {
  return Math.max(1, deps.config.maxDeclinesPerPayment - context.transaction.declineCount);
}

function formNotice(context: PaymentContext): Extract<CardView, { kind: "form" }>["notice"] {
  if (context.attempt.state === "FAILED") return "processing-failed";
  // Back on the form after "Try another card": the decline is said above the form.
  const retried = context.attempt.outcomeMessage !== null && context.transaction.declineCount > 0 && retriesInPlace(context);
  return retried ? "declined" : null;
}

/** "Try another card" after a decline (retry in place): the attempt is payable again; declines still count. */
export async function retryAfterDecline(deps: CardDeps, context: PaymentContext): Promise<CardView> {
  const { attempt } = context;
  if (
    attempt.state === TRANSITIONS.retry.from[0] &&
    attempt.redirectedAt === null &&
    retriesInPlace(context) &&
    !paid(context.transaction) &&
    !isExpired(deps, attempt) &&
    (await transitionAttempt(deps.db, attempt.id, TRANSITIONS.retry, deps.now))
  ) {
    await recordEvent(deps.db, event(context, "retry_after_decline", { declines: context.transaction.declineCount }), deps.now);
  }
  return { kind: "card-page", externalId: attempt.externalId };
}
