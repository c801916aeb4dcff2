/**
 * Finance staff (issue 15), in Chromium, at desktop width, 320 CSS px and 200% zoom: the journals
 * list, one journal's page and "Needs attention" with a line the ledger rejected. A card payment
 * made in the browser is posted by the nightly cron (run now, as it would run two days ahead), the
 * ledger's FEEDBACK file rejects a line of it, and finance staff sign in with the local finance
 * token. Every page: a screenshot, no horizontal scrolling of the page, zero WCAG 2.2 A/AA violations.
 */
import type { Browser, BrowserContextOptions } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { readDevVars } from "../../scripts/lib/platform.ts";
import { addDays, pacificDate } from "../../src/domain/businessTime.ts";
import { feedbackFileName, renderFeedbackBatch } from "../../src/domain/ledgerFeedback.ts";
import { NIGHTLY_CRON } from "../../src/jobs/crons.ts";
import {
  BASE_URL,
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

const FINANCE_TOKEN = readDevVars().FINANCE_TOKEN as string;
const FINANCE = { Authorization: `Bearer ${FINANCE_TOKEN}` };

interface ApiJournal {
  id: number;
  pbcRefNumber: string;
  glDate: string;
  sequence: number;
  status: string;
  files: Array<{ name: string; url: string }>;
}

async function financeApi<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${BASE_URL}${path}`, { ...init, headers: { ...FINANCE, ...(init.headers ?? {}) } });
  expect(response.status, `${path}: ${response.status}`).toBeLessThan(300);
  return (await response.json()) as T;
}

let browser: Browser;
/** The demo partner's journal holding the browser's payment, with its first line rejected by the ledger. */
let journal: ApiJournal;

beforeAll(async () => {
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

// The state the finance pages are checked in (a test, not a hook: the payment helpers use expect.poll).
test("a card payment is posted by the nightly run and the ledger rejects a line of its journal", async () => {
  // A payment made as the public makes it.
  const j = await newJourney(browser);
  await startPayment(j.page);
  await fillCard(j.page, { number: CARDS.approved });
  await payAndReturn(j.page);
  expect((await demoResult(j.page)).params.trnApproved).toBe("1");
  await j.context.close();

  // The nightly run as of two days ahead posts it, whether it was paid before or after today's cut-off.
  const asOf = addDays(pacificDate(new Date()), 2);
  const query = new URLSearchParams({ cron: NIGHTLY_CRON, time: String(Date.parse(`${asOf}T09:00:00Z`)), format: "json" });
  const cron = await fetch(`${BASE_URL}/cdn-cgi/local/scheduled?${query}`);
  expect(cron.status, await cron.text()).toBe(200);

  const { journals } = await financeApi<{ journals: ApiJournal[] }>("/finance/api/journals?partner=10006");
  const posted = journals.filter((candidate) => candidate.status === "POSTED").sort((a, b) => b.id - a.id);
  journal = posted[0] as ApiJournal;
  expect(journal, "a posted journal of the demo partner").toBeDefined();

  // The ledger rejects journal line 1 of each feeder file, accepts the rest.
  let feedback = "";
  for (const file of journal.files.filter((f) => f.name.startsWith("feeder-"))) {
    const content = await (await fetch(`${BASE_URL}${file.url}`, { headers: FINANCE })).text();
    feedback += renderFeedbackBatch(content, {
      lines: new Map([[1, { code: "1117", message: "Distribution ACK is invalid" }]]),
    });
  }
  const name = feedbackFileName(feedback.slice(0, 4), new Date());
  const outcome = await financeApi<{ linesRejected: number }>(`/finance/api/feedback?name=${encodeURIComponent(name)}`, {
    method: "POST",
    body: feedback,
    headers: { "Content-Type": "application/octet-stream" },
  });
  expect(outcome.linesRejected).toBeGreaterThan(0);
});

const SIZES: Array<{ name: string; options: BrowserContextOptions }> = [
  { name: "desktop", options: { viewport: { width: 1280, height: 800 } } },
  { name: "320px", options: { viewport: { width: 320, height: 640 } } },
  // A 1280 x 800 window at 200% zoom: a 640 x 400 CSS px viewport at device scale 2.
  { name: "zoom-200", options: { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 } },
];

describe.each(SIZES)("at $name", ({ name, options }) => {
  test("journals, one journal and Needs attention, signed in with the finance token", async () => {
    const j = await newJourney(browser, options);
    const { page } = j;
    const check = async (state: string) => {
      await expectNoHorizontalScroll(page, `${state} at ${name}`);
      await checkPage(page, `finance-${state}-${name}`);
    };

    await page.goto("/finance/login");
    await page.fill("#token", FINANCE_TOKEN);
    await Promise.all([page.waitForURL(/\/finance\/journals$/), page.click("button[type=submit]")]);
    await expect(page.locator("h1").textContent()).resolves.toBe("GL journals");
    // Signed in until a Pacific time, with its zone; partners named beside their numbers.
    await expect(page.locator(".signed-in").textContent()).resolves.toMatch(
      /Signed in as finance-token until \d{4}-\d{2}-\d{2} \d{2}:\d{2} P[SD]T\./,
    );
    await expect(page.locator("tbody").first().textContent()).resolves.toContain("10006Demo Ministry");
    await check("journals");

    await page.goto(`/finance/journals/${journal.id}`);
    await expect(page.locator("h1").textContent()).resolves.toBe(
      `Revenue journal ${journal.glDate}, partner 10006, run ${journal.sequence}`,
    );
    await expect(page.getByText("Totals are in the manifest, not in the CSV files.").count()).resolves.toBe(1);
    await expect(page.locator(".totals-table").textContent()).resolves.toContain("Total debits");
    await check("journal");

    await page.goto("/finance/rejects");
    await expect(page.locator("h1").textContent()).resolves.toBe("Needs attention");
    await expect(page.locator("tbody").textContent()).resolves.toContain("1117: Distribution ACK is invalid");
    await check("rejects");

    expect(j.problems).toEqual([]);
    await j.context.close();
  });
});
