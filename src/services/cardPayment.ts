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
import { type CardErrors, type CardInput, checkCard, redisplayableValues } from "../domain/card.ts";
import { formatCents } from "../domain/money.ts";
import { paymentResponsePairs, type ResponseOutcome, signedRedirectUrl } from "../domain/paymentResponse.ts";
import { constantTimeEqual } from "../domain/signature.ts";
import type { Logger } from "../http/logger.ts";
import { randomToken, sha256Hex } from "../lib/crypto.ts";
import type { AuthorisationResult, PaymentProcessor } from "../processor/types.ts";
import type { AuditRecorder } from "./audit.ts";

export interface CardDeps {
  db: Db;
  config: AppConfig;
  encryptionKey: string;
  processor: PaymentProcessor;
  audit: AuditRecorder;
  log: Logger;
  now: Date;
}

export interface PaymentContext {
  attempt: PaymentAttempt;
  transaction: Transaction;
  partner: Partner;
}

/** What a page may say about a payment to a browser without its session: only what the state proves. */
export type SessionlessState = "paid" | "in-progress" | "not-known";

export type CardView =
  | { kind: "not-found" }
  | { kind: "session-expired"; state: SessionlessState; serviceName: string | null }
  | {
      kind: "form";
      context: PaymentContext;
      errors: CardErrors;
      values: Partial<CardInput>;
      notice: string | null;
      status: 200 | 400;
    }
  | { kind: "outcome"; context: PaymentContext; page: OutcomePage; status: 200 | 429 }
  | { kind: "redirect"; location: string }
  | { kind: "card-page"; externalId: string };

export interface OutcomePage {
  title: string;
  paragraphs: string[];
  returnLink: boolean;
  returnLabel?: string;
  /** The outcome is not known yet: the page checks the status until it is. */
  waiting?: boolean;
  panel?: boolean;
  reference?: string | null;
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

/** Every card-page GET lands here: show the page that fits the payment's state, never a form that can charge twice. */
export async function cardPageView(deps: CardDeps, initial: PaymentContext): Promise<CardView> {
  let context = initial;
  const { attempt } = context;

  if ((attempt.state === "UNKNOWN" || attempt.state === "AUTHORISING") && !paid(context.transaction)) {
    context = await resolveUnknown(deps, context);
  }
  const outcome = responseOutcome(context);
  if (outcome !== null) {
    // First view after the outcome is known (e.g. from the waiting page): take the user back.
    if (context.attempt.redirectedAt === null && (context.attempt.state !== "EXPIRED" || paid(context.transaction))) {
      if (paid(context.transaction) && context.attempt.state !== "APPROVED")
        return { kind: "outcome", context, page: successPage(context), status: 200 };
      return deliver(deps, context, outcome);
    }
    return { kind: "outcome", context, page: outcomePage(context, outcome), status: 200 };
  }

  switch (context.attempt.state) {
    case "AUTHORISING":
    case "UNKNOWN":
      return { kind: "outcome", context, page: waitingPage(), status: 200 };
    case "SUPERSEDED":
      return {
        kind: "outcome",
        context,
        status: 200,
        page: {
          title: "This payment was started again",
          paragraphs: [
            "You started this payment again from the service, in this or another window. No money has been taken through this page.",
            "Use the newest payment page, or go back to the service to start again.",
          ],
          returnLink: false,
        },
      };
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
            ? "Your payment could not be processed and no money has been taken. Check your card details and try again."
            : null,
      };
    }
    default:
      return { kind: "outcome", context, page: inProgressPage(), status: 200 };
  }
}

function successPage(context: PaymentContext): OutcomePage {
  return {
    title: "Your payment was successful",
    paragraphs: [
      `You paid $${formatCents(context.transaction.trnAmountCents)} CAD to ${context.partner.name} for ${context.transaction.description}.`,
      "You do not need to pay again.",
    ],
    returnLink: true,
    returnLabel: `Continue to ${context.partner.name}`,
    panel: true,
    reference: context.transaction.trnOrderId,
  };
}

function waitingPage(): OutcomePage {
  return {
    title: "Checking your card details",
    paragraphs: ["Your payment is being processed. This page will move on by itself when it is done: do not pay again."],
    returnLink: false,
    waiting: true,
  };
}

function inProgressPage(): OutcomePage {
  return {
    title: "Your payment is in progress",
    paragraphs: [
      "We are already processing a payment for this. Do not pay again.",
      "This page will update by itself when the outcome is known.",
    ],
    returnLink: false,
    waiting: true,
  };
}

function outcomePage(context: PaymentContext, outcome: ResponseOutcome): OutcomePage {
  const name = context.partner.name;
  switch (outcome) {
    case "approved":
      return successPage(context);
    case "declined":
      return {
        title: "Your payment was declined",
        paragraphs: [
          "No money has been taken from your account.",
          `Return to ${name} to try again or to choose another way to pay.`,
        ],
        returnLink: true,
      };
    case "cancelled":
      return {
        title: "Your payment has been cancelled",
        paragraphs: ["No money has been taken from your account."],
        returnLink: true,
      };
    case "expired":
      return {
        title: "Your payment session has expired",
        paragraphs: [
          "You did not finish paying in time, so this payment has been stopped. No money has been taken from your account.",
          `Return to ${name} to start again.`,
        ],
        returnLink: true,
      };
    case "locked":
      return {
        title: "We could not take your payment",
        paragraphs: [
          "Your card was declined too many times, so we have stopped this payment to protect you. No money has been taken from your account.",
          `Return to ${name}, check your card details with your bank, and try again later.`,
        ],
        returnLink: true,
      };
  }
}

async function expire(deps: CardDeps, context: PaymentContext): Promise<CardView> {
  if (await transitionAttempt(deps.db, context.attempt.id, ["CREATED", "OPEN", "FAILED"], "EXPIRED", deps.now, "Expired")) {
    await recordEvent(deps.db, event(context, "expired"), deps.now);
  }
  const updated = await reload(deps, context);
  const outcome = responseOutcome(updated);
  return { kind: "outcome", context: updated, page: outcomePage(updated, outcome ?? "expired"), status: 200 };
}

// ---------------------------------------------------------------- paying

export async function submitCard(deps: CardDeps, context: PaymentContext, input: CardInput): Promise<CardView> {
  const { attempt, transaction } = context;
  if (
    !(attempt.state === "OPEN" || attempt.state === "FAILED") ||
    paid(transaction) ||
    transaction.authorisingAttemptId !== null
  ) {
    return { kind: "card-page", externalId: attempt.externalId };
  }
  if (isExpired(deps, attempt)) return expire(deps, context);

  const check = checkCard(input, transaction.paymentMethod, pacificDate(deps.now));
  const safeValues = redisplayableValues(input);
  if (!check.ok) {
    await recordEvent(deps.db, event(context, "card_details_invalid", { fields: Object.keys(check.errors) }), deps.now);
    return { kind: "form", context, errors: check.errors, values: safeValues, notice: null, status: 400 };
  }
  const card = check.card;

  // The double-charge guard: one conditional UPDATE takes the transaction's authorisation lock, and
  // in the same round trip the attempt moves to AUTHORISING and the partner's signing keys are read.
  const [claim, , , keys] = await runBatch(deps.db, [
    claimAuthorisationQuery(transaction.id, attempt.id, transaction, deps.now),
    startAuthorisingAfterClaimQuery(attempt.id, deps.now),
    recordEventIfChangedQuery(
      event(context, "authorisation_started", { cardType: card.cardType, lastFour: card.lastFour }),
      deps.now,
    ),
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
    return await applyResult(deps, { ...context, attempt: { ...attempt, state: "AUTHORISING" } }, result, card.lastFour, {
      keyRows: apiKeyRowsFromBatch(keys),
    });
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
      const location = delivery ? await partnerReturnUrl(deps, updated, outcome, delivery.keyRows) : null;
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
        notice: "Your payment could not be processed and no money has been taken. Check your card details and try again.",
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
