/** Small helpers shared by the card payment services. */
import { findAttempt } from "../../db/paymentAttempts.ts";
import type { PaymentEvent } from "../../db/paymentEvents.ts";
import type { PaymentAttempt, Transaction } from "../../db/schema.ts";
import { findTransactionById } from "../../db/transactions.ts";
import type { CardDeps, PaymentContext } from "./types.ts";

export function event(
  context: PaymentContext,
  eventType: PaymentEvent["eventType"],
  detail?: Record<string, unknown>,
): PaymentEvent {
  return {
    eventType,
    transactionId: context.transaction.id,
    attemptId: context.attempt.id,
    attemptNumber: context.attempt.attemptNumber,
    pbcRefNumber: context.transaction.pbcRefNumber,
    pbcTxnNumber: context.transaction.pbcTxnNumber,
    detail: detail ?? null,
  };
}

export async function reload(deps: CardDeps, context: PaymentContext): Promise<PaymentContext> {
  const attempt = (await findAttempt(deps.db, context.attempt.externalId)) ?? context.attempt;
  const transaction = (await findTransactionById(deps.db, context.transaction.id)) ?? context.transaction;
  return { ...context, attempt, transaction };
}

export function isExpired(deps: CardDeps, attempt: PaymentAttempt): boolean {
  return Date.parse(attempt.expiresAt) <= deps.now.getTime();
}

export const paid = (transaction: Transaction) => transaction.paymentStatus !== "PNDNG";

/** The partner lets the person try another card after a decline (partners.on_decline). */
export const retriesInPlace = (context: PaymentContext) => context.partner.onDecline === "retry";
