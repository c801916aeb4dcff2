/** Owns `partner_logos`: one small image per partner, served from the portal's own origin. */
import { eq, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { partnerLogos } from "./schema.ts";

export type PartnerLogo = typeof partnerLogos.$inferSelect;

export async function findPartnerLogo(db: Db, pbcRefNumber: string): Promise<PartnerLogo | undefined> {
  return db.select().from(partnerLogos).where(eq(partnerLogos.pbcRefNumber, pbcRefNumber)).get();
}

/** Store (or remove, with null) the logo and record its hash on the partner, in one batch. */
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
      db.run(sql`UPDATE partners SET logo_sha256 = NULL, updated_at = ${at} WHERE pbc_ref_number = ${pbcRefNumber}`),
    ]);
    return;
  }
  await db.batch([
    db
      .insert(partnerLogos)
      .values({ pbcRefNumber, ...logo, updatedAt: at })
      .onConflictDoUpdate({ target: partnerLogos.pbcRefNumber, set: { ...logo, updatedAt: at } }),
    db.run(sql`UPDATE partners SET logo_sha256 = ${logo.sha256}, updated_at = ${at} WHERE pbc_ref_number = ${pbcRefNumber}`),
  ]);
}
