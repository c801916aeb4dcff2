/** The signed outcome delivered to the partner: the return URL, its record, cancel and "Return to service". */
import { runBatch } from "../../db/batch.ts";
import { type ApiKeyRow, responseSigningKey } from "../../db/partnerApiKeys.ts";
import { markRedirectedQuery, transitionAttemptQuery } from "../../db/paymentAttempts.ts";
import { recordEventIfChangedQuery, recordEventQuery } from "../../db/paymentEvents.ts";
import { OUTCOME_OF, TRANSITIONS } from "../../domain/paymentAttempt.ts";
import { paymentResponsePairs, type ResponseOutcome, signedRedirectUrl } from "../../domain/paymentResponse.ts";
import { event, paid, reload } from "./context.ts";
import type { CardDeps, CardView, OutcomeState, PaymentContext } from "./types.ts";

/** The outcome the partner is told for this attempt, or null while there is none yet. */
export function responseOutcome(context: PaymentContext): ResponseOutcome | null {
  if (paid(context.transaction)) return "approved";
  return OUTCOME_OF[context.attempt.state] ?? null;
}

export async function partnerReturnUrl(
  deps: CardDeps,
  context: PaymentContext,
  outcome: ResponseOutcome,
  keyRows?: readonly ApiKeyRow[],
): Promise<string> {
  const { transaction } = context;
  const key = await responseSigningKey(
    deps.db,
    deps.encryptionKey,
    transaction.pbcRefNumber,
    transaction.apiKeyId,
    deps.now,
    keyRows,
  );
  if (key === null) throw new Error(`partner ${transaction.pbcRefNumber} has no API key`);
  const pairs = paymentResponsePairs(outcome, {
    pbcTxnNumber: transaction.pbcTxnNumber,
    trnAmountCents: transaction.trnAmountCents,
    trnDate: transaction.trnDate,
    paymentMethod: transaction.paymentMethod,
    ref1: transaction.ref1,
    ref2: transaction.ref2,
    ref3: transaction.ref3,
    trnOrderId: outcome === "approved" || outcome === "declined" ? transaction.trnOrderId : null,
    cardType: outcome === "approved" || outcome === "declined" ? transaction.cardType : null,
    paymentAuthCode: transaction.paymentAuthCode,
  });
  return signedRedirectUrl(transaction.redirectUri, pairs, { key, algorithm: context.partner.signingAlgorithm });
}

/** Statements that record the delivery of the outcome to the partner. */
export function deliveryQueries(deps: CardDeps, context: PaymentContext, outcome: ResponseOutcome) {
  return [
    markRedirectedQuery(deps.db, context.attempt.id, deps.now),
    // The amount the signed response carries, for reconciliation.
    recordEventQuery(
      deps.db,
      event(context, "redirected", { outcome, trnAmountCents: context.transaction.trnAmountCents }),
      deps.now,
    ),
  ];
}

/** Send the browser back to the partner with the outcome, recording the delivery. */
export async function deliver(deps: CardDeps, context: PaymentContext, outcome: ResponseOutcome): Promise<CardView> {
  const location = await partnerReturnUrl(deps, context, outcome);
  await runBatch(deps.db, deliveryQueries(deps, context, outcome));
  return { kind: "redirect", location };
}

export async function cancelPayment(deps: CardDeps, context: PaymentContext): Promise<CardView> {
  const { attempt, transaction } = context;
  if (paid(transaction) || transaction.authorisingAttemptId !== null)
    return { kind: "card-page", externalId: attempt.externalId };
  // The state change, its event and the partner notification commit together.
  const [cancelled] = await runBatch(deps.db, [
    transitionAttemptQuery(deps.db, attempt.id, TRANSITIONS.cancel, deps.now, "Cancelled"),
    recordEventIfChangedQuery(event(context, "cancelled"), deps.now),
    deps.notify.payment("payment.cancelled", {
      pbcRefNumber: transaction.pbcRefNumber,
      transactionId: transaction.id,
      attemptId: attempt.id,
    }),
  ]);
  if (cancelled?.meta.changes !== 1) return { kind: "card-page", externalId: attempt.externalId };
  return deliver(deps, await reload(deps, context), "cancelled");
}

/** The "Return to service" link: the signed outcome for this attempt, or back to the card page. */
export async function returnToService(deps: CardDeps, context: PaymentContext): Promise<CardView> {
  const outcome = responseOutcome(context);
  if (outcome === null) return { kind: "card-page", externalId: context.attempt.externalId };
  return deliver(deps, context, outcome);
}

/** The page for an outcome the partner is told. */
export function outcomeState(outcome: ResponseOutcome): OutcomeState {
  return outcome === "approved" ? "success" : outcome;
}
