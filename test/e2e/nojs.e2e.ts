/** With JavaScript disabled the whole journey still works: the server checks the card and takes the payment. */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { en } from "../../src/i18n/en.ts";
import {
  CARDS,
  countOf,
  demoResult,
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

test("without JavaScript: errors come from the server, then the payment goes through", async () => {
  const j = await newJourney(browser, { javaScriptEnabled: false });
  const { page } = j;
  const { txnNumber, cardUrl } = await startPayment(page);
  await expect(page.locator("h1").textContent()).resolves.toBe("Enter card details");
  await screenshot(page, "nojs-card-form");

  await fillCard(page, { number: "4030000010001235", code: "12" });
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST" && r.url() === cardUrl),
    page.click("button[data-pay-button]"),
  ]);
  expect(response.status()).toBe(400);
  await page.waitForLoadState("load");
  await expect(
    page.locator("[data-error-summary] a").evaluateAll((as) => as.map((a) => a.getAttribute("href"))),
  ).resolves.toEqual(["#cardNumber", "#securityCode"]);
  await expect(page.locator("#cardNumber-error").textContent()).resolves.toBe(`Error: ${en.cardErrors.numberInvalid}`);
  await expect(page.locator("#cardNumber").inputValue()).resolves.toBe("");
  await expect(page.locator("#securityCode").inputValue()).resolves.toBe("");
  await expect(page.locator("#cardholderName").inputValue()).resolves.toBe("Pat Example");
  await screenshot(page, "nojs-card-form-errors");

  await fillCard(page, { number: CARDS.approved });
  await payAndReturn(page);
  const result = await demoResult(page);
  expect(result.heading).toBe("Payment received");
  expect(result.verified).toBe(true);
  expect(result.params).toMatchObject({ trnApproved: "1", pbcTxnNumber: txnNumber });
  expect(countOf(paymentEvents(txnNumber), "approved")).toBe(1);
  await screenshot(page, "nojs-demo-result-approved");
});
