/**
 * Helpers for the end-to-end suite: the browser, the demo partner's journey to the card page, the
 * sandbox test cards, axe-core checks and screenshots. Run through `npm run test:e2e`
 * (scripts/e2e.ts), which starts the portals and passes their addresses in E2E_BASE_URL and
 * E2E_EXPIRY_BASE_URL.
 */
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { type Browser, type BrowserContext, type BrowserContextOptions, chromium, type Page } from "playwright-core";
import { expect } from "vitest";
import type { PageComputedStyle, PageDocument } from "./dom.ts";

declare const document: PageDocument;
declare const getComputedStyle: PageComputedStyle;

const ROOT = resolve(import.meta.dirname, "../..");
export const SCREENSHOT_DIR = join(ROOT, "test-results/screenshots");

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the end-to-end suite with \`npm run test:e2e\``);
  return value;
}

/** The portal with the normal payment expiry. */
export const BASE_URL = required("E2E_BASE_URL");
/** The portal whose payments expire 3 seconds after they are created. */
export const EXPIRY_BASE_URL = required("E2E_EXPIRY_BASE_URL");

/** Flags that keep Chromium quiet on a closed network (see .library/env/machines/node.md). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/** Playwright's launch() gives every browser a fresh, temporary --user-data-dir and removes it on close. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

export interface Journey {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions, CSP violations among them. */
  problems: string[];
  /** POSTs the page sent to the card page itself (not cancel). */
  cardPosts: string[];
}

export async function newJourney(browser: Browser, options: BrowserContextOptions & { baseURL?: string } = {}): Promise<Journey> {
  const context = await browser.newContext({ baseURL: BASE_URL, viewport: { width: 1024, height: 768 }, ...options });
  context.setDefaultTimeout(20_000);
  context.setDefaultNavigationTimeout(30_000);
  // Loopback only: anything else is refused before it leaves the browser.
  await context.route(/^(?!https?:\/\/(127\.0\.0\.1|localhost)[:/])/, (route) => route.abort("blockedbyclient"));
  const page = await context.newPage();
  const problems: string[] = [];
  const cardPosts: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("request", (request) => {
    if (request.method() === "POST" && /\/public\/card\/[^/]+$/.test(new URL(request.url()).pathname)) {
      cardPosts.push(request.url());
    }
  });
  return { context, page, problems, cardPosts };
}

/**
 * The payment events the main portal recorded for one transaction, read (read-only) from the local
 * D1 file that its `wrangler dev` writes: the ground truth for "exactly one authorisation".
 */
export function paymentEvents(txnNumber: string): string[] {
  const dir = join(required("E2E_PERSIST_DIR"), "v3/d1/miniflare-D1DatabaseObject");
  for (const file of readdirSync(dir).filter((name) => name.endsWith(".sqlite"))) {
    const db = new DatabaseSync(join(dir, file), { readOnly: true });
    try {
      const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'payment_events'").get();
      if (!table) continue;
      const rows = db
        .prepare("SELECT event_type FROM payment_events WHERE pbc_ref_number = '10006' AND pbc_txn_number = ? ORDER BY id")
        .all(txnNumber) as Array<{ event_type: string }>;
      return rows.map((row) => row.event_type);
    } finally {
      db.close();
    }
  }
  throw new Error(`no D1 database with payment_events under ${dir}`);
}

export function countOf(events: string[], type: string): number {
  return events.filter((event) => event === type).length;
}

let txnCounter = 0;
/** A pbcTxnNumber no other run or test uses. */
export function uniqueTxnNumber(prefix = "E2E"): string {
  txnCounter++;
  return `${prefix}${Date.now().toString(36).toUpperCase()}${txnCounter}${Math.floor(Math.random() * 1000)}`;
}

/** From the demo partner page to the card page: the partner signs the request, the portal sends the browser on. */
export async function startPayment(
  page: Page,
  options: { baseUrl?: string; txnNumber?: string; amount?: string; a11yState?: string } = {},
): Promise<{ txnNumber: string; cardUrl: string }> {
  const txnNumber = options.txnNumber ?? uniqueTxnNumber();
  await page.goto(`${options.baseUrl ?? BASE_URL}/demo`);
  await expect.poll(() => page.locator("h1").textContent()).toBe("Demo Ministry: pay a fee");
  if (options.a11yState) await checkPage(page, options.a11yState);
  await page.fill("#trnNumber", txnNumber);
  if (options.amount) {
    await page.fill("#trnAmount", options.amount);
    await page.fill("#amount1", options.amount);
    await page.fill("#account2", "");
    await page.fill("#amount2", "");
  }
  await Promise.all([page.waitForURL(/\/public\/card\/[A-Za-z0-9_-]+$/), page.click("button[type=submit]")]);
  return { txnNumber, cardUrl: page.url() };
}

export const CARDS = {
  approved: "4030000010001234",
  approvedAmex: "371100001000131",
  declined: "4003050500040005",
  timeout: "4872385877270993",
};

export interface CardDetails {
  number: string;
  month?: string;
  year?: string;
  name?: string;
  code?: string;
}

export function futureYear(): string {
  return String(new Date().getFullYear() + 2);
}

export async function fillCard(page: Page, card: CardDetails): Promise<void> {
  await page.fill("#cardNumber", card.number);
  await page.fill("#expiryMonth", card.month ?? "12");
  await page.fill("#expiryYear", card.year ?? futureYear());
  await page.fill("#cardholderName", card.name ?? "Pat Example");
  await page.fill("#securityCode", card.code ?? (card.number.startsWith("3") ? "1234" : "123"));
}

/** Pay and follow the signed redirect back to the demo partner. */
export async function payAndReturn(page: Page): Promise<void> {
  await Promise.all([page.waitForURL(/\/demo\/return\?/), page.click("button[data-pay-button]")]);
}

/** The parameters the demo partner's result page lists, and whether it verified the signature. */
export async function demoResult(page: Page): Promise<{ heading: string; verified: boolean; params: Record<string, string> }> {
  await expect(new URL(page.url()).pathname).toBe("/demo/return");
  const heading = ((await page.locator("h1").textContent()) ?? "").trim();
  const verified = (await page.locator(".tag-ok").count()) === 1 && (await page.locator(".tag-ok").textContent()) === "verified";
  const params: Record<string, string> = {};
  for (const row of await page.locator(".result-table tbody tr").all()) {
    const key = ((await row.locator("th").textContent()) ?? "").trim();
    params[key] = ((await row.locator("td").textContent()) ?? "").trim();
  }
  return { heading, verified, params };
}

// ---------------------------------------------------------------- accessibility and screenshots

const AXE_SOURCE = readFileSync(join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");
export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: Array<{ target: unknown[]; html: string; failureSummary?: string }>;
}

export function formatViolations(state: string, violations: AxeViolation[]): string {
  if (violations.length === 0) return "";
  const lines = [`axe: ${violations.length} WCAG violation(s) on "${state}":`];
  for (const violation of violations) {
    lines.push(`- ${violation.id} (${violation.impact ?? "unknown impact"}): ${violation.help}`, `  ${violation.helpUrl}`);
    for (const node of violation.nodes) {
      lines.push(`    at ${node.target.map(String).join(" > ")}`, `       ${node.html.slice(0, 200)}`);
      if (node.failureSummary) lines.push(...node.failureSummary.split("\n").map((line) => `       ${line}`));
    }
  }
  return lines.join("\n");
}

/**
 * axe-core with the WCAG 2.0/2.1/2.2 A and AA rules on the page as it is now. The source goes in
 * through the DevTools protocol (page.evaluate), which the page's strict CSP does not govern, so
 * the page keeps its real CSP. Pages without JavaScript are checked in a JavaScript-enabled twin.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(`if (!window.axe) { ${AXE_SOURCE}\n }`);
  return page.evaluate(async (tags) => {
    const axe = (
      globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> } }
    ).axe;
    const results = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return results.violations.map((v: AxeViolation) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({ target: n.target, html: n.html, failureSummary: n.failureSummary })),
    }));
  }, WCAG_TAGS);
}

export async function screenshot(page: Page, state: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${state}.png`), fullPage: true });
}

/**
 * Screenshot, then zero WCAG A/AA violations. A page that reloads itself (the waiting page's
 * meta refresh) may do so mid-check: then the check runs again on the reloaded page.
 * knownDefects: rule id -> why it is tolerated for now; printed on every run, never silent.
 */
export async function checkPage(
  page: Page,
  state: string,
  options: { knownDefects?: Record<string, string> } = {},
): Promise<void> {
  let violations: AxeViolation[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      await page.waitForLoadState("load");
      await screenshot(page, state);
      violations = await axeViolations(page);
      break;
    } catch (error) {
      if (attempt >= 3 || !/context was destroyed|navigat/i.test(String(error))) throw error;
    }
  }
  const known = options.knownDefects ?? {};
  for (const violation of violations.filter((v) => v.id in known)) {
    console.warn(`KNOWN DEFECT on "${state}", reported, not failing the suite: ${violation.id}: ${known[violation.id]}`);
  }
  const report = formatViolations(
    state,
    violations.filter((v) => !(v.id in known)),
  );
  if (report) console.error(report);
  expect(report, report).toBe("");
}

/** No horizontal scrolling: the page reflows into the viewport. */
export async function horizontalOverflow(page: Page): Promise<{ scrollWidth: number; clientWidth: number; wide: string[] }> {
  return page.evaluate(() => {
    const root = document.scrollingElement ?? document.documentElement;
    const width = root.clientWidth;
    const wide = [...document.querySelectorAll("body *")]
      .filter((el) => el.getBoundingClientRect().right > width + 1)
      .filter((el) => getComputedStyle(el).position !== "absolute" || el.getBoundingClientRect().left > -1000)
      .slice(0, 10)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ""}.${[...el.classList].join(".")}`);
    return { scrollWidth: root.scrollWidth, clientWidth: width, wide };
  });
}

export async function expectNoHorizontalScroll(page: Page, state: string): Promise<void> {
  const { scrollWidth, clientWidth, wide } = await horizontalOverflow(page);
  expect(
    scrollWidth,
    `${state}: horizontal scroll (${scrollWidth} > ${clientWidth}); too wide: ${wide.join(", ")}`,
  ).toBeLessThanOrEqual(clientWidth);
}
