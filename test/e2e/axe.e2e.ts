/** The accessibility check itself: it must find violations where there are some, or its silence means nothing. */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { axeViolations, formatViolations, launchBrowser, newJourney } from "./helpers.ts";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

test("axe reports WCAG violations readably", async () => {
  const j = await newJourney(browser);
  await j.page.setContent(
    '<html><head><title>t</title></head><body><main><input type="text"><p style="color:#bbb;background:#fff">faint</p></main></body></html>',
  );
  const violations = await axeViolations(j.page);
  expect(violations.map((v) => v.id).sort()).toEqual(["color-contrast", "html-has-lang", "label"]);
  const report = formatViolations("self-test", violations);
  expect(report).toContain('axe: 3 WCAG violation(s) on "self-test"');
  expect(report).toContain("- label (critical): Form elements must have labels");
  await j.context.close();
});
