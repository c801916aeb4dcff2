import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { database } from "../src/db/client.ts";
import { setApiKey } from "../src/db/partnerApiKeys.ts";
import { findCardNumbers, pythonClientQuery, pythonClientVerifies, pyUrlencode, responseParams } from "./helpers/independent.ts";
import { directSalePairs, get, openPayment, payWith, seedPartner, type TestPartner } from "./helpers/portal.ts";
import { expectReconciled } from "./helpers/reconcile.ts";

describe("GET /public/directsale refusals (error page, never a redirect)", () => {
  it("unknown partner, bad hash, redirect target not allowed, parameters after hashValue", async () => {
    const partner = await seedPartner();
    const pairs = directSalePairs(partner);
    const cases: Array<[string, string]> = [
      [
        await pythonClientQuery(directSalePairs({ ...partner, pbcRefNumber: "99999999" }), partner.apiKey),
        "We do not take payments for the service that sent you here",
      ],
      [await pythonClientQuery(pairs, "wrong-key"), "could not confirm that the payment request came from the service"],
      [
        await pythonClientQuery(directSalePairs(partner, { redirectUri: "https://evil.example.com/steal" }), partner.apiKey),
        "return address is not one we can send you back to",
      ],
      [
        await pythonClientQuery(
          directSalePairs(partner, { redirectUri: "https://user:pw@partner.example.ca/return" }),
          partner.apiKey,
        ),
        "return address is not one we can send you back to",
      ],
      [
        `${await pythonClientQuery(pairs, partner.apiKey)}&trnAmount=1.00`,
        "could not confirm that the payment request came from the service",
      ],
      [pyUrlencode(pairs), "could not confirm that the payment request came from the service"],
    ];
    for (const [query, message] of cases) {
      const response = await get(`/public/directsale?${query}`);
      expect(response.status, message).toBe(400);
      expect(response.headers.get("Location")).toBeNull();
      const html = await response.text();
      expect(html).toContain(message);
      expect(html).toContain("No payment was started from this request.");
      // The partner's technical detail goes to the logs, not to the person paying.
      expect(html).not.toContain("hashValue");
      expect(html).not.toContain("redirectUri");
    }
  });

  it("a tampered amount is refused even though the rest is intact", async () => {
    const partner = await seedPartner();
    const query = await pythonClientQuery(directSalePairs(partner), partner.apiKey);
    const response = await get(`/public/directsale?${query.replace("trnAmount=100.00", "trnAmount=1.00")}`);
    expect(response.status).toBe(400);
  });

  it("HTML responses carry the security headers", async () => {
    const response = await get("/public/directsale?x=1");
    const csp = response.headers.get("Content-Security-Policy") ?? "";
    for (const directive of [
      "default-src 'none'",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'self'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).toMatch(/script-src 'nonce-[A-Za-z0-9_-]{16,}'/);
    expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(response.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(response.headers.get("Strict-Transport-Security")).toContain("max-age=");
    expect(response.headers.get("Permissions-Policy")).toContain("camera=()");
  });
});

describe("GET /public/directsale validation errors (signed redirect back)", () => {
  it("redirects with trnApproved=0, messageText=Validation Errors, one parameter per failing field, refs, hashValue", async () => {
    const partner = await seedPartner();
    const pairs = directSalePairs(partner, { trnDate: "2020-04-18", currency: "USD", trnAmount: "99.00", ref1: "abc" });
    const response = await get(`/public/directsale?${await pythonClientQuery(pairs, partner.apiKey)}`);
    expect(response.status).toBe(303);
    const location = response.headers.get("Location") as string;
    expect(location.startsWith("http://localhost:7002/index.html?trnApproved=0&pbcTxnNumber=")).toBe(true);
    expect(await pythonClientVerifies(location, partner.apiKey)).toBe(true);
    const params = responseParams(location);
    expect(params.get("messageText")).toBe("Validation Errors");
    expect(params.get("trnDate")).toBe("Date should be todays date");
    expect(params.get("currency")).toBe("Currency must be CAD");
    expect(params.get("trnAmount")).toBe("Amount must equal the sum of the revenue amounts (100.00)");
    expect(params.get("ref1")).toBe("abc");
    expect(params.get("pbcTxnNumber")).toBe(pairs.find(([k]) => k === "pbcTxnNumber")?.[1]);
  });

  it("an already paid transaction number can never pay again", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    await payWith(payment);
    const again = directSalePairs(partner, { pbcTxnNumber: payment.pbcTxnNumber });
    const response = await get(`/public/directsale?${await pythonClientQuery(again, partner.apiKey)}`);
    const location = response.headers.get("Location") as string;
    expect(responseParams(location).get("pbcTxnNumber")).toBe("This transaction number has already been paid");
    expect(await pythonClientVerifies(location, partner.apiKey)).toBe(true);
  });
});

describe("uniqueness and storage", () => {
  it("stores every line of a 100-line revenue list (the most allowed), in order", async () => {
    const partner = await seedPartner();
    const revenue = Array.from(
      { length: 100 },
      (_, i) => `${i + 1}:039.18ACE.${14600 + i}.8928.1800000.000000.0000:1.${String(i).padStart(2, "0")}`,
    );
    const payment = await openPayment(partner, { revenue: revenue.join("|"), trnAmount: "149.50" });
    const stored = await env.DB.prepare(
      "SELECT line_number, revenue_account, revenue_amount_cents, gl_status FROM revenue_lines WHERE transaction_id = (SELECT id FROM transactions WHERE pbc_ref_number = ? AND pbc_txn_number = ?) ORDER BY line_number",
    )
      .bind(partner.pbcRefNumber, payment.pbcTxnNumber)
      .all();
    expect(stored.results).toEqual(
      revenue.map((_, i) => ({
        line_number: i + 1,
        revenue_account: `039.18ACE.${14600 + i}.8928.1800000.000000.0000`,
        revenue_amount_cents: 100 + i,
        gl_status: "NEW",
      })),
    );
  });

  it("50 simultaneous identical requests create exactly one transaction", async () => {
    const partner = await seedPartner();
    const query = await pythonClientQuery(directSalePairs(partner), partner.apiKey);
    const responses = await Promise.all(Array.from({ length: 50 }, () => get(`/public/directsale?${query}`)));
    for (const response of responses) expect(response.status).toBe(303);
    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM transactions WHERE pbc_ref_number = ?")
      .bind(partner.pbcRefNumber)
      .first<{ n: number }>();
    expect(count?.n).toBe(1);
    const lines = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM revenue_lines r JOIN transactions t ON t.id = r.transaction_id WHERE t.pbc_ref_number = ?",
    )
      .bind(partner.pbcRefNumber)
      .first<{ n: number }>();
    expect(lines?.n).toBe(2);
  });

  it("stores the transaction PNDNG with NEW revenue lines in cents, and records the lifecycle", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const txn = await env.DB.prepare("SELECT * FROM transactions WHERE pbc_ref_number = ? AND pbc_txn_number = ?")
      .bind(partner.pbcRefNumber, payment.pbcTxnNumber)
      .first<Record<string, unknown>>();
    expect(txn).toMatchObject({ payment_status: "PNDNG", trn_amount_cents: 10000, currency: "CAD" });
    const lines = await env.DB.prepare(
      "SELECT line_number, revenue_amount_cents, gl_status FROM revenue_lines WHERE transaction_id = ? ORDER BY line_number",
    )
      .bind(txn?.id)
      .all();
    expect(lines.results).toEqual([
      { line_number: 1, revenue_amount_cents: 7500, gl_status: "NEW" },
      { line_number: 2, revenue_amount_cents: 2500, gl_status: "NEW" },
    ]);
    await payWith(payment);
    const events = await env.DB.prepare(
      "SELECT event_type, attempt_number FROM payment_events WHERE transaction_id = ? ORDER BY id",
    )
      .bind(txn?.id)
      .all<{ event_type: string; attempt_number: number }>();
    expect(events.results.map((e) => e.event_type)).toEqual([
      "request_received",
      "attempt_created",
      "card_page_shown",
      "authorisation_started",
      "approved",
      "redirected",
    ]);
    expect(events.results.every((e) => e.attempt_number === 1)).toBe(true);
    const paid = await env.DB.prepare("SELECT gl_date, gl_business_date, gl_after_cutoff, paid_at FROM transactions WHERE id = ?")
      .bind(txn?.id)
      .first<Record<string, unknown>>();
    expect(paid?.gl_business_date).toBeTruthy();
    expect(paid?.paid_at).toBeTruthy();
    expect([0, 1]).toContain(paid?.gl_after_cutoff);
  });

  it("no card number or security code is stored in any D1 table after payments", async () => {
    const partner = await seedPartner();
    const cards = ["4030000010001234", "5100000010001004", "371100001000131", "4003050500040005"];
    for (const cardNumber of cards) {
      const payment = await openPayment(partner);
      await payWith(payment, { cardNumber, securityCode: cardNumber.startsWith("37") ? "9876" : "987" });
      const bad = await openPayment(partner);
      await payWith(bad, { cardNumber: `${cardNumber.slice(0, -1)}0`, securityCode: "987" });
    }
    const tables = await env.DB.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
    ).all<{ name: string }>();
    for (const { name } of tables.results) {
      const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all();
      const dump = JSON.stringify(rows.results);
      expect(findCardNumbers(dump), name).toEqual([]);
      for (const card of cards) expect(dump.includes(card), name).toBe(false);
      expect(/"(cvd|cvv|cvc|securityCode|security_code)"/i.test(dump), name).toBe(false);
      expect(dump.includes('"987"') || dump.includes('"9876"'), name).toBe(false);
    }
  });

  it("the single-use link cannot be reused by another browser", async () => {
    const partner = await seedPartner();
    const start = await get(`/public/directsale?${await pythonClientQuery(directSalePairs(partner), partner.apiKey)}`);
    const link = start.headers.get("Location") as string;
    expect((await get(link)).status).toBe(303);
    const reuse = await get(link);
    expect(reuse.status).toBe(403);
    expect(await reuse.text()).toContain("Your payment session has expired");
  });

  it("of 10 browsers opening the same link at once, exactly one gets the payment; an unknown link gets the same refusal", async () => {
    const partner = await seedPartner();
    const start = await get(`/public/directsale?${await pythonClientQuery(directSalePairs(partner), partner.apiKey)}`);
    const link = start.headers.get("Location") as string;
    const opens = await Promise.all(Array.from({ length: 10 }, () => get(link)));
    expect(opens.map((r) => r.status).sort()).toEqual([303, 403, 403, 403, 403, 403, 403, 403, 403, 403]);
    expect(opens.filter((r) => (r.headers.get("Set-Cookie") ?? "").startsWith("pbc_session="))).toHaveLength(1);
    const unknown = await get(`/public/pay/${"A".repeat(43)}`);
    expect(unknown.status).toBe(403);
    expect(await unknown.text()).toContain("Your payment session has expired");
  });

  it("the card page refuses a browser without the session cookie", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const response = await get(payment.cardPath);
    expect(response.status).toBe(403);
    const forged = await get(payment.cardPath, "pbc_session=forged");
    expect(forged.status).toBe(403);
  });

  it("a POST without the right CSRF token is refused and charges nothing", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const response = await payWith({ ...payment, csrfToken: "wrong" });
    expect(response.status).toBe(403);
    const status = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM payment_events WHERE event_type = 'authorisation_started' AND pbc_txn_number = ?",
    )
      .bind(payment.pbcTxnNumber)
      .first<{ n: number }>();
    expect(status?.n).toBe(0);
  });

  it("50 simultaneous card submissions for one payment make one processor call and one PAID", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const responses = await Promise.all(Array.from({ length: 50 }, () => payWith(payment)));
    const toPartner = responses.filter((r) => (r.headers.get("Location") ?? "").startsWith("http://localhost:7002/"));
    expect(toPartner).toHaveLength(1);
    const calls = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM payment_events WHERE event_type = 'authorisation_started' AND pbc_txn_number = ?",
    )
      .bind(payment.pbcTxnNumber)
      .first<{ n: number }>();
    expect(calls?.n).toBe(1);
    // Every processor answer is recorded unconditionally: one "approved" event means one call.
    const outcomes = await env.DB.prepare(
      `SELECT (SELECT COUNT(*) FROM payment_events WHERE event_type = 'approved' AND pbc_txn_number = ?1) AS approved,
         (SELECT payment_status FROM transactions WHERE pbc_txn_number = ?1) AS status,
         (SELECT COUNT(*) FROM audit_log WHERE action = 'payment.approved' AND target LIKE '%/' || ?1) AS audited`,
    )
      .bind(payment.pbcTxnNumber)
      .first<{ approved: number; status: string; audited: number }>();
    expect(outcomes).toEqual({ approved: 1, status: "PAID", audited: 1 });
  });
});

describe("a partner's registration changes apply to the very next request, even on a warm isolate", () => {
  const start = (partner: TestPartner, apiKey = partner.apiKey) =>
    pythonClientQuery(directSalePairs(partner), apiKey).then((query) => get(`/public/directsale?${query}`));
  const transactionsOf = async (partner: TestPartner) =>
    (
      await env.DB.prepare("SELECT COUNT(*) AS n FROM transactions WHERE pbc_ref_number = ?")
        .bind(partner.pbcRefNumber)
        .first<{ n: number }>()
    )?.n;

  it("a disabled partner is refused and nothing is written", async () => {
    const partner = await seedPartner();
    expect((await start(partner)).status).toBe(303); // the isolate now holds this partner's registration
    await env.DB.prepare("UPDATE partners SET status = 'DISABLED' WHERE pbc_ref_number = ?").bind(partner.pbcRefNumber).run();
    const refused = await start(partner);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("We do not take payments for the service that sent you here");
    expect(await transactionsOf(partner)).toBe(1);
  });

  it("a key retired without grace no longer signs, and its replacement does at once", async () => {
    const partner = await seedPartner();
    expect((await start(partner)).status).toBe(303);
    const newKey = `rotated-${partner.apiKey}`;
    await setApiKey(database(env.DB), env.API_KEY_ENCRYPTION_KEY, partner.pbcRefNumber, newKey, new Date(), new Date());
    const old = await start(partner);
    expect(old.status).toBe(400);
    expect(await old.text()).toContain("could not confirm that the payment request came from the service");
    const fresh = await start(partner, newKey);
    expect(fresh.status).toBe(303);
    expect(fresh.headers.get("Location")).toMatch(/^\/public\/pay\//);
  });

  it("a removed return address is refused with the error page, never redirected to", async () => {
    const partner = await seedPartner();
    expect((await start(partner)).status).toBe(303);
    await env.DB.prepare("DELETE FROM partner_redirect_targets WHERE pbc_ref_number = ? AND target = 'http://localhost:*/'")
      .bind(partner.pbcRefNumber)
      .run();
    const refused = await start(partner);
    expect(refused.status).toBe(400);
    expect(refused.headers.get("Location")).toBeNull();
    expect(await refused.text()).toContain("return address is not one we can send you back to");
    expect(await transactionsOf(partner)).toBe(1);
  });
});

// The money-integrity invariant holds after everything above (issue 11).
afterAll(() => expectReconciled());
