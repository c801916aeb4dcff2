/** Paying: the card form's checks, the authorisation lock (one processor call per transaction), the call. */
import { sql } from "drizzle-orm";
import { runBatch, tableRows } from "../../db/batch.ts";
import { apiKeyRowsFromBatch, validApiKeysQuery } from "../../db/partnerApiKeys.ts";
import { findPartnerQuery } from "../../db/partners.ts";
import {
  attemptTransactionId,
  findAttemptQuery,
  setReceiptRequestQuery,
  startAuthorisingAfterClaimQuery,
} from "../../db/paymentAttempts.ts";
import { recordAttemptEventIfChangedQuery, recordEvent } from "../../db/paymentEvents.ts";
import { partners, paymentAttempts, transactions } from "../../db/schema.ts";
import { claimAuthorisationQuery, findTransactionByIdSqlQuery } from "../../db/transactions.ts";
import { pacificDate } from "../../domain/businessTime.ts";
import { type CardCheck, checkCard, paymentMethodsFor, redisplayableValues } from "../../domain/card.ts";
import { parseReceiptEmail, redisplayableEmail } from "../../domain/email.ts";
import { isIn, PAYABLE } from "../../domain/paymentAttempt.ts";
import { en } from "../../i18n/en.ts";
import { sha256Hex } from "../../lib/crypto.ts";
import type { AuthorisationResult } from "../../processor/types.ts";
import { event, isExpired, paid } from "./context.ts";
import { recordOutcome } from "./outcomes.ts";
import { expire } from "./recovery.ts";
import { loadContext } from "./session.ts";
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

/** A card form as the browser sent it: the attempt it is for, the browser's session and the fields. */
export interface CardSubmission {
  externalId: string;
  sessionToken: string | undefined;
  input: CardFormInput;
  /** The form's words in the payment's language (the route's catalogue); English without. */
  messagesFor?: (context: PaymentContext) => FormMessages;
  /**
   * The person's own language choice (the page's switch), which outranks the partner's signed
   * language for the receipt; `browser` is the language when neither chose. English without.
   */
  language?: { chosen: "en" | "fr" | null; browser: "en" | "fr" };
}

/**
 * The card form submitted. The form's own checks need no database, so they come first; then one D1
 * batch both takes the authorisation lock (keyed by the attempt's public id and the browser's
 * session, pinned to the amount it returns) and loads the payment; then the processor call; then one
 * batch records the outcome: 2 round trips for an approval or a decline. Whatever the lock refused
 * (no session, not payable, expired, a card this payment method does not take) is answered from the
 * rows the same batch read. The receipt address is kept only if this submission authorises.
 */
export async function submitCard(deps: CardDeps, submission: CardSubmission): Promise<CardView> {
  const { externalId, sessionToken, input } = submission;
  if (!/^[A-Za-z0-9_-]{10,64}$/.test(externalId)) return { kind: "not-found" };
  const messagesFor = submission.messagesFor ?? (() => ENGLISH);
  // Credit (CC) is the widest payment method: what this check refuses, every payment refuses. The
  // one rule that depends on the payment (debit takes Visa only) is in the lock's statement.
  const check = checkCard(input, "CC", pacificDate(deps.now), ENGLISH.card);
  const receipt = parseReceiptEmail(input.email ?? "");
  if (!check.ok || !receipt.ok || sessionToken === undefined) {
    const loaded = await loadContext(deps, externalId, sessionToken);
    return "attempt" in loaded ? refused(deps, loaded, input, messagesFor(loaded)) : loaded;
  }
  const card = check.card;
  const language = submission.language ?? { chosen: null, browser: "en" };
  const transactionId = attemptTransactionId(externalId);
  const { db, now } = deps;

  // The double-charge guard and the load in one round trip. The lock is one conditional UPDATE;
  // the move to AUTHORISING, its event and the receipt address follow only if it changed a row
  // (changes() = 1); then the payment, its partner and the partner's signing keys are read in the
  // same D1 transaction, so they are exactly what the lock holds.
  const partnerSql = sql`(SELECT pbc_ref_number FROM transactions WHERE id = ${transactionId})`;
  const [claimed, , , , attemptRows, transactionRows, partnerRows, keyRows] = await runBatch(db, [
    claimAuthorisationQuery({ externalId, sessionHash: await sha256Hex(sessionToken) }, paymentMethodsFor(card.brand), now),
    startAuthorisingAfterClaimQuery(externalId, now),
    recordAttemptEventIfChangedQuery(
      externalId,
      "authorisation_started",
      { cardType: card.cardType, lastFour: card.lastFour },
      now,
    ),
    setReceiptRequestQuery(
      externalId,
      receipt.address,
      language.chosen ? { chosen: language.chosen } : { unlessRequested: language.browser },
      now,
    ),
    findAttemptQuery(db, externalId),
    findTransactionByIdSqlQuery(db, transactionId),
    findPartnerQuery(db, partnerSql),
    validApiKeysQuery(db, partnerSql, now),
  ]);
  const loaded = await loadContext(deps, externalId, sessionToken, [
    tableRows(paymentAttempts, attemptRows)[0],
    tableRows(transactions, transactionRows)[0],
    tableRows(partners, partnerRows)[0],
  ]);
  const lock = (claimed?.results as Array<{ id: number; trnAmountCents: number }> | undefined)?.[0];
  if (!lock) return "attempt" in loaded ? refused(deps, loaded, input, messagesFor(loaded)) : loaded;
  if (!("attempt" in loaded) || loaded.transaction.trnAmountCents !== lock.trnAmountCents) {
    // Read in the same D1 transaction as the lock: cannot differ. Should it, nothing is charged and
    // the lock is left to the sweep (an AUTHORISING attempt with no order at the processor).
    throw new Error(`authorisation lock of ${externalId} taken but the payment read with it does not match`);
  }

  let result: AuthorisationResult;
  try {
    result = await deps.processor.authorise({
      orderNumber: loaded.attempt.orderNumber,
      amountCents: lock.trnAmountCents,
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
    deps.log.error("processor call failed", { orderNumber: loaded.attempt.orderNumber, error });
    result = { outcome: "unknown", message: "The processor call failed" };
  }
  try {
    return await recordOutcome(deps, loaded, result, card.lastFour, { keyRows: keyRows ? apiKeyRowsFromBatch(keyRows) : [] });
  } catch (error) {
    // The processor was asked: whatever failed here, the person must not be told nothing was taken.
    throw new OutcomeUncertainError(externalId, error);
  }
}

/**
 * Why the lock was not taken, from the payment as read: not payable (the page says what it is),
 * expired, or a card or receipt address the form refuses (in the page's language, with its event).
 */
async function refused(deps: CardDeps, context: PaymentContext, input: CardFormInput, messages: FormMessages): Promise<CardView> {
  const { attempt, transaction } = context;
  if (!isIn(PAYABLE, attempt.state) || paid(transaction) || transaction.authorisingAttemptId !== null) {
    return { kind: "card-page", externalId: attempt.externalId };
  }
  if (isExpired(deps, attempt)) return expire(deps, context);
  const check: CardCheck = checkCard(input, transaction.paymentMethod, pacificDate(deps.now), messages.card);
  const receipt = parseReceiptEmail(input.email ?? "");
  if (check.ok && receipt.ok) {
    // Payable, unexpired and a good card, yet the lock refused: the payment changed between the
    // lock and this answer. The card page shows what it is now; nothing was charged.
    return { kind: "card-page", externalId: attempt.externalId };
  }
  const errors: FormErrors = { ...(check.ok ? {} : check.errors), ...(receipt.ok ? {} : { email: messages.emailInvalid }) };
  await recordEvent(deps.db, event(context, "card_details_invalid", { fields: Object.keys(errors) }), deps.now);
  const values = { ...redisplayableValues(input), email: redisplayableEmail(input.email ?? "") };
  return { kind: "form", context, errors, values, notice: null };
}
