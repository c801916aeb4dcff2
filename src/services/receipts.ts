/**
 * Receipt emails. The card page keeps the address on the payment attempt when the card is submitted;
 * approval puts a message holding only the attempt id on the RECEIPTS queue, after the outcome is
 * committed, so sending never delays or blocks the redirect. The consumer sends through the
 * configured EmailSender and retries with backoff.
 *
 * How long the address is kept: until the receipt is sent (normally seconds after approval). If the
 * mail service keeps failing it is retried for about 2 hours, then the address is erased and the
 * receipt marked FAILED; a lost queue message is sent again by the sweep and the address erased at
 * the latest 6 hours after the last try. If the payment is not approved, the address is erased by the
 * sweep (every 5 minutes) once the payment page has expired. Never stored anywhere else; never logged.
 */

import type { AppConfig } from "../config.ts";
import type { Db } from "../db/client.ts";
import { findPartner } from "../db/partners.ts";
import {
  eraseUnusableReceiptAddresses,
  findReceiptRequest,
  finishReceipt,
  listStalledReceipts,
  touchReceiptRequest,
} from "../db/paymentAttempts.ts";
import { recordEvent } from "../db/paymentEvents.ts";
import { findTransactionById } from "../db/transactions.ts";
import { EmailSendError, type EmailSender } from "../email/types.ts";
import { catalogue } from "../i18n/index.ts";
import type { Logger } from "../lib/logger.ts";
import { receiptEmail, receiptFacts } from "../views/receipt.tsx";

export interface ReceiptMessage {
  type: "receipt";
  attemptId: number;
}

/** Seconds before each retry: about 2 hours in all (max_retries = 6 in wrangler.toml). */
export const RETRY_DELAYS_S = [30, 120, 600, 1800, 3600] as const;
/** With max_retries = 6 the queue delivers a message at most 7 times; the last failure gives up. */
export const MAX_DELIVERIES = 7;
/** No activity for this long on a requested receipt of an approved payment: its message was lost. */
export const STALLED_AFTER_MS = 3 * 60 * 60_000;
/** Then erased, sent or not. */
export const ERASE_AFTER_MS = 6 * 60 * 60_000;

export interface ReceiptQueue {
  send(message: ReceiptMessage): Promise<unknown>;
}

/** After the approval is committed: a lost send is found again by the sweep, so a failure is only logged. */
export async function enqueueReceipt(queue: ReceiptQueue | undefined, attemptId: number, log: Logger): Promise<void> {
  if (!queue) {
    log.error("receipt requested but no RECEIPTS queue is bound", { attemptId });
    return;
  }
  try {
    await queue.send({ type: "receipt", attemptId });
  } catch (error) {
    log.warn("receipt could not be queued; the sweep will retry", { attemptId, error });
  }
}

export function isReceiptMessage(body: unknown): body is ReceiptMessage {
  const value = body as Partial<ReceiptMessage> | null;
  return value?.type === "receipt" && Number.isSafeInteger(value.attemptId) && (value.attemptId as number) > 0;
}

export interface ReceiptDeps {
  db: Db;
  config: AppConfig;
  sender: EmailSender;
  log: Logger;
  now: Date;
}

export type ReceiptOutcome = "sent" | "retry" | "failed" | "nothing-to-send";

/** Send one receipt. `delivery` is the queue's attempt count (1 on the first delivery). */
export async function sendReceipt(deps: ReceiptDeps, attemptId: number, delivery: number): Promise<ReceiptOutcome> {
  const { db, now } = deps;
  const request = await findReceiptRequest(db, attemptId);
  if (request?.status !== "REQUESTED" || request.email === null) return "nothing-to-send";
  const transaction = await findTransactionById(db, request.transactionId);
  const partner = transaction ? await findPartner(db, transaction.pbcRefNumber) : undefined;
  const event = {
    transactionId: request.transactionId,
    attemptId,
    attemptNumber: request.attemptNumber,
    pbcRefNumber: transaction?.pbcRefNumber ?? null,
    pbcTxnNumber: transaction?.pbcTxnNumber ?? null,
  };
  if (request.state !== "APPROVED" || !transaction || !partner || transaction.paymentStatus === "PNDNG") {
    // Only a payment that was made has a receipt.
    if (await finishReceipt(db, attemptId, "ERASED", now)) {
      await recordEvent(db, { ...event, eventType: "receipt_failed", detail: { reason: "not paid" } }, now);
    }
    return "nothing-to-send";
  }
  const t = catalogue(request.language ?? "en");
  const message = await receiptEmail(receiptFacts(transaction, partner, t.language), t);
  try {
    await deps.sender.send({
      ...message,
      to: request.email,
      language: t.language,
      tag: `receipt-${transaction.trnOrderId ?? attemptId}`,
    });
  } catch (error) {
    const retryable = !(error instanceof EmailSendError) || error.retryable;
    const reason = error instanceof Error ? error.message : "send failed";
    if (retryable && delivery < MAX_DELIVERIES) {
      // Activity, so the sweep does not take it for a lost message while the queue retries.
      await touchReceiptRequest(db, attemptId, now);
      deps.log.warn("receipt not sent yet; will retry", { attemptId, delivery, reason });
      return "retry";
    }
    if (await finishReceipt(db, attemptId, "FAILED", now)) {
      await recordEvent(db, { ...event, eventType: "receipt_failed", detail: { reason, deliveries: delivery } }, now);
    }
    deps.log.error("receipt could not be sent; address erased", { attemptId, delivery, reason });
    return "failed";
  }
  if (await finishReceipt(db, attemptId, "SENT", now)) {
    await recordEvent(
      db,
      { ...event, eventType: "receipt_sent", detail: { sender: deps.sender.name, language: t.language } },
      now,
    );
  }
  return "sent";
}

/** The RECEIPTS queue consumer: one message at a time, retried with backoff, never a duplicate after SENT. */
export async function handleReceiptBatch(deps: Omit<ReceiptDeps, "now">, batch: MessageBatch<unknown>): Promise<void> {
  for (const message of batch.messages) {
    if (!isReceiptMessage(message.body)) {
      deps.log.error("unreadable message on the receipts queue: dropped", { id: message.id });
      message.ack();
      continue;
    }
    let outcome: ReceiptOutcome;
    try {
      outcome = await sendReceipt({ ...deps, now: new Date() }, message.body.attemptId, message.attempts);
    } catch (error) {
      // D1 unavailable and the like: try again later.
      deps.log.error("receipt handling failed", { attemptId: message.body.attemptId, error });
      outcome = message.attempts < MAX_DELIVERIES ? "retry" : "failed";
    }
    if (outcome === "retry") {
      message.retry({ delaySeconds: RETRY_DELAYS_S[Math.min(message.attempts - 1, RETRY_DELAYS_S.length - 1)] as number });
    } else {
      message.ack();
    }
  }
}

/** Sweep: queue again receipts whose message was lost, erase addresses that can no longer be used. */
export async function sweepReceipts(
  deps: { db: Db; queue: ReceiptQueue | undefined; log: Logger; now: Date },
  pageSize = 100,
): Promise<{ requeued: number; erased: number }> {
  const stalled = await listStalledReceipts(deps.db, new Date(deps.now.getTime() - STALLED_AFTER_MS), pageSize);
  for (const { id } of stalled) await enqueueReceipt(deps.queue, id, deps.log);
  const erased = await eraseUnusableReceiptAddresses(deps.db, deps.now, new Date(deps.now.getTime() - ERASE_AFTER_MS));
  return { requeued: stalled.length, erased };
}
