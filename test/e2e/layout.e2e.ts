/**
 * Reflow (WCAG 1.4.10) and resize (1.4.4): no horizontal scrolling at 320 CSS px wide, at 200% zoom
 * (a 1280 x 800 window at 200% is a 640 x 400 CSS px viewport at device scale 2), and with text at
 * 200% in a wide window. Every state is checked with axe at that size too.
 */
import type { Browser, BrowserContextOptions } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { PageDocument } from "./dom.ts";
import {
  CARDS,
  checkPage,
  demoResult,
  expectNoHorizontalScroll,
  fillCard,
  launchBrowser,
  newJourney,
  payAndReturn,
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

const SIZES: Array<{ name: string; options: BrowserContextOptions; textZoom?: boolean }> = [
  { name: "320px", options: { viewport: { width: 320, height: 640 } } },
  { name: "zoom-200", options: { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 } },
  { name: "text-200", options: { viewport: { width: 1280, height: 800 } }, textZoom: true },
];

describe.each(SIZES)("at $name", ({ name, options, textZoom }) => {
  test("every page of a payment fits without horizontal scrolling", async () => {
    const j = await newJourney(browser, options);
    const { page } = j;
    const check = async (state: string) => {
      if (textZoom) await page.evaluate(() => document.documentElement.style.setProperty("font-size", "200%"));
      await expectNoHorizontalScroll(page, `${state} at ${name}`);
      await checkPage(page, `${state}-${name}`);
    };

    await page.goto("/demo");
    await check("demo-form");
    await startPayment(page);
    await check("card-form");

    await page.click("button[data-pay-button]");
    await expect(page.locator("[data-error-summary]").isVisible()).resolves.toBe(true);
    await check("card-form-errors");

    await fillCard(page, { number: CARDS.approved });
    await payAndReturn(page);
    expect((await demoResult(page)).params.trnApproved).toBe("1");
    await check("demo-result-approved");

    await page.goBack();
    await expect(page.locator("h1").textContent()).resolves.toBe("Your payment was successful");
    await check("success");
    expect(j.problems).toEqual([]);
  });
});
