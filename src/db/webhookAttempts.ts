/** Owns `webhook_attempts`: the delivery log, one row per HTTP attempt. */
import { asc, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "./client.ts";
import { type WebhookAttemptRow, webhookAttempts } from "./schema.ts";

export type NewWebhookAttempt = Omit<WebhookAttemptRow, "id">;

export function recordAttemptQuery(db: Db, attempt: NewWebhookAttempt) {
  return db.insert(webhookAttempts).values(attempt);
}

export async function attemptsOf(db: Db, outboxId: number, limit = 20): Promise<WebhookAttemptRow[]> {
  return db
    .select()
    .from(webhookAttempts)
    .where(eq(webhookAttempts.outboxId, outboxId))
    .orderBy(desc(webhookAttempts.id))
    .limit(limit)
    .all();
}

/** Every attempt of these outbox rows, oldest first (a payment's delivery history). */
export async function attemptsOfRows(db: Db, outboxIds: readonly number[]): Promise<WebhookAttemptRow[]> {
  if (outboxIds.length === 0) return [];
  return db
    .select()
    .from(webhookAttempts)
    .where(inArray(webhookAttempts.outboxId, [...outboxIds]))
    .orderBy(asc(webhookAttempts.outboxId), asc(webhookAttempts.id))
    .all();
}
