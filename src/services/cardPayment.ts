/**
 * The hosted card page's lifecycle: single-use link, state enforcer, authorisation (at most one
 * processor call per transaction at a time), outcome delivery, cancel, expiry and recovery of
 * unknown outcomes. Handlers turn the returned views into HTML; nothing here knows about HTTP.
 */
import { sql } from "drizzle-orm";
import type { AppConfig } from "../config.ts";
import { runBatch } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import { type ApiKeyRow, apiKeyRowsFromBatch, responseSigningKey, validApiKeysQuery } from "../db/partnerApiKeys.ts";
import { findPartner, findPartnerQuery } from "../db/partners.ts";
import {
  attemptTransactionId,
  findAttempt,
  findAttemptByLink,
  findAttemptQuery,
  listExpiredOpenAttempts,
  listUnknownAttempts,
  markRedirectedQuery,
  setReceiptRequestQuery,
  startAuthorisingAfterClaimQuery,
  transitionAttempt,
  transitionAttemptQuery,
  useLink,
} from "../db/paymentAttempts.ts";
import { type PaymentEvent, recordEvent, recordEventIfChangedQuery, recordEventQuery } from "../db/paymentEvents.ts";
import type { Partner, PaymentAttempt, Transaction } from "../db/schema.ts";
import {
  claimAuthorisationQuery,
  findTransactionById,
  findTransactionByIdSqlQuery,
  markPaidQuery,
  releaseAuthorisationQuery,
} from "../db/transactions.ts";
import { effectiveGlDate, pacificDate } from "../domain/businessTime.ts";
import { type CardInput, type CardMessages, checkCard, redisplayableValues } from "../domain/card.ts";
import { parseReceiptEmail, redisplayableEmail } from "../domain/email.ts";
import { paymentResponsePairs, type ResponseOutcome, signedRedirectUrl } from "../domain/paymentResponse.ts";
import { constantTimeEqual } from "../domain/signature.ts";
import type { Logger } from "../http/logger.ts";
import { catalogue } from "../i18n/index.ts";
import { randomToken, sha256Hex } from "../lib/crypto.ts";
import type { AuthorisationResult, PaymentProcessor } from "../processor/types.ts";
import type { AuditRecorder } from "./audit.ts";
import { enqueueReceipt, type ReceiptQueue } from "./receipts.ts";

export interface CardDeps {
  db: Db;
  config: AppConfig;
  encryptionKey: string;
  processor: PaymentProcessor;
  audit: AuditRecorder;
  log: Logger;
  now: Date;
  /** Receipt emails (wrangler.toml RECEIPTS); absent only where nothing can be paid (tests of other parts). */
  receipts?: ReceiptQueue | undefined;
}

export interface PaymentContext {
  attempt: PaymentAttempt;
  transaction: Transaction;
  partner: Partner;
}

/** What a page may say about a payment to a browser without its session: only what the state proves. */
export type SessionlessState = "paid" | "in-progress" | "not-known";

/** The card form's fields as typed (the card number and security code are never shown again). */
export interface CardFormInput extends CardInput {
  /** The optional receipt address ("" = none). */
  email?: string;
}

/** Which field is wrong, in the page's language (card fields from domain/card.ts, the receipt address). */
export type FormErrors = Partial<Record<keyof CardFormInput, string>>;

/** What the form's checks say, in the page's language. */
export interface FormMessages {
  card: CardMessages;
  emailInvalid: string;
  language: "en" | "fr";
}

const ENGLISH_MESSAGES: FormMessages = {
  card: catalogue("en").cardErrors,
  emailInvalid: catalogue("en").card.emailInvalid,
  language: "en",
};

export type CardView =
  | { kind: "not-found" }
  | { kind: "session-expired"; state: SessionlessState; serviceName: string | null }
  | {
      kind: "form";
      context: PaymentContext;
      errors: FormErrors;
      values: Partial<Omit<CardFormInput, "cardNumber" | "securityCode">>;
      /** A note above the form: the last try failed (no money taken) or was declined. */
      notice: "failed" | "declined" | null;
      status: 200 | 400;
    }
  | { kind: "outcome"; context: PaymentContext; page: OutcomePage; status: 200 | 429 }
  | { kind: "redirect"; location: string }
  | { kind: "card-page"; externalId: string };

/** A page without a form; its words are the view's (views/pages.tsx, one catalogue per language). */
export interface OutcomePage {
  key: OutcomeKey;
  returnLink: boolean;
  /** The outcome is not known yet: the page checks the status until it is. */
  waiting?: boolean;
  /** Declined with retry in place: "Try another card" and how many tries are left. */
  retry?: { triesLeft: number };
}

/** Session cookie scoped to one attempt's pages. */
export const SESSION_COOKIE = "pbc_session";

export function cardPath(externalId: string): string {
  return `/public/card/${externalId}`;
}

export function csrfTokenFor(sessionToken: string): Promise<string> {
  return sha256Hex(`csrf:${sessionToken}`);
}

// ---------------------------------------------------------------- entry through the single-use link

export type LinkResult =
  | { kind: "ok"; externalId: string; sessionToken: string; maxAgeSeconds: number }
  | { kind: "used" }
  | { kind: "unknown" };

export async function openLink(deps: CardDeps, linkToken: string): Promise<LinkResult> {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(linkToken)) return { kind: "unknown" };
  const linkTokenHash = await sha256Hex(linkToken);
  const sessionToken = randomToken();
  // One conditional UPDATE both checks and uses the link; only a refusal needs to know why.
  const opened = await useLink(deps.db, linkTokenHash, await sha256Hex(sessionToken), deps.now);
  if (!opened) return (await findAttemptByLink(deps.db, linkTokenHash)) ? { kind: "used" } : { kind: "unknown" };
  const maxAgeSeconds = Math.max(60, Math.ceil((Date.parse(opened.expiresAt) - deps.now.getTime()) / 1000) + 3600);
  return { kind: "ok", externalId: opened.externalId, sessionToken, maxAgeSeconds };
}

// ---------------------------------------------------------------- loading and the state enforcer

export async function loadContext(
  deps: CardDeps,
  externalId: string,
  sessionToken: string | undefined,
): Promise<PaymentContext | CardView> {
  if (!/^[A-Za-z0-9_-]{10,64}$/.test(externalId)) return { kind: "not-found" };
  // Attempt, transaction and partner in one round trip.
  const transactionId = attemptTransactionId(externalId);
  const [attempts, transactions, partners] = await deps.db.batch([
    findAttemptQuery(deps.db, externalId),
    findTransactionByIdSqlQuery(deps.db, transactionId),
    findPartnerQuery(deps.db, sql`(SELECT pbc_ref_number FROM transactions WHERE id = ${transactionId})`),
  ]);
  const [attempt, transaction, partner] = [attempts[0], transactions[0], partners[0]];
  if (!attempt) return { kind: "not-found" };
  if (!sessionToken || !attempt.sessionHash || !constantTimeEqual(await sha256Hex(sessionToken), attempt.sessionHash)) {
    const state: SessionlessState =
      transaction && transaction.paymentStatus !== "PNDNG"
        ? "paid"
        : transaction?.authorisingAttemptId != null || attempt.state === "AUTHORISING" || attempt.state === "UNKNOWN"
          ? "in-progress"
          : "not-known";
    return { kind: "session-expired", state, serviceName: partner?.name ?? null };
  }
  if (!transaction || !partner) return { kind: "not-found" };
  return { attempt, transaction, partner };
}

function event(context: PaymentContext, eventType: PaymentEvent["eventType"], detail?: Record<string, unknown>): PaymentEvent {
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

async function reload(deps: CardDeps, context: PaymentContext): Promise<PaymentContext> {
  const attempt = (await findAttempt(deps.db, context.attempt.externalId)) ?? context.attempt;
  const transaction = (await findTransactionById(deps.db, context.transaction.id)) ?? context.transaction;
  return { ...context, attempt, transaction };
}

function isExpired(deps: CardDeps, attempt: PaymentAttempt): boolean {
  return Date.parse(attempt.expiresAt) <= deps.now.getTime();
}

const paid = (transaction: Transaction) => transaction.paymentStatus !== "PNDNG";

/** The outcome the partner is told for this attempt, or null while there is none yet. */
export function responseOutcome(context: PaymentContext): ResponseOutcome | null {
  if (paid(context.transaction)) return "approved";
  switch (context.attempt.state) {
    case "DECLINED":
      return "declined";
    case "CANCELLED":
      return "cancelled";
    case "EXPIRED":
      return "expired";
    case "LOCKED":
      return "locked";
    default:
      return null;
  }
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
  return signedRedirectUrl(transaction.redirectUri, pairs, key);
}

/** Statements that record the delivery of the outcome to the partner. */
function deliveryQueries(deps: CardDeps, context: PaymentContext, outcome: ResponseOutcome) {
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
async function deliver(deps: CardDeps, context: PaymentContext, outcome: ResponseOutcome): Promise<CardView> {
  const location = await partnerReturnUrl(deps, context, outcome);
  await runBatch(deps.db, deliveryQueries(deps, context, outcome));
  return { kind: "redirect", location };
}

/** The partner lets the person try another card after a decline (partners.on_decline). */
function retriesInPlace(context: PaymentContext): boolean {
  return context.partner.onDecline === "retry";
}

/** Every card-page GET lands here: show the page that fits the payment's state, never a form that can charge twice. */
export async function cardPageView(deps: CardDeps, initial: PaymentContext): Promise<CardView> {
  let context = initial;
  const { attempt } = context;

  if ((attempt.state === "UNKNOWN" || attempt.state === "AUTHORISING") && !paid(context.transaction)) {
    context = await resolveUnknown(deps, context);
  }
  const outcome = responseOutcome(context);
  if (outcome === "declined" && retriesInPlace(context) && context.attempt.redirectedAt === null) {
    if (isExpired(deps, context.attempt)) return expire(deps, context);
    // Retry in place: the person chooses between another card and the signed Declined response.
    return { kind: "outcome", context, page: declinedRetryPage(deps, context), status: 200 };
  }
  if (outcome !== null) {
    // First view after the outcome is known (e.g. from the waiting page): take the user back.
    if (context.attempt.redirectedAt === null && (context.attempt.state !== "EXPIRED" || paid(context.transaction))) {
      if (paid(context.transaction) && context.attempt.state !== "APPROVED")
        return { kind: "outcome", context, page: successPage(), status: 200 };
      return deliver(deps, context, outcome);
    }
    return { kind: "outcome", context, page: outcomePage(outcome), status: 200 };
  }

  switch (context.attempt.state) {
    case "AUTHORISING":
    case "UNKNOWN":
      return { kind: "outcome", context, page: waitingPage(), status: 200 };
    case "SUPERSEDED":
      return { kind: "outcome", context, status: 200, page: { key: "superseded", returnLink: false } };
    case "CREATED":
    case "OPEN":
    case "FAILED": {
      if (isExpired(deps, context.attempt)) return expire(deps, context);
      if (context.transaction.authorisingAttemptId !== null) {
        return { kind: "outcome", context, page: inProgressPage(), status: 200 };
      }
      if (context.attempt.state !== "FAILED") await recordEvent(deps.db, event(context, "card_page_shown"), deps.now);
      return {
        kind: "form",
        context,
        errors: {},
        values: {},
        status: 200,
        notice:
          context.attempt.state === "FAILED"
            ? "failed"
            : context.attempt.outcomeMessage !== null && context.transaction.declineCount > 0 && retriesInPlace(context)
              ? "declined"
              : null,
      };
    }
    default:
      return { kind: "outcome", context, page: inProgressPage(), status: 200 };
  }
}

/** Every state a page without a form can show (the words are in views/pages.tsx). */
export type OutcomeKey =
  | "success"
  | "waiting"
  | "in-progress"
  | "superseded"
  | "declined"
  | "declined-retry"
  | "cancelled"
  | "expired"
  | "locked"
  | "too-many";

function successPage(): OutcomePage {
  return { key: "success", returnLink: true };
}

function waitingPage(): OutcomePage {
  return { key: "waiting", returnLink: false, waiting: true };
}

function inProgressPage(): OutcomePage {
  return { key: "in-progress", returnLink: false, waiting: true };
}

function declinedRetryPage(deps: CardDeps, context: PaymentContext): OutcomePage {
  const triesLeft = Math.max(1, deps.config.maxDeclinesPerPayment - context.transaction.declineCount);
  return { key: "declined-retry", returnLink: true, retry: { triesLeft } };
}

function outcomePage(outcome: ResponseOutcome): OutcomePage {
  switch (outcome) {
    case "approved":
      return successPage();
    case "declined":
      return { key: "declined", returnLink: true };
    case "cancelled":
      return { key: "cancelled", returnLink: true };
    case "expired":
      return { key: "expired", returnLink: true };
    case "locked":
      return { key: "locked", returnLink: true };
  }
}

/** "Try another card" after a decline (retry in place): the attempt is payable again; declines still count. */
export async function retryAfterDecline(deps: CardDeps, context: PaymentContext): Promise<CardView> {
  const { attempt } = context;
  if (
    attempt.state === "DECLINED" &&
    attempt.redirectedAt === null &&
    retriesInPlace(context) &&
    !paid(context.transaction) &&
    !isExpired(deps, attempt) &&
    (await transitionAttempt(deps.db, attempt.id, ["DECLINED"], "OPEN", deps.now))
  ) {
    await recordEvent(deps.db, event(context, "retry_after_decline", { declines: context.transaction.declineCount }), deps.now);
  }
  return { kind: "card-page", externalId: attempt.externalId };
}

async function expire(deps: CardDeps, context: PaymentContext): Promise<CardView> {
  if (await transitionAttempt(deps.db, context.attempt.id, ["CREATED", "OPEN", "FAILED"], "EXPIRED", deps.now, "Expired")) {
    await recordEvent(deps.db, event(context, "expired"), deps.now);
  }
  const updated = await reload(deps, context);
  const outcome = responseOutcome(updated);
  return { kind: "outcome", context: updated, page: outcomePage(outcome ?? "expired"), status: 200 };
}

// ---------------------------------------------------------------- paying

export async function submitCard(
  deps: CardDeps,
  context: PaymentContext,
  input: CardFormInput,
  messages: FormMessages = ENGLISH_MESSAGES,
): Promise<CardView> {
  const { attempt, transaction } = context;
  if (
    !(attempt.state === "OPEN" || attempt.state === "FAILED") ||
    paid(transaction) ||
    transaction.authorisingAttemptId !== null
  ) {
    return { kind: "card-page", externalId: attempt.externalId };
  }
  if (isExpired(deps, attempt)) return expire(deps, context);

  const check = checkCard(input, transaction.paymentMethod, pacificDate(deps.now), messages.card);
  const receipt = parseReceiptEmail(input.email ?? "");
  const safeValues = { ...redisplayableValues(input), email: redisplayableEmail(input.email ?? "") };
  if (!check.ok || !receipt.ok) {
    const errors: FormErrors = { ...(check.ok ? {} : check.errors), ...(receipt.ok ? {} : { email: messages.emailInvalid }) };
    await recordEvent(deps.db, event(context, "card_details_invalid", { fields: Object.keys(errors) }), deps.now);
    return { kind: "form", context, errors, values: safeValues, notice: null, status: 400 };
  }
  const card = check.card;

  // The double-charge guard: one conditional UPDATE takes the transaction's authorisation lock, and
  // in the same round trip the attempt moves to AUTHORISING and the partner's signing keys are read.
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
  if (claim?.meta.changes !== 1 || !keys) {
    return { kind: "card-page", externalId: attempt.externalId };
  }

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
    return await applyResult(
      deps,
      {
        ...context,
        attempt: { ...attempt, state: "AUTHORISING", receiptStatus: receipt.address ? "REQUESTED" : attempt.receiptStatus },
      },
      result,
      card.lastFour,
      { keyRows: apiKeyRowsFromBatch(keys) },
    );
  } catch (error) {
    // The processor was asked: whatever failed here, the person must not be told nothing was taken.
    throw new OutcomeUncertainError(attempt.externalId, error);
  }
}

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
 * Record what the processor said and decide what the user sees. With `delivery` (the user is
 * waiting on this request), the signed return URL is built from the given keys and the outcome,
 * its delivery and the audit entry are written in one batch; without, the next page view delivers.
 */
async function applyResult(
  deps: CardDeps,
  context: PaymentContext,
  result: AuthorisationResult,
  lastFour: string | null,
  delivery?: { keyRows: readonly ApiKeyRow[] },
): Promise<CardView> {
  const { db, now } = deps;
  const { attempt, transaction } = context;
  switch (result.outcome) {
    case "approved": {
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
        transaction: {
          ...transaction,
          ...approval,
          paidAt: now.toISOString(),
          paymentStatus: "PAID",
          authorisingAttemptId: null,
        },
      };
      const location = delivery ? await partnerReturnUrl(deps, updated, "approved", delivery.keyRows) : null;
      await runBatch(db, [
        markPaidQuery(db, transaction.id, attempt.id, approval),
        transitionAttemptQuery(db, attempt.id, ["AUTHORISING", "UNKNOWN"], "APPROVED", now, result.message),
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
        ...(location ? deliveryQueries(deps, updated, "approved") : []),
        deps.audit.statement("payment.approved", "success", {
          target: `${transaction.pbcRefNumber}/${transaction.pbcTxnNumber}`,
        }),
      ]);
      // Only now that the approval is committed; the queue sends it after the person has moved on.
      if (attempt.receiptStatus === "REQUESTED") await enqueueReceipt(deps.receipts, attempt.id, deps.log);
      return location ? { kind: "redirect", location } : { kind: "card-page", externalId: attempt.externalId };
    }
    case "declined": {
      const lock = transaction.declineCount + 1 >= deps.config.maxDeclinesPerPayment;
      const outcome = lock ? "locked" : "declined";
      // What the batch below writes, so the redirect is built without reading it back.
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
      // Retry in place: the page offers another card first; the partner hears only if the person returns.
      const redirectNow = delivery && (lock || !retriesInPlace(context));
      const location = redirectNow ? await partnerReturnUrl(deps, updated, outcome, delivery.keyRows) : null;
      await runBatch(db, [
        releaseAuthorisationQuery(
          db,
          transaction.id,
          attempt.id,
          { trnOrderId: result.trnOrderId, cardType: result.cardType },
          now,
        ),
        transitionAttemptQuery(db, attempt.id, ["AUTHORISING", "UNKNOWN"], lock ? "LOCKED" : "DECLINED", now, result.message),
        recordEventQuery(db, event(context, "declined", { trnOrderId: result.trnOrderId, cardType: result.cardType }), now),
        ...(lock ? [recordEventQuery(db, event(context, "locked", { declines: transaction.declineCount + 1 }), now)] : []),
        ...(location ? deliveryQueries(deps, updated, outcome) : []),
        deps.audit.statement(lock ? "payment.locked" : "payment.declined", "failure", {
          target: `${transaction.pbcRefNumber}/${transaction.pbcTxnNumber}`,
        }),
      ]);
      return location ? { kind: "redirect", location } : { kind: "card-page", externalId: attempt.externalId };
    }
    case "failed": {
      await runBatch(db, [
        releaseAuthorisationQuery(db, transaction.id, attempt.id, null, now),
        transitionAttemptQuery(db, attempt.id, ["AUTHORISING", "UNKNOWN"], "FAILED", now, result.message),
        recordEventQuery(db, event(context, "processor_failed", { message: result.message }), now),
      ]);
      const updated = await reload(deps, context);
      return {
        kind: "form",
        context: updated,
        errors: {},
        values: {},
        status: 200,
        notice: "failed",
      };
    }
    case "unknown": {
      // Never reported as declined: it may have been charged. The waiting page and the sweep look it up.
      await runBatch(db, [
        transitionAttemptQuery(db, attempt.id, ["AUTHORISING"], "UNKNOWN", now, result.message),
        recordEventQuery(db, event(context, "outcome_unknown", { message: result.message }), now),
      ]);
      return { kind: "card-page", externalId: attempt.externalId };
    }
  }
}

/** How long an AUTHORISING attempt may sit before we assume its request died and look it up. */
const STALE_AUTHORISING_MS = 2 * 60_000;
/** How long after an unknown outcome a "not found" answer from the processor is believed. */
export const NOT_FOUND_GRACE_MS = 2 * 60_000;

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
  await applyResult(deps, context, resolved, null);
  return reload(deps, context);
}

// ---------------------------------------------------------------- cancel, return, sweep

export async function cancelPayment(deps: CardDeps, context: PaymentContext): Promise<CardView> {
  const { attempt, transaction } = context;
  if (paid(transaction) || transaction.authorisingAttemptId !== null)
    return { kind: "card-page", externalId: attempt.externalId };
  if (!(await transitionAttempt(deps.db, attempt.id, ["CREATED", "OPEN", "FAILED"], "CANCELLED", deps.now, "Cancelled"))) {
    return { kind: "card-page", externalId: attempt.externalId };
  }
  await recordEvent(deps.db, event(context, "cancelled"), deps.now);
  return deliver(deps, await reload(deps, context), "cancelled");
}

/** Whether the waiting page can move on: the outcome is known (resolving an unknown one if it is due). */
export async function outcomeKnown(deps: CardDeps, context: PaymentContext): Promise<boolean> {
  let current = context;
  if ((current.attempt.state === "UNKNOWN" || current.attempt.state === "AUTHORISING") && !paid(current.transaction)) {
    current = await resolveUnknown(deps, current);
  }
  if (paid(current.transaction)) return true;
  if (current.attempt.state === "UNKNOWN" || current.attempt.state === "AUTHORISING") return false;
  // Waiting on another attempt of the same transaction.
  return current.transaction.authorisingAttemptId === null;
}

/** The "Return to service" link: the signed outcome for this attempt, or back to the card page. */
export async function returnToService(deps: CardDeps, context: PaymentContext): Promise<CardView> {
  const outcome = responseOutcome(context);
  if (outcome === null) return { kind: "card-page", externalId: context.attempt.externalId };
  return deliver(deps, context, outcome);
}

export interface SweepReport {
  expired: number;
  resolved: number;
}

/** Scheduled: expire abandoned payments and resolve unknown outcomes, a bounded page at a time. */
export async function sweepPayments(deps: CardDeps, pageSize = 100): Promise<SweepReport> {
  let expired = 0;
  for (const attempt of await listExpiredOpenAttempts(deps.db, deps.now, pageSize)) {
    if (await transitionAttempt(deps.db, attempt.id, ["CREATED", "OPEN", "FAILED"], "EXPIRED", deps.now, "Expired")) {
      expired++;
      const transaction = await findTransactionById(deps.db, attempt.transactionId);
      await recordEvent(
        deps.db,
        {
          eventType: "expired",
          transactionId: attempt.transactionId,
          attemptId: attempt.id,
          attemptNumber: attempt.attemptNumber,
          pbcRefNumber: transaction?.pbcRefNumber ?? null,
          pbcTxnNumber: transaction?.pbcTxnNumber ?? null,
          detail: { by: "sweep" },
        },
        deps.now,
      );
    }
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
