/**
 * The person paying (issue 15): the receipt email through the RECEIPTS queue (capture sender), the
 * printable receipt, retry in place after a decline, French chosen by the signed `language`, by
 * Accept-Language or by the switch, and no partner jargon on public pages.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { database } from "../src/db/client.ts";
import { parseReceiptEmail } from "../src/domain/email.ts";
import worker from "../src/index.ts";
import { setPartnerLogoFile } from "../src/services/onboarding.ts";
import { findCardNumbers } from "./helpers/cardScan.ts";
import { BASE, GOOD_CARD, get, openPayment, payWith, post, seedPartner } from "./helpers/portal.ts";

const DECLINED_CARD = "4003050500040005";

async function receiptRow(pbcTxnNumber: string) {
  return env.DB.prepare(
    `SELECT a.id, a.receipt_email, a.receipt_status, a.receipt_language FROM payment_attempts a
     JOIN transactions t ON t.id = a.transaction_id WHERE t.pbc_txn_number = ? ORDER BY a.id DESC`,
  )
    .bind(pbcTxnNumber)
    .first<{ id: number; receipt_email: string | null; receipt_status: string | null; receipt_language: string | null }>();
}

async function outboxFor(address: string) {
  return (
    await env.DB.prepare("SELECT subject, text_body, html_body, language FROM email_outbox WHERE to_address = ?")
      .bind(address)
      .all<{
        subject: string;
        text_body: string;
        html_body: string;
        language: string;
      }>()
  ).results;
}

/** Deliver one receipt message to the Worker's queue handler, as the RECEIPTS consumer would. */
async function deliverReceipt(attemptId: number, attempts = 1) {
  const batch = createMessageBatch("paybc-receipts-local", [
    { id: `m-${attemptId}-${attempts}`, timestamp: new Date(), attempts, body: { type: "receipt", attemptId } },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env, ctx);
  return getQueueResult(batch, ctx);
}

describe("receipt email", () => {
  it("approval queues a receipt; the consumer sends it in the payment's language and erases the address", async () => {
    const partner = await seedPartner({ name: "Ministry of Receipts" });
    const payment = await openPayment(partner);
    const address = `pat.${Date.now().toString(36)}@example.ca`;
    const response = await payWith(payment, { email: address });
    // The redirect to the partner is not held up by the email.
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toMatch(/trnApproved=1/);
    const before = await receiptRow(payment.pbcTxnNumber);
    expect(before).toMatchObject({ receipt_email: address, receipt_status: "REQUESTED", receipt_language: "en" });

    const result = await deliverReceipt(before?.id as number);
    expect(result.explicitAcks).toHaveLength(1);
    const [message] = await outboxFor(address);
    expect(message?.subject).toBe("Your payment receipt: Ministry of Receipts");
    expect(message?.text_body).toContain("$100.00 CAD");
    expect(message?.text_body).toContain("Visa ending 1234");
    expect(message?.text_body).toMatch(/Payment reference: \S+/);
    expect(message?.text_body).toMatch(/(PST|PDT)/);
    // Never more of the card than brand and last four.
    expect(findCardNumbers(JSON.stringify(message))).toEqual([]);
    expect(message?.text_body).not.toContain(GOOD_CARD.cardNumber.replaceAll(" ", ""));
    const after = await receiptRow(payment.pbcTxnNumber);
    expect(after).toMatchObject({ receipt_email: null, receipt_status: "SENT" });

    // A developer reads it at /demo/outbox (capture sender, local only).
    const outbox = await (await get("/demo/outbox")).text();
    expect(outbox).toContain(address);
    expect(outbox).toContain("Your payment receipt: Ministry of Receipts");

    // The same message again (a queue redelivery) sends nothing more.
    await deliverReceipt(before?.id as number, 2);
    expect(await outboxFor(address)).toHaveLength(1);
  });

  it("a malformed address is refused with a message and no processor call; the card number is not echoed", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const response = await payWith(payment, { email: "not an address" });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("Enter an email address in the correct format, like name@example.com");
    expect(html).toContain('value="not an address"');
    expect(html).toContain("<title>Error: Enter card details");
    expect(findCardNumbers(html)).toEqual([]);
    // A card number typed in the email box is refused and never shown back.
    const again = await payWith(payment, { email: "4030000010001234@example.ca" });
    expect(again.status).toBe(400);
    expect(await again.text()).not.toContain("4030000010001234");
  });

  it("the address rules accept ordinary addresses and refuse the rest", () => {
    expect(parseReceiptEmail("  Pat.Payer+fees@Example.GOV.bc.ca ")).toEqual({
      ok: true,
      address: "Pat.Payer+fees@example.gov.bc.ca",
    });
    expect(parseReceiptEmail("")).toEqual({ ok: true, address: null });
    for (const bad of ["pat", "pat@", "@example.ca", "pat@example", "pat@@example.ca", "pat..x@example.ca", "a b@example.ca"]) {
      expect(parseReceiptEmail(bad).ok, bad).toBe(false);
    }
  });

  it("without an address no receipt is requested, and the success page has a printable receipt", async () => {
    const partner = await seedPartner({ name: "Ministry of Print" });
    const payment = await openPayment(partner);
    expect((await payWith(payment)).status).toBe(303);
    expect((await receiptRow(payment.pbcTxnNumber))?.receipt_status).toBeNull();
    const success = await get(payment.cardPath, payment.cookie);
    const html = await success.text();
    expect(html).toContain("Your payment was successful");
    expect(html).toContain(`href="${payment.cardPath}/receipt"`);
    const receipt = await get(`${payment.cardPath}/receipt`, payment.cookie);
    expect(receipt.status).toBe(200);
    const page = await receipt.text();
    expect(page).toContain("Payment receipt");
    expect(page).toContain("Ministry of Print");
    expect(page).toContain("Visa ending 1234");
    expect(findCardNumbers(page)).toEqual([]);
    // Another browser (no session) cannot read it.
    expect((await get(`${payment.cardPath}/receipt`)).status).toBe(403);
  });
});

describe("retry in place after a decline", () => {
  it("shows the decline with 'Try another card'; the retry pays; declines still count", async () => {
    const partner = await seedPartner({ name: "Retry Ministry", onDecline: "retry" });
    const payment = await openPayment(partner);
    const declined = await payWith(payment, { cardNumber: DECLINED_CARD });
    expect(declined.status).toBe(303);
    expect(declined.headers.get("Location")).toBe(payment.cardPath);
    const page = await (await get(payment.cardPath, payment.cookie)).text();
    expect(page).toContain("Your payment was declined");
    expect(page).toContain("Try another card");
    expect(page).toContain("You have 2 more tries");
    expect(page).toContain("Return to Retry Ministry");

    const retry = await post(`${payment.cardPath}/retry`, { csrfToken: payment.csrfToken }, payment.cookie);
    expect(retry.status).toBe(303);
    const form = await (await get(payment.cardPath, payment.cookie)).text();
    expect(form).toContain("Your card was declined. Try another card");
    expect(form).toContain("Pay $100.00");
    const paid = await payWith(payment);
    expect(paid.headers.get("Location")).toMatch(/trnApproved=1/);
    const txn = await env.DB.prepare("SELECT decline_count, payment_status FROM transactions WHERE pbc_txn_number = ?")
      .bind(payment.pbcTxnNumber)
      .first();
    expect(txn).toEqual({ decline_count: 1, payment_status: "PAID" });
  });

  it("'Return to <partner>' sends the signed Declined response; the third decline locks and returns", async () => {
    const partner = await seedPartner({ name: "Retry Ministry", onDecline: "retry" });
    const payment = await openPayment(partner);
    await payWith(payment, { cardNumber: DECLINED_CARD });
    const back = await get(`${payment.cardPath}/return`, payment.cookie);
    expect(back.headers.get("Location")).toMatch(/trnApproved=0&.*messageText=Declined/);

    const second = await openPayment(partner);
    for (let i = 0; i < 2; i++) {
      await payWith(second, { cardNumber: DECLINED_CARD });
      await post(`${second.cardPath}/retry`, { csrfToken: second.csrfToken }, second.cookie);
    }
    const third = await payWith(second, { cardNumber: DECLINED_CARD });
    expect(third.headers.get("Location") ?? "").toMatch(/^http:\/\/localhost:7002\/index\.html\?trnApproved=0/);
  });

  it("a 'return' partner keeps the immediate Declined redirect", async () => {
    const partner = await seedPartner({ onDecline: "return" });
    const payment = await openPayment(partner);
    const declined = await payWith(payment, { cardNumber: DECLINED_CARD });
    expect(declined.headers.get("Location")).toMatch(/^http:\/\/localhost:7002\/index\.html\?trnApproved=0/);
  });
});

describe("French", () => {
  it("the signed language=fr gives the whole card page in French, with a switch to English", async () => {
    const partner = await seedPartner({ name: "Ministère des essais" });
    const payment = await openPayment(partner, { language: "fr" });
    expect(payment.html).toContain('<html lang="fr-CA">');
    expect(payment.html).toContain("Entrez les renseignements de la carte");
    expect(payment.html).toContain("Payer 100,00\u00a0$");
    expect(payment.html).toContain("Adresse courriel pour votre reçu (facultatif)");
    expect(payment.html).toContain('hreflang="en"');
    const invalid = await payWith(payment, { cardNumber: "1234", email: "x" });
    const html = await invalid.text();
    expect(html).toContain("Entrez un numéro de carte valide");
    expect(html).toContain("Entrez une adresse courriel dans le bon format");
    // The switch wins over the partner's choice, and sticks (cookie).
    const english = await SELFget(`${payment.cardPath}?lang=en`, payment.cookie);
    expect(await english.text()).toContain("Enter card details");
  });

  it("Accept-Language chooses French when the partner did not; the receipt email follows the page", async () => {
    const partner = await seedPartner({ name: "Ministère des reçus" });
    const payment = await openPayment(partner);
    const page = await SELFget(payment.cardPath, payment.cookie, "fr-CA,fr;q=0.9,en;q=0.5");
    expect(await page.text()).toContain("Entrez les renseignements de la carte");
    const address = `fr.${Date.now().toString(36)}@example.ca`;
    const response = await SELFpost(
      payment.cardPath,
      { csrfToken: payment.csrfToken, ...GOOD_CARD, email: address },
      payment.cookie,
      "fr",
    );
    expect(response.status).toBe(303);
    const row = await receiptRow(payment.pbcTxnNumber);
    expect(row?.receipt_language).toBe("fr");
    await deliverReceipt(row?.id as number);
    const [message] = await outboxFor(address);
    expect(message?.subject).toBe("Votre reçu de paiement : Ministère des reçus");
    expect(message?.text_body).toContain("100,00\u00a0$ CAD");
    expect(message?.text_body).toContain("Visa se terminant par 1234");
  });

  it("a refused request is explained in French without partner jargon", async () => {
    const response = await SELFget("/public/directsale?pbcRefNumber=10006&language=fr&hashValue=abc", undefined, "fr");
    const html = await response.text();
    expect(response.status).toBe(400);
    expect(html).toContain("Nous n&#39;avons pas pu commencer votre paiement");
    expect(html).not.toContain("hashValue");
  });
});

describe("the partner's face", () => {
  it("a logo set with the onboarding service is on the card page, served from the portal in a sandbox", async () => {
    const partner = await seedPartner({ name: "Ministry of Logos" });
    const svg = new TextEncoder().encode(
      '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="4" height="4"/></svg>',
    );
    await setPartnerLogoFile(database(env.DB), partner.pbcRefNumber, { bytes: svg, contentType: "image/svg+xml" }, new Date());
    const payment = await openPayment(partner);
    const src = /<img class="partner-logo" src="([^"]+)" alt="Ministry of Logos logo"/.exec(payment.html)?.[1];
    expect(src).toMatch(new RegExp(`^/public/partner-logo/${partner.pbcRefNumber}/[0-9a-f]{16}$`));
    const logo = await SELFget(src as string);
    expect(logo.status).toBe(200);
    expect(logo.headers.get("Content-Type")).toBe("image/svg+xml");
    expect(logo.headers.get("Content-Security-Policy")).toContain("sandbox");
    expect(await logo.text()).toContain("<rect");

    // Scripted SVGs are refused; removing the logo leaves the name only.
    const hostile = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    await expect(
      setPartnerLogoFile(database(env.DB), partner.pbcRefNumber, { bytes: hostile, contentType: "image/svg+xml" }, new Date()),
    ).rejects.toThrow(/must not contain scripts/);
    await setPartnerLogoFile(database(env.DB), partner.pbcRefNumber, null, new Date());
    expect((await SELFget(src as string)).status).toBe(404);
    expect((await openPayment(partner)).html).not.toContain("partner-logo");
  });
});

async function SELFget(path: string, cookie?: string, acceptLanguage?: string) {
  const { SELF } = await import("cloudflare:test");
  return SELF.fetch(`${BASE}${path}`, {
    redirect: "manual",
    headers: { ...(cookie ? { Cookie: cookie } : {}), ...(acceptLanguage ? { "Accept-Language": acceptLanguage } : {}) },
  });
}

async function SELFpost(path: string, form: Record<string, string>, cookie: string, acceptLanguage: string) {
  const { SELF } = await import("cloudflare:test");
  return SELF.fetch(`${BASE}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Cookie: cookie,
      "Accept-Language": acceptLanguage,
      "CF-Connecting-IP": `198.51.100.${Math.floor(Math.random() * 250)}`,
    },
    body: new URLSearchParams(form).toString(),
  });
}
