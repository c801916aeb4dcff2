/** What the public sees of the partner being paid: name, logo, contact details and privacy notice. */
import type { FC } from "hono/jsx";
import type { Partner } from "../db/schema.ts";
import type { Catalogue, Language } from "../i18n/index.ts";

export interface PartnerFace {
  name: string;
  logoUrl: string | null;
  contact: { email: string | null; phone: string | null; url: string | null };
  /** The partner's own notice in the page's language, or null for the portal's default. */
  privacyNotice: string | null;
}

export function partnerFace(partner: Partner, language: Language): PartnerFace {
  return {
    name: (language === "fr" ? partner.nameFr : null) ?? partner.name,
    logoUrl: partner.logoSha256 ? `/public/partner-logo/${partner.pbcRefNumber}/${partner.logoSha256.slice(0, 16)}` : null,
    contact: { email: partner.contactEmail, phone: partner.contactPhone, url: partner.contactUrl },
    privacyNotice: (language === "fr" ? partner.privacyNoticeFr : partner.privacyNoticeEn) ?? null,
  };
}

export function hasContact(partner: PartnerFace): boolean {
  return Boolean(partner.contact.email || partner.contact.phone || partner.contact.url);
}

export const ContactList: FC<{ t: Catalogue; partner: PartnerFace }> = ({ t, partner }) => (
  <dl class="summary-list">
    {partner.contact.email && (
      <div class="summary-row">
        <dt>{t.card.contactEmail}</dt>
        <dd>
          <a href={`mailto:${partner.contact.email}`}>{partner.contact.email}</a>
        </dd>
      </div>
    )}
    {partner.contact.phone && (
      <div class="summary-row">
        <dt>{t.card.contactPhone}</dt>
        <dd>
          <a href={`tel:${partner.contact.phone.replace(/[^\d+]/g, "")}`}>{partner.contact.phone}</a>
        </dd>
      </div>
    )}
    {partner.contact.url && (
      <div class="summary-row">
        <dt>{t.card.contactWebsite}</dt>
        <dd>
          <a href={partner.contact.url}>{partner.contact.url}</a>
        </dd>
      </div>
    )}
  </dl>
);

export const PartnerContact: FC<{ t: Catalogue; partner: PartnerFace }> = ({ t, partner }) =>
  hasContact(partner) ? (
    <section class="partner-contact" aria-labelledby="partner-contact-title">
      <h2 class="heading-s" id="partner-contact-title">
        {t.card.contactTitle(partner.name)}
      </h2>
      <ContactList t={t} partner={partner} />
    </section>
  ) : null;
