/** Owns `oauth_clients`: partner web-service credentials; secrets kept only as salted hashes. */
import { eq, type Placeholder } from "drizzle-orm";
import { hashClientSecret, randomToken } from "../lib/crypto.ts";
import type { Db } from "./client.ts";
import { compiledRead } from "./compiled.ts";
import { oauthClients } from "./schema.ts";

export function findClientQuery(db: Db, clientId: string | Placeholder) {
  return db.select().from(oauthClients).where(eq(oauthClients.clientId, clientId));
}

/** The client by id, compiled once (db/compiled.ts): read on every partner web-service request. */
export const clientById = compiledRead(["clientId"], (db, values) => findClientQuery(db, values.clientId));

export async function findClient(db: Db, clientId: string) {
  return findClientQuery(db, clientId).get();
}

export async function listClients(db: Db, pbcRefNumber: string) {
  return db
    .select({ clientId: oauthClients.clientId, createdAt: oauthClients.createdAt, rotatedAt: oauthClients.rotatedAt })
    .from(oauthClients)
    .where(eq(oauthClients.pbcRefNumber, pbcRefNumber))
    .all();
}

export async function insertClient(db: Db, clientId: string, pbcRefNumber: string, secret: string, now: Date): Promise<boolean> {
  const salt = randomToken(16);
  const rows = await db
    .insert(oauthClients)
    .values({
      clientId,
      pbcRefNumber,
      secretSalt: salt,
      secretHash: await hashClientSecret(salt, secret),
      createdAt: now.toISOString(),
    })
    .onConflictDoNothing()
    .returning({ clientId: oauthClients.clientId });
  return rows.length === 1;
}

/**
 * New secret and a new secret generation; the previous secret (and the tokens issued under it) keep
 * working until `graceUntil` so partners can switch without failures. A grace of zero revokes them now.
 */
export async function rotateClientSecret(
  db: Db,
  clientId: string,
  secret: string,
  now: Date,
  graceUntil: Date,
): Promise<boolean> {
  const current = await findClient(db, clientId);
  if (!current) return false;
  const salt = randomToken(16);
  await db
    .update(oauthClients)
    .set({
      previousSecretSalt: current.secretSalt,
      previousSecretHash: current.secretHash,
      previousValidUntil: graceUntil.toISOString(),
      secretSalt: salt,
      secretHash: await hashClientSecret(salt, secret),
      secretGeneration: current.secretGeneration + 1,
      rotatedAt: now.toISOString(),
    })
    .where(eq(oauthClients.clientId, clientId));
  return true;
}
