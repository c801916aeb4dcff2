/**
 * Money integrity (issue 11): what the partner signed is what is charged, recorded and told. Each
 * test reproduces an attack found in a security review of the portal; each failed before its fix.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterAll, describe, expect, it, vi } from "vitest";
import { readConfig } from "../src/config.ts";
import { database } from "../src/db/client.ts";
import { findClient } from "../src/db/oauthClients.ts";
import worker from "../src/index.ts";
import { createLogger } from "../src/lib/logger.ts";
import type { AuthorisationRequest, AuthorisationResult, PaymentProcessor } from "../src/processor/types.ts";
import { clientAuthenticates } from "../src/services/accessTokens.ts";
import { auditRecorder } from "../src/services/audit.ts";
import { type CardDeps, submitCard } from "../src/services/cardPayment/index.ts";
import { createNotifier } from "../src/services/notifications.ts";
import { rotateOAuthSecret } from "../src/services/onboarding.ts";
import { getPayment, token } from "./helpers/api.ts";
import { md5, pacificToday, pythonClientQuery, pyUnquotePlus, pyUrlencode, responseParams } from "./helpers/independent.ts";
import { BASE, directSalePairs, GOOD_CARD, get, openPayment, payWith, seedPartner, type TestPartner } from "./helpers/portal.ts";
import { expectReconciled } from "./helpers/reconcile.ts";

/** Outside local the capture sender is refused: a staging-like Worker sends receipts through CHES (never called here). */
const STAGING_MAIL = {
  EMAIL_SENDER: "ches",
  CHES_API_URL: "https://ches-test.api.gov.bc.ca",
  CHES_TOKEN_URL: "https://test.loginproxy.gov.bc.ca/token",
  RECEIPT_FROM: "noreply-pay@gov.bc.ca",
  CHES_CLIENT_ID: "test-ches-client",
  CHES_CLIENT_SECRET: "test-ches-secret",
};

const ACCOUNT = "039.18ACE.14691.8928.1800000.000000.0000";

async function transactionRow(partner: TestPartner, txn: string) {
  return env.DB.prepare("SELECT * FROM transactions WHERE pbc_ref_number = ? AND pbc_txn_number = ?")
    .bind(partner.pbcRefNumber, txn)
    .first<Record<string, unknown>>();
}

async function ledgerFor(orderNumber: string) {
  return (await env.DB.prepare("SELECT * FROM sandbox_ledger WHERE order_number = ?").bind(orderNumber).all()).results;
}

function txnOf(pairs: Array<[string, string]>): string {
  return pairs.find(([k]) => k === "pbcTxnNumber")?.[1] as string;
}

describe("finding 1: the parameters used are exactly those the signature covers", () => {
  it("payer text that hides '&trnAmount=1.00' cannot turn a signed $100.00 request into a $1.00 payment", async () => {
    const partner = await seedPartner();
    const hidden = `x&trnAmount=1.00&revenue=1:${ACCOUNT}:1.00`;
    const pairs = directSalePairs(partner, { ref1: null, ref2: null, ref3: null }).concat([
      ["ref2", "absorbs"],
      ["ref1", hidden],
    ]);
    // The partner signs as the deployed Python client does: md5 over the decoded query.
    const signed = pyUrlencode(pairs);
    const hash = await md5(pyUnquotePlus(signed) + partner.apiKey);
    const revenue = pairs.find(([k]) => k === "revenue")?.[1] as string;
    const encodedRevenue = pyUrlencode([["revenue", revenue]]).slice("revenue=".length);
    // The attacker swaps raw "&"/"=" for %26/%3D and back: the decoded text, and so the hash, stay the same.
    const tampered = signed
      .replace("&trnAmount=100.00", "%26trnAmount%3D100.00")
      .replace(`&ref2=absorbs&revenue=${encodedRevenue}`, `&ref2=absorbs%26revenue%3D${encodedRevenue}`)
      .replace(pyUrlencode([["ref1", hidden]]), `ref1=x&trnAmount=1.00&revenue=1%3A${ACCOUNT}%3A1.00`);
    expect(pyUnquotePlus(tampered)).toBe(pyUnquotePlus(signed));
    expect(tampered).not.toBe(signed);

    const response = await get(`/public/directsale?${tampered}&hashValue=${hash}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("could not confirm that the payment request came from the service");
    expect(await transactionRow(partner, txnOf(pairs))).toBeNull();

    // Signed over the decoded text, even the request as the partner sent it reads two ways: refused too.
    expect((await get(`/public/directsale?${signed}&hashValue=${hash}`)).status).toBe(400);
    // Signed over the bytes as sent, it is unambiguous: accepted at $100.00 with the payer's text intact.
    const honest = await get(`/public/directsale?${signed}&hashValue=${await md5(signed + partner.apiKey)}`);
    expect(honest.status).toBe(303);
    const row = await transactionRow(partner, txnOf(pairs));
    expect(row?.trn_amount_cents).toBe(10000);
    expect(row?.ref1).toBe(hidden);
  });

  it("an encoded '&' inside a value keeps working (description=Fees %26 charges)", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner, { description: "Fees & charges" });
    const row = await transactionRow(partner, payment.pbcTxnNumber);
    expect(row?.description).toBe("Fees & charges");
  });
});

/** A processor that counts calls and records what it was asked to charge. */
class CountingProcessor implements PaymentProcessor {
  readonly name = "counting";
  requests: AuthorisationRequest[] = [];
  async authorise(request: AuthorisationRequest): Promise<AuthorisationResult> {
    this.requests.push(request);
    return { outcome: "declined", trnOrderId: "1", cardType: "VI", message: "Declined" };
  }
  async lookup() {
    return { outcome: "not_found" } as const;
  }
}

function cardDeps(processor: PaymentProcessor): CardDeps {
  const db = database(env.DB);
  const log = createLogger("integrity");
  return {
    db,
    config: readConfig(env),
    encryptionKey: env.API_KEY_ENCRYPTION_KEY,
    processor,
    audit: auditRecorder(db, { actor: "test", sourceIp: null, log }),
    notify: createNotifier({ db, queue: undefined, log }),
    log,
    now: new Date(),
  };
}

describe("finding 2: the amount charged is the amount of the row the claim locked", () => {
  it("a card form held open while the payment is requested again cannot pay through the older attempt", async () => {
    const partner = await seedPartner();
    const pairs = directSalePairs(partner);
    const first = await openPayment(partner, { pbcTxnNumber: txnOf(pairs) });
    const externalId = first.cardPath.split("/").pop() as string;
    // The first attempt's processor call failed: a FAILED attempt is payable again.
    await env.DB.prepare("UPDATE payment_attempts SET state = 'FAILED' WHERE external_id = ?").bind(externalId).run();
    const order = (await env.DB.prepare("SELECT order_number FROM payment_attempts WHERE external_id = ?")
      .bind(externalId)
      .first<{ order_number: string }>()) as { order_number: string };

    // The browser starts posting the card form and holds the body open...
    let release: (() => void) | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        release = () => {
          controller.enqueue(
            new TextEncoder().encode(new URLSearchParams({ csrfToken: first.csrfToken, ...GOOD_CARD }).toString()),
          );
          controller.close();
        };
      },
    });
    const held = exports.default.fetch(`${BASE}${first.cardPath}`, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Cookie: first.cookie, "CF-Connecting-IP": "198.51.100.7" },
      body,
    });
    // ...while the same transaction number is requested again, which creates a newer attempt.
    const again = await get(`/public/directsale?${await pythonClientQuery(pairs, partner.apiKey)}`);
    expect(again.status).toBe(303);
    release?.();
    const response = await held;
    expect(response.status).toBe(303);
    expect(await ledgerFor(order.order_number)).toEqual([]);
    expect((await transactionRow(partner, txnOf(pairs)))?.payment_status).toBe("PNDNG");
    const attempt = await env.DB.prepare("SELECT state FROM payment_attempts WHERE external_id = ?")
      .bind(externalId)
      .first<{ state: string }>();
    expect(attempt?.state).toBe("SUPERSEDED");
  });

  it("the processor is asked for exactly the amount of the row the lock holds, and the partner is told the same", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const processor = new CountingProcessor();
    const deps = cardDeps(processor);
    const externalId = payment.cardPath.split("/").pop() as string;
    const row = (await env.DB.prepare("SELECT transaction_id AS id FROM payment_attempts WHERE external_id = ?")
      .bind(externalId)
      .first<{ id: number }>()) as { id: number };
    // The stored amount is not the one the page was opened with: the lock's row decides, nothing older.
    await env.DB.prepare("UPDATE transactions SET trn_amount_cents = 1000 WHERE id = ?").bind(row.id).run();
    const view = await submitCard(deps, { externalId, sessionToken: payment.cookie.split("=")[1], input: GOOD_CARD });
    expect(processor.requests.map((request) => request.amountCents)).toEqual([1000]);
    if (view.kind !== "redirect") throw new Error(`expected the signed response, got ${view.kind}`);
    expect(responseParams(view.location).get("trnAmount")).toBe("10.00");
    await env.DB.prepare("UPDATE transactions SET trn_amount_cents = 10000 WHERE id = ?").bind(row.id).run();
  });
});

describe("finding 3: the money of a transaction number is fixed once requested", () => {
  it("a replayed or new request with other money gets a signed validation error; the open payment is untouched", async () => {
    const partner = await seedPartner();
    const pairs = directSalePairs(partner);
    const payment = await openPayment(partner, { pbcTxnNumber: txnOf(pairs) });
    const cheaper = directSalePairs(partner, {
      pbcTxnNumber: txnOf(pairs),
      trnAmount: "10.00",
      revenue: `1:${ACCOUNT}:10.00`,
    });
    const response = await get(`/public/directsale?${await pythonClientQuery(cheaper, partner.apiKey)}`);
    expect(response.status).toBe(303);
    const params = responseParams(response.headers.get("Location") as string);
    expect(params.get("trnApproved")).toBe("0");
    expect(params.get("pbcTxnNumber")).toContain("use a new transaction number");
    expect((await transactionRow(partner, txnOf(pairs)))?.trn_amount_cents).toBe(10000);
    // The payment already open still pays, at its own amount.
    const paid = await payWith(payment);
    expect(responseParams(paid.headers.get("Location") as string).get("trnAmount")).toBe("100.00");

    // Other revenue lines with the same total are other money too.
    const other = directSalePairs(partner, {
      revenue: `1:${ACCOUNT}:50.00|2:${ACCOUNT}:50.00`,
    });
    await openPayment(partner, { pbcTxnNumber: txnOf(other) });
    const moved = directSalePairs(partner, { pbcTxnNumber: txnOf(other), revenue: `1:${ACCOUNT}:60.00|2:${ACCOUNT}:40.00` });
    const refused = await get(`/public/directsale?${await pythonClientQuery(moved, partner.apiKey)}`);
    expect(responseParams(refused.headers.get("Location") as string).get("pbcTxnNumber")).toContain(
      "use a new transaction number",
    );
  });

  it("the same money with a new description starts a new attempt, as before", async () => {
    const partner = await seedPartner();
    const pairs = directSalePairs(partner);
    await openPayment(partner, { pbcTxnNumber: txnOf(pairs) });
    const second = await openPayment(partner, { pbcTxnNumber: txnOf(pairs), description: "Second try" });
    expect(second.html).toContain("Second try");
  });
});

describe("findings 4 and 5: return addresses", () => {
  it("a redirectUri with control characters or spaces is refused before anything is stored", async () => {
    const partner = await seedPartner();
    for (const redirectUri of [
      "http://localhost:7002/in\ndex.html",
      "http://localhost:7002/index.html\t",
      "http://localhost:7002/a b",
    ]) {
      const pairs = directSalePairs(partner, { redirectUri });
      const response = await get(`/public/directsale?${await pythonClientQuery(pairs, partner.apiKey)}`);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain("return address is not one we can send you back to");
      expect(await transactionRow(partner, txnOf(pairs))).toBeNull();
    }
  });

  it("the stored return address is the serialised URL the Location header carries", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner, { redirectUri: "HTTP://LOCALHOST:7002/index.html" });
    expect((await transactionRow(partner, payment.pbcTxnNumber))?.redirect_uri).toBe("http://localhost:7002/index.html");
    const paid = await payWith(payment);
    expect(paid.headers.get("Location")?.startsWith("http://localhost:7002/index.html?")).toBe(true);
  });

  it("an allow-listed prefix matches whole path segments, never encoded slashes or dot segments", async () => {
    const partner = await seedPartner(); // registered: https://partner.example.ca/return
    const outcome = async (redirectUri: string) =>
      (await get(`/public/directsale?${await pythonClientQuery(directSalePairs(partner, { redirectUri }), partner.apiKey)}`))
        .status;
    expect(await outcome("https://partner.example.ca/return")).toBe(303);
    expect(await outcome("https://partner.example.ca/return/done?x=1")).toBe(303);
    for (const refused of [
      "https://partner.example.ca/return-evil",
      "https://partner.example.ca/returned",
      "https://partner.example.ca/return%2F..%2Fadmin",
      "https://partner.example.ca/return%2f..%2fadmin",
      "https://partner.example.ca/return/../admin",
      "https://partner.example.ca/return/%2e%2e/admin",
      "https://partner.example.ca/return\\..\\admin",
      "https://partner.example.ca/return%5C..%5Cadmin",
    ]) {
      expect(await outcome(refused), refused).toBe(400);
    }
  });
});

describe("finding 6: glDate has an upper bound", () => {
  it("accepts up to the end of the next fiscal period and refuses 9999-12-31 with a signed validation error", async () => {
    const partner = await seedPartner();
    const today = pacificToday();
    const [year, month] = today.split("-").map(Number) as [number, number];
    const lastOfNext = new Date(Date.UTC(year, month + 1, 0)).toISOString().slice(0, 10);
    const dayAfter = new Date(Date.UTC(year, month + 1, 1)).toISOString().slice(0, 10);
    const accepted = await get(
      `/public/directsale?${await pythonClientQuery(directSalePairs(partner, { glDate: lastOfNext }), partner.apiKey)}`,
    );
    expect(accepted.headers.get("Location")).toMatch(/^\/public\/pay\//);
    for (const glDate of [dayAfter, "9999-12-31"]) {
      const response = await get(
        `/public/directsale?${await pythonClientQuery(directSalePairs(partner, { glDate }), partner.apiKey)}`,
      );
      const params = responseParams(response.headers.get("Location") as string);
      expect(params.get("messageText")).toBe("Validation Errors");
      expect(params.get("glDate")).toContain("current or next fiscal period");
    }
  });
});

describe("finding 7: partner numbers are exact digit strings", () => {
  it("a padded pbcRefNumber is refused as malformed, with no false 'registration changed' audit", async () => {
    const partner = await seedPartner();
    for (const padded of [` ${partner.pbcRefNumber}`, `${partner.pbcRefNumber} `, `0${partner.pbcRefNumber}`]) {
      const pairs = directSalePairs(partner, { pbcRefNumber: padded });
      const response = await get(`/public/directsale?${await pythonClientQuery(pairs, partner.apiKey)}`);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain("We do not take payments for the service that sent you here");
    }
    const audits = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM audit_log WHERE detail LIKE '%registration changed%' AND target = ?",
    )
      .bind(partner.pbcRefNumber)
      .first<{ n: number }>();
    expect(audits?.n).toBe(0);
  });
});

describe("finding 12: nothing public claims that no money was taken unless the portal knows it", () => {
  it("a paid payment's card page opened without its cookie says it was paid", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    await payWith(payment);
    const response = await get(payment.cardPath);
    const html = await response.text();
    expect(html).toContain("This payment has been made");
    expect(html.toLowerCase()).not.toContain("no money");
  });

  it("an outcome-unknown payment's card page opened without its cookie says it is being processed", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    await payWith(payment, { cardNumber: "4872385877270993" }); // the sandbox's timeout card
    const html = await (await get(payment.cardPath)).text();
    expect(html).toContain("Your payment is being processed");
    expect(html.toLowerCase()).not.toContain("no money");
  });

  it("not-found and error pages make no claim about money", async () => {
    for (const path of ["/public/card/doesnotexist00", "/no/such/page", "/public/pay/unknown-link-token-0123456789"]) {
      const html = await (await get(path)).text();
      expect(html.toLowerCase(), path).not.toContain("no money");
    }
  });
});

describe("finding 8: hostile input gets a 4xx, never a 5xx, and logs carry no request bodies", () => {
  it("CSP reports that are null, [null] or not reports are 400s", async () => {
    for (const body of ["null", "[null]", "[]", '{"csp-report": null}', "42", '[{"body": 1}]']) {
      const response = await exports.default.fetch(`${BASE}/public/csp-report`, {
        method: "POST",
        headers: { "Content-Type": "application/csp-report" },
        body,
      });
      expect(response.status, body).toBe(400);
    }
  });

  it("a malformed multipart body is a 400: finance sign-in, and the card form without 'could not confirm'", async () => {
    const broken = { "Content-Type": "multipart/form-data; boundary=xyz" };
    const login = await exports.default.fetch(`${BASE}/finance/login`, {
      method: "POST",
      headers: broken,
      body: "--abc\r\nnot a part",
    });
    expect(login.status).toBe(400);
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const card = await exports.default.fetch(`${BASE}${payment.cardPath}`, {
      method: "POST",
      redirect: "manual",
      headers: { ...broken, Cookie: payment.cookie },
      body: "--abc\r\nnot a part",
    });
    expect(card.status).toBe(400);
    const html = await card.text();
    expect(html).not.toContain("could not confirm");
    expect(html.toLowerCase()).not.toContain("no money");
  });

  it("an 8 MB client_id is refused at the size limit, and a long one is stored only as a bounded prefix", async () => {
    const huge = await exports.default.fetch(`${BASE}/ords/cas/oauth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: `grant_type=client_credentials&client_id=${"a".repeat(8 * 1024 * 1024)}&client_secret=x`,
    });
    expect(huge.status).toBe(413);
    const longId = `probe${"b".repeat(3000)}`;
    const response = await exports.default.fetch(`${BASE}/ords/cas/oauth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: `Basic ${btoa(`${longId}:x`)}` },
      body: "grant_type=client_credentials",
    });
    expect(response.status).toBe(401);
    const row = await env.DB.prepare(
      "SELECT actor FROM audit_log WHERE actor LIKE 'client:probe%' ORDER BY id DESC LIMIT 1",
    ).first<{
      actor: string;
    }>();
    expect(row?.actor.length).toBeLessThan(250);
  });

  it("an error's log line carries no SQL parameters", () => {
    const lines: string[] = [];
    const log = createLogger("t", (line) => lines.push(line));
    log.error("unhandled error", {
      error: new Error('Failed query: insert into "audit_log" values (?, ?)\nparams: secret-client-id,payer text'),
    });
    expect(lines[0]).toContain("Failed query");
    expect(lines[0]).not.toContain("secret-client-id");
  });
});

describe("finding 9: no unbounded work for unauthenticated callers", () => {
  it("a large API body without credentials is refused before it is read; with them, over 64 KB is a 413", async () => {
    const partner = await seedPartner();
    const path = `${BASE}/ords/cas/paybc/payment/${partner.pbcRefNumber}/ANY`;
    const body = JSON.stringify({
      revenue: [{ lineNumber: "1", revenueAccount: "x".repeat(1024 * 1024), revenueAmount: "1.00" }],
    });
    const anonymous = await exports.default.fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body,
    });
    expect(anonymous.status).toBe(401);
    const bearer = await token(partner);
    const authorised = await exports.default.fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${bearer}` },
      body,
    });
    expect(authorised.status).toBe(413);
    // An invalid small body without credentials is a 401, not a validation answer: nothing was parsed.
    const invalid = await exports.default.fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: "{",
    });
    expect(invalid.status).toBe(401);
  });

  // The limiters count per fixed 60-second window of 30: 70 requests in a few seconds span at most
  // two windows, so at most 60 get through and at least one is refused.
  it("direct sale refusals and CSP reports from one address stop writing rows past the limit", async () => {
    const ip = "192.0.2.91";
    for (let i = 0; i < 70; i++) {
      const response = await exports.default.fetch(
        `${BASE}/public/directsale?pbcRefNumber=99999999&a=1&hashValue=${"0".repeat(32)}`,
        {
          headers: { "CF-Connecting-IP": ip },
        },
      );
      expect(response.status).toBe(400);
    }
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE source_ip = ?").bind(ip).first<{ n: number }>();
    expect(rows?.n).toBeLessThanOrEqual(60);
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) {
      const report = await exports.default.fetch(`${BASE}/public/csp-report`, {
        method: "POST",
        headers: { "Content-Type": "application/csp-report", "CF-Connecting-IP": "192.0.2.92" },
        body: JSON.stringify({ "csp-report": { "document-uri": "https://pay.example/x", "violated-directive": "script-src" } }),
      });
      statuses.push(report.status);
    }
    expect(statuses.filter((status) => status === 204).length).toBeLessThanOrEqual(60);
    expect(statuses).toContain(429);
  });
});

/** 70 quick attempts against a limit of 30 a minute: answered or refused, at most two windows' worth answered. */
function expectThrottled(statuses: number[], answered: number): void {
  expect(statuses.every((status) => status === answered || status === 429)).toBe(true);
  expect(statuses.filter((status) => status === answered).length).toBeLessThanOrEqual(60);
  expect(statuses).toContain(429);
}

describe("finding 10: the token endpoint", () => {
  const tokenRequest = (clientId: string, secret: string, ip: string) =>
    exports.default.fetch(`${BASE}/ords/cas/oauth/token`, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        Authorization: `Basic ${btoa(`${clientId}:${secret}`)}`,
        "CF-Connecting-IP": ip,
      },
      body: "grant_type=client_credentials",
    });

  it("throttles wrong secrets per client id, whatever the address", async () => {
    const partner = await seedPartner();
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) statuses.push((await tokenRequest(partner.clientId, `wrong-${i}`, `192.0.2.${100 + i}`)).status);
    expectThrottled(statuses, 401);
  });

  it("throttles per address across client ids", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) statuses.push((await tokenRequest(`nobody-${i}`, "x", "192.0.2.250")).status);
    expectThrottled(statuses, 401);
  });

  it("rotating the secret with no grace period revokes existing tokens at once; a grace period keeps them", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const graced = await token(partner);
    await rotateOAuthSecret(database(env.DB), partner.pbcRefNumber, new Date(), 1);
    expect((await getPayment(graced, partner.pbcRefNumber, payment.pbcTxnNumber)).status).toBe(200);
    const rotated = await rotateOAuthSecret(database(env.DB), partner.pbcRefNumber, new Date(), 0);
    expect((await getPayment(graced, partner.pbcRefNumber, payment.pbcTxnNumber)).status).toBe(401);
    const fresh = await token({ clientId: rotated.clientId, clientSecret: rotated.clientSecret });
    expect((await getPayment(fresh, partner.pbcRefNumber, payment.pbcTxnNumber)).status).toBe(200);
  });

  it("an unknown client id costs the same hashing as a wrong secret", async () => {
    const partner = await seedPartner();
    const client = await findClient(database(env.DB), partner.clientId);
    const digest = vi.spyOn(crypto.subtle, "digest");
    await clientAuthenticates(client, "wrong", new Date());
    const known = digest.mock.calls.length;
    digest.mockClear();
    await clientAuthenticates(undefined, "wrong", new Date());
    expect(digest.mock.calls.length).toBe(known);
    digest.mockRestore();
  });
});

describe("finding 11: finance sign-in", () => {
  const login = (body: string, ip = "192.0.2.30") =>
    exports.default.fetch(`${BASE}/finance/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "CF-Connecting-IP": ip },
      body,
    });

  it("keeps a random server-side session, never the token, and signing out ends it", async () => {
    const response = await login(`token=${encodeURIComponent(env.FINANCE_TOKEN)}`);
    expect(response.status).toBe(303);
    const cookie = (response.headers.get("Set-Cookie") ?? "").split(";")[0] as string;
    expect(cookie).not.toContain(env.FINANCE_TOKEN);
    expect(response.headers.get("Set-Cookie")).toMatch(/Max-Age=3600/);
    const page = await exports.default.fetch(`${BASE}/finance/journals`, { headers: { Cookie: cookie }, redirect: "manual" });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Sign out");
    const out = await exports.default.fetch(`${BASE}/finance/logout`, {
      method: "POST",
      headers: { Cookie: cookie },
      redirect: "manual",
    });
    expect(out.status).toBe(303);
    const after = await exports.default.fetch(`${BASE}/finance/journals`, { headers: { Cookie: cookie }, redirect: "manual" });
    expect(after.status).toBe(303);
    expect(after.headers.get("Location")).toBe("/finance/login");
  });

  it("throttles sign-in attempts per address", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 70; i++) statuses.push((await login(`token=wrong-${i}`, "192.0.2.31")).status);
    expectThrottled(statuses, 401);
  });

  it("refuses the finance token outside local unless explicitly enabled", async () => {
    const staging = { ...env, ...STAGING_MAIL, ENVIRONMENT: "staging", FINANCE_TOKEN_FALLBACK: "false" } as Env;
    const ctx = createExecutionContext();
    const api = await worker.fetch(
      new Request(`${BASE}/finance/api/journals`, { headers: { Authorization: `Bearer ${env.FINANCE_TOKEN}` } }),
      staging,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(api.status).toBe(503);
    const enabled = { ...env, ...STAGING_MAIL, ENVIRONMENT: "staging", FINANCE_TOKEN_FALLBACK: "true" } as Env;
    const ok = await worker.fetch(
      new Request(`${BASE}/finance/api/journals`, { headers: { Authorization: `Bearer ${env.FINANCE_TOKEN}` } }),
      enabled,
      createExecutionContext(),
    );
    expect(ok.status).toBe(200);
  });
});

describe("the reconciliation check itself", () => {
  it("counts a payment recorded at another amount than the processor charged as a mismatch", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    await payWith(payment);
    await env.DB.prepare("UPDATE transactions SET trn_amount_cents = 1000 WHERE pbc_ref_number = ? AND pbc_txn_number = ?")
      .bind(partner.pbcRefNumber, payment.pbcTxnNumber)
      .run();
    await expect(expectReconciled()).rejects.toThrow();
    await env.DB.prepare("UPDATE transactions SET trn_amount_cents = 10000 WHERE pbc_ref_number = ? AND pbc_txn_number = ?")
      .bind(partner.pbcRefNumber, payment.pbcTxnNumber)
      .run();
  });
});

afterAll(() => expectReconciled());
