import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { PaymentCamel, PaymentLower } from "../src/api/schemas.ts";
import { issueToken } from "../src/services/accessTokens.ts";
import { API, getPayment, postRevenue, token } from "./helpers/api.ts";
import { openPayment, payWith, seedPartner } from "./helpers/portal.ts";

const tokenRequest = (init: RequestInit) => exports.default.fetch(`${API}/oauth/token`, { method: "POST", ...init });
const FORM = { "Content-Type": "application/x-www-form-urlencoded" };

async function paidPayment(options: { keyStyle?: "lower" | "camel" } = {}) {
  const partner = await seedPartner(options);
  const payment = await openPayment(partner);
  await payWith(payment);
  return { partner, pbcTxnNumber: payment.pbcTxnNumber, bearer: await token(partner) };
}

describe("OAuth2 token endpoint", () => {
  it("issues a bearer token for HTTP Basic credentials, lasting at least 30 minutes", async () => {
    const partner = await seedPartner();
    const response = await tokenRequest({
      headers: { ...FORM, Authorization: `Basic ${btoa(`${partner.clientId}:${partner.clientSecret}`)}` },
      body: "grant_type=client_credentials",
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.token_type).toBe("bearer");
    expect(body.expires_in).toBeGreaterThanOrEqual(1800);
    expect(typeof body.access_token).toBe("string");
  });

  it("accepts credentials in the form body (RFC 6749 2.3.1)", async () => {
    const partner = await seedPartner();
    const response = await tokenRequest({
      headers: FORM,
      body: `grant_type=client_credentials&client_id=${partner.clientId}&client_secret=${partner.clientSecret}`,
    });
    expect(response.status).toBe(200);
  });

  it("answers every error as RFC 6749 5.2 says", async () => {
    const partner = await seedPartner();
    const basic = (id: string, secret: string) => `Basic ${btoa(`${id}:${secret}`)}`;
    const cases: Array<[RequestInit, number, string]> = [
      [
        { headers: { ...FORM, Authorization: basic(partner.clientId, "wrong") }, body: "grant_type=client_credentials" },
        401,
        "invalid_client",
      ],
      [
        { headers: { ...FORM, Authorization: basic("nobody", "x") }, body: "grant_type=client_credentials" },
        401,
        "invalid_client",
      ],
      [{ headers: FORM, body: "grant_type=client_credentials" }, 401, "invalid_client"],
      [{ headers: { ...FORM, Authorization: "Basic !!!" }, body: "grant_type=client_credentials" }, 401, "invalid_client"],
      [
        { headers: { ...FORM, Authorization: basic(partner.clientId, partner.clientSecret) }, body: "grant_type=password" },
        400,
        "unsupported_grant_type",
      ],
      [{ headers: { ...FORM, Authorization: basic(partner.clientId, partner.clientSecret) }, body: "" }, 400, "invalid_request"],
      [
        {
          headers: { ...FORM, Authorization: basic(partner.clientId, partner.clientSecret) },
          body: `grant_type=client_credentials&client_id=${partner.clientId}&client_secret=${partner.clientSecret}`,
        },
        400,
        "invalid_request",
      ],
      // The MD5 API key is not a client secret.
      [
        { headers: { ...FORM, Authorization: basic(partner.clientId, partner.apiKey) }, body: "grant_type=client_credentials" },
        401,
        "invalid_client",
      ],
    ];
    for (const [init, status, error] of cases) {
      const response = await tokenRequest(init);
      expect(response.status, error).toBe(status);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe(error);
      expect(body.error_description.length).toBeGreaterThan(0);
      if (status === 401) expect(response.headers.get("WWW-Authenticate")).toContain("Basic");
    }
  });

  it("records token issuance and refusal in the audit log", async () => {
    const partner = await seedPartner();
    await token(partner);
    await tokenRequest({
      headers: { ...FORM, Authorization: `Basic ${btoa(`${partner.clientId}:nope`)}` },
      body: "grant_type=client_credentials",
    });
    const rows = await env.DB.prepare(
      "SELECT action, outcome FROM audit_log WHERE target = ? AND action LIKE 'oauth.%' ORDER BY id",
    )
      .bind(partner.pbcRefNumber)
      .all<{ action: string; outcome: string }>();
    expect(rows.results).toEqual([
      { action: "oauth.token_issued", outcome: "success" },
      { action: "oauth.token_refused", outcome: "failure" },
    ]);
  });
});

describe("GET payment", () => {
  it("requires a valid bearer token, with a WWW-Authenticate challenge", async () => {
    const { partner, pbcTxnNumber } = await paidPayment();
    const none = await exports.default.fetch(`${API}/paybc/payment/${partner.pbcRefNumber}/${pbcTxnNumber}`);
    expect(none.status).toBe(401);
    expect(none.headers.get("WWW-Authenticate")).toContain("Bearer");
    const forged = await getPayment("pbc1.e30.forged", partner.pbcRefNumber, pbcTxnNumber);
    expect(forged.status).toBe(401);
    expect(forged.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
  });

  it("refuses an expired token", async () => {
    const { partner, pbcTxnNumber } = await paidPayment();
    const old = await issueToken(
      env.TOKEN_SIGNING_KEY,
      { clientId: partner.clientId, pbcRefNumber: partner.pbcRefNumber, secretGeneration: 1 },
      new Date(Date.now() - 2 * 3600_000),
    );
    expect((await getPayment(old, partner.pbcRefNumber, pbcTxnNumber)).status).toBe(401);
    const fresh = await issueToken(
      env.TOKEN_SIGNING_KEY,
      { clientId: partner.clientId, pbcRefNumber: partner.pbcRefNumber, secretGeneration: 1 },
      new Date(Date.now() - 20 * 60_000),
    );
    expect((await getPayment(fresh, partner.pbcRefNumber, pbcTxnNumber)).status).toBe(200);
  });

  it("serves lower-case keys to legacy partners, camelCase on request, never both in one body", async () => {
    const { partner, pbcTxnNumber, bearer } = await paidPayment({ keyStyle: "lower" });
    const lower = (await (await getPayment(bearer, partner.pbcRefNumber, pbcTxnNumber)).json()) as Record<string, unknown>;
    expect(PaymentLower.parse(lower)).toBeTruthy();
    expect(lower.paymentstatus).toBe("PAID");
    expect(lower.trnamount).toBe("100.00");
    expect(typeof lower.trnorderid).toBe("string");
    expect(lower).not.toHaveProperty("paymentStatus");
    const camel = (await (await getPayment(bearer, partner.pbcRefNumber, pbcTxnNumber, "?keys=camel")).json()) as Record<
      string,
      unknown
    >;
    expect(PaymentCamel.parse(camel)).toBeTruthy();
    expect(camel.paymentStatus).toBe("PAID");
    expect(camel).not.toHaveProperty("paymentstatus");
  });

  it("camelCase partners get the contract's body with clean values", async () => {
    const { partner, pbcTxnNumber, bearer } = await paidPayment({ keyStyle: "camel" });
    const body = PaymentCamel.parse(await (await getPayment(bearer, partner.pbcRefNumber, pbcTxnNumber)).json());
    expect(body).toMatchObject({
      pbcRefNumber: partner.pbcRefNumber,
      pbcTxnNumber,
      description: "Direct Sale",
      trnAmount: "100.00",
      paymentMethod: "CC",
      currency: "CAD",
      paymentStatus: "PAID",
      cardType: "VI",
      refundedAmount: 0,
      postedRefundAmount: 0,
      refundSummary: { status: "available", amountAvailable: "100.00", amountRefunded: "0.00" },
    });
    expect(body.revenue).toEqual([
      {
        lineNumber: "1",
        revenueAccount: "039.18ACE.14691.8928.1800000.000000.0000",
        revenueAmount: "75.00",
        glStatus: "NEW",
        glErrorMessage: null,
        // Never refunded: no refund status and no refund data.
        refundGlStatus: null,
        refundGlErrorMessage: null,
        refundData: [],
      },
      {
        lineNumber: "2",
        revenueAccount: "039.18ACE.14692.8928.1800000.000000.0000",
        revenueAmount: "25.00",
        glStatus: "NEW",
        glErrorMessage: null,
        // Never refunded: no refund status and no refund data.
        refundGlStatus: null,
        refundGlErrorMessage: null,
        refundData: [],
      },
    ]);
  });

  it("a pending payment shows PNDNG with nulls for what is not known yet", async () => {
    const partner = await seedPartner({ keyStyle: "camel" });
    const payment = await openPayment(partner);
    await payWith(payment, { cardNumber: "4003050500040005" });
    const body = PaymentCamel.parse(
      await (await getPayment(await token(partner), partner.pbcRefNumber, payment.pbcTxnNumber)).json(),
    );
    expect(body.paymentStatus).toBe("PNDNG");
    expect(body.trnOrderId).toBeNull();
    expect(body.paymentAuthCode).toBeNull();
    expect(body.cardType).toBeNull();
  });

  it("partner A's token asking for partner B's payment gets 404, exactly like a missing payment", async () => {
    const b = await paidPayment();
    const a = await seedPartner();
    const bearerA = await token(a);
    const cross = await getPayment(bearerA, b.partner.pbcRefNumber, b.pbcTxnNumber);
    const missing = await getPayment(bearerA, a.pbcRefNumber, "NOPE");
    expect(cross.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(await cross.json()).toEqual(await missing.json());
  });
});

describe("POST revenue update", () => {
  const lines = (a: string, b: string | number) => ({
    revenue: [
      { lineNumber: " 1", revenueAccount: "039.18ACE.14691.8928.1800000.000000.0000 ", revenueAmount: a },
      { lineNumber: 2, revenueAccount: "039.18ACE.14699.8928.1800000.000000.0000", revenueAmount: b },
    ],
  });

  it("replaces the lines of a PAID payment, back to NEW, and returns the payment as GET does", async () => {
    const { partner, pbcTxnNumber, bearer } = await paidPayment({ keyStyle: "camel" });
    await env.DB.prepare(
      "UPDATE revenue_lines SET gl_status = 'REJECT', gl_error_message = 'Invalid revenue account' WHERE transaction_id = (SELECT id FROM transactions WHERE pbc_ref_number = ? AND pbc_txn_number = ?)",
    )
      .bind(partner.pbcRefNumber, pbcTxnNumber)
      .run();
    const response = await postRevenue(bearer, partner.pbcRefNumber, pbcTxnNumber, lines("60.00", 40));
    expect(response.status).toBe(200);
    const body = PaymentCamel.parse(await response.json());
    expect(body.revenue).toEqual([
      {
        lineNumber: "1",
        revenueAccount: "039.18ACE.14691.8928.1800000.000000.0000",
        revenueAmount: "60.00",
        glStatus: "NEW",
        glErrorMessage: null,
        // Never refunded: no refund status and no refund data.
        refundGlStatus: null,
        refundGlErrorMessage: null,
        refundData: [],
      },
      {
        lineNumber: "2",
        revenueAccount: "039.18ACE.14699.8928.1800000.000000.0000",
        revenueAmount: "40.00",
        glStatus: "NEW",
        glErrorMessage: null,
        // Never refunded: no refund status and no refund data.
        refundGlStatus: null,
        refundGlErrorMessage: null,
        refundData: [],
      },
    ]);
    const again = PaymentCamel.parse(await (await getPayment(bearer, partner.pbcRefNumber, pbcTxnNumber)).json());
    expect(again).toEqual(body);
    const events = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM payment_events WHERE event_type = 'revenue_updated' AND pbc_txn_number = ?",
    )
      .bind(pbcTxnNumber)
      .first<{ n: number }>();
    expect(events?.n).toBe(1);
  });

  it("stores all of a 100-line update (the most allowed), in order, to the cent", async () => {
    const { partner, pbcTxnNumber, bearer } = await paidPayment();
    // 100 lines adding up to the payment's 100.00: 99 of 0.99 and one of 1.99.
    const revenue = Array.from({ length: 100 }, (_, i) => ({
      lineNumber: String(i + 1),
      revenueAccount: `039.18ACE.${String(14600 + i)}.8928.1800000.000000.0000`,
      revenueAmount: i === 99 ? "1.99" : "0.99",
    }));
    const response = await postRevenue(bearer, partner.pbcRefNumber, pbcTxnNumber, { revenue });
    expect(response.status).toBe(200);
    const stored = await env.DB.prepare(
      "SELECT line_number, revenue_account, revenue_amount_cents FROM revenue_lines WHERE transaction_id = (SELECT id FROM transactions WHERE pbc_ref_number = ? AND pbc_txn_number = ?) ORDER BY line_number",
    )
      .bind(partner.pbcRefNumber, pbcTxnNumber)
      .all<{ line_number: number; revenue_account: string; revenue_amount_cents: number }>();
    expect(stored.results).toEqual(
      revenue.map((line, i) => ({
        line_number: i + 1,
        revenue_account: line.revenueAccount,
        revenue_amount_cents: i === 99 ? 199 : 99,
      })),
    );
  });

  it("checks the sum exactly in cents and reports per-field errors with 400", async () => {
    const { partner, pbcTxnNumber, bearer } = await paidPayment();
    const off = await postRevenue(bearer, partner.pbcRefNumber, pbcTxnNumber, lines("60.00", "40.01"));
    expect(off.status).toBe(400);
    expect(((await off.json()) as { fields: Record<string, string> }).fields.revenue).toContain(
      "must add up to the payment amount 100.00",
    );
    const floaty = await postRevenue(bearer, partner.pbcRefNumber, pbcTxnNumber, lines("0.10", "99.90"));
    expect(floaty.status).toBe(200);
    const bad = await postRevenue(bearer, partner.pbcRefNumber, pbcTxnNumber, {
      revenue: [
        { lineNumber: "x", revenueAccount: "bad", revenueAmount: "1.5" },
        { lineNumber: "x", revenueAccount: "039.18ACE.14691.8928.1800000.000000.0000", revenueAmount: 10.005 },
      ],
    });
    expect(bad.status).toBe(400);
    const fields = ((await bad.json()) as { fields: Record<string, string> }).fields;
    expect(Object.keys(fields).sort()).toEqual([
      "revenue[0].lineNumber",
      "revenue[0].revenueAccount",
      "revenue[0].revenueAmount",
      "revenue[1].lineNumber",
      "revenue[1].revenueAmount",
    ]);
    const dup = await postRevenue(bearer, partner.pbcRefNumber, pbcTxnNumber, {
      revenue: [
        { lineNumber: "1", revenueAccount: "039.18ACE.14691.8928.1800000.000000.0000", revenueAmount: "50.00" },
        { lineNumber: "1", revenueAccount: "039.18ACE.14691.8928.1800000.000000.0000", revenueAmount: "50.00" },
      ],
    });
    expect(((await dup.json()) as { fields: Record<string, string> }).fields["revenue[1].lineNumber"]).toBe(
      "Line numbers must be unique",
    );
    for (const body of ["not json", "{}", '{"revenue": []}', '{"revenue": "1:2:3"}']) {
      const response = await postRevenue(bearer, partner.pbcRefNumber, pbcTxnNumber, body);
      expect(response.status, body).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBeTruthy();
    }
  });

  it("refuses with 409 when the payment is not PAID or a line is in the GL pipeline", async () => {
    const partner = await seedPartner();
    const pending = await openPayment(partner);
    const bearer = await token(partner);
    const notPaid = await postRevenue(bearer, partner.pbcRefNumber, pending.pbcTxnNumber, lines("60.00", "40.00"));
    expect(notPaid.status).toBe(409);
    expect(((await notPaid.json()) as { message: string }).message).toContain("PNDNG");

    const paid = await openPayment(partner);
    await payWith(paid);
    await env.DB.prepare(
      "UPDATE revenue_lines SET gl_status = 'IN PROCESS' WHERE line_number = 2 AND transaction_id = (SELECT id FROM transactions WHERE pbc_ref_number = ? AND pbc_txn_number = ?)",
    )
      .bind(partner.pbcRefNumber, paid.pbcTxnNumber)
      .run();
    const busy = await postRevenue(bearer, partner.pbcRefNumber, paid.pbcTxnNumber, lines("60.00", "40.00"));
    expect(busy.status).toBe(409);
    expect(((await busy.json()) as { message: string }).message).toContain("line 2 is IN PROCESS");
  });

  it("another partner's payment cannot be updated (404)", async () => {
    const b = await paidPayment();
    const bearerA = await token(await seedPartner());
    expect((await postRevenue(bearerA, b.partner.pbcRefNumber, b.pbcTxnNumber, lines("60.00", "40.00"))).status).toBe(404);
  });

  it("concurrent updates never interleave: the result is exactly one of the bodies", async () => {
    const { partner, pbcTxnNumber, bearer } = await paidPayment({ keyStyle: "camel" });
    const bodies = Array.from({ length: 10 }, (_, i) => ({
      revenue: Array.from({ length: 4 }, (_, line) => ({
        lineNumber: String(line + 1),
        revenueAccount: `039.18ACE.1469${i}.8928.1800000.000000.0000`,
        revenueAmount: "25.00",
      })),
    }));
    const responses = await Promise.all(bodies.map((body) => postRevenue(bearer, partner.pbcRefNumber, pbcTxnNumber, body)));
    for (const response of responses) expect(response.status).toBe(200);
    const final = PaymentCamel.parse(await (await getPayment(bearer, partner.pbcRefNumber, pbcTxnNumber)).json());
    expect(final.revenue).toHaveLength(4);
    expect(new Set(final.revenue.map((line) => line.revenueAccount)).size).toBe(1);
  });
});

describe("OpenAPI document", () => {
  it("is served at /ords/cas/openapi.json, documents every endpoint and error, and the explorer at /docs", async () => {
    const doc = (await (await exports.default.fetch(`${API}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { operationId?: string; responses: Record<string, { content?: Record<string, { example?: unknown }> }> }>
      >;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths.oauth_token ?? doc.paths["/oauth/token"] ?? {})).toEqual(["post"]);
    const payment = doc.paths["/paybc/payment/{pbcRefNumber}/{pbcTxnNumber}"] ?? {};
    expect(Object.keys(payment.get?.responses ?? {}).sort()).toEqual(["200", "400", "401", "404"]);
    expect(Object.keys(payment.post?.responses ?? {}).sort()).toEqual(["200", "400", "401", "404", "409", "413"]);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining(["PaymentCamelCase", "PaymentLowerCase", "RevenueUpdate", "OAuthError"]),
    );
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["basicAuth", "oauth2"]);
    expect(doc.components.securitySchemes.oauth2).toMatchObject({
      type: "oauth2",
      flows: { clientCredentials: { tokenUrl: "oauth/token" } },
    });
    // Every operation has an operationId, and every response an example.
    const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
    expect(operations.map((operation) => operation.operationId).sort()).toEqual([
      "createRefund",
      "getAccessToken",
      "getPayment",
      "listRefunds",
      "searchPayments",
      "updateRevenue",
    ]);
    for (const operation of operations) {
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(response.content?.["application/json"]?.example, `${operation.operationId} ${status}`).toBeDefined();
      }
    }
    const docs = await exports.default.fetch("https://portal.test/docs");
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("/ords/cas/openapi.json");
  });
});
