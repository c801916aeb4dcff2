/** Paying: the card form's checks, the authorisation lock (one processor call per transaction), the call. */
import { runBatch } from "../../db/batch.ts";
import { apiKeyRowsFromBatch, validApiKeysQuery } from "../../db/partnerApiKeys.ts";
import { setReceiptRequestQuery, startAuthorisingAfterClaimQuery } from "../../db/paymentAttempts.ts";
import { recordEvent, recordEventIfChangedQuery } from "../../db/paymentEvents.ts";
import { claimAuthorisationQuery } from "../../db/transactions.ts";
import { pacificDate } from "../../domain/businessTime.ts";
import { checkCard, redisplayableValues } from "../../domain/card.ts";
import { parseReceiptEmail, redisplayableEmail } from "../../domain/email.ts";
import { isIn, PAYABLE, TRANSITIONS } from "../../domain/paymentAttempt.ts";
import { en } from "../../i18n/en.ts";
import type { AuthorisationResult } from "../../processor/types.ts";
import { event, isExpired, paid } from "./context.ts";
import { recordOutcome } from "./outcomes.ts";
import { expire } from "./recovery.ts";
import type { CardDeps, CardFormInput, CardView, FormErrors, FormMessages, PaymentContext } from "./types.ts";

/** English, for callers without a page (tests and tools); the route passes the page's language. */
const ENGLISH: FormMessages = { card: en.cardErrors, emailInvalid: en.card.emailInvalid, language: "en" };

/** Recording a processor's answer failed: the outcome is known to the processor, not yet to us. */
export class OutcomeUncertainError extends Error {
  readonly externalId: string;
  constructor(externalId: string, cause: unknown) {
    super("the processor was called but its outcome could not be recorded", { cause });
    this.name = "OutcomeUncertainError";
    this.externalId = externalId;
  }
}

/**
 * The card form submitted. `messages` are the page's words for what is wrong with a field (the route
 * passes its language's catalogue); the receipt address is kept only if this submission authorises.
 */
export async function submitCard(
  deps: CardDeps,
  context: PaymentContext,
  input: CardFormInput,
  messages: FormMessages = ENGLISH,
): Promise<CardView> {
  const { attempt, transaction } = context;
  if (!isIn(PAYABLE, attempt.state) || paid(transaction) || transaction.authorisingAttemptId !== null) {
    return { kind: "card-page", externalId: attempt.externalId };
  }
  if (isExpired(deps, attempt)) return expire(deps, context);

  const check = checkCard(input, transaction.paymentMethod, pacificDate(deps.now), messages.card);
  const receipt = parseReceiptEmail(input.email ?? "");
  if (!check.ok || !receipt.ok) {
    const errors: FormErrors = { ...(check.ok ? {} : check.errors), ...(receipt.ok ? {} : { email: messages.emailInvalid }) };
    await recordEvent(deps.db, event(context, "card_details_invalid", { fields: Object.keys(errors) }), deps.now);
    const values = { ...redisplayableValues(input), email: redisplayableEmail(input.email ?? "") };
    return { kind: "form", context, errors, values, notice: null };
  }
  const card = check.card;

  // The double-charge guard: one conditional UPDATE takes the transaction's authorisation lock (pinned
  // to the amount loaded), and in the same round trip the attempt moves to AUTHORISING and the
  // partner's signing keys are read.
  const [claim, , , , keys] = await runBatch(deps.db, [
    claimAuthorisationQuery(transaction.id, attempt.id, transaction, deps.now),
    startAuthorisingAfterClaimQuery(attempt.id, deps.now),
    recordEventIfChangedQuery(
      event(context, "authorisation_started", { cardType: card.cardType, lastFour: card.lastFour }),
      deps.now,
    ),
    // The receipt address rides with the claim: kept only if this submission is the one authorising
    // (changes() = 1 of the event above, written only when the attempt moved to AUTHORISING).
    setReceiptRequestQuery(attempt.id, receipt.address, messages.language, deps.now),
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
    const authorising = {
      ...attempt,
      state: TRANSITIONS.startAuthorising.to,
      receiptStatus: receipt.address
        ? ("REQUESTED" as const)
        : attempt.receiptStatus === "REQUESTED"
          ? null
          : attempt.receiptStatus,
    };
    return await recordOutcome(deps, { ...context, attempt: authorising }, result, card.lastFour, {
      keyRows: apiKeyRowsFromBatch(keys),
    });
  } catch (error) {
    // The processor was asked: whatever failed here, the person must not be told nothing was taken.
    throw new OutcomeUncertainError(attempt.externalId, error);
  }
}
