/** Helpers that drive the Worker like a browser and a partner would. */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { database } from "../../src/db/client.ts";
import { createPartner } from "../../src/services/onboarding.ts";
import { pacificToday, pythonClientQuery } from "./independent.ts";

export const BASE = "https://portal.test";
export const RETURN_URL = "http://localhost:7002/index.html";

let counter = 0;
export function uniqueRef(): string {
  counter++;
  return String(20000 + Math.floor(Math.random() * 70000) * 10 + (counter % 10));
}

export interface TestPartner {
  pbcRefNumber: string;
  apiKey: string;
  clientId: string;
  clientSecret: string;
}

export async function seedPartner(
  overrides: { keyStyle?: "lower" | "camel"; glPosting?: boolean; name?: string; onDecline?: "retry" | "return" } = {},
): Promise<TestPartner> {
  const pbcRefNumber = uniqueRef();
  const apiKey = `test-api-key-${pbcRefNumber}`;
  const clientId = `test-client-${pbcRefNumber}`;
  const clientSecret = `test-secret-${pbcRefNumber}-0123456789`;
  await createPartner(
    database(env.DB),
    env.API_KEY_ENCRYPTION_KEY,
    {
      pbcRefNumber,
      name: overrides.name ?? "Test Ministry",
      redirectTargets: ["http://localhost:*/", "https://partner.example.ca/return"],
      keyStyle: overrides.keyStyle ?? "lower",
      glPosting: overrides.glPosting ?? true,
      cashAccount: "039.18ACE.10001.8928.1800000.000000.0000",
      // Tests written before retry in place see the old immediate redirect unless they ask for retry.
      onDecline: overrides.onDecline ?? "return",
    },
    new Date(),
    { apiKey, clientId, clientSecret },
  );
  return { pbcRefNumber, apiKey, clientId, clientSecret };
}

export function directSalePairs(partner: TestPartner, overrides: Record<string, string | null> = {}): Array<[string, string]> {
  const today = pacificToday();
  const base: Record<string, string> = {
    trnDate: today,
    pbcRefNumber: partner.pbcRefNumber,
    glDate: today,
    description: "Direct Sale",
    pbcTxnNumber: `EZ${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`.toUpperCase(),
    trnAmount: "100.00",
    paymentMethod: "CC",
    currency: "CAD",
    redirectUri: RETURN_URL,
    revenue: "1:039.18ACE.14691.8928.1800000.000000.0000:75.00|2:039.18ACE.14692.8928.1800000.000000.0000:25.00",
    ref1: "",
    ref2: "",
    ref3: "",
  };
  const pairs: Array<[string, string]> = [];
  for (const [key, value] of Object.entries({ ...base, ...overrides })) if (value !== null) pairs.push([key, value]);
  return pairs;
}

export async function get(path: string, cookie?: string): Promise<Response> {
  return exports.default.fetch(`${BASE}${path}`, { redirect: "manual", headers: cookie ? { Cookie: cookie } : {} });
}

/** A different client address per call unless given: the card page rate-limits per address. */
export function randomClientIp(): string {
  return `203.0.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`;
}

export async function post(
  path: string,
  form: Record<string, string>,
  cookie?: string,
  clientIp = randomClientIp(),
): Promise<Response> {
  return exports.default.fetch(`${BASE}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "CF-Connecting-IP": clientIp,
      ...(cookie ? { Cookie: cookie } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
}

export interface OpenPayment {
  cardPath: string;
  cookie: string;
  csrfToken: string;
  html: string;
  pbcTxnNumber: string;
}

/** Partner signs a request, browser follows it to the card page. */
export async function openPayment(partner: TestPartner, overrides: Record<string, string | null> = {}): Promise<OpenPayment> {
  const pairs = directSalePairs(partner, overrides);
  const start = await get(`/public/directsale?${await pythonClientQuery(pairs, partner.apiKey)}`);
  if (start.status !== 303) throw new Error(`direct sale answered ${start.status}: ${await start.text()}`);
  const link = start.headers.get("Location") as string;
  if (!link.startsWith("/public/pay/")) throw new Error(`direct sale redirected to ${link}`);
  const entry = await get(link);
  const setCookie = entry.headers.get("Set-Cookie") ?? "";
  const cookie = setCookie.split(";")[0] as string;
  const cardPath = entry.headers.get("Location") as string;
  const page = await get(cardPath, cookie);
  const html = await page.text();
  const csrfToken = /name="csrfToken" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const pbcTxnNumber = pairs.find(([k]) => k === "pbcTxnNumber")?.[1] as string;
  return { cardPath, cookie, csrfToken, html, pbcTxnNumber };
}

export const GOOD_CARD = {
  cardNumber: "4030 0000 1000 1234",
  expiryMonth: "12",
  expiryYear: String(new Date().getUTCFullYear() + 2),
  cardholderName: "Pat Payer",
  securityCode: "123",
};

export async function payWith(payment: OpenPayment, card: Partial<typeof GOOD_CARD & { email: string }> = {}): Promise<Response> {
  return post(payment.cardPath, { csrfToken: payment.csrfToken, ...GOOD_CARD, ...card }, payment.cookie);
}
