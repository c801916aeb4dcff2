/** Owns `partner_redirect_targets`. */
import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { partnerRedirectTargets } from "./schema.ts";

export function listRedirectTargetsQuery(db: Db, pbcRefNumber: string) {
  return db
    .select({ target: partnerRedirectTargets.target })
    .from(partnerRedirectTargets)
    .where(eq(partnerRedirectTargets.pbcRefNumber, pbcRefNumber))
    .orderBy(asc(partnerRedirectTargets.target));
}

/** SQL condition: this redirect target is still registered for the partner (checked again inside a write batch). */
export function redirectTargetRegisteredCondition(pbcRefNumber: string, target: string): SQL {
  return sql`EXISTS (SELECT 1 FROM partner_redirect_targets WHERE pbc_ref_number = ${pbcRefNumber} AND target = ${target})`;
}

export async function listRedirectTargets(db: Db, pbcRefNumber: string): Promise<string[]> {
  return (await listRedirectTargetsQuery(db, pbcRefNumber).all()).map((row) => row.target);
}

export async function addRedirectTarget(db: Db, pbcRefNumber: string, target: string, now: Date): Promise<boolean> {
  const rows = await db
    .insert(partnerRedirectTargets)
    .values({ pbcRefNumber, target, createdAt: now.toISOString() })
    .onConflictDoNothing()
    .returning({ target: partnerRedirectTargets.target });
  return rows.length === 1;
}

export async function removeRedirectTarget(db: Db, pbcRefNumber: string, target: string): Promise<boolean> {
  const rows = await db
    .delete(partnerRedirectTargets)
    .where(and(eq(partnerRedirectTargets.pbcRefNumber, pbcRefNumber), eq(partnerRedirectTargets.target, target)))
    .returning({ target: partnerRedirectTargets.target });
  return rows.length === 1;
}
