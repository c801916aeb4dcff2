/**
 * Partner notification settings, for the partner CLI and support: set, rotate, remove, test and
 * the delivery log. Every change is audited with the operator's name.
 */
import { recordAudit } from "../db/auditLog.ts";
import type { Db } from "../db/client.ts";
import { findPartner } from "../db/partners.ts";
import { deleteWebhook, findWebhook, rotateWebhookSecret, upsertWebhook } from "../db/partnerWebhooks.ts";
import type { OutboxRow, WebhookAttemptRow } from "../db/schema.ts";
import { attemptsOf } from "../db/webhookAttempts.ts";
import { cancelPendingQuery, findOutboxRow, insertPing, recentDeliveries, recordOutcomeQuery } from "../db/webhookOutbox.ts";
import { newWebhookSecret } from "../domain/standardWebhooks.ts";
import { isWebhookEventType, WEBHOOK_EVENT_TYPES, type WebhookEventType, webhookUrlProblem } from "../domain/webhookPolicy.ts";
import { encryptSecret } from "../lib/crypto.ts";
import type { Logger } from "../lib/logger.ts";
import { OnboardingError, type Operator } from "./onboarding.ts";
import { type AttemptResult, attemptDelivery, secretContext } from "./webhookDelivery.ts";

export const WEBHOOK_ROTATION_GRACE_HOURS = 24;

export interface WebhookDeps {
  db: Db;
  encryptionKey: string;
  /** The environment the Worker runs in ("local" allows http to loopback). */
  environment: string;
  operator: Operator;
  now: Date;
}

async function audit(deps: WebhookDeps, action: string, target: string, detail?: Record<string, unknown>) {
  await recordAudit(
    deps.db,
    { actor: deps.operator.actor, action, target, outcome: "success", detail: detail ?? null },
    deps.now,
  );
}

async function partnerOrFail(deps: WebhookDeps, pbcRefNumber: string) {
  const partner = await findPartner(deps.db, pbcRefNumber);
  if (!partner) throw new OnboardingError(`no partner ${pbcRefNumber}`);
  return partner;
}

/** Event types from a comma-separated list; all of them when absent. */
export function parseEventList(text: string | undefined): WebhookEventType[] {
  if (text === undefined || text.trim() === "") return [...WEBHOOK_EVENT_TYPES];
  const events = [...new Set(text.split(",").map((item) => item.trim()))].filter((item) => item !== "");
  const unknown = events.filter((item) => !isWebhookEventType(item));
  if (unknown.length > 0)
    throw new OnboardingError(`unknown event type ${unknown.join(", ")}: expected some of ${WEBHOOK_EVENT_TYPES.join(", ")}`);
  return events as WebhookEventType[];
}

export interface WebhookSetResult {
  url: string;
  secret: string;
  events: WebhookEventType[];
}

/** Set (or replace) the endpoint with a fresh secret, returned once. */
export async function setWebhook(
  deps: WebhookDeps,
  pbcRefNumber: string,
  url: string,
  events: WebhookEventType[],
): Promise<WebhookSetResult> {
  await partnerOrFail(deps, pbcRefNumber);
  const problem = webhookUrlProblem(url, deps.environment);
  if (problem !== null) throw new OnboardingError(`--url ${url}: ${problem}`);
  const secret = newWebhookSecret();
  await upsertWebhook(
    deps.db,
    pbcRefNumber,
    { url, events, secretCiphertext: await encryptSecret(deps.encryptionKey, secret, secretContext(pbcRefNumber)) },
    deps.now,
  );
  await audit(deps, "webhook.set", pbcRefNumber, { url, events });
  return { url, secret, events };
}

/** A new secret; the old one keeps signing (two signatures) for `graceHours`. */
export async function rotateSecret(
  deps: WebhookDeps,
  pbcRefNumber: string,
  graceHours = WEBHOOK_ROTATION_GRACE_HOURS,
): Promise<{ secret: string; previousValidUntil: string }> {
  await partnerOrFail(deps, pbcRefNumber);
  const secret = newWebhookSecret();
  const until = new Date(deps.now.getTime() + graceHours * 3_600_000);
  const ciphertext = await encryptSecret(deps.encryptionKey, secret, secretContext(pbcRefNumber));
  if (!(await rotateWebhookSecret(deps.db, pbcRefNumber, ciphertext, until, deps.now)))
    throw new OnboardingError(`partner ${pbcRefNumber} has no webhook: set one with set-webhook`);
  await audit(deps, "webhook.secret_rotated", pbcRefNumber, { graceHours });
  return { secret, previousValidUntil: until.toISOString() };
}

/** Remove the endpoint; events not yet delivered are cancelled. */
export async function removeWebhook(deps: WebhookDeps, pbcRefNumber: string): Promise<void> {
  await partnerOrFail(deps, pbcRefNumber);
  if (!(await deleteWebhook(deps.db, pbcRefNumber))) throw new OnboardingError(`partner ${pbcRefNumber} has no webhook`);
  await cancelPendingQuery(deps.db, pbcRefNumber, "endpoint removed", deps.now);
  await audit(deps, "webhook.removed", pbcRefNumber);
}

/** Send a signed `ping` now (one attempt, logged like any delivery) and say what the endpoint answered. */
export async function testWebhook(
  deps: WebhookDeps & { log: Logger; fetcher?: typeof fetch },
  pbcRefNumber: string,
): Promise<{ messageId: string; result: AttemptResult }> {
  await partnerOrFail(deps, pbcRefNumber);
  const webhook = await findWebhook(deps.db, pbcRefNumber);
  if (!webhook) throw new OnboardingError(`partner ${pbcRefNumber} has no webhook: set one with set-webhook`);
  if (webhook.status !== "ACTIVE")
    throw new OnboardingError(`the webhook is disabled (${webhook.disabledReason}): set it again to enable`);
  const row = await insertPing(deps.db, pbcRefNumber, deps.now);
  const result = await attemptDelivery(deps, row, deps.now);
  // A ping is never retried: one answer is what the operator asked for.
  if (result.kind === "retry") await cancelPing(deps, row);
  await audit(deps, "webhook.tested", pbcRefNumber, { outcome: result.kind });
  return { messageId: row.messageId, result };
}

async function cancelPing(deps: WebhookDeps, row: OutboxRow) {
  const current = await findOutboxRow(deps.db, row.id);
  await recordOutcomeQuery(
    deps.db,
    row.id,
    {
      status: "CANCELLED",
      attempts: current?.attempts ?? 1,
      nextAttemptAt: null,
      statusCode: current?.lastStatusCode ?? null,
      error: current?.lastError ?? "test only",
    },
    deps.now,
  );
}

export interface DeliveryView {
  id: number;
  messageId: string;
  pbcRefNumber: string;
  eventType: string;
  status: string;
  attempts: number;
  nextRetryAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
  /**
   * The signed body sent (or to send): kept, with its size; cleared by the retention
   * (services/outboxRetention.ts), with when; or none (not rendered yet, or cancelled before a try).
   */
  body: { state: "kept"; bytes: number } | { state: "cleared"; clearedAt: string } | { state: "none" };
  log?: WebhookAttemptRow[];
}

function bodyOf(row: OutboxRow): DeliveryView["body"] {
  if (row.payload !== null) return { state: "kept", bytes: new TextEncoder().encode(row.payload).byteLength };
  if (row.payloadClearedAt !== null) return { state: "cleared", clearedAt: row.payloadClearedAt };
  return { state: "none" };
}

/** The body as one phrase for the CLIs' text output. */
export function bodyPhrase(body: DeliveryView["body"]): string {
  switch (body.state) {
    case "kept":
      return `body kept (${body.bytes} bytes)`;
    case "cleared":
      return `body cleared ${body.clearedAt} (past its retention)`;
    default:
      return "no body";
  }
}

/** Recent deliveries, newest first, with status, attempts and next retry (and each attempt with `withLog`). */
export async function listDeliveries(
  db: Db,
  filter: { pbcRefNumber?: string; status?: string },
  limit: number,
  withLog = false,
): Promise<DeliveryView[]> {
  const rows = await recentDeliveries(db, filter, limit);
  return Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      messageId: row.messageId,
      pbcRefNumber: row.pbcRefNumber,
      eventType: row.eventType,
      status: row.status,
      attempts: row.attempts,
      nextRetryAt: row.status === "PENDING" ? row.nextAttemptAt : null,
      lastStatusCode: row.lastStatusCode,
      lastError: row.lastError,
      createdAt: row.createdAt,
      deliveredAt: row.deliveredAt,
      body: bodyOf(row),
      ...(withLog ? { log: await attemptsOf(db, row.id) } : {}),
    })),
  );
}
