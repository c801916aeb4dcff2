/**
 * D1 round trips of the hot requests, counted at the Worker's D1 binding (test/helpers/d1RoundTrips.ts):
 * a card submission is one batch that loads and locks, the processor call, and one outcome batch.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { API, token } from "./helpers/api.ts";
import { countingD1, SANDBOX_PROCESSOR } from "./helpers/d1RoundTrips.ts";
import { fetchCountingD1 } from "./helpers/d1RoundTripsFetch.ts";
import { pythonClientQuery } from "./helpers/independent.ts";
import {
  BASE,
  directSalePairs,
  GOOD_CARD,
  type OpenPayment,
  openPayment,
  payWith,
  randomClientIp,
  seedPartner,
} from "./helpers/portal.ts";

function cardPost(payment: OpenPayment, card: Record<string, string> = {}): Request {
  return new Request(`${BASE}${payment.cardPath}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "CF-Connecting-IP": randomClientIp(),
      Cookie: payment.cookie,
    },
    body: new URLSearchParams({ csrfToken: payment.csrfToken, ...GOOD_CARD, ...card }).toString(),
  });
}

async function paymentState(payment: OpenPayment) {
  return env.DB.prepare(
    `SELECT t.payment_status AS status, t.decline_count AS declines, t.authorising_attempt_id AS lock,
       (SELECT COUNT(*) FROM payment_events e WHERE e.transaction_id = t.id AND e.event_type = 'authorisation_started') AS started
     FROM transactions t WHERE t.pbc_txn_number = ?`,
  )
    .bind(payment.pbcTxnNumber)
    .first<{ status: string; declines: number; lock: number | null; started: number }>();
}

describe("D1 round trips", () => {
  it("a card submission that is approved takes 2: load and lock, then the outcome", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const { response, roundTrips } = await fetchCountingD1(cardPost(payment), countingD1(env.DB, { ignore: SANDBOX_PROCESSOR }));
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toContain("trnApproved=1");
    expect(roundTrips.calls).toEqual([expect.stringMatching(/^batch/), expect.stringMatching(/^batch/)]);
    expect(await paymentState(payment)).toMatchObject({ status: "PAID", lock: null, started: 1 });
  });

  it("a declined card submission takes 2 as well", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const { response, roundTrips } = await fetchCountingD1(
      cardPost(payment, { cardNumber: "4003050500040005" }),
      countingD1(env.DB, { ignore: SANDBOX_PROCESSOR }),
    );
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toContain("trnApproved=0");
    expect(roundTrips.calls).toEqual([expect.stringMatching(/^batch/), expect.stringMatching(/^batch/)]);
    expect(await paymentState(payment)).toMatchObject({ status: "PNDNG", lock: null, declines: 1, started: 1 });
  });

  it("a direct sale takes 2 on a cold isolate and 1 warm; the partner query takes 1", async () => {
    const partner = await seedPartner();
    const counter = countingD1(env.DB);
    const directSale = async () => {
      const pairs = directSalePairs(partner);
      const request = new Request(`${BASE}/public/directsale?${await pythonClientQuery(pairs, partner.apiKey)}`, {
        redirect: "manual",
      });
      const { response } = await fetchCountingD1(request, counter);
      expect(response.headers.get("Location")).toMatch(/^\/public\/pay\//);
      return { txn: pairs.find(([k]) => k === "pbcTxnNumber")?.[1] as string, calls: [...counter.calls] };
    };
    // One counter is one binding: the partner's registration is kept per binding for 60 s.
    const cold = await directSale();
    const warm = await directSale();
    expect(cold.calls).toEqual(["batch(3)", "batch(6)"]);
    expect(warm.calls).toEqual(["batch(6)"]);

    const bearer = await token(partner);
    const read = await fetchCountingD1(
      new Request(`${API}/paybc/payment/${partner.pbcRefNumber}/${warm.txn}`, { headers: { Authorization: `Bearer ${bearer}` } }),
    );
    expect(read.response.status).toBe(200);
    expect(read.roundTrips.calls).toEqual(["batch(7)"]);
  });
});

describe("what the lock itself refuses, answered from the rows its batch read", () => {
  it("a debit (VI) payment refuses a Mastercard in the page's words; nothing is locked or charged", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner, { paymentMethod: "VI" });
    const response = await payWith(payment, { cardNumber: "5100000010001004" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("For debit, use a Visa Debit card");
    expect(await paymentState(payment)).toMatchObject({ status: "PNDNG", lock: null, started: 0 });
    // The same payment takes a Visa.
    const visa = await payWith(payment);
    expect(visa.headers.get("Location")).toContain("trnApproved=1");
  });

  it("another browser's session cannot lock the payment, even with its own valid form token", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const other = await openPayment(partner);
    // The other attempt's cookie and form token, posted to this attempt's page.
    const response = await payWith({ ...payment, cookie: other.cookie, csrfToken: other.csrfToken });
    expect(response.status).toBe(403);
    expect(await paymentState(payment)).toMatchObject({ status: "PNDNG", lock: null, started: 0 });
  });

  it("an expired attempt is not locked: the page says it has expired", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    await env.DB.prepare("UPDATE payment_attempts SET expires_at = ? WHERE external_id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), payment.cardPath.split("/").pop())
      .run();
    const response = await payWith(payment);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("Your payment session has expired");
    expect(await paymentState(payment)).toMatchObject({ status: "PNDNG", lock: null, started: 0 });
  });
});
