/** Owns `finance_sessions`: server-side sessions of the finance token sign-in, stored as hashes. */
import { and, eq, gt, lte } from "drizzle-orm";
import type { Db } from "./client.ts";
import { financeSessions } from "./schema.ts";

export async function insertFinanceSession(
  db: Db,
  session: { sessionHash: string; expiresAt: Date; sourceIp: string | null },
  now: Date,
): Promise<void> {
  // Expired sessions are removed as new ones start, so the table stays small.
  await db.batch([
    db.delete(financeSessions).where(lte(financeSessions.expiresAt, now.toISOString())),
    db.insert(financeSessions).values({
      sessionHash: session.sessionHash,
      createdAt: now.toISOString(),
      expiresAt: session.expiresAt.toISOString(),
      sourceIp: session.sourceIp,
    }),
  ]);
}

/** When an active session ends (ISO UTC), or null when there is no such session or it has ended. */
export async function financeSessionExpiry(db: Db, sessionHash: string, now: Date): Promise<string | null> {
  const row = await db
    .select({ expiresAt: financeSessions.expiresAt })
    .from(financeSessions)
    .where(and(eq(financeSessions.sessionHash, sessionHash), gt(financeSessions.expiresAt, now.toISOString())))
    .get();
  return row?.expiresAt ?? null;
}

export async function deleteFinanceSession(db: Db, sessionHash: string): Promise<void> {
  await db.delete(financeSessions).where(eq(financeSessions.sessionHash, sessionHash));
}
