/** Owns `email_outbox`: messages the local capture sender kept (ENVIRONMENT=local only). */
import { desc } from "drizzle-orm";
import type { Db } from "./client.ts";
import { emailOutbox, type OutboxMessage } from "./schema.ts";

export async function insertOutboxMessage(db: Db, message: Omit<OutboxMessage, "id" | "createdAt">, now: Date): Promise<void> {
  await db.insert(emailOutbox).values({ ...message, createdAt: now.toISOString() });
}

export async function listOutboxMessages(db: Db, limit = 50): Promise<OutboxMessage[]> {
  return db.select().from(emailOutbox).orderBy(desc(emailOutbox.id)).limit(limit).all();
}
