/**
 * Partner notifications, delivery side: the WEBHOOKS queue consumer. Each message names an outbox
 * row; one attempt POSTs the event signed as Standard Webhooks 1.0 with a 5 s timeout, logs the
 * attempt in D1 and then: 2xx delivered; 410 Gone disables the endpoint; anything else is retried
 * after the schedule's next delay (or the receiver's Retry-After) through the message's retry
 * delay; after the tenth try the row is dead and its message goes to the dead-letter queue.
 */
import { sql } from "drizzle-orm";
import { runBatch } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import { findPartner } from "../db/partners.ts";
import { disableWebhookQuery, findWebhook } from "../db/partnerWebhooks.ts";
import { lastAttemptOutcomeQuery } from "../db/paymentAttempts.ts";
import { refundLinesOfTransactionQuery, refundsOfTransactionQuery } from "../db/refunds.ts";
import { listLinesQuery } from "../db/revenueLines.ts";
import type { OutboxRow, PartnerWebhook } from "../db/schema.ts";
import { findTransactionById } from "../db/transactions.ts";
import { recordAttemptQuery } from "../db/webhookAttempts.ts";
import {
  cancelPendingQuery,
  claimForDelivery,
  findOutboxRow,
  freezePayloadQuery,
  recordOutcomeQuery,
} from "../db/webhookOutbox.ts";
import { refundResource } from "../domain/refundView.ts";
import { webhookHeaders } from "../domain/standardWebhooks.ts";
import {
  DELIVERY_TIMEOUT_MS,
  MAX_ATTEMPTS,
  MAX_BODY_BYTES,
  parseRetryAfter,
  retryDelaySeconds,
  webhookUrlProblem,
} from "../domain/webhookPolicy.ts";
import { decryptSecret } from "../lib/crypto.ts";
import type { Logger } from "../lib/logger.ts";
import { isWebhookMessage, type WebhookMessage } from "./notifications.ts";
import { lastAttemptOf, partnerPaymentView } from "./partnerApi.ts";

/** Cloudflare Queues delays a message by at most 12 hours; longer waits are taken in steps. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;
/** How long a consumer holds a row while it delivers (more than the 5 s timeout plus the D1 writes). */
const CLAIM_MS = 60_000;
const USER_AGENT = "PayBC-Portal-Webhooks/1.0";

export interface DeliveryDeps {
  db: Db;
  encryptionKey: string;
  environment: string;
  log: Logger;
  /** Where a message goes after the last try (the consumer's dead-letter queue). */
  deadLetter?: Pick<Queue<unknown>, "send"> | undefined;
  fetcher?: typeof fetch;
}

export function secretContext(pbcRefNumber: string): string {
  return `webhook-secret:${pbcRefNumber}`;
}

/** The secrets that sign now: the current one, and the previous one during its grace period. */
export async function signingSecrets(deps: Pick<DeliveryDeps, "encryptionKey">, webhook: PartnerWebhook, now: Date) {
  const context = secretContext(webhook.pbcRefNumber);
  const secrets = [await decryptSecret(deps.encryptionKey, webhook.secretCiphertext, context)];
  if (webhook.previousSecretCiphertext && webhook.previousValidUntil && Date.parse(webhook.previousValidUntil) > now.getTime()) {
    secrets.push(await decryptSecret(deps.encryptionKey, webhook.previousSecretCiphertext, context));
  }
  return secrets;
}

/**
 * The event body `{type, timestamp, data}`: the payment in the partner's key style, as the query
 * service shows it, and for refund events the refund as the refunds resource shows it (`data.refund`).
 */
export async function renderEvent(db: Db, row: OutboxRow): Promise<string> {
  let data: Record<string, unknown> = {};
  if (row.transactionId !== null) {
    const [transaction, partner] = await Promise.all([
      findTransactionById(db, row.transactionId),
      findPartner(db, row.pbcRefNumber),
    ]);
    if (transaction && partner && transaction.pbcRefNumber === row.pbcRefNumber) {
      const [lines, attempts, refunds, refundLines] = await db.batch([
        listLinesQuery(db, transaction.id),
        lastAttemptOutcomeQuery(db, sql`${transaction.id}`),
        refundsOfTransactionQuery(db, transaction.id),
        refundLinesOfTransactionQuery(db, transaction.id),
      ]);
      const payment = {
        transaction,
        lines,
        refunds,
        refundLines,
        lastAttempt: lastAttemptOf(attempts),
      };
      data = { ...partnerPaymentView(payment, partner.keyStyle) };
      const refund = row.refundId === null ? undefined : refunds.find((candidate) => candidate.id === row.refundId);
      if (refund) data.refund = refundResource(refund, refundLines);
    }
  } else if (row.eventType === "ping") {
    data = { pbcRefNumber: row.pbcRefNumber, message: "Test notification from the PayBC portal" };
  }
  return JSON.stringify({ type: row.eventType, timestamp: row.occurredAt, data });
}

export type AttemptResult =
  | { kind: "delivered"; statusCode: number }
  | { kind: "gone"; statusCode: 410 }
  | { kind: "retry"; delaySeconds: number; statusCode: number | null; error: string | null }
  | { kind: "dead"; statusCode: number | null; error: string | null }
  | { kind: "cancelled"; reason: string };

/**
 * One delivery attempt of a claimed row, with its log entry and new state written in one batch.
 * Also used by `test-webhook` (one attempt, no queue).
 */
export async function attemptDelivery(deps: DeliveryDeps, row: OutboxRow, now: Date): Promise<AttemptResult> {
  const { db } = deps;
  // Only PENDING rows reach here, and retention clears only DELIVERED and CANCELLED ones; should a
  // cleared row ever come back, re-rendering it would send other bytes under the same message id.
  if (row.payloadClearedAt !== null) {
    deps.log.error("webhook delivery refused: the body was cleared", { outboxId: row.id, status: row.status });
    return { kind: "cancelled", reason: "the body was cleared after its retention: never sent again" };
  }
  const webhook = await findWebhook(db, row.pbcRefNumber);
  if (webhook?.status !== "ACTIVE") {
    const reason = webhook ? `endpoint disabled: ${webhook.disabledReason ?? "by an operator"}` : "endpoint removed";
    await recordOutcomeQuery(
      db,
      row.id,
      { status: "CANCELLED", attempts: row.attempts, nextAttemptAt: null, statusCode: null, error: reason },
      now,
    );
    return { kind: "cancelled", reason };
  }
  let payload = row.payload;
  if (payload === null) {
    payload = await renderEvent(db, row);
    await freezePayloadQuery(db, row.id, payload);
  }
  const attemptNumber = row.attempts + 1;
  let statusCode: number | null = null;
  let error: string | null = null;
  let retryAfter: number | null = null;
  const started = Date.now();
  const problem = webhookUrlProblem(webhook.url, deps.environment);
  if (problem !== null) error = `refused: ${problem}`;
  else if (new TextEncoder().encode(payload).byteLength > MAX_BODY_BYTES) error = "refused: body over 20 KB";
  else {
    try {
      const timestamp = Math.floor(now.getTime() / 1000);
      const headers = await webhookHeaders(await signingSecrets(deps, webhook, now), row.messageId, timestamp, payload);
      const response = await (deps.fetcher ?? fetch)(webhook.url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "User-Agent": USER_AGENT, ...headers },
        body: payload,
        // A redirect could lead anywhere: it counts as a failure, never followed.
        redirect: "manual",
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      });
      statusCode = response.status;
      retryAfter = parseRetryAfter(response.headers.get("Retry-After"), now);
      // The receiver's body is not needed; release the connection.
      await response.body?.cancel();
      if (statusCode < 200 || statusCode >= 300) error = `HTTP ${statusCode}`;
    } catch (caught) {
      const name = (caught as Error)?.name;
      error =
        name === "TimeoutError" || name === "AbortError"
          ? "timed out after 5 s"
          : `network error: ${(caught as Error)?.message ?? "unknown"}`.slice(0, 300);
    }
  }
  const log = recordAttemptQuery(db, {
    outboxId: row.id,
    attemptNumber,
    url: webhook.url,
    statusCode,
    error,
    durationMs: Date.now() - started,
    retryAfterSeconds: retryAfter,
    attemptedAt: now.toISOString(),
  });

  if (error === null && statusCode !== null) {
    await runBatch(db, [
      log,
      recordOutcomeQuery(
        db,
        row.id,
        { status: "DELIVERED", attempts: attemptNumber, nextAttemptAt: null, statusCode, error: null },
        now,
      ),
    ]);
    return { kind: "delivered", statusCode };
  }
  if (statusCode === 410) {
    const reason = `the endpoint answered 410 Gone on ${now.toISOString()}`;
    await runBatch(db, [
      log,
      disableWebhookQuery(db, row.pbcRefNumber, reason, now),
      recordOutcomeQuery(
        db,
        row.id,
        { status: "CANCELLED", attempts: attemptNumber, nextAttemptAt: null, statusCode, error: "410 Gone: endpoint disabled" },
        now,
      ),
      cancelPendingQuery(db, row.pbcRefNumber, "endpoint disabled after 410 Gone", now),
    ]);
    deps.log.warn("webhook endpoint disabled after 410 Gone", { pbcRefNumber: row.pbcRefNumber, outboxId: row.id });
    return { kind: "gone", statusCode: 410 };
  }
  const scheduled = retryDelaySeconds(attemptNumber);
  if (scheduled === null || attemptNumber >= MAX_ATTEMPTS) {
    await runBatch(db, [
      log,
      recordOutcomeQuery(db, row.id, { status: "DEAD", attempts: attemptNumber, nextAttemptAt: null, statusCode, error }, now),
    ]);
    return { kind: "dead", statusCode, error };
  }
  // The receiver's Retry-After, when it gives one, decides the wait (at least the first step's 5 s).
  const delaySeconds = retryAfter !== null ? Math.max(5, retryAfter) : scheduled;
  await runBatch(db, [
    log,
    recordOutcomeQuery(
      db,
      row.id,
      {
        status: "PENDING",
        attempts: attemptNumber,
        nextAttemptAt: new Date(now.getTime() + delaySeconds * 1000),
        statusCode,
        error,
      },
      now,
    ),
  ]);
  return { kind: "retry", delaySeconds, statusCode, error };
}

/** What the consumer did with one message (tests and logs read it). */
export type MessageOutcome = "ack" | { retryInSeconds: number };

/** Handle one queue message: a void or finished row is acknowledged; a not-yet-due row waits. */
export async function handleWebhookMessage(deps: DeliveryDeps, body: unknown, now: Date): Promise<MessageOutcome> {
  if (!isWebhookMessage(body)) {
    deps.log.error("webhook queue: malformed message dropped", {});
    return "ack";
  }
  const message: WebhookMessage = body;
  const row = await findOutboxRow(deps.db, message.id);
  if (row?.status !== "PENDING" || row.generation !== message.generation) return "ack";
  const dueIn = row.nextAttemptAt === null ? 0 : Math.ceil((Date.parse(row.nextAttemptAt) - now.getTime()) / 1000);
  if (dueIn > 1) return { retryInSeconds: Math.min(dueIn, MAX_QUEUE_DELAY_SECONDS) };
  if (!(await claimForDelivery(deps.db, row.id, row.generation, now, CLAIM_MS))) {
    // Another consumer holds it (a duplicate message): look again once its claim has lapsed.
    return { retryInSeconds: Math.ceil(CLAIM_MS / 1000) };
  }
  const result = await attemptDelivery(deps, row, now);
  switch (result.kind) {
    case "retry":
      return { retryInSeconds: Math.min(result.delaySeconds, MAX_QUEUE_DELAY_SECONDS) };
    case "dead":
      deps.log.error("webhook delivery failed after the last try: dead letter", {
        outboxId: row.id,
        pbcRefNumber: row.pbcRefNumber,
        eventType: row.eventType,
        statusCode: result.statusCode,
      });
      if (deps.deadLetter) {
        await deps.deadLetter.send(
          {
            outboxId: row.id,
            messageId: row.messageId,
            pbcRefNumber: row.pbcRefNumber,
            eventType: row.eventType,
            attempts: MAX_ATTEMPTS,
            lastStatusCode: result.statusCode,
            lastError: result.error,
          },
          { contentType: "json" },
        );
      }
      return "ack";
    default:
      return "ack";
  }
}

/** The Worker's queue handler for the WEBHOOKS queue. */
export async function consumeWebhookBatch(batch: MessageBatch<unknown>, deps: DeliveryDeps): Promise<void> {
  for (const message of batch.messages) {
    try {
      const outcome = await handleWebhookMessage(deps, message.body, new Date());
      if (outcome === "ack") message.ack();
      else message.retry({ delaySeconds: outcome.retryInSeconds });
    } catch (error) {
      // D1 or the dead-letter send failed: the queue tries the message again (after max_retries, its dead-letter queue).
      deps.log.error("webhook message failed", { error, queueMessageId: message.id });
      message.retry({ delaySeconds: 30 });
    }
  }
}
