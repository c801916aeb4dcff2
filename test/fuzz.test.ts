/**
 * Generated input never yields a 5xx, always a valid payment or a clear error, and every accepted
 * request satisfies the contract's rules as checked by an independent validator written here.
 */
import { exports } from "cloudflare:workers";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { API, postRevenue, token } from "./helpers/api.ts";
import { findCardNumbers, md5, pythonClientVerifies, pyUnquotePlus, pyUrlencode, responseParams } from "./helpers/independent.ts";
import { BASE, get, openPayment, payWith, post, randomClientIp, seedPartner } from "./helpers/portal.ts";
import { expectReconciled } from "./helpers/reconcile.ts";

const ACCOUNT =
  /^[A-Za-z0-9]{3}\.[A-Za-z0-9]{5}\.[A-Za-z0-9]{5}\.[A-Za-z0-9]{4}\.[A-Za-z0-9]{7}\.[A-Za-z0-9]{6}\.[A-Za-z0-9]{4}$/;
const AMOUNT = /^\d+\.\d{2}$/;
const cents = (amount: string) => Math.round(Number(amount) * 100);

function dateIn(timeZone: string, at: Date): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

/** The contract's rules, independently: true when a request must be accepted by them. */
function satisfiesContract(pairs: Array<[string, string]>, now: Date): boolean {
  const values = new Map<string, string[]>();
  for (const [k, v] of pairs) values.set(k, [...(values.get(k) ?? []), v]);
  const one = (k: string) => (values.get(k)?.length === 1 ? (values.get(k)?.[0] as string) : undefined);
  const txn = one("pbcTxnNumber") ?? one("trnNumber");
  const today = dateIn("America/Vancouver", now);
  const [trnDate, glDate, description, amount, method, currency, revenue] = [
    "trnDate",
    "glDate",
    "description",
    "trnAmount",
    "paymentMethod",
    "currency",
    "revenue",
  ].map(one);
  if (!trnDate || (trnDate !== today && trnDate !== dateIn("UTC", now))) return false;
  if (!glDate || !/^\d{4}-\d{2}-\d{2}$/.test(glDate) || glDate < today) return false;
  if (!description?.trim() || [...description].length > 100) return false;
  if (!txn?.trim() || [...txn].length > 50) return false;
  if (!amount || !AMOUNT.test(amount) || cents(amount) <= 0) return false;
  if (method !== "CC" && method !== "VI") return false;
  if (currency !== "CAD") return false;
  if (!revenue) return false;
  const lines = revenue.split("|").filter((line, i, all) => !(line === "" && i === all.length - 1));
  const numbers = new Set<number>();
  let total = 0;
  for (const line of lines) {
    const parts = line.split(":").map((p) => p.trim());
    if (parts.length !== 3) return false;
    const [n, account, lineAmount] = parts as [string, string, string];
    if (!/^\d+$/.test(n) || numbers.has(Number(n))) return false;
    numbers.add(Number(n));
    if (!ACCOUNT.test(account) || !AMOUNT.test(lineAmount)) return false;
    total += cents(lineAmount);
  }
  return total === cents(amount);
}

const validAccount = fc.constantFrom("039.18ACE.14691.8928.1800000.000000.0000", "100.22222.20244.9000.1111111.000000.0000");
const weirdText = fc.oneof(
  fc.string({ maxLength: 120 }),
  fc.string({ unit: "grapheme", maxLength: 60 }),
  fc.constantFrom("%", "%ZZ", "%00", "+", "&", "=", "%E2%82", "\u0000", "é", "😀".repeat(30), " ", "a".repeat(101)),
);
const amount = fc.oneof(
  fc.integer({ min: 1, max: 99_999_99 }).map((c) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, "0")}`),
  fc.constantFrom("1e3", "-0.00", "10.005", "0x10", "0.00", "100", "1,000.00", " 1.00", "NaN", "Infinity", "٣.٠٠", "00.10"),
);

describe("fuzzing the direct sale request", () => {
  it("never answers 5xx, and accepts only requests that satisfy every rule", async () => {
    const partner = await seedPartner();
    const today = dateIn("America/Vancouver", new Date());
    const field = (valid: fc.Arbitrary<string>) =>
      fc.option(fc.oneof({ weight: 4, arbitrary: valid }, { weight: 1, arbitrary: weirdText }), { freq: 8 });
    const request = fc.record({
      trnDate: field(fc.constantFrom(today, "2020-04-18", "2026-02-30")),
      glDate: field(fc.constantFrom(today, "2099-12-31", "2020-01-01")),
      description: field(fc.string({ minLength: 1, maxLength: 100 })),
      pbcTxnNumber: field(fc.stringMatching(/^[A-Z0-9]{1,50}$/)),
      lines: fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), validAccount, amount), { minLength: 0, maxLength: 120 }),
      trnAmount: fc.option(amount, { freq: 8 }),
      paymentMethod: field(fc.constantFrom("CC", "VI", "DD")),
      currency: field(fc.constantFrom("CAD", "USD")),
      ref1: fc.option(weirdText, { freq: 2 }),
      duplicate: fc.option(fc.constantFrom("trnAmount", "pbcTxnNumber", "revenue", "redirectUri"), { freq: 6 }),
      sumMatches: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const revenue = r.lines.map(([n, account, a], i) => `${r.sumMatches ? i + 1 : n}:${account}:${a}`).join("|");
        const total = r.lines.reduce((sum, [, , a]) => sum + (AMOUNT.test(a) ? cents(a) : 0), 0);
        const trnAmount =
          r.sumMatches && total > 0 ? `${Math.floor(total / 100)}.${String(total % 100).padStart(2, "0")}` : r.trnAmount;
        const pairs: Array<[string, string]> = [];
        const add = (k: string, v: string | null) => {
          if (v !== null) pairs.push([k, v]);
        };
        add("trnDate", r.trnDate);
        pairs.push(["pbcRefNumber", partner.pbcRefNumber]);
        add("glDate", r.glDate);
        add("description", r.description);
        add("pbcTxnNumber", r.pbcTxnNumber);
        add("trnAmount", trnAmount);
        add("paymentMethod", r.paymentMethod);
        pairs.push(["redirectUri", "http://localhost:7002/index.html"]);
        add("currency", r.currency);
        add("revenue", r.lines.length ? revenue : null);
        add("ref1", r.ref1);
        if (r.duplicate) pairs.push([r.duplicate, pairs.find(([k]) => k === r.duplicate)?.[1] ?? "x"]);
        const query = pyUrlencode(pairs);
        const response = await get(`/public/directsale?${query}&hashValue=${await md5(pyUnquotePlus(query) + partner.apiKey)}`);
        expect(response.status).toBeLessThan(500);
        const location = response.headers.get("Location") ?? "";
        if (location.startsWith("/public/pay/")) {
          expect(satisfiesContract(pyParseQslKeepBlank(query), new Date())).toBe(true);
        } else if (response.status === 303) {
          expect(responseParams(location).get("messageText")).toBe("Validation Errors");
          expect(await pythonClientVerifies(location, partner.apiKey)).toBe(true);
        } else {
          expect([400, 409]).toContain(response.status);
          expect(await response.text()).toContain("<h1");
        }
      }),
      { numRuns: 2000 },
    );
  }, 180_000); // thousands of generated requests: minutes on a loaded 2-core machine

  it("malformed and unsigned query strings get an error page, never a 5xx or a redirect", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 400 }), async (raw) => {
        const response = await exports.default.fetch(`${BASE}/public/directsale?${encodeURI(raw).replace(/#/g, "%23")}`, {
          redirect: "manual",
        });
        expect(response.status).toBe(400);
      }),
      { numRuns: 1000 },
    );
  });
});

/** parse_qsl keeping blank values (what the portal sees), for the independent validator. */
function pyParseQslKeepBlank(query: string): Array<[string, string]> {
  return query.split("&").map((field) => {
    const i = field.indexOf("=");
    return [pyUnquotePlus(field.slice(0, i)), pyUnquotePlus(field.slice(i + 1))] as [string, string];
  });
}

describe("fuzzing the partner web service", () => {
  it("revenue update bodies never give a 5xx; a 200 only for lines adding up to the amount", async () => {
    const partner = await seedPartner({ keyStyle: "camel" });
    const payment = await openPayment(partner);
    await payWith(payment);
    const bearer = await token(partner);
    const line = fc.record({
      lineNumber: fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(" 1")),
      revenueAccount: fc.oneof(validAccount, fc.string({ maxLength: 60 })),
      revenueAmount: fc.oneof(amount, fc.double(), fc.integer({ min: -5, max: 200 })),
    });
    const body = fc.oneof(
      fc.record({ revenue: fc.array(line, { maxLength: 8 }) }),
      fc.jsonValue(),
      fc.string({ maxLength: 200 }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const response = await postRevenue(
          bearer,
          partner.pbcRefNumber,
          payment.pbcTxnNumber,
          typeof b === "string" ? b : JSON.stringify(b),
        );
        expect(response.status).toBeLessThan(500);
        const json = (await response.json()) as { revenue?: Array<{ revenueAmount: string }>; error?: string };
        if (response.status === 200) {
          const sum = (json.revenue ?? []).reduce((s, l) => s + cents(l.revenueAmount), 0);
          expect(sum).toBe(10000);
        } else {
          expect([400, 409]).toContain(response.status);
          expect(json.error).toBeTruthy();
        }
      }),
      { numRuns: 1000 },
    );
    const getBack = await exports.default.fetch(`${API}/paybc/payment/${partner.pbcRefNumber}/${payment.pbcTxnNumber}`, {
      headers: { Authorization: `Bearer ${bearer}` },
    });
    expect(getBack.status).toBe(200);
  }, 180_000); // thousands of generated requests: minutes on a loaded 2-core machine
});

describe("fuzzing the card form", () => {
  it("never answers 5xx and never echoes a card number or security code", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const digits = fc.stringMatching(/^[0-9 -]{0,25}$/);
    const form = fc.record({
      cardNumber: fc.oneof(digits, fc.string({ maxLength: 30 }), fc.constantFrom("4003050500040005", "4030000010001235", "")),
      expiryMonth: fc.oneof(fc.string({ maxLength: 4 }), fc.integer({ min: -1, max: 14 }).map(String)),
      expiryYear: fc.oneof(fc.string({ maxLength: 5 }), fc.integer({ min: 20, max: 2100 }).map(String)),
      cardholderName: fc.string({ maxLength: 120 }),
      securityCode: fc.oneof(fc.stringMatching(/^\d{0,5}$/), fc.string({ maxLength: 6 })),
    });
    await fc.assert(
      fc.asyncProperty(form, async (f) => {
        const response = await post(payment.cardPath, { csrfToken: payment.csrfToken, ...f }, payment.cookie, randomClientIp());
        expect(response.status).toBeLessThan(500);
        const html = await response.text();
        const typed = f.cardNumber.replace(/[ -]/g, "");
        if (typed.length >= 12) expect(html.includes(typed)).toBe(false);
        expect(findCardNumbers(html)).toEqual([]);
        if (/^\d{3,4}$/.test(f.securityCode)) expect(html).not.toContain(`value="${f.securityCode}"`);
      }),
      { numRuns: 1000 },
    );
  }, 180_000); // thousands of generated requests: minutes on a loaded 2-core machine
});

// The money-integrity invariant holds after everything above (issue 11).
afterAll(() => expectReconciled());
