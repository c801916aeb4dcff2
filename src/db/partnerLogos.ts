/** Owns `partner_logos`: one small image per partner, served from the portal's own origin. */
import { eq } from "drizzle-orm";
import type { Db } from "./client.ts";
import { setLogoHashQuery } from "./partners.ts";
import { partnerLogos } from "./schema.ts";

export type PartnerLogo = typeof partnerLogos.$inferSelect;

export async function findPartnerLogo(db: Db, pbcRefNumber: string): Promise<PartnerLogo | undefined> {
  return db.select().from(partnerLogos).where(eq(partnerLogos.pbcRefNumber, pbcRefNumber)).get();
}

/**
 * Store (or remove, with null) the logo and record its hash on the partner, in one batch (both
 * statements are query builders: nothing runs before the batch does).
 */
export async function setPartnerLogo(
  db: Db,
  pbcRefNumber: string,
  logo: { contentType: "image/png" | "image/svg+xml"; dataBase64: string; sha256: string } | null,
  now: Date,
): Promise<void> {
  const at = now.toISOString();
  if (logo === null) {
    await db.batch([
      db.delete(partnerLogos).where(eq(partnerLogos.pbcRefNumber, pbcRefNumber)),
      setLogoHashQuery(db, pbcRefNumber, null, now),
    ]);
    return;
  }
  await db.batch([
    db
      .insert(partnerLogos)
      .values({ pbcRefNumber, ...logo, updatedAt: at })
      .onConflictDoUpdate({ target: partnerLogos.pbcRefNumber, set: { ...logo, updatedAt: at } }),
    setLogoHashQuery(db, pbcRefNumber, logo.sha256, now),
  ]);
}
