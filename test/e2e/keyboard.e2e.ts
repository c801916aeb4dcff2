/** Keyboard only: from the demo partner page to a payment with Tab, typing and Enter, focus always visible. */
import type { Browser, ElementHandle, Page } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { PageComputedStyle, PageDocument, PageElement } from "./dom.ts";
import {
  CARDS,
  countOf,
  demoResult,
  futureYear,
  launchBrowser,
  newJourney,
  paymentEvents,
  screenshot,
  uniqueTxnNumber,
} from "./helpers.ts";

declare const document: PageDocument;
declare const getComputedStyle: PageComputedStyle;
declare const innerWidth: number;

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

const STYLE_PROPS = ["outline-style", "outline-width", "outline-color", "box-shadow", "background-color", "color"];

interface Stop {
  handle: ElementHandle;
  name: string;
  focused: string[];
  unfocused?: string[];
}

function styleOf(handle: ElementHandle): Promise<string[]> {
  return handle.evaluate((el, props) => props.map((p) => getComputedStyle(el).getPropertyValue(p)), STYLE_PROPS);
}

/**
 * Walks the page with Tab, recording each stop's styles while focused and, once focus has moved on,
 * while not focused: a visible focus indicator is a difference between the two.
 */
class FocusWalk {
  readonly stops: Stop[] = [];
  private readonly page: Page;
  constructor(page: Page) {
    this.page = page;
  }

  async tab(): Promise<Stop> {
    await this.page.keyboard.press("Tab");
    const handle = (await this.page.evaluateHandle(() => document.activeElement)) as ElementHandle;
    // What a screen reader names it: its id for fields, else its text without aria-hidden parts.
    const name = await handle.evaluate((el) => {
      if (el.id) return el.id;
      const copy = el.cloneNode(true) as typeof el;
      for (const hidden of copy.querySelectorAll('[aria-hidden="true"]')) hidden.remove();
      return (copy.textContent ?? "").trim() || el.tagName;
    });
    const stop: Stop = { handle, name, focused: await styleOf(handle) };
    const previous = this.stops.at(-1);
    if (previous) previous.unfocused = await styleOf(previous.handle);
    this.stops.push(stop);
    return stop;
  }

  /** Step back off the last stop and on again (Shift+Tab, Tab), then check every stop had visible focus. */
  async expectVisibleFocus(): Promise<void> {
    const last = this.stops.at(-1);
    if (!last) return;
    await this.page.keyboard.press("Shift+Tab");
    last.unfocused = await styleOf(last.handle);
    await this.page.keyboard.press("Tab");
    await expect(last.handle.evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    for (const stop of this.stops) {
      const [outlineStyle, outlineWidth, outlineColor, boxShadow] = stop.focused;
      expect(stop.focused, `no visible change when ${stop.name} is focused`).not.toEqual(stop.unfocused);
      const ring =
        (outlineStyle !== "none" && Number.parseFloat(outlineWidth ?? "0") >= 2 && outlineColor !== "rgba(0, 0, 0, 0)") ||
        (boxShadow !== "none" && boxShadow !== stop.unfocused?.[3]);
      expect(ring, `focus on ${stop.name} has no outline or focus shadow: ${stop.focused.join(" | ")}`).toBe(true);
    }
  }
}

test("keyboard only: Tab reaches every field and the Pay button in order, with visible focus, and pays", async () => {
  const j = await newJourney(browser);
  const { page } = j;
  const txnNumber = uniqueTxnNumber("KBD");

  // The demo partner page: Tab through every field to the submit button, typing a transaction number on the way.
  await page.goto("/demo");
  const demo = new FocusWalk(page);
  for (let i = 0; i < 40; i++) {
    const stop = await demo.tab();
    if (stop.name === "trnNumber") {
      await page.keyboard.press("Control+A");
      await page.keyboard.type(txnNumber);
    }
    if (stop.name === "Continue to payment") break;
  }
  expect(demo.stops.map((s) => s.name)).toEqual([
    "Skip to main content",
    "description",
    "trnNumber",
    "trnAmount",
    "paymentMethod",
    "account1",
    "amount1",
    "account2",
    "amount2",
    "account3",
    "amount3",
    "glDate",
    "ref1",
    "ref2",
    "ref3",
    "Continue to payment",
  ]);
  await demo.expectVisibleFocus();
  await Promise.all([page.waitForURL(/\/public\/card\//), page.keyboard.press("Enter")]);

  // The card page: the skip link, the language switch, then every field, Pay, and Cancel.
  const order = [
    "Skip to main content",
    "Lire cette page en français",
    "cardNumber",
    "expiryMonth",
    "expiryYear",
    "cardholderName",
    "securityCode",
    "email",
    "Pay $100.00",
    "Cancel payment",
  ];
  const card = new FocusWalk(page);
  for (const _ of order) await card.tab();
  expect(card.stops.map((s) => s.name)).toEqual(order);
  await card.expectVisibleFocus();
  await screenshot(page, "card-form-keyboard-focus-cancel");

  // Start again at the top of the page: the skip link is on screen when focused and takes focus to
  // the main content.
  await page.reload();
  await page.keyboard.press("Tab");
  const skip = await page.evaluate(() => {
    const el = document.activeElement as PageElement;
    const box = el.getBoundingClientRect();
    return { text: el.textContent, onScreen: box.left >= 0 && box.top >= 0 && box.right <= innerWidth };
  });
  expect(skip).toEqual({ text: "Skip to main content", onScreen: true });
  await page.keyboard.press("Enter");
  await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("main-content");

  // Type the card details field by field, then Enter on Pay.
  const values: Array<[string, string]> = [
    ["cardNumber", CARDS.approved],
    ["expiryMonth", "12"],
    ["expiryYear", futureYear()],
    ["cardholderName", "Pat Example"],
    ["securityCode", "123"],
    ["email", "pat@example.com"],
  ];
  const typing = new FocusWalk(page);
  for (const [field, value] of values) {
    expect((await typing.tab()).name).toBe(field);
    await page.keyboard.type(value);
  }
  expect((await typing.tab()).name).toBe("Pay $100.00");
  await screenshot(page, "card-form-keyboard-focus-pay");
  await Promise.all([page.waitForURL(/\/demo\/return\?/), page.keyboard.press("Enter")]);
  const result = await demoResult(page);
  expect(result.params).toMatchObject({ trnApproved: "1", pbcTxnNumber: txnNumber });
  expect(result.verified).toBe(true);
  expect(countOf(paymentEvents(txnNumber), "approved")).toBe(1);
  expect(j.problems).toEqual([]);
});
