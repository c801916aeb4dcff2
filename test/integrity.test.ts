/**
 * Money integrity (issue 11): what the partner signed is what is charged, recorded and told. Each
 * test reproduces an attack found in a security review of the portal; each failed before its fix.
 */
import { env, SELF } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { readConfig } from "../src/config.ts";
import { database } from "../src/db/client.ts";
import { createLogger } from "../src/http/logger.ts";
import type { AuthorisationRequest, AuthorisationResult, PaymentProcessor } from "../src/processor/types.ts";
import { auditRecorder } from "../src/services/audit.ts";
import { type CardDeps, loadContext, submitCard } from "../src/services/cardPayment.ts";
import { md5, pacificToday, pythonClientQuery, pyUnquotePlus, pyUrlencode, responseParams } from "./helpers/independent.ts";
import { BASE, directSalePairs, GOOD_CARD, get, openPayment, payWith, seedPartner, type TestPartner } from "./helpers/portal.ts";
import { expectReconciled } from "./helpers/reconcile.ts";

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
    expect(await response.text()).toContain("ambiguous");
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
    const held = SELF.fetch(`${BASE}${first.cardPath}`, {
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

  it("the processor is never asked for an amount other than the locked row's", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const processor = new CountingProcessor();
    const deps = cardDeps(processor);
    const context = await loadContext(deps, payment.cardPath.split("/").pop() as string, payment.cookie.split("=")[1]);
    if (!("attempt" in context)) throw new Error("no context");
    // The stored amount changes between loading the payment and the claim.
    await env.DB.prepare("UPDATE transactions SET trn_amount_cents = 1000 WHERE id = ?").bind(context.transaction.id).run();
    const view = await submitCard(deps, context, GOOD_CARD);
    expect(view.kind).toBe("card-page");
    expect(processor.requests).toEqual([]);
    await env.DB.prepare("UPDATE transactions SET trn_amount_cents = 10000 WHERE id = ?").bind(context.transaction.id).run();
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
      expect(await response.text()).toContain("spaces or control characters");
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
      expect(await response.text()).toContain("digits only");
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
