/**
 * The payment outcomes from the demo partner page: approved, declined, cancelled, a processor
 * failure, Back after paying, and a double click on Pay (exactly one authorisation).
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  CARDS,
  checkPage,
  countOf,
  demoResult,
  fillCard,
  type Journey,
  launchBrowser,
  newJourney,
  payAndReturn,
  paymentEvents,
  startPayment,
} from "./helpers.ts";

/**
 * The waiting page reloads itself every 2 s with <meta http-equiv="refresh"> (WCAG 2.2.1, failure
 * F41; a screen reader starts reading the page again at each reload). Its interval and wording
 * ("This page will update by itself") come from src/views/cardOutcomes.tsx, so the fix is a
 * server-side design change: reported, not fixed here.
 */

let browser: Browser;
const journeys: Journey[] = [];

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

async function journey(options: Parameters<typeof newJourney>[1] = {}): Promise<Journey> {
  const j = await newJourney(browser, options);
  journeys.push(j);
  return j;
}

async function expectNoCardForm(j: Journey): Promise<void> {
  await expect(j.page.locator("#cardNumber").count()).resolves.toBe(0);
  await expect(j.page.locator("button[data-pay-button]").count()).resolves.toBe(0);
}

describe("paying from the demo partner page", () => {
  test("approved: the partner gets a verified, approved response", async () => {
    const j = await journey();
    const { txnNumber } = await startPayment(j.page, { a11yState: "demo-form" });
    await expect(j.page.locator("h1").textContent()).resolves.toBe("Enter card details");
    await expect(j.page.locator("#amount").textContent()).resolves.toContain("$100.00 CAD");
    await checkPage(j.page, "card-form");

    await fillCard(j.page, { number: CARDS.approved });
    await payAndReturn(j.page);
    const result = await demoResult(j.page);
    expect(result.heading).toBe("Payment received");
    expect(result.verified).toBe(true);
    expect(result.params).toMatchObject({
      trnApproved: "1",
      messageText: "Approved",
      trnAmount: "100.00",
      pbcTxnNumber: txnNumber,
      cardType: "VI",
      paymentMethod: "CC",
    });
    await expect(j.page.getByText("verified", { exact: true }).isVisible()).resolves.toBe(true);
    await checkPage(j.page, "demo-result-approved");

    const events = paymentEvents(txnNumber);
    expect(countOf(events, "authorisation_started")).toBe(1);
    expect(countOf(events, "approved")).toBe(1);
    expect(j.problems).toEqual([]);
  });

  test("Back after paying shows the success page, never the card form", async () => {
    const j = await journey();
    const { txnNumber, cardUrl } = await startPayment(j.page);
    await fillCard(j.page, { number: CARDS.approvedAmex });
    await payAndReturn(j.page);
    expect((await demoResult(j.page)).params.trnApproved).toBe("1");

    await j.page.goBack();
    expect(j.page.url()).toBe(cardUrl);
    await expect(j.page.locator("h1").textContent()).resolves.toBe("Your payment was successful");
    await expect(j.page.getByText("You do not need to pay again.").isVisible()).resolves.toBe(true);
    await expect(j.page.locator(".panel-body strong").textContent()).resolves.toMatch(/^\d+$/);
    await expectNoCardForm(j);
    await checkPage(j.page, "success");

    // Refreshing: still no way to pay twice.
    await j.page.reload();
    await expect(j.page.locator("h1").textContent()).resolves.toBe("Your payment was successful");
    await expectNoCardForm(j);

    // The success page's link takes the user on to the partner with the same signed outcome.
    await Promise.all([
      j.page.waitForURL(/\/demo\/return\?/),
      j.page.getByRole("link", { name: "Continue to Demo Ministry" }).click(),
    ]);
    const again = await demoResult(j.page);
    expect(again.verified).toBe(true);
    expect(again.params).toMatchObject({ trnApproved: "1", messageText: "Approved", pbcTxnNumber: txnNumber, cardType: "AM" });

    const events = paymentEvents(txnNumber);
    expect(countOf(events, "authorisation_started")).toBe(1);
    expect(countOf(events, "approved")).toBe(1);
    expect(j.problems).toEqual([]);
  });

  test("declined: the page offers another card; returning gives the partner a verified Declined", async () => {
    const j = await journey();
    const { txnNumber } = await startPayment(j.page);
    await fillCard(j.page, { number: CARDS.declined });
    // The demo partner retries in place (partners.on_decline = retry): the person stays on the portal.
    await Promise.all([j.page.waitForLoadState("load"), j.page.click("button[data-pay-button]")]);
    await expect.poll(() => j.page.locator("h1").textContent()).toBe("Your payment was declined");
    await expect(j.page.getByText("No money has been taken from your account.").isVisible()).resolves.toBe(true);
    await expect(j.page.getByRole("button", { name: "Try another card" }).isVisible()).resolves.toBe(true);
    await expectNoCardForm(j);
    await checkPage(j.page, "declined-retry");
    await Promise.all([
      j.page.waitForURL(/\/demo\/return\?/),
      j.page.getByRole("link", { name: "Return to Demo Ministry" }).click(),
    ]);
    const result = await demoResult(j.page);
    expect(result.heading).toBe("Payment not completed: Declined");
    expect(result.verified).toBe(true);
    expect(result.params).toMatchObject({ trnApproved: "0", messageText: "Declined", pbcTxnNumber: txnNumber });
    await checkPage(j.page, "demo-result-declined");

    // Once the partner has been told, the page only says what happened.
    await j.page.goBack();
    await expect(j.page.locator("h1").textContent()).resolves.toBe("Your payment was declined");
    await expect(j.page.getByRole("button", { name: "Try another card" }).count()).resolves.toBe(0);
    await expectNoCardForm(j);
    await checkPage(j.page, "declined");
    await Promise.all([
      j.page.waitForURL(/\/demo\/return\?/),
      j.page.getByRole("link", { name: "Return to Demo Ministry" }).click(),
    ]);
    const again = await demoResult(j.page);
    expect(again.verified).toBe(true);
    expect(again.params).toMatchObject({ trnApproved: "0", messageText: "Declined" });

    const events = paymentEvents(txnNumber);
    expect(countOf(events, "declined")).toBe(1);
    expect(countOf(events, "approved")).toBe(0);
    expect(j.problems).toEqual([]);
  });

  test("cancel: no money taken, the partner gets a verified Cancelled", async () => {
    const j = await journey();
    const { txnNumber } = await startPayment(j.page);
    await expect(j.page.getByText("If you cancel, no money will be taken from your account.").isVisible()).resolves.toBe(true);
    await Promise.all([j.page.waitForURL(/\/demo\/return\?/), j.page.getByRole("button", { name: "Cancel payment" }).click()]);
    const result = await demoResult(j.page);
    expect(result.heading).toBe("Payment not completed: Cancelled");
    expect(result.verified).toBe(true);
    expect(result.params).toMatchObject({ trnApproved: "0", messageText: "Cancelled", pbcTxnNumber: txnNumber });
    await checkPage(j.page, "demo-result-cancelled");

    await j.page.goBack();
    await expect(j.page.locator("h1").textContent()).resolves.toBe("Your payment has been cancelled");
    await expect(j.page.getByText("No money has been taken from your account.").isVisible()).resolves.toBe(true);
    await expectNoCardForm(j);
    await checkPage(j.page, "cancelled");
    await Promise.all([
      j.page.waitForURL(/\/demo\/return\?/),
      j.page.getByRole("link", { name: "Return to Demo Ministry" }).click(),
    ]);
    const again = await demoResult(j.page);
    expect(again.verified).toBe(true);
    expect(again.params.messageText).toBe("Cancelled");

    const events = paymentEvents(txnNumber);
    expect(countOf(events, "cancelled")).toBe(1);
    expect(countOf(events, "authorisation_started")).toBe(0);
    expect(j.problems).toEqual([]);
  });

  test("a processor that does not answer: the waiting page, which neither Back nor starting again turns into a second payment", async () => {
    const j = await journey();
    const { txnNumber, cardUrl } = await startPayment(j.page);
    await fillCard(j.page, { number: CARDS.timeout });
    await j.page.click("button[data-pay-button]");
    await expect.poll(() => j.page.locator("h1").textContent(), { timeout: 20_000 }).toBe("Checking your card details");
    expect(j.page.url()).toBe(cardUrl);
    await expect(j.page.getByText("do not pay again").isVisible()).resolves.toBe(true);
    // No meta refresh (WCAG 2.2.1): the page polls its status and offers a "Check again" link.
    await expect(j.page.locator('meta[http-equiv="refresh"]').count()).resolves.toBe(0);
    await expect(j.page.getByRole("link", { name: "Check again" }).getAttribute("href")).resolves.toBe(new URL(cardUrl).pathname);
    await expectNoCardForm(j);
    await checkPage(j.page, "waiting");

    // Back shows the page for the payment's state, not the card form.
    await j.page.goBack();
    await expect.poll(() => j.page.locator("h1").textContent()).toBe("Checking your card details");
    await expectNoCardForm(j);

    // Starting the same payment again from the service is refused while the outcome is unknown.
    await j.page.goto("/demo");
    await j.page.fill("#trnNumber", txnNumber);
    const [response] = await Promise.all([
      j.page.waitForResponse((r) => new URL(r.url()).pathname === "/public/directsale"),
      j.page.click("button[type=submit]"),
    ]);
    expect(response.status()).toBe(409);
    await expect(j.page.locator("h1").textContent()).resolves.toBe("Your payment is already in progress");
    await expect(j.page.getByText("Do not pay again", { exact: false }).isVisible()).resolves.toBe(true);
    await checkPage(j.page, "already-in-progress");

    const events = paymentEvents(txnNumber);
    expect(countOf(events, "authorisation_started")).toBe(1);
    expect(countOf(events, "outcome_unknown")).toBe(1);
    expect(countOf(events, "approved")).toBe(0);
    expect(j.problems.filter((p) => !p.includes("status of 409"))).toEqual([]);
  });

  test("starting the same payment again: the first card page says so and cannot pay", async () => {
    const j = await journey();
    const { txnNumber, cardUrl } = await startPayment(j.page);
    const second = await j.context.newPage();
    const { cardUrl: secondUrl } = await startPayment(second, { txnNumber });
    expect(secondUrl).not.toBe(cardUrl);

    await fillCard(j.page, { number: CARDS.approved });
    await j.page.click("button[data-pay-button]");
    await expect.poll(() => j.page.locator("h1").textContent()).toBe("This payment was started again");
    await expectNoCardForm(j);
    await checkPage(j.page, "superseded");
    expect(countOf(paymentEvents(txnNumber), "authorisation_started")).toBe(0);

    await fillCard(second, { number: CARDS.approved });
    await payAndReturn(second);
    expect((await demoResult(second)).params).toMatchObject({ trnApproved: "1", pbcTxnNumber: txnNumber });
    const events = paymentEvents(txnNumber);
    expect(countOf(events, "authorisation_started")).toBe(1);
    expect(countOf(events, "approved")).toBe(1);
    expect(j.problems).toEqual([]);
  });
});

describe("double click on Pay", () => {
  test("with JavaScript: one submission, one approval", async () => {
    const j = await journey();
    const { txnNumber, cardUrl } = await startPayment(j.page);
    await fillCard(j.page, { number: CARDS.approved });
    await Promise.all([j.page.waitForURL(/\/demo\/return\?/), j.page.dblclick("button[data-pay-button]")]);
    const result = await demoResult(j.page);
    expect(result.heading).toBe("Payment received");
    expect(result.verified).toBe(true);
    expect(j.cardPosts).toHaveLength(1);

    await j.page.goBack();
    expect(j.page.url()).toBe(cardUrl);
    await expect(j.page.locator("h1").textContent()).resolves.toBe("Your payment was successful");
    await expectNoCardForm(j);

    const events = paymentEvents(txnNumber);
    expect(countOf(events, "authorisation_started")).toBe(1);
    expect(countOf(events, "approved")).toBe(1);
    expect(j.problems).toEqual([]);
  });

  test("without JavaScript: the server still takes the payment once", async () => {
    const j = await journey({ javaScriptEnabled: false });
    const { txnNumber, cardUrl } = await startPayment(j.page);
    await fillCard(j.page, { number: CARDS.approved });
    await j.page.dblclick("button[data-pay-button]");
    // The browser shows the answer to the last submission: the partner's result, or the card page's state.
    await expect
      .poll(async () => {
        const url = new URL(j.page.url());
        if (url.pathname === "/demo/return") return "returned";
        return (
          (await j.page
            .locator("h1")
            .textContent()
            .catch(() => "")) ?? ""
        );
      })
      .toMatch(/^(returned|Your payment was successful)$/);
    console.log(`double click without JavaScript: ${j.cardPosts.length} POST(s) reached the browser's network`);

    await j.page.goto(cardUrl);
    await expect(j.page.locator("h1").textContent()).resolves.toBe("Your payment was successful");
    await expectNoCardForm(j);
    const events = paymentEvents(txnNumber);
    expect(countOf(events, "authorisation_started")).toBe(1);
    expect(countOf(events, "approved")).toBe(1);
  });
});
