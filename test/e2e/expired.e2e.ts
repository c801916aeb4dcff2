/**
 * Expiry, against the portal whose payments expire 3 seconds after they are created
 * (PAYMENT_EXPIRY_MINUTES=0.05), and a card page opened without its session cookie.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { CARDS, checkPage, demoResult, EXPIRY_BASE_URL, fillCard, launchBrowser, newJourney, startPayment } from "./helpers.ts";

/** Waited after the card page is shown (the payment was created just before): past the 3 s expiry. */
const PAST_EXPIRY_MS = 3_500;

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe("an expired payment", () => {
  test("paying too late: the card page says the session expired and the way back returns a verified Expired", async () => {
    const j = await newJourney(browser, { baseURL: EXPIRY_BASE_URL });
    const { txnNumber, cardUrl } = await startPayment(j.page, { baseUrl: EXPIRY_BASE_URL });
    const started = Date.now();
    await fillCard(j.page, { number: CARDS.approved });
    await j.page.waitForTimeout(Math.max(0, PAST_EXPIRY_MS - (Date.now() - started)));
    await Promise.all([j.page.waitForURL(cardUrl), j.page.click("button[data-pay-button]")]);

    await expect(j.page.locator("h1").textContent()).resolves.toBe("Your payment session has expired");
    await expect(j.page.getByText("No money has been taken from your account.", { exact: false }).isVisible()).resolves.toBe(
      true,
    );
    await expect(j.page.locator("#cardNumber").count()).resolves.toBe(0);
    const back = j.page.getByRole("link", { name: "Return to Demo Ministry" });
    await expect(back.isVisible()).resolves.toBe(true);
    await checkPage(j.page, "expired");

    await Promise.all([j.page.waitForURL(/\/demo\/return\?/), back.click()]);
    const result = await demoResult(j.page);
    expect(result.heading).toBe("Payment not completed: Expired");
    expect(result.verified).toBe(true);
    expect(result.params).toMatchObject({ trnApproved: "0", messageText: "Expired", pbcTxnNumber: txnNumber });
    await checkPage(j.page, "demo-result-expired");
    expect(j.problems).toEqual([]);
    await j.context.close();
  });

  test("coming back to the card page after the expiry shows the expired page, not the form", async () => {
    const j = await newJourney(browser, { baseURL: EXPIRY_BASE_URL });
    await startPayment(j.page, { baseUrl: EXPIRY_BASE_URL });
    const started = Date.now();
    await j.page.waitForTimeout(Math.max(0, PAST_EXPIRY_MS - (Date.now() - started)));
    await j.page.reload();
    await expect(j.page.locator("h1").textContent()).resolves.toBe("Your payment session has expired");
    await expect(j.page.locator("#cardNumber").count()).resolves.toBe(0);
    await Promise.all([
      j.page.waitForURL(/\/demo\/return\?/),
      j.page.getByRole("link", { name: "Return to Demo Ministry" }).click(),
    ]);
    const result = await demoResult(j.page);
    expect(result.verified).toBe(true);
    expect(result.params.messageText).toBe("Expired");
    await j.context.close();
  });
});

test("a card page opened in another browser (no session cookie) says the session expired", async () => {
  const first = await newJourney(browser);
  const { cardUrl } = await startPayment(first.page);
  const other = await newJourney(browser);
  const response = await other.page.goto(cardUrl);
  expect(response?.status()).toBe(403);
  await expect(other.page.locator("h1").textContent()).resolves.toBe("Your payment session has expired");
  await expect(other.page.locator("#cardNumber").count()).resolves.toBe(0);
  await checkPage(other.page, "session-expired-other-browser");
  await first.context.close();
  await other.context.close();
});
