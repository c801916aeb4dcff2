/**
 * The person paying (issue 15), in Chromium, in English and French, at 320 CSS px and at 200% zoom:
 * the card page with the receipt address, a malformed address, a decline with "Try another card",
 * the form again after the decline, the approval with a receipt on its way, the printable receipt
 * (screen and print), and the receipt email in the local outbox. Every state: a screenshot, no
 * horizontal scrolling, zero WCAG 2.2 A/AA violations.
 */
import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { en } from "../../src/i18n/en.ts";
import { fr } from "../../src/i18n/fr.ts";
import { findCardNumbers } from "../helpers/cardScan.ts";
import {
  CARDS,
  checkPage,
  countOf,
  demoResult,
  expectNoHorizontalScroll,
  fillCard,
  launchBrowser,
  newJourney,
  payAndReturn,
  paymentEvents,
  screenshot,
  startPayment,
} from "./helpers.ts";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

/** The browser's language (Accept-Language): the demo partner does not ask for one, so the browser chooses. */
const LANGUAGES = [
  { lang: "en", locale: "en-CA", t: en },
  { lang: "fr", locale: "fr-CA", t: fr },
] as const;

const SIZES: Array<{ name: string; options: BrowserContextOptions }> = [
  { name: "320px", options: { viewport: { width: 320, height: 640 } } },
  // A 1280 x 800 window at 200% zoom: a 640 x 400 CSS px viewport at device scale 2.
  { name: "zoom-200", options: { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 } },
];

const h1 = async (page: Page) => ((await page.locator("h1").first().textContent()) ?? "").trim();

describe.each(LANGUAGES)("in $lang", ({ lang, locale, t }) => {
  describe.each(SIZES)("at $name", ({ name, options }) => {
    test("receipt address, decline, try another card, approval, printable receipt and the receipt email", async () => {
      const j = await newJourney(browser, { ...options, locale });
      const { page } = j;
      const check = async (state: string) => {
        await expectNoHorizontalScroll(page, `${state} (${lang}, ${name})`);
        await checkPage(page, `people-${state}-${lang}-${name}`);
      };
      const email = `pat.${lang}.${name}.${Date.now().toString(36)}@example.com`;

      const { txnNumber } = await startPayment(page);
      expect(await h1(page)).toBe(t.card.title);
      await expect(page.locator("html").getAttribute("lang")).resolves.toBe(t.htmlLang);
      // The amount is on the button; the receipt address is optional and says so.
      await expect(page.locator("button[data-pay-button]").textContent()).resolves.toMatch(
        new RegExp(`^${t.card.payButton("").trim()}\\s`),
      );
      await expect(page.getByLabel(t.card.email).getAttribute("autocomplete")).resolves.toBe("email");
      await check("card-form");

      // A malformed address: an error linked to the field, nothing sent for payment.
      await fillCard(page, { number: CARDS.declined });
      await page.fill("#email", "pat at example");
      await page.click("button[data-pay-button]");
      await expect.poll(() => page.locator("[data-error-summary]").isVisible()).toBe(true);
      await expect(page.locator("[data-error-summary]").textContent()).resolves.toContain(t.card.emailInvalid);
      expect(j.cardPosts).toEqual([]);
      await check("email-error");

      // Declined: the person stays here, with another card or the way back.
      await fillCard(page, { number: CARDS.declined });
      await page.fill("#email", email);
      await Promise.all([page.waitForLoadState("load"), page.click("button[data-pay-button]")]);
      await expect.poll(() => h1(page)).toBe(t.outcome.declinedTitle);
      expect(new URL(page.url()).pathname).toMatch(/^\/public\/card\//);
      await expect(page.getByText(t.outcome.declinedRetryBody(2)[0] as string).isVisible()).resolves.toBe(true);
      await expect(page.getByRole("link", { name: t.outcome.returnTo("Demo Ministry") }).isVisible()).resolves.toBe(true);
      await check("declined-retry");

      await Promise.all([page.waitForLoadState("load"), page.getByRole("button", { name: t.outcome.tryAnotherCard }).click()]);
      await expect.poll(() => h1(page)).toBe(t.card.title);
      await expect(page.getByText(t.card.declinedNotice).isVisible()).resolves.toBe(true);
      await check("after-decline");

      // Approved with a receipt address: back to the partner at once, the receipt follows by queue.
      await fillCard(page, { number: CARDS.approved });
      await page.fill("#email", email);
      await payAndReturn(page);
      const result = await demoResult(page);
      expect(result.verified).toBe(true);
      expect(result.params).toMatchObject({ trnApproved: "1", pbcTxnNumber: txnNumber });

      await page.goBack();
      await expect.poll(() => h1(page)).toBe(t.outcome.successTitle);
      await expect(page.getByText(t.outcome.receiptSent).isVisible()).resolves.toBe(true);
      await check("success");

      await Promise.all([page.waitForLoadState("load"), page.getByRole("link", { name: t.outcome.viewReceipt }).click()]);
      await expect.poll(() => h1(page)).toBe(t.receipt.title);
      const receiptText = (await page.locator("main").textContent()) ?? "";
      expect(receiptText).toContain(t.receipt.cardValue("Visa", "1234"));
      expect(findCardNumbers(receiptText)).toEqual([]);
      // The Print button is shown by print.js (without script there is nothing to press).
      await page.getByRole("button", { name: t.receipt.print }).waitFor({ state: "visible" });
      await check("receipt");
      // On paper: no buttons, no switch, nothing but the receipt.
      await page.emulateMedia({ media: "print" });
      await expect(page.getByRole("button", { name: t.receipt.print }).isVisible()).resolves.toBe(false);
      await screenshot(page, `people-receipt-print-${lang}-${name}`);
      await page.emulateMedia({ media: "screen" });

      // The receipt email, captured locally (EMAIL_SENDER=capture) once the queue has delivered it.
      await expect
        .poll(
          async () => {
            await page.goto("/demo/outbox");
            return page
              .getByRole("region", { name: t.receipt.subject("Demo Ministry") })
              .filter({ hasText: email })
              .count();
          },
          { timeout: 30_000, interval: 1_000 },
        )
        .toBe(1);
      const message = (await page.getByRole("region").filter({ hasText: email }).textContent()) ?? "";
      expect(message).toContain(t.receipt.cardValue("Visa", "1234"));
      expect(message).toContain(result.params.trnOrderId);
      expect(findCardNumbers(message)).toEqual([]);
      await check("outbox");

      const events = paymentEvents(txnNumber);
      expect(countOf(events, "declined")).toBe(1);
      expect(countOf(events, "retry_after_decline")).toBe(1);
      expect(countOf(events, "approved")).toBe(1);
      expect(j.problems).toEqual([]);
      await j.context.close();
    });
  });
});

describe("the language switch", () => {
  test("switches the card page to French and back, and the choice stays for the payment's pages", async () => {
    const j = await newJourney(browser, { locale: "en-CA" });
    const { page } = j;
    await startPayment(page);
    expect(await h1(page)).toBe(en.card.title);
    await Promise.all([page.waitForLoadState("load"), page.getByRole("link", { name: en.layout.switchLabel }).click()]);
    expect(await h1(page)).toBe(fr.card.title);
    await expect(page.locator("html").getAttribute("lang")).resolves.toBe(fr.htmlLang);
    await checkPage(page, "people-switched-fr");

    // The next page of the payment stays in French: a decline, then the way back to the partner.
    await fillCard(page, { number: CARDS.declined });
    await Promise.all([page.waitForLoadState("load"), page.click("button[data-pay-button]")]);
    await expect.poll(() => h1(page)).toBe(fr.outcome.declinedTitle);
    await Promise.all([
      page.waitForURL(/\/demo\/return\?/),
      page.getByRole("link", { name: fr.outcome.returnTo("Demo Ministry") }).click(),
    ]);
    const result = await demoResult(page);
    expect(result.verified).toBe(true);
    expect(result.params).toMatchObject({ trnApproved: "0", messageText: "Declined" });
    expect(j.problems).toEqual([]);
    await j.context.close();
  });
});
