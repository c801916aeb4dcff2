/**
 * Read replication for partners (http/d1Session.ts, db/session.ts): the web service reads through a
 * D1 session, returns its bookmark in `x-d1-bookmark` and takes it back, so a partner reads its own
 * writes; writes start on the primary. Counted at the D1 binding: which session each request opened.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { API, getPayment, token } from "./helpers/api.ts";
import { countingD1 } from "./helpers/d1RoundTrips.ts";
import { fetchCountingD1 } from "./helpers/d1RoundTripsFetch.ts";
import { openPayment, payWith, seedPartner } from "./helpers/portal.ts";
import { paybcRefund, REFUND_SERVICE, refundToken } from "./helpers/refunds.ts";

const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;
const ACCOUNT_1 = "039.18ACE.14691.8928.1800000.000000.0000";
const ACCOUNT_2 = "039.18ACE.14699.8928.1800000.000000.0000";

async function paidPayment() {
  const partner = await seedPartner({ keyStyle: "camel" });
  const payment = await openPayment(partner);
  await payWith(payment);
  return { partner, pbcTxnNumber: payment.pbcTxnNumber, bearer: await token(partner) };
}

function apiRequest(bearer: string, path: string, init: { method?: string; body?: unknown; bookmark?: string } = {}) {
  const headers: Record<string, string> = { Authorization: `Bearer ${bearer}` };
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  if (init.bookmark !== undefined) headers["x-d1-bookmark"] = init.bookmark;
  return new Request(`${API}${path}`, {
    method: init.method ?? "GET",
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
}

describe("the partner query through a D1 session", () => {
  it("returns the session's bookmark and takes it back: the next query starts at least there", async () => {
    const { partner, pbcTxnNumber, bearer } = await paidPayment();
    const path = `/paybc/payment/${partner.pbcRefNumber}/${pbcTxnNumber}`;
    const first = await fetchCountingD1(apiRequest(bearer, path));
    expect(first.response.status).toBe(200);
    // No bookmark sent: any copy may answer.
    expect(first.roundTrips.sessions).toEqual(["first-unconstrained"]);
    const bookmark = first.response.headers.get("x-d1-bookmark") as string;
    expect(bookmark).toMatch(BOOKMARK);

    const second = await fetchCountingD1(apiRequest(bearer, path, { bookmark }));
    expect(second.response.status).toBe(200);
    expect(second.roundTrips.sessions).toEqual([bookmark]);
    expect(second.roundTrips.count).toBe(1);
    // Bookmarks sort oldest to newest: the answer is never older than what was sent.
    expect((second.response.headers.get("x-d1-bookmark") as string) >= bookmark).toBe(true);
  });

  it("the search reads through a session too, with the bookmark returned", async () => {
    const { bearer } = await paidPayment();
    const { response, roundTrips } = await fetchCountingD1(apiRequest(bearer, "/paybc/payments"));
    expect(response.status).toBe(200);
    expect(roundTrips.sessions).toEqual(["first-unconstrained"]);
    expect(response.headers.get("x-d1-bookmark")).toMatch(BOOKMARK);
  });

  it("a malformed bookmark is a clear 400 on every partner route, never a 500, and nothing is read", async () => {
    const { partner, pbcTxnNumber, bearer } = await paidPayment();
    const path = `/paybc/payment/${partner.pbcRefNumber}/${pbcTxnNumber}`;
    const bad = [
      "yesterday",
      "0000011b-00000004-00005006",
      "first-primary",
      `${"0".repeat(8)}-${"0".repeat(8)}-${"0".repeat(8)}-${"g".repeat(32)}`,
    ];
    for (const bookmark of bad) {
      for (const request of [
        apiRequest(bearer, path, { bookmark }),
        apiRequest(bearer, "/paybc/payments", { bookmark }),
        apiRequest(bearer, path, { method: "POST", body: { revenue: [] }, bookmark }),
        apiRequest(bearer, `${path}/refunds`, { bookmark }),
      ]) {
        const counter = countingD1(env.DB);
        const { response } = await fetchCountingD1(request, counter);
        expect([bookmark, request.method, response.status]).toEqual([bookmark, request.method, 400]);
        const body = (await response.json()) as { error: string; message: string };
        expect(body.error).toBe("invalid_request");
        expect(body.message).toContain("x-d1-bookmark");
        expect(counter.count).toBe(0);
      }
    }
    // The PayBC refund service answers in its own format.
    const refund = await exports.default.fetch(`${REFUND_SERVICE}/api/refund`, {
      method: "POST",
      headers: {
        "Bearer-Token": `Bearer ${await refundToken(partner)}`,
        "Content-Type": "application/json",
        "x-d1-bookmark": "nope",
      },
      body: "{}",
    });
    expect(refund.status).toBe(400);
    expect(((await refund.json()) as { errors: string[] }).errors[0]).toContain("x-d1-bookmark");
  });
});

describe("a partner reads its own writes", () => {
  it("a revenue correction is written on the primary; the query with its bookmark shows it", async () => {
    const { partner, pbcTxnNumber, bearer } = await paidPayment();
    const path = `/paybc/payment/${partner.pbcRefNumber}/${pbcTxnNumber}`;
    const correction = {
      revenue: [
        { lineNumber: 1, revenueAccount: ACCOUNT_1, revenueAmount: "60.00" },
        { lineNumber: 2, revenueAccount: ACCOUNT_2, revenueAmount: "40.00" },
      ],
    };
    const write = await fetchCountingD1(apiRequest(bearer, path, { method: "POST", body: correction }));
    expect(write.response.status).toBe(200);
    expect(write.roundTrips.sessions).toEqual(["first-primary"]);
    const bookmark = write.response.headers.get("x-d1-bookmark") as string;
    expect(bookmark).toMatch(BOOKMARK);

    const read = await fetchCountingD1(apiRequest(bearer, path, { bookmark }));
    expect(read.roundTrips.sessions).toEqual([bookmark]);
    const body = (await read.response.json()) as { revenue: Array<{ revenueAccount: string; revenueAmount: string }> };
    expect(body.revenue.map((line) => [line.revenueAccount, line.revenueAmount])).toEqual([
      [ACCOUNT_1, "60.00"],
      [ACCOUNT_2, "40.00"],
    ]);
  });

  it("a refund through the PayBC refund service returns a bookmark; the query with it shows the refund", async () => {
    const { partner, pbcTxnNumber, bearer } = await paidPayment();
    const paid = (await (await getPayment(bearer, partner.pbcRefNumber, pbcTxnNumber)).json()) as { trnOrderId: string };
    const refund = await paybcRefund(await refundToken(partner), {
      orderNumber: paid.trnOrderId,
      pbcRefNumber: partner.pbcRefNumber,
      txnAmount: "25.00",
      txnNumber: pbcTxnNumber,
    });
    expect(refund.status).toBe(200);
    const bookmark = refund.headers.get("x-d1-bookmark") as string;
    expect(bookmark).toMatch(BOOKMARK);
    const read = await fetchCountingD1(
      apiRequest(bearer, `/paybc/payment/${partner.pbcRefNumber}/${pbcTxnNumber}/refunds`, { bookmark }),
    );
    expect(read.response.status).toBe(200);
    expect(read.roundTrips.sessions).toEqual([bookmark]);
    const body = (await read.response.json()) as { refunds: Array<{ amount: string; status: string }> };
    expect(body.refunds.map((r) => [r.amount, r.status])).toEqual([["25.00", "APPROVED"]]);
  });

  it("the OpenAPI document names the header on every partner operation and answer", async () => {
    const doc = (await (await exports.default.fetch(`${API}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<
          string,
          { parameters?: Array<{ $ref?: string }>; responses: Record<string, { headers?: Record<string, unknown> }> }
        >
      >;
      components: { parameters: Record<string, { name: string; in: string }> };
    };
    expect(doc.components.parameters.D1Bookmark).toMatchObject({ name: "x-d1-bookmark", in: "header" });
    const operations = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/paybc/"))
      .flatMap(([, item]) => Object.values(item));
    expect(operations.length).toBeGreaterThanOrEqual(5);
    for (const operation of operations) {
      expect(operation.parameters).toContainEqual({ $ref: "#/components/parameters/D1Bookmark" });
      for (const response of Object.values(operation.responses)) expect(response.headers).toHaveProperty("x-d1-bookmark");
    }
  });
});
