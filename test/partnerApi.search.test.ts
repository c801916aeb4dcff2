/**
 * The partner web service's missing half (issue 14): reconciliation search with keyset paging and
 * partner isolation, and the last attempt's outcome of a payment that stays PNDNG.
 */
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { API, getPayment, postRevenue, token } from "./helpers/api.ts";
import { openPayment, payWith, post, seedPartner, type TestPartner } from "./helpers/portal.ts";

async function search(bearer: string, query: string): Promise<Response> {
  return SELF.fetch(`${API}/paybc/payments${query}`, { headers: { Authorization: `Bearer ${bearer}` } });
}

async function setTrnDate(partner: TestPartner, txn: string, date: string) {
  await env.DB.prepare("UPDATE transactions SET trn_date = ? WHERE pbc_ref_number = ? AND pbc_txn_number = ?")
    .bind(date, partner.pbcRefNumber, txn)
    .run();
}

describe("GET /paybc/payments", () => {
  it("pages through the partner's own payments with a cursor, oldest first, none twice, none missed", async () => {
    const partner = await seedPartner({ keyStyle: "camel" });
    const other = await seedPartner({ keyStyle: "camel" });
    const txns: string[] = [];
    for (let day = 1; day <= 5; day++) {
      const payment = await openPayment(partner);
      await setTrnDate(partner, payment.pbcTxnNumber, `2026-03-0${day}`);
      txns.push(payment.pbcTxnNumber);
    }
    const theirs = await openPayment(other);
    await setTrnDate(other, theirs.pbcTxnNumber, "2026-03-03");

    const bearer = await token(partner);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await search(bearer, `?from=2026-03-01&to=2026-03-31&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        payments: Array<{ pbcTxnNumber: string; pbcRefNumber: string }>;
        nextCursor: string | null;
      };
      expect(body.payments.every((p) => p.pbcRefNumber === partner.pbcRefNumber)).toBe(true);
      seen.push(...body.payments.map((p) => p.pbcTxnNumber));
      cursor = body.nextCursor;
      pages++;
      // A payment arriving mid-way (later date) is found on a later page, not shifting earlier ones.
      if (pages === 1) {
        const late = await openPayment(partner);
        await setTrnDate(partner, late.pbcTxnNumber, "2026-03-09");
        txns.push(late.pbcTxnNumber);
      }
    } while (cursor !== null);
    expect(seen).toEqual(txns);
    expect(pages).toBe(3);
    expect(seen).not.toContain(theirs.pbcTxnNumber);
  });

  it("filters by status and by the date paid; lower-case partners get lower-case keys", async () => {
    const partner = await seedPartner({ keyStyle: "lower" });
    const unpaid = await openPayment(partner);
    const paid = await openPayment(partner);
    await payWith(paid);
    const bearer = await token(partner);
    const response = await search(bearer, "?status=PAID&by=paid");
    const body = (await response.json()) as {
      payments: Array<{ trnnumber: string; paymentstatus: string }>;
      nextcursor: string | null;
    };
    expect(body.payments.map((p) => p.trnnumber)).toEqual([paid.pbcTxnNumber]);
    expect(body.nextcursor).toBeNull();
    const pending = (await (await search(bearer, "?status=PNDNG")).json()) as { payments: Array<{ trnnumber: string }> };
    expect(pending.payments.map((p) => p.trnnumber)).toContain(unpaid.pbcTxnNumber);
    expect(pending.payments.map((p) => p.trnnumber)).not.toContain(paid.pbcTxnNumber);
  });

  it("bad parameters are a 400 naming each one; no token is a 401", async () => {
    const partner = await seedPartner();
    const bearer = await token(partner);
    const bad = await search(bearer, "?from=2026-13&limit=500&status=DONE");
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { fields: Record<string, string> };
    expect(Object.keys(body.fields).sort()).toEqual(["from", "limit", "status"]);
    const backwards = await search(bearer, "?from=2026-03-02&to=2026-03-01");
    expect(((await backwards.json()) as { fields: Record<string, string> }).fields.to).toMatch(/before/);
    const forged = await search(bearer, "?cursor=not-a-cursor");
    expect(forged.status).toBe(400);
    expect((await SELF.fetch(`${API}/paybc/payments`)).status).toBe(401);
  });
});

describe("the last attempt's outcome", () => {
  it("a declined payment stays PNDNG and says DECLINED with its time, in both key styles", async () => {
    const partner = await seedPartner({ keyStyle: "lower" });
    const payment = await openPayment(partner);
    const before = Date.now();
    await payWith(payment, { cardNumber: "4003050500040005" });
    const bearer = await token(partner);
    const lower = (await (await getPayment(bearer, partner.pbcRefNumber, payment.pbcTxnNumber)).json()) as Record<
      string,
      unknown
    >;
    expect(lower).toMatchObject({ paymentstatus: "PNDNG", lastattemptstatus: "DECLINED" });
    expect(Date.parse(lower.lastattempttime as string)).toBeGreaterThanOrEqual(before - 1000);
    const camel = (await (await getPayment(bearer, partner.pbcRefNumber, payment.pbcTxnNumber, "?keys=camel")).json()) as Record<
      string,
      unknown
    >;
    expect(camel).toMatchObject({
      paymentStatus: "PNDNG",
      lastAttemptStatus: "DECLINED",
      lastAttemptTime: lower.lastattempttime,
    });
  });

  it("never tried is null; cancelled says CANCELLED; a later approval says APPROVED", async () => {
    const partner = await seedPartner({ keyStyle: "camel" });
    const bearer = await token(partner);
    const first = await openPayment(partner);
    const untried = (await (await getPayment(bearer, partner.pbcRefNumber, first.pbcTxnNumber)).json()) as Record<
      string,
      unknown
    >;
    expect(untried).toMatchObject({ lastAttemptStatus: null, lastAttemptTime: null });
    await post(`${first.cardPath}/cancel`, { csrfToken: first.csrfToken }, first.cookie);
    const cancelled = (await (await getPayment(bearer, partner.pbcRefNumber, first.pbcTxnNumber)).json()) as Record<
      string,
      unknown
    >;
    expect(cancelled).toMatchObject({ paymentStatus: "PNDNG", lastAttemptStatus: "CANCELLED" });
    const again = await openPayment(partner, { pbcTxnNumber: first.pbcTxnNumber });
    await payWith(again);
    const approved = (await (await getPayment(bearer, partner.pbcRefNumber, first.pbcTxnNumber)).json()) as Record<
      string,
      unknown
    >;
    expect(approved).toMatchObject({ paymentStatus: "PAID", lastAttemptStatus: "APPROVED" });
  });
});

describe("revenue update with lower-case keys", () => {
  const ACCOUNT_1 = "039.18ACE.14691.8928.1800000.000000.0000";
  const ACCOUNT_3 = "039.18ACE.14693.8928.1800000.000000.0000";

  async function paidPayment(keyStyle: "lower" | "camel") {
    const partner = await seedPartner({ keyStyle });
    const payment = await openPayment(partner);
    await payWith(payment);
    return { partner, payment, bearer: await token(partner) };
  }

  it("a lower-style partner may POST linenumber / revenueaccount / revenueamount", async () => {
    const { partner, payment, bearer } = await paidPayment("lower");
    const response = await postRevenue(bearer, partner.pbcRefNumber, payment.pbcTxnNumber, {
      revenue: [
        { linenumber: "1", revenueaccount: ACCOUNT_1, revenueamount: "60.00" },
        { linenumber: "2", revenueaccount: ACCOUNT_3, revenueamount: 40 },
      ],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { revenue: Array<{ revenueaccount: string; revenueamount: string }> };
    expect(body.revenue.map((line) => [line.revenueaccount, line.revenueamount])).toEqual([
      [ACCOUNT_1, "60.00"],
      [ACCOUNT_3, "40.00"],
    ]);
  });

  it("errors say which key was expected, in the style the request used", async () => {
    const { partner, payment, bearer } = await paidPayment("lower");
    const missing = await postRevenue(bearer, partner.pbcRefNumber, payment.pbcTxnNumber, {
      revenue: [{ linenumber: "1", revenueaccount: ACCOUNT_1, revenue_amount: "100.00" }],
    });
    expect(missing.status).toBe(400);
    const fields = ((await missing.json()) as { fields: Record<string, string> }).fields;
    expect(fields["revenue[0].revenueamount"]).toBe('Required: expected the key "revenueamount"');
    expect(Object.values(fields).join(" ")).toMatch(/revenue_amount/);

    const camelMissing = await postRevenue(bearer, partner.pbcRefNumber, payment.pbcTxnNumber, {
      revenue: [{ lineNumber: "1", revenueAmount: "100.00" }],
    });
    expect(((await camelMissing.json()) as { fields: Record<string, string> }).fields["revenue[0].revenueAccount"]).toBe(
      'Required: expected the key "revenueAccount"',
    );

    const wrongAmount = await postRevenue(bearer, partner.pbcRefNumber, payment.pbcTxnNumber, {
      revenue: [{ linenumber: "1", revenueaccount: ACCOUNT_1, revenueamount: "99.00" }],
    });
    expect(wrongAmount.status).toBe(400);
    const wrongFields = ((await wrongAmount.json()) as { fields: Record<string, string> }).fields;
    expect(Object.keys(wrongFields).some((name) => /revenueAccount|revenueAmount|lineNumber/.test(name))).toBe(false);
  });
});

describe("one error envelope", () => {
  it("every error has error and message; the token endpoint keeps RFC 6749's fields beside them", async () => {
    const partner = await seedPartner();
    const tokenError = await SELF.fetch(`${API}/oauth/token`, {
      method: "POST",
      headers: {
        Authorization: `Basic ${btoa(`${partner.clientId}:wrong-secret`)}`,
        "Content-Type": "application/x-www-form-urlencoded",
      },
      body: "grant_type=client_credentials",
    });
    expect(tokenError.status).toBe(401);
    const oauth = (await tokenError.json()) as Record<string, string>;
    expect(oauth).toMatchObject({
      error: "invalid_client",
      error_description: expect.any(String),
      message: oauth.error_description,
    });
    const bearer = await token(partner);
    const notFound = (await (await getPayment(bearer, partner.pbcRefNumber, "NOPE")).json()) as Record<string, string>;
    expect(Object.keys(notFound).sort()).toEqual(["error", "message"]);
    const invalid = (await (await search(bearer, "?limit=0")).json()) as Record<string, unknown>;
    expect(Object.keys(invalid).sort()).toEqual(["error", "fields", "message"]);
    const noToken = (await (await SELF.fetch(`${API}/paybc/payments`)).json()) as Record<string, string>;
    expect(Object.keys(noToken).sort()).toEqual(["error", "message"]);
  });

  it("answers a full page of 200 paid payments with their lines and attempts (more ids than D1's 100 bound parameters)", async () => {
    const partner = await seedPartner({ keyStyle: "camel" });
    const count = 205;
    // Written straight into D1: 205 payments through the card page would take minutes.
    await env.DB.batch([
      env.DB.prepare(
        `INSERT INTO transactions (pbc_ref_number, pbc_txn_number, trn_date, requested_gl_date, gl_date, gl_business_date,
           description, trn_amount_cents, payment_method, currency, redirect_uri, payment_status, paid_at, created_at, updated_at)
         WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?2)
         SELECT ?1, 'FULL' || printf('%04d', n), '2026-04-01', '2026-04-01', '2026-04-01', '2026-04-01', 'Licence', 1000,
           'CC', 'CAD', 'https://example.gov.bc.ca/return', 'PAID', '2026-04-01T18:00:00.000Z', '2026-04-01T17:00:00.000Z',
           '2026-04-01T18:00:00.000Z' FROM s`,
      ).bind(partner.pbcRefNumber, count),
      env.DB.prepare(
        `INSERT INTO revenue_lines (transaction_id, line_number, revenue_account, revenue_amount_cents, gl_status)
         SELECT t.id, k.k, '039.18ACE.14691.8928.1800000.000000.0000', 500, 'NEW'
         FROM transactions t CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2) k WHERE t.pbc_ref_number = ?1`,
      ).bind(partner.pbcRefNumber),
      env.DB.prepare(
        `INSERT INTO payment_attempts (external_id, transaction_id, attempt_number, state, link_token_hash, order_number,
           expires_at, created_at, updated_at)
         SELECT 'full-' || t.id, t.id, 1, 'APPROVED', 'full-link-' || t.id, 'FULL-' || t.id, '2026-04-01T18:30:00.000Z',
           '2026-04-01T17:00:00.000Z', '2026-04-01T18:00:00.000Z'
         FROM transactions t WHERE t.pbc_ref_number = ?1`,
      ).bind(partner.pbcRefNumber),
    ]);
    const bearer = await token(partner);
    const first = await search(bearer, "?from=2026-04-01&to=2026-04-01&limit=200");
    expect(first.status).toBe(200);
    const page = (await first.json()) as {
      payments: Array<{ pbcTxnNumber: string; revenue: unknown[] }>;
      nextCursor: string | null;
    };
    expect(page.payments).toHaveLength(200);
    expect(page.payments.every((payment) => payment.revenue.length === 2)).toBe(true);
    expect(page.nextCursor).not.toBeNull();
    const rest = (await (await search(bearer, `?from=2026-04-01&to=2026-04-01&limit=200&cursor=${page.nextCursor}`)).json()) as {
      payments: Array<{ pbcTxnNumber: string }>;
      nextCursor: string | null;
    };
    expect(rest.payments.map((payment) => payment.pbcTxnNumber)).toEqual([
      "FULL0201",
      "FULL0202",
      "FULL0203",
      "FULL0204",
      "FULL0205",
    ]);
    expect(rest.nextCursor).toBeNull();
  });
});
