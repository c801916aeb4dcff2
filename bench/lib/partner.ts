/**
 * The demo partner's side of the contract, for the benchmark: signed direct sale requests (as the
 * deployed Python client signs them: md5 over unquote_plus(urlencoded query) + API key), OAuth2
 * tokens, and the browser walk from a direct sale to an open card page.
 */
import { createHash } from "node:crypto";
import { pacificDate } from "../../src/domain/businessTime.ts";

export const PARTNER = {
  pbcRefNumber: "10006",
  apiKey: "demo-api-key-10006",
  clientId: "demo-client-10006",
  clientSecret: "demo-secret-10006",
};

/** Approved by the sandbox processor. */
export const APPROVED_CARD = { cardNumber: "4030000010001234", securityCode: "123" };

/** Python's quote_plus. */
function quotePlus(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

function unquotePlus(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, " "));
}

export function md5Hex(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}

const RUN_ID = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`.toUpperCase();
let txnCounter = 0;

/** A pbcTxnNumber never used before (unique per run and per call). */
export function newTxnNumber(prefix: string): string {
  txnCounter++;
  return `${prefix}${RUN_ID}N${txnCounter}`;
}

/** The path and query of a valid signed direct sale request for a new pbcTxnNumber. */
export function directSalePath(redirectUri: string, txnNumber: string, today = pacificDate(new Date())): string {
  const pairs: Array<[string, string]> = [
    ["trnDate", today],
    ["pbcRefNumber", PARTNER.pbcRefNumber],
    ["glDate", today],
    ["description", "Bench licence fee"],
    ["pbcTxnNumber", txnNumber],
    ["trnAmount", "100.00"],
    ["paymentMethod", "CC"],
    ["currency", "CAD"],
    ["redirectUri", redirectUri],
    ["revenue", "1:039.18ACE.14691.8928.1800000.000000.0000:75.00|2:039.18ACE.14692.8928.1800000.000000.0000:25.00"],
  ];
  const query = pairs.map(([key, value]) => `${quotePlus(key)}=${quotePlus(value)}`).join("&");
  return `/public/directsale?${query}&hashValue=${md5Hex(unquotePlus(query) + PARTNER.apiKey)}`;
}

export async function accessToken(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/ords/cas/oauth/token`, {
    method: "POST",
    headers: {
      Authorization: `Basic ${Buffer.from(`${PARTNER.clientId}:${PARTNER.clientSecret}`).toString("base64")}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  const body = (await response.json()) as { access_token?: string };
  if (!response.ok || !body.access_token) throw new Error(`POST /ords/cas/oauth/token answered ${response.status}`);
  return body.access_token;
}

/** A card page opened through the single-use link, ready for one POST. */
export interface PreparedPayment {
  txnNumber: string;
  cardPath: string;
  cookie: string;
  csrfToken: string;
}

async function expectRedirect(response: Response, step: string, pattern: RegExp): Promise<string> {
  const location = response.headers.get("location") ?? "";
  if (response.status !== 303 || !pattern.test(location)) {
    const body = (await response.text()).slice(0, 300);
    throw new Error(`${step}: expected 303 to ${pattern}, got ${response.status} ${location} ${body}`);
  }
  await response.body?.cancel();
  return location;
}

/** directsale -> /public/pay/<token> (Set-Cookie pbc_session) -> the card page (csrfToken). */
export async function preparePayment(baseUrl: string, redirectUri: string): Promise<PreparedPayment> {
  const txnNumber = newTxnNumber("BC");
  const start = await fetch(`${baseUrl}${directSalePath(redirectUri, txnNumber)}`, { redirect: "manual" });
  const payPath = await expectRedirect(start, "direct sale", /^\/public\/pay\/[A-Za-z0-9_-]+$/);
  const link = await fetch(`${baseUrl}${payPath}`, { redirect: "manual" });
  const cardPath = await expectRedirect(link, "single-use link", /^\/public\/card\/[A-Za-z0-9_-]+$/);
  const session = /(?:^|,\s*)pbc_session=([^;]+)/.exec(link.headers.get("set-cookie") ?? "");
  if (!session) throw new Error("single-use link: no pbc_session cookie");
  const cookie = `pbc_session=${session[1]}`;
  const page = await fetch(`${baseUrl}${cardPath}`, { redirect: "manual", headers: { Cookie: cookie } });
  const html = await page.text();
  const csrf = /name="csrfToken" value="([^"]+)"/.exec(html);
  if (page.status !== 200 || !csrf) throw new Error(`card page: expected 200 with a csrfToken, got ${page.status}`);
  return { txnNumber, cardPath, cookie, csrfToken: csrf[1] as string };
}

export function cardForm(payment: PreparedPayment): string {
  const expiryYear = String(new Date().getUTCFullYear() + 2);
  return new URLSearchParams({
    csrfToken: payment.csrfToken,
    cardNumber: APPROVED_CARD.cardNumber,
    expiryMonth: "12",
    expiryYear,
    cardholderName: "Bench Tester",
    securityCode: APPROVED_CARD.securityCode,
  }).toString();
}

/** A distinct client address per card submission, so the per-address card rate limiter never fires. */
export function clientAddress(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** Run `task` over `items` with at most `concurrency` at once. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
