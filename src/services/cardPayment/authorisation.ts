/** Paying: the card form's checks, the authorisation lock (one processor call per transaction), the call. */
import { runBatch } from "../../db/batch.ts";
import { apiKeyRowsFromBatch, validApiKeysQuery } from "../../db/partnerApiKeys.ts";
import { startAuthorisingAfterClaimQuery } from "../../db/paymentAttempts.ts";
import { recordEvent, recordEventIfChangedQuery } from "../../db/paymentEvents.ts";
import { claimAuthorisationQuery } from "../../db/transactions.ts";
import { pacificDate } from "../../domain/businessTime.ts";
import { type CardInput, checkCard, redisplayableValues } from "../../domain/card.ts";
import { isIn, PAYABLE } from "../../domain/paymentAttempt.ts";
import type { AuthorisationResult } from "../../processor/types.ts";
import { event, isExpired, paid } from "./context.ts";
import { recordOutcome } from "./outcomes.ts";
import { expire } from "./recovery.ts";
import type { CardDeps, CardView, PaymentContext } from "./types.ts";

/** Recording a processor's answer failed: the outcome is known to the processor, not yet to us. */
export class OutcomeUncertainError extends Error {
  readonly externalId: string;
  constructor(externalId: string, cause: unknown) {
    super("the processor was called but its outcome could not be recorded", { cause });
    this.name = "OutcomeUncertainError";
    this.externalId = externalId;
  }
}

export async function submitCard(deps: CardDeps, context: PaymentContext, input: CardInput): Promise<CardView> {
  const { attempt, transaction } = context;
  if (!isIn(PAYABLE, attempt.state) || paid(transaction) || transaction.authorisingAttemptId !== null) {
    return { kind: "card-page", externalId: attempt.externalId };
  }
  if (isExpired(deps, attempt)) return expire(deps, context);

  const check = checkCard(input, transaction.paymentMethod, pacificDate(deps.now));
  if (!check.ok) {
    await recordEvent(deps.db, event(context, "card_details_invalid", { fields: Object.keys(check.errors) }), deps.now);
    return { kind: "form", context, errors: check.errors, values: redisplayableValues(input), notice: null };
  }
  const card = check.card;

  // The double-charge guard: one conditional UPDATE takes the transaction's authorisation lock (pinned
  // to the amount loaded), and in the same round trip the attempt moves to AUTHORISING and the
  // partner's signing keys are read.
  const [claim, , , keys] = await runBatch(deps.db, [
    claimAuthorisationQuery(transaction.id, attempt.id, transaction, deps.now),
    startAuthorisingAfterClaimQuery(attempt.id, deps.now),
    recordEventIfChangedQuery(
      event(context, "authorisation_started", { cardType: card.cardType, lastFour: card.lastFour }),
      deps.now,
    ),
    validApiKeysQuery(deps.db, transaction.pbcRefNumber, deps.now),
  ]);
  if (claim?.meta.changes !== 1 || !keys) return { kind: "card-page", externalId: attempt.externalId };

  let result: AuthorisationResult;
  try {
    result = await deps.processor.authorise({
      orderNumber: attempt.orderNumber,
      amountCents: transaction.trnAmountCents,
      card: {
        kind: "card",
        number: card.number,
        expiryMonth: card.expiryMonth,
        expiryYear: card.expiryYear,
        name: card.name,
        securityCode: card.securityCode,
      },
    });
  } catch (error) {
    deps.log.error("processor call failed", { orderNumber: attempt.orderNumber, error });
    result = { outcome: "unknown", message: "The processor call failed" };
  }
  try {
    return await recordOutcome(deps, { ...context, attempt: { ...attempt, state: "AUTHORISING" } }, result, card.lastFour, {
      keyRows: apiKeyRowsFromBatch(keys),
    });
  } catch (error) {
    // The processor was asked: whatever failed here, the person must not be told nothing was taken.
    throw new OutcomeUncertainError(attempt.externalId, error);
  }
}
