/** Card validation errors: the error summary, its links, inline messages, and what is kept. */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { en } from "../../src/i18n/en.ts";
import type { PageDocument, PageForm } from "./dom.ts";
import {
  CARDS,
  checkPage,
  countOf,
  demoResult,
  fillCard,
  futureYear,
  launchBrowser,
  newJourney,
  payAndReturn,
  paymentEvents,
  startPayment,
} from "./helpers.ts";

declare const document: PageDocument;

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const INVALID = { number: "4030000010001235", month: "13", year: futureYear(), name: "", code: "12" };
const EXPECTED_ERRORS: Array<[string, string]> = [
  ["cardNumber", en.cardErrors.numberInvalid],
  ["expiryMonth", en.cardErrors.expiryMonth],
  ["cardholderName", en.cardErrors.nameRequired],
  ["securityCode", en.cardErrors.securityCode],
];

/** The summary lists every error in field order and links to each field; each field shows its own message. */
async function expectErrors(page: Page, options: { summaryFocused: boolean }): Promise<void> {
  const summary = page.locator("[data-error-summary]");
  await summary.waitFor({ state: "visible" });
  await expect(summary.getAttribute("role")).resolves.toBe("alert");
  await expect(page.locator("#error-summary-title").textContent()).resolves.toBe("There is a problem");
  if (options.summaryFocused) {
    await expect.poll(() => page.evaluate(() => document.activeElement?.hasAttribute("data-error-summary"))).toBe(true);
  }
  await expect(page.title()).resolves.toMatch(/^Error: /);
  const links = await summary.locator("a").evaluateAll((as) => as.map((a) => [a.getAttribute("href"), a.textContent]));
  expect(links).toEqual(EXPECTED_ERRORS.map(([field, message]) => [`#${field}`, message]));
  for (const [field, message] of EXPECTED_ERRORS) {
    const inline = page.locator(`#${field}-error`);
    await expect(inline.textContent()).resolves.toBe(`Error: ${message}`);
    await expect(inline.locator(".visually-hidden").textContent()).resolves.toBe("Error:");
    const input = page.locator(`#${field}`);
    await expect(input.getAttribute("aria-invalid")).resolves.toBe("true");
    await expect(input.getAttribute("aria-describedby")).resolves.toContain(`${field}-error`);
  }
  await expect(page.locator("#expiryYear").getAttribute("aria-invalid")).resolves.toBeNull();
}

/** A summary link moves focus to its field. */
async function expectLinksFocusFields(page: Page): Promise<void> {
  for (const [field] of EXPECTED_ERRORS) {
    await page.locator(`[data-error-summary] a[href="#${field}"]`).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe(field);
  }
}

describe("card validation errors", () => {
  test("checked in the browser: summary focused, links to fields, inline messages, nothing sent", async () => {
    const j = await newJourney(browser);
    const { txnNumber } = await startPayment(j.page);
    await fillCard(j.page, INVALID);
    await j.page.click("button[data-pay-button]");
    await expectErrors(j.page, { summaryFocused: true });
    expect(j.cardPosts).toHaveLength(0);
    await checkPage(j.page, "card-form-errors");
    await expectLinksFocusFields(j.page);

    // Correct the details and pay: the errors go and the payment is taken once.
    await fillCard(j.page, { number: CARDS.approved });
    await payAndReturn(j.page);
    const result = await demoResult(j.page);
    expect(result.params.trnApproved).toBe("1");
    expect(j.cardPosts).toHaveLength(1);
    expect(countOf(paymentEvents(txnNumber), "approved")).toBe(1);
    expect(j.problems).toEqual([]);
  });

  test("checked by the server: summary focused, and card number and security code are not sent back", async () => {
    const j = await newJourney(browser);
    const { txnNumber, cardUrl } = await startPayment(j.page);
    await fillCard(j.page, INVALID);
    // As if the script had not run: submit without its checks, so the server answers.
    const [response] = await Promise.all([
      j.page.waitForResponse((r) => r.request().method() === "POST" && r.url() === cardUrl),
      j.page.evaluate(() => (document.querySelector("form[data-card-form]") as PageForm).submit()),
    ]);
    expect(response.status()).toBe(400);
    await j.page.waitForLoadState("load");
    await expectErrors(j.page, { summaryFocused: true });
    await expect(j.page.locator("#cardNumber").inputValue()).resolves.toBe("");
    await expect(j.page.locator("#securityCode").inputValue()).resolves.toBe("");
    await expect(j.page.locator("#expiryMonth").inputValue()).resolves.toBe(INVALID.month);
    await expect(j.page.locator("#expiryYear").inputValue()).resolves.toBe(INVALID.year);
    const html = await j.page.content();
    expect(html).not.toContain(INVALID.number);
    await checkPage(j.page, "card-form-errors-server");
    await expectLinksFocusFields(j.page);

    await fillCard(j.page, { number: CARDS.approved });
    await payAndReturn(j.page);
    expect((await demoResult(j.page)).params.trnApproved).toBe("1");
    const events = paymentEvents(txnNumber);
    expect(countOf(events, "card_details_invalid")).toBe(1);
    expect(countOf(events, "approved")).toBe(1);
    expect(j.problems.filter((p) => !p.includes("status of 400"))).toEqual([]);
  });

  test("the browser runs the server's own rules: names counted in characters, expiry by the Pacific date", async () => {
    // The device's clock is a year and more ahead: only the page's Pacific date may judge expiry.
    const j = await newJourney(browser);
    await j.context.addInitScript(() => {
      const RealDate = Date;
      const shift = 400 * 86_400_000;
      class DeviceDate extends RealDate {
        constructor(...args: ConstructorParameters<DateConstructor> | []) {
          if (args.length === 0) super(RealDate.now() + shift);
          else super(...(args as ConstructorParameters<DateConstructor>));
        }
        static override now() {
          return RealDate.now() + shift;
        }
      }
      (globalThis as { Date: DateConstructor }).Date = DeviceDate as DateConstructor;
    });
    const { txnNumber } = await startPayment(j.page);
    const [year, month] = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Vancouver", year: "numeric", month: "2-digit" })
      .format(new Date())
      .split("-");
    // 45 characters outside the Basic Multilingual Plane: 90 UTF-16 units, 45 characters, allowed.
    await fillCard(j.page, {
      number: CARDS.approved,
      month: month as string,
      year: year as string,
      name: "\u{1D4D0}".repeat(45),
    });
    await payAndReturn(j.page);
    expect((await demoResult(j.page)).params.trnApproved).toBe("1");
    expect(j.cardPosts).toHaveLength(1);
    expect(countOf(paymentEvents(txnNumber), "card_details_invalid")).toBe(0);
    expect(j.problems).toEqual([]);
  });
});
