/** The receipt: a printable page reached from the success page, and the email (HTML and plain text). */
import type { FC } from "hono/jsx";
import type { Partner, Transaction } from "../db/schema.ts";
import { type Catalogue, formatMoney, formatPacificDateTime, type Language } from "../i18n/index.ts";
import { Layout } from "./layout.tsx";
import { ContactList, hasContact, type PartnerFace, partnerFace } from "./partner.tsx";

/** What a receipt says: never more of the card than its brand and last four digits. */
export interface ReceiptFacts {
  partner: PartnerFace;
  description: string;
  amountCents: number;
  paidAt: string;
  trnOrderId: string;
  pbcTxnNumber: string;
  cardType: string | null;
  lastFour: string | null;
}

export function receiptFacts(transaction: Transaction, partner: Partner, language: Language): ReceiptFacts {
  return {
    partner: partnerFace(partner, language),
    description: transaction.description,
    amountCents: transaction.trnAmountCents,
    paidAt: transaction.paidAt ?? transaction.updatedAt,
    trnOrderId: transaction.trnOrderId ?? "",
    pbcTxnNumber: transaction.pbcTxnNumber,
    cardType: transaction.cardType,
    lastFour: transaction.cardLastFour,
  };
}

function rows(facts: ReceiptFacts, t: Catalogue): Array<[string, string]> {
  const r = t.receipt;
  const brand = facts.cardType ? (t.brands[facts.cardType] ?? facts.cardType) : null;
  return [
    [r.paidTo, facts.partner.name],
    [r.for, facts.description],
    [r.amount, `${formatMoney(facts.amountCents, t)} CAD`],
    [r.date, formatPacificDateTime(facts.paidAt, t)],
    [r.reference, facts.trnOrderId],
    [r.transaction, facts.pbcTxnNumber],
    ...(brand && facts.lastFour ? [[r.card, r.cardValue(brand, facts.lastFour)] as [string, string]] : []),
  ];
}

export const ReceiptPage: FC<{
  t: Catalogue;
  nonce: string;
  facts: ReceiptFacts;
  backUrl: string;
  switchHref: string;
}> = ({ t, nonce, facts, backUrl, switchHref }) => (
  <Layout
    t={t}
    title={t.receipt.title}
    serviceName={facts.partner.name}
    nonce={nonce}
    scripts={["/public/assets/print.js"]}
    switchHref={switchHref}
  >
    <div class="receipt">
      {facts.partner.logoUrl && (
        <img class="partner-logo" src={facts.partner.logoUrl} alt={t.layout.logoAlt(facts.partner.name)} />
      )}
      <h1 class="heading-l">{t.receipt.title}</h1>
      <p class="body">{t.receipt.intro}</p>
      <dl class="summary-list receipt-list">
        {rows(facts, t).map(([label, value]) => (
          <div class="summary-row">
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      {hasContact(facts.partner) && (
        <section aria-labelledby="receipt-contact">
          <h2 class="heading-s" id="receipt-contact">
            {t.receipt.contact}
          </h2>
          <ContactList t={t} partner={facts.partner} />
        </section>
      )}
    </div>
    <p class="body no-print">
      <button type="button" class="button" data-print hidden>
        {t.receipt.print}
      </button>
      <a class="button button-secondary" href={backUrl}>
        {t.receipt.back}
      </a>
    </p>
  </Layout>
);

const escapeHtml = (text: string) =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** The receipt email. Plain HTML with inline styles (mail clients ignore stylesheets), and a text part. */
export async function receiptEmail(facts: ReceiptFacts, t: Catalogue): Promise<{ subject: string; text: string; html: string }> {
  const r = t.receipt;
  const lines = rows(facts, t);
  const contact = [
    facts.partner.contact.email ? [t.card.contactEmail, facts.partner.contact.email] : null,
    facts.partner.contact.phone ? [t.card.contactPhone, facts.partner.contact.phone] : null,
    facts.partner.contact.url ? [t.card.contactWebsite, facts.partner.contact.url] : null,
  ].filter((row): row is [string, string] => row !== null);
  const text = [
    r.title,
    "",
    r.intro,
    "",
    ...lines.map(([label, value]) => `${label}: ${value}`),
    ...(contact.length > 0 ? ["", `${r.contact}:`, ...contact.map(([label, value]) => `${label}: ${value}`)] : []),
    "",
    r.emailFooter,
  ].join("\n");
  const cell = 'style="padding:6px 12px 6px 0;text-align:left;vertical-align:top;border-bottom:1px solid #b1b4b6"';
  const html = `<!doctype html><html lang="${t.htmlLang}"><head><meta charset="utf-8"><title>${escapeHtml(r.title)}</title></head>
<body style="font-family:Arial,sans-serif;font-size:16px;line-height:1.4;color:#0b0c0c">
<h1 style="font-size:24px;margin:0 0 12px">${escapeHtml(r.title)}</h1>
<p>${escapeHtml(r.intro)}</p>
<table role="presentation" style="border-collapse:collapse;margin:0 0 16px">
${lines.map(([label, value]) => `<tr><th scope="row" ${cell}>${escapeHtml(label)}</th><td ${cell}>${escapeHtml(value)}</td></tr>`).join("\n")}
</table>
${
  contact.length > 0
    ? `<h2 style="font-size:18px;margin:16px 0 8px">${escapeHtml(r.contact)}</h2><p>${contact
        .map(([label, value]) => `${escapeHtml(label)}: ${escapeHtml(value)}`)
        .join("<br>")}</p>`
    : ""
}
<p style="color:#505a5f;font-size:14px">${escapeHtml(r.emailFooter)}</p>
</body></html>`;
  return { subject: r.subject(facts.partner.name), text, html };
}
