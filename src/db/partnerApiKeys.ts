/** Owns `partner_api_keys`: MD5 API keys, encrypted; a rotated key stays valid for a grace period. */
import { and, desc, eq, gt, isNull, or, type SQL, sql } from "drizzle-orm";
import { decryptSecret, encryptSecret } from "../lib/crypto.ts";
import { runBatch } from "./batch.ts";
import type { Db } from "./client.ts";
import { partnerApiKeys } from "./schema.ts";

const context = (pbcRefNumber: string) => `partner-api-key:${pbcRefNumber}`;

export interface ApiKey {
  id: number;
  key: string;
}

export type ApiKeyRow = { id: number; keyCiphertext: string };

/**
 * The keys a request may be signed with now: the current one, then rotated ones still in grace.
 * `pbcRefNumber` may be SQL (the partner of a row read in the same batch).
 */
export function validApiKeysQuery(db: Db, pbcRefNumber: string | SQL, now: Date) {
  return db
    .select({ id: partnerApiKeys.id, keyCiphertext: partnerApiKeys.keyCiphertext })
    .from(partnerApiKeys)
    .where(
      and(
        eq(partnerApiKeys.pbcRefNumber, pbcRefNumber),
        or(isNull(partnerApiKeys.retiredAt), gt(partnerApiKeys.validUntil, now.toISOString())),
      ),
    )
    .orderBy(desc(partnerApiKeys.id));
}

/** SQL condition: this key of the partner is still valid (checked again inside a write batch). */
export function apiKeyValidCondition(pbcRefNumber: string, keyId: number, now: Date): SQL {
  return sql`EXISTS (SELECT 1 FROM partner_api_keys WHERE id = ${keyId} AND pbc_ref_number = ${pbcRefNumber}
    AND (retired_at IS NULL OR valid_until > ${now.toISOString()}))`;
}

export function decryptApiKeys(encryptionKey: string, pbcRefNumber: string, rows: readonly ApiKeyRow[]): Promise<ApiKey[]> {
  return Promise.all(
    rows.map(async (row) => ({ id: row.id, key: await decryptSecret(encryptionKey, row.keyCiphertext, context(pbcRefNumber)) })),
  );
}

export async function validApiKeys(db: Db, encryptionKey: string, pbcRefNumber: string, now: Date): Promise<ApiKey[]> {
  return decryptApiKeys(encryptionKey, pbcRefNumber, await validApiKeysQuery(db, pbcRefNumber, now).all());
}

/** `validApiKeysQuery` rows as they come back from a raw batch (snake_case columns). */
export function apiKeyRowsFromBatch(result: D1Result): ApiKeyRow[] {
  return (result.results as Array<{ id: number; key_ciphertext: string }>).map((row) => ({
    id: row.id,
    keyCiphertext: row.key_ciphertext,
  }));
}

/**
 * The key that signs a response: the one that signed the request while it is still valid
 * (a partner mid-rotation verifies with the key it signed with), else the current key.
 * `rows` are the partner's valid keys, newest first; only the chosen one is decrypted.
 */
export async function responseSigningKey(
  db: Db,
  encryptionKey: string,
  pbcRefNumber: string,
  requestKeyId: number | null,
  now: Date,
  rows?: readonly ApiKeyRow[],
): Promise<string | null> {
  const valid = rows ?? (await validApiKeysQuery(db, pbcRefNumber, now).all());
  const chosen = valid.find((row) => row.id === requestKeyId) ?? valid[0];
  return chosen ? decryptSecret(encryptionKey, chosen.keyCiphertext, context(pbcRefNumber)) : null;
}

/** Store a new current key; earlier current keys are retired but accepted until `graceUntil`. */
export async function setApiKey(
  db: Db,
  encryptionKey: string,
  pbcRefNumber: string,
  apiKey: string,
  now: Date,
  graceUntil: Date,
): Promise<void> {
  const at = now.toISOString();
  const keyCiphertext = await encryptSecret(encryptionKey, apiKey, context(pbcRefNumber));
  await runBatch(db, [
    db
      .update(partnerApiKeys)
      .set({ retiredAt: at, validUntil: graceUntil.toISOString() })
      .where(and(eq(partnerApiKeys.pbcRefNumber, pbcRefNumber), isNull(partnerApiKeys.retiredAt))),
    db.insert(partnerApiKeys).values({ pbcRefNumber, keyCiphertext, createdAt: at }),
  ]);
}

export async function hasApiKey(db: Db, pbcRefNumber: string): Promise<boolean> {
  const row = await db
    .select({ id: partnerApiKeys.id })
    .from(partnerApiKeys)
    .where(eq(partnerApiKeys.pbcRefNumber, pbcRefNumber))
    .get();
  return row !== undefined;
}
