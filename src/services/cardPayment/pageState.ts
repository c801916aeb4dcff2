/**
 * The state enforcer: every card-page GET lands here and gets the page the payment's state calls for,
 * never a form that can charge twice. It answers a state; views word it and routes choose the status.
 */
import { recordEvent } from "../../db/paymentEvents.ts";
import { CLOSABLE, isIn } from "../../domain/paymentAttempt.ts";
import { event, isExpired, paid } from "./context.ts";
import { deliver, outcomeState, responseOutcome } from "./delivery.ts";
import { expire, settle } from "./recovery.ts";
import type { CardDeps, CardView, PaymentContext } from "./types.ts";

export async function cardPageView(deps: CardDeps, initial: PaymentContext): Promise<CardView> {
  const context = await settle(deps, initial);
  const outcome = responseOutcome(context);
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
  return { kind: "form", context, errors: {}, values: {}, notice: state === "FAILED" ? "processing-failed" : null };
}
