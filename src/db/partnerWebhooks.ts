/** Owns `partner_webhooks`: each partner's optional notification endpoint and signing secrets. */
import { eq, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { type PartnerWebhook, partnerWebhooks } from "./schema.ts";

export async function findWebhook(db: Db, pbcRefNumber: string): Promise<PartnerWebhook | undefined> {
  return db.select().from(partnerWebhooks).where(eq(partnerWebhooks.pbcRefNumber, pbcRefNumber)).get();
}

export interface WebhookSettings {
  url: string;
  events: readonly string[];
  secretCiphertext: string;
}

/** Create or replace the endpoint: a new URL starts ACTIVE with a fresh secret (no grace for the old one). */
export async function upsertWebhook(db: Db, pbcRefNumber: string, settings: WebhookSettings, now: Date): Promise<void> {
  const at = now.toISOString();
  const values = {
    url: settings.url,
    events: JSON.stringify(settings.events),
    status: "ACTIVE" as const,
    disabledReason: null,
    secretCiphertext: settings.secretCiphertext,
    previousSecretCiphertext: null,
    previousValidUntil: null,
    updatedAt: at,
  };
  await db
    .insert(partnerWebhooks)
    .values({ pbcRefNumber, ...values, createdAt: at })
    .onConflictDoUpdate({ target: partnerWebhooks.pbcRefNumber, set: values });
}

/** The current secret becomes the previous one, still signing until `previousValidUntil`. */
export async function rotateWebhookSecret(
  db: Db,
  pbcRefNumber: string,
  secretCiphertext: string,
  previousValidUntil: Date,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(partnerWebhooks)
    .set({
      previousSecretCiphertext: sql`${partnerWebhooks.secretCiphertext}`,
      previousValidUntil: previousValidUntil.toISOString(),
      secretCiphertext,
      updatedAt: now.toISOString(),
    })
    .where(eq(partnerWebhooks.pbcRefNumber, pbcRefNumber))
    .returning({ ref: partnerWebhooks.pbcRefNumber });
  return rows.length === 1;
}

export async function deleteWebhook(db: Db, pbcRefNumber: string): Promise<boolean> {
  const rows = await db
    .delete(partnerWebhooks)
    .where(eq(partnerWebhooks.pbcRefNumber, pbcRefNumber))
    .returning({ ref: partnerWebhooks.pbcRefNumber });
  return rows.length === 1;
}

/** A 410 Gone: the partner told us the endpoint is gone; nothing more is sent until it is set again. */
export function disableWebhookQuery(db: Db, pbcRefNumber: string, reason: string, now: Date) {
  return db
    .update(partnerWebhooks)
    .set({ status: "DISABLED", disabledReason: reason, updatedAt: now.toISOString() })
    .where(eq(partnerWebhooks.pbcRefNumber, pbcRefNumber));
}

export async function listWebhooks(db: Db): Promise<PartnerWebhook[]> {
  return db.select().from(partnerWebhooks).orderBy(partnerWebhooks.pbcRefNumber).all();
}
