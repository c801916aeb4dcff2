/** Owns `webhook_attempts`: the delivery log, one row per HTTP attempt. */
import { desc, eq } from "drizzle-orm";
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
