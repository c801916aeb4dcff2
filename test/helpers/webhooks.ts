/** Helpers for partner notifications: a partner's endpoint (the loopback receiver) and the queue handler driven directly. */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { inject } from "vitest";
import { database } from "../../src/db/client.ts";
import type { WebhookEventType } from "../../src/domain/webhookPolicy.ts";
import worker from "../../src/index.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { setWebhook, testWebhook, type WebhookDeps } from "../../src/services/webhookConfig.ts";
import type { ReceivedWebhook, ScriptedAnswer } from "../fakes/webhookTypes.ts";

const receiver = inject("webhookReceiverUrl");

export function bucketUrl(bucket: string): string {
  return `${receiver}/hooks/${bucket}`;
}

export function webhookDeps(now = new Date()): WebhookDeps & { log: ReturnType<typeof createLogger> } {
  return {
    db: database(env.DB),
    encryptionKey: env.API_KEY_ENCRYPTION_KEY,
    environment: "local",
    operator: { actor: "operator:test" },
    now,
    log: createLogger("test"),
  };
}

/** Point the partner's webhook at a fresh receiver bucket; returns the bucket and the secret (shown once). */
export async function configureWebhook(pbcRefNumber: string, events?: WebhookEventType[]) {
  const bucket = `b${crypto.randomUUID().replaceAll("-", "")}`;
  const { secret } = await setWebhook(
    webhookDeps(),
    pbcRefNumber,
    bucketUrl(bucket),
    events ?? [
      "payment.approved",
      "payment.declined",
      "payment.cancelled",
      "payment.expired",
      "payment.posted",
      "refund.approved",
      "refund.declined",
      "refund.posted",
    ],
  );
  return { bucket, secret };
}

export async function script(bucket: string, answers: ScriptedAnswer[]): Promise<void> {
  await fetch(`${receiver}/_script/${bucket}`, { method: "PUT", body: JSON.stringify(answers) });
}

export async function received(bucket: string): Promise<ReceivedWebhook[]> {
  return (await (await fetch(`${receiver}/_received/${bucket}`)).json()) as ReceivedWebhook[];
}

/** Verify with the `standardwebhooks` package (an independent implementation): returns the event. */
export function verified(
  secret: string,
  delivery: ReceivedWebhook,
): { type: string; timestamp: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(delivery.body, delivery.headers) as {
    type: string;
    timestamp: string;
    data: Record<string, unknown>;
  };
}

export interface OutboxTestRow {
  id: number;
  event_type: string;
  status: string;
  attempts: number;
  generation: number;
  next_attempt_at: string | null;
  enqueued_at: string | null;
  last_status_code: number | null;
  transaction_id: number | null;
  refund_id: number | null;
}

export async function outboxRows(pbcRefNumber: string): Promise<OutboxTestRow[]> {
  return (
    await env.DB.prepare("SELECT * FROM webhook_outbox WHERE pbc_ref_number = ? ORDER BY id")
      .bind(pbcRefNumber)
      .all<OutboxTestRow>()
  ).results;
}

/**
 * The partner's pending rows as queue messages, as if their delay had passed: each row gets a new
 * generation (voiding the copy the request itself sent to the test inbox) and is due now.
 */
export async function dueMessages(pbcRefNumber: string): Promise<Array<{ id: number; generation: number }>> {
  const { results } = await env.DB.prepare(
    `UPDATE webhook_outbox SET generation = generation + 1, enqueued_at = COALESCE(enqueued_at, ?), next_attempt_at = ?
     WHERE pbc_ref_number = ? AND status = 'PENDING' RETURNING id, generation`,
  )
    .bind(new Date().toISOString(), new Date(Date.now() - 1000).toISOString(), pbcRefNumber)
    .all<{ id: number; generation: number }>();
  return results.sort((a, b) => a.id - b.id);
}

/** Run the Worker's queue handler on these messages; returns what it acknowledged and retried. */
export async function runQueue(bodies: unknown[], environment: Env = env) {
  const batch = createMessageBatch(
    "paybc-webhooks-local",
    bodies.map((body, index) => ({ id: `m${Date.now()}-${index}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, environment, ctx);
  return getQueueResult(batch, ctx);
}

/** Deliver everything pending for the partner once (one queue batch). */
export async function deliverPending(pbcRefNumber: string, environment: Env = env) {
  return runQueue(await dueMessages(pbcRefNumber), environment);
}

/** The wait the last failed attempt scheduled, in seconds (the test plugin's messages do not keep retry delays). */
export async function scheduledWait(pbcRefNumber: string): Promise<number | null> {
  const row = await env.DB.prepare(
    "SELECT next_attempt_at, updated_at FROM webhook_outbox WHERE pbc_ref_number = ? AND status = 'PENDING' ORDER BY id LIMIT 1",
  )
    .bind(pbcRefNumber)
    .first<{ next_attempt_at: string; updated_at: string }>();
  return row ? Math.round((Date.parse(row.next_attempt_at) - Date.parse(row.updated_at)) / 1000) : null;
}

export { testWebhook };
