/** Owns the `partners` table. */
import { asc, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { compiledRead } from "./compiled.ts";
import { type Partner, partners } from "./schema.ts";

export function findPartnerQuery(db: Db, pbcRefNumber: string | SQL) {
  return db.select().from(partners).where(eq(partners.pbcRefNumber, pbcRefNumber));
}

/**
 * What the partner web service checks on every request (is the partner active, which key style),
 * compiled once (db/compiled.ts); two columns, not the partner's eighteen.
 */
export const partnerAccessByNumber = compiledRead(["pbcRefNumber"], (db, values) =>
  db
    .select({ status: partners.status, keyStyle: partners.keyStyle })
    .from(partners)
    .where(eq(partners.pbcRefNumber, values.pbcRefNumber)),
);

/**
 * SQL condition: the partner exists and is ACTIVE, and (given) still signs with this algorithm
 * (checked again inside a write batch).
 */
export function partnerActiveCondition(pbcRefNumber: string, signingAlgorithm?: string): SQL {
  const algorithm = signingAlgorithm === undefined ? sql`` : sql` AND signing_algorithm = ${signingAlgorithm}`;
  return sql`EXISTS (SELECT 1 FROM partners WHERE pbc_ref_number = ${pbcRefNumber} AND status = 'ACTIVE'${algorithm})`;
}

export async function findPartner(db: Db, pbcRefNumber: string): Promise<Partner | undefined> {
  return findPartnerQuery(db, pbcRefNumber).get();
}

export async function listPartners(db: Db): Promise<Partner[]> {
  return db.select().from(partners).orderBy(asc(partners.pbcRefNumber)).all();
}

/** Every partner's name by number: the few columns staff lists print beside a partner number. */
export async function partnerNames(db: Db): Promise<Map<string, string>> {
  const rows = await db.select({ pbcRefNumber: partners.pbcRefNumber, name: partners.name }).from(partners).all();
  return new Map(rows.map((row) => [row.pbcRefNumber, row.name]));
}

export interface NewPartner {
  pbcRefNumber: string;
  name: string;
  keyStyle: "lower" | "camel";
  glPosting: boolean;
  cashAccount: string | null;
  /** After a decline: retry in place (default for new partners) or return at once. */
  onDecline?: "retry" | "return";
}

/** Insert; returns false when the partner already exists (idempotent seeding). */
export async function insertPartner(db: Db, partner: NewPartner, now: Date): Promise<boolean> {
  const at = now.toISOString();
  const rows = await db
    .insert(partners)
    // Accounts are stored upper case, as the ledger has them.
    .values({
      ...partner,
      cashAccount: partner.cashAccount?.toUpperCase() ?? null,
      status: "ACTIVE",
      createdAt: at,
      updatedAt: at,
    })
    .onConflictDoNothing()
    .returning({ pbcRefNumber: partners.pbcRefNumber });
  return rows.length === 1;
}

/** The hash the card page links the partner's logo by (partner_logos), or null: in the logo's batch. */
export function setLogoHashQuery(db: Db, pbcRefNumber: string, sha256: string | null, now: Date) {
  return db
    .update(partners)
    .set({ logoSha256: sha256, updatedAt: now.toISOString() })
    .where(eq(partners.pbcRefNumber, pbcRefNumber));
}

export async function updatePartner(
  db: Db,
  pbcRefNumber: string,
  changes: Partial<
    Pick<
      Partner,
      | "name"
      | "status"
      | "keyStyle"
      | "glPosting"
      | "cashAccount"
      | "onDecline"
      | "nameFr"
      | "contactEmail"
      | "contactPhone"
      | "contactUrl"
      | "privacyNoticeEn"
      | "privacyNoticeFr"
      | "signingAlgorithm"
    >
  >,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(partners)
    .set({
      ...changes,
      ...(changes.cashAccount ? { cashAccount: changes.cashAccount.toUpperCase() } : {}),
      updatedAt: now.toISOString(),
    })
    .where(eq(partners.pbcRefNumber, pbcRefNumber))
    .returning({ pbcRefNumber: partners.pbcRefNumber });
  return rows.length === 1;
}
