/**
 * The API explorer works with the network off: Chromium may reach only the local portal, and /docs
 * must still render every operation of the partner web service from the portal's own files.
 */
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, test } from "vitest";
import { BASE_URL, launchBrowser, newJourney } from "./helpers.ts";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

test("/docs renders the partner web service's operations offline, under a CSP without inline scripts", async () => {
  const { context, page, problems } = await newJourney(browser);
  const elsewhere: string[] = [];
  page.on("request", (request) => {
    if (!request.url().startsWith(BASE_URL)) elsewhere.push(request.url());
  });
  const response = await page.goto("/docs");
  expect(response?.status()).toBe(200);
  const csp = response?.headers()["content-security-policy"] ?? "";
  expect(csp).toMatch(/script-src 'self'(;|$)/);
  expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);

  // Every operation the OpenAPI document describes is rendered.
  const document = (await (await fetch(`${BASE_URL}/ords/cas/openapi.json`)).json()) as { paths: Record<string, object> };
  const documented = Object.values(document.paths).flatMap((item) => Object.keys(item).map((method) => method.toUpperCase()));
  const operations = page.locator(".opblock-summary-path");
  await expect.poll(() => operations.count(), { timeout: 30_000 }).toBe(documented.length);
  const paths = (await operations.allTextContents()).map((text) => text.replace(/\u200b/g, "").trim());
  expect(paths).toEqual(expect.arrayContaining(["/oauth/token", "/paybc/payment/{pbcRefNumber}/{pbcTxnNumber}"]));
  expect((await page.locator(".opblock-summary-method").allTextContents()).sort()).toEqual(documented.sort());
  expect(elsewhere).toEqual([]);
  expect(problems).toEqual([]);
  await context.close();
});
