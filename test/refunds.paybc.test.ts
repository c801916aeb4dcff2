/**
 * The PayBC refund service as the deployed partner client calls it: token with the Basic-Token
 * header, POST api/refund with Bearer-Token and JSON numbers, then the query service's refund fields.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { PaymentCamel, PaymentLower } from "../src/api/schemas.ts";
import worker from "../src/index.ts";
import { getPayment, token } from "./helpers/api.ts";
import { openPayment, seedPartner } from "./helpers/portal.ts";
import { expectReconciled } from "./helpers/reconcile.ts";
import { listRefunds, paidPayment, paybcRefund, REFUND_SERVICE, refundToken } from "./helpers/refunds.ts";

const basic = (id: string, secret: string) => `Basic ${btoa(`${id}:${secret}`)}`;

async function lowerQuery(bearer: string, ref: string, txn: string) {
  const response = await getPayment(bearer, ref, txn, "?keys=lower");
  expect(response.status).toBe(200);
  const body = await response.json();
  PaymentLower.parse(body);
  return body as {
    paymentstatus: string;
    refundedamount: number;
    postedrefundamount: number;
    refundsummary: { status: string; amountavailable: string; amountrefunded: string };
    revenue: Array<{
      linenumber: string;
      refundglstatus: string | null;
      refund_data: Array<{
        txn_refund_distribution_id: number;
        revenue_amount: number;
        refund_date: string;
        refundglstatus: string;
      }>;
    }>;
  };
}

describe("refund service token", () => {
  it("answers the deployed client's GET with the Basic-Token header, with or without the trailing slash, and Authorization too", async () => {
    const partner = await seedPartner();
    for (const [path, headers] of [
      ["/oauth/token/", { "Basic-Token": basic(partner.clientId, partner.clientSecret) }],
      ["/oauth/token", { "Basic-Token": basic(partner.clientId, partner.clientSecret) }],
      ["/oauth/token/", { Authorization: basic(partner.clientId, partner.clientSecret) }],
    ] as const) {
      const response = await exports.default.fetch(`${REFUND_SERVICE}${path}`, {
        headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded" },
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ token_type: "bearer" });
      expect(body.expires_in).toBeGreaterThanOrEqual(1800);
      expect(typeof body.access_token).toBe("string");
    }
  });

  it("is served at REFUND_BASE_PATH, and only on the API host when hosts are split", async () => {
    const partner = await seedPartner();
    const at = async (url: string, overrides: Partial<Env>) => {
      const ctx = createExecutionContext();
      const response = await worker.fetch(
        new Request(url, { headers: { "Basic-Token": basic(partner.clientId, partner.clientSecret) } }),
        { ...env, ...overrides } as Env,
        ctx,
      );
      await waitOnExecutionContext(ctx);
      return response.status;
    };
    expect(await at("https://portal.test/refunds-v1/oauth/token/", { REFUND_BASE_PATH: "/refunds-v1" })).toBe(200);
    const hosts = { API_HOSTNAME: "payapi.example.ca", PORTAL_HOSTNAME: "pay.example.ca" };
    expect(await at("https://payapi.example.ca/paybc-service/oauth/token/", hosts)).toBe(200);
    expect(await at("https://pay.example.ca/paybc-service/oauth/token/", hosts)).toBe(404);
  });

  it("refuses a wrong secret with the {message, errors} envelope", async () => {
    const partner = await seedPartner();
    const response = await exports.default.fetch(`${REFUND_SERVICE}/oauth/token/`, {
      headers: { "Basic-Token": basic(partner.clientId, "wrong") },
    });
    expect(response.status).toBe(401);
    const body = (await response.json()) as { message: string; errors: string[] };
    expect(body.message).toBe("Unauthorized");
    expect(body.errors.length).toBeGreaterThan(0);
  });

  it("refuses a refund without a valid bearer token before reading the body", async () => {
    const response = await paybcRefund("not-a-token", "{not json");
    expect(response.status).toBe(401);
    expect(((await response.json()) as { errors: string[] }).errors.length).toBe(1);
  });
});

describe("PayBC refund requests", () => {
  it("refunds the whole payment from JSON numbers and the query service shows it in lower-case keys", async () => {
    const paid = await paidPayment();
    const bearer = await refundToken(paid.partner);
    const response = await paybcRefund(
      bearer,
      `{"orderNumber": ${paid.trnOrderId}, "pbcRefNumber": "${paid.partner.pbcRefNumber}", "txnAmount": 100.0, "txnNumber": "${paid.pbcTxnNumber}"}`,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      approved: 1,
      amount: 100,
      message: "Approved",
      orderNumber: paid.trnOrderId,
      txnNumber: paid.pbcTxnNumber,
    });
    expect(typeof body.id).toBe("string");
    expect(typeof body.created).toBe("string");

    const query = await lowerQuery(paid.bearer, paid.partner.pbcRefNumber, paid.pbcTxnNumber);
    expect(query.paymentstatus).toBe("PAID");
    expect(query.refundedamount).toBe(100);
    expect(query.postedrefundamount).toBe(0);
    expect(query.refundsummary).toEqual({ status: "full", amountavailable: "0.00", amountrefunded: "100.00" });
    expect(query.revenue.map((line) => line.refundglstatus)).toEqual(["PAID", "PAID"]);
    expect(query.revenue.map((line) => line.refund_data.map((item) => item.revenue_amount))).toEqual([[75], [25]]);
    expect(query.revenue[0]?.refund_data[0]?.refund_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("refunds part of one line (refundRevenue), then another part, and refuses the same request again as a duplicate", async () => {
    const paid = await paidPayment();
    const bearer = await refundToken(paid.partner);
    const request = (amount: string) =>
      `{"orderNumber": ${paid.trnOrderId}, "pbcRefNumber": "${paid.partner.pbcRefNumber}", "txnAmount": ${amount}, "txnNumber": "${paid.pbcTxnNumber}", "refundRevenue": [{"lineNumber": "1", "refundAmount": ${amount}}]}`;
    const first = await paybcRefund(bearer, request("31.5"));
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ approved: 1, amount: 31.5 });

    const again = await paybcRefund(bearer, request("31.5"));
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({
      message: "Bad Request",
      errors: ["Duplicate refund - Refund has been already processed"],
    });

    const second = await paybcRefund(bearer, request("10.25"));
    expect(second.status).toBe(200);

    const query = await lowerQuery(paid.bearer, paid.partner.pbcRefNumber, paid.pbcTxnNumber);
    expect(query.refundedamount).toBe(41.75);
    expect(query.refundsummary).toEqual({ status: "partial", amountavailable: "58.25", amountrefunded: "41.75" });
    expect(query.revenue[0]?.refund_data.map((item) => item.revenue_amount)).toEqual([31.5, 10.25]);
    expect(query.revenue[1]?.refund_data).toEqual([]);
    expect(query.revenue[1]?.refundglstatus).toBeNull();
  });

  it("refuses more than is left on a line or in total, amounts that are not whole cents, and a wrong orderNumber", async () => {
    const paid = await paidPayment();
    const bearer = await refundToken(paid.partner);
    const base = { orderNumber: Number(paid.trnOrderId), pbcRefNumber: paid.partner.pbcRefNumber, txnNumber: paid.pbcTxnNumber };
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...base, txnAmount: 25.01, refundRevenue: [{ lineNumber: "2", refundAmount: 25.01 }] }, /exceeds the 25\.00 available/],
      [{ ...base, txnAmount: 100.01 }, /exceeds the 100\.00 available/],
      [{ ...base, txnAmount: 10.005 }, /txnAmount/],
      [{ ...base, txnAmount: -5 }, /txnAmount/],
      [{ ...base, txnAmount: 5, refundRevenue: [{ lineNumber: "3", refundAmount: 5 }] }, /line 3 does not exist/],
      [{ ...base, txnAmount: 6, refundRevenue: [{ lineNumber: "1", refundAmount: 5 }] }, /not the sum of its lines/],
      [{ ...base, orderNumber: 1, txnAmount: 5 }, /orderNumber/],
      [{ ...base, txnAmount: "lots" }, /txnAmount/],
    ];
    for (const [body, message] of cases) {
      const response = await paybcRefund(bearer, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      const answer = (await response.json()) as { message: string; errors: string[] };
      expect(answer.message).toBe("Bad Request");
      expect(answer.errors.join(" ")).toMatch(message);
    }
    const malformed = await paybcRefund(bearer, "{");
    expect(malformed.status).toBe(400);
    // Nothing was refunded by any of them.
    const query = await lowerQuery(paid.bearer, paid.partner.pbcRefNumber, paid.pbcTxnNumber);
    expect(query.refundedamount).toBe(0);
    expect(query.refundsummary.status).toBe("available");
  });

  it("answers 404 for another partner's payment and 400 for a payment that was never paid", async () => {
    const paid = await paidPayment();
    const other = await seedPartner();
    const otherBearer = await refundToken(other);
    const response = await paybcRefund(otherBearer, {
      orderNumber: Number(paid.trnOrderId),
      pbcRefNumber: paid.partner.pbcRefNumber,
      txnAmount: 100.0,
      txnNumber: paid.pbcTxnNumber,
    });
    expect(response.status).toBe(404);
    expect(((await response.json()) as { message: string }).message).toBe("Not Found");

    const pending = await openPayment(other);
    const unpaid = await paybcRefund(otherBearer, {
      orderNumber: 1,
      pbcRefNumber: other.pbcRefNumber,
      txnAmount: 100.0,
      txnNumber: pending.pbcTxnNumber,
    });
    expect(unpaid.status).toBe(400);
    expect(((await unpaid.json()) as { errors: string[] }).errors[0]).toMatch(/PNDNG/);
  });

  it("shows refunds in camelCase keys for a camel partner, and in the REST list", async () => {
    const paid = await paidPayment({ keyStyle: "camel" });
    const bearer = await refundToken(paid.partner);
    await paybcRefund(bearer, {
      orderNumber: paid.trnOrderId,
      pbcRefNumber: paid.partner.pbcRefNumber,
      txnAmount: 25.0,
      txnNumber: paid.pbcTxnNumber,
      refundRevenue: [{ lineNumber: 2, refundAmount: 25.0 }],
    });
    const response = await getPayment(await token(paid.partner), paid.partner.pbcRefNumber, paid.pbcTxnNumber);
    const body = PaymentCamel.parse(await response.json());
    expect(body.refundedAmount).toBe(25);
    expect(body.postedRefundAmount).toBe(0);
    expect(body.refundSummary).toEqual({ status: "partial", amountAvailable: "75.00", amountRefunded: "25.00" });
    expect(body.revenue[1]?.refundGlStatus).toBe("PAID");
    expect(body.revenue[1]?.refundData[0]).toMatchObject({
      revenueAmount: 25,
      refundGlStatus: "PAID",
      refundGlErrorMessage: null,
    });
    expect(body.revenue[0]?.refundData).toEqual([]);

    const list = await listRefunds(paid.bearer, paid.partner.pbcRefNumber, paid.pbcTxnNumber);
    expect(list.status).toBe(200);
    const refunds = (await list.json()) as { refunds: Array<{ status: string; amount: string; lines: unknown[] }> };
    expect(refunds.refunds).toHaveLength(1);
    expect(refunds.refunds[0]).toMatchObject({
      status: "APPROVED",
      amount: "25.00",
      lines: [{ lineNumber: "2", amount: "25.00", refundGlStatus: "PAID" }],
    });
  });
});

afterAll(() => expectReconciled());
