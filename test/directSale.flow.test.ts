import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  pacificToday,
  pythonClientQuery,
  pythonClientVerifies,
  responseParams,
  typescriptClientQuery,
  typescriptClientVerifies,
} from "./helpers/independent.ts";
import { directSalePairs, get, openPayment, payWith, post, seedPartner } from "./helpers/portal.ts";

describe("direct sale end to end", () => {
  it("approves a test card and returns a signed response both deployed clients accept", async () => {
    const partner = await seedPartner({ name: "Ministry of Tests" });
    const payment = await openPayment(partner, { ref1: "order 42", ref2: "" });
    expect(payment.html).toContain("Ministry of Tests");
    expect(payment.html).toContain("$100.00 CAD");
    for (const label of [
      "Card number",
      "Expiry month",
      "Expiry year",
      "Name on card",
      "Security code",
      "Pay $100.00",
      "Email address for your receipt (optional)",
      "Cancel payment",
    ]) {
      expect(payment.html).toContain(label);
    }
    const response = await payWith(payment);
    expect(response.status).toBe(303);
    const location = response.headers.get("Location") as string;
    expect(location.startsWith("http://localhost:7002/index.html?trnApproved=1&")).toBe(true);
    expect(await pythonClientVerifies(location, partner.apiKey)).toBe(true);
    // The TypeScript client turns only the first "+" into a space, so it can verify only responses
    // without spaces (compatibility.md); this one has "order 42".
    expect(await typescriptClientVerifies(location, partner.apiKey)).toBe(false);
    expect(await pythonClientVerifies(location, "some-other-key")).toBe(false);
    const params = responseParams(location);
    expect([...params.keys()]).toEqual([
      "trnApproved",
      "trnOrderId",
      "messageText",
      "trnAmount",
      "trnDate",
      "cardType",
      "paymentMethod",
      "pbcTxnNumber",
      "paymentAuthCode",
      "ref1",
      "hashValue",
    ]);
    expect(params.get("messageText")).toBe("Approved");
    expect(params.get("trnAmount")).toBe("100.00");
    expect(params.get("cardType")).toBe("VI");
    expect(params.get("pbcTxnNumber")).toBe(payment.pbcTxnNumber);
    expect(params.get("ref1")).toBe("order 42");
    expect(params.get("trnDate")).toBe(pacificToday());

    const row = await env.DB.prepare(
      "SELECT payment_status, trn_order_id, payment_auth_code, card_type, card_last_four, paid_at FROM transactions WHERE pbc_ref_number = ? AND pbc_txn_number = ?",
    )
      .bind(partner.pbcRefNumber, payment.pbcTxnNumber)
      .first<Record<string, string>>();
    expect(row).toMatchObject({ payment_status: "PAID", card_type: "VI", card_last_four: "1234" });
    expect(row?.trn_order_id).toBe(params.get("trnOrderId"));
    expect(row?.payment_auth_code).toBe(params.get("paymentAuthCode"));

    // Back button after paying: the result, never a form that can charge again.
    const back = await get(payment.cardPath, payment.cookie);
    const html = await back.text();
    expect(html).toContain("Your payment was successful");
    expect(html).not.toContain('name="cardNumber"');
  });

  it("declines a declined test card and keeps the transaction pending for a retry", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const response = await payWith(payment, { cardNumber: "4003050500040005" });
    const location = response.headers.get("Location") as string;
    const params = responseParams(location);
    expect(params.get("trnApproved")).toBe("0");
    expect(params.get("messageText")).toBe("Declined");
    expect(params.get("paymentAuthCode")).toBe("null");
    expect(await typescriptClientVerifies(location, partner.apiKey)).toBe(true);
    expect(await pythonClientVerifies(location, partner.apiKey)).toBe(true);
    const row = await env.DB.prepare("SELECT payment_status FROM transactions WHERE pbc_ref_number = ? AND pbc_txn_number = ?")
      .bind(partner.pbcRefNumber, payment.pbcTxnNumber)
      .first<{ payment_status: string }>();
    expect(row?.payment_status).toBe("PNDNG");

    // The same pbcTxnNumber may be sent again after a decline: a new attempt on the same transaction.
    const retry = await openPayment(partner, { pbcTxnNumber: payment.pbcTxnNumber });
    const approved = await payWith(retry);
    expect(responseParams(approved.headers.get("Location") as string).get("trnApproved")).toBe("1");
    const count = await env.DB.prepare("SELECT COUNT(*) AS n FROM transactions WHERE pbc_ref_number = ? AND pbc_txn_number = ?")
      .bind(partner.pbcRefNumber, payment.pbcTxnNumber)
      .first<{ n: number }>();
    expect(count?.n).toBe(1);
  });

  it("applies the amount-dependent test card: approved under $100, declined from $100", async () => {
    const partner = await seedPartner();
    const small = await openPayment(partner, { trnAmount: "99.99", revenue: "1:039.18ACE.14691.8928.1800000.000000.0000:99.99" });
    const ok = await payWith(small, { cardNumber: "4504481742333" });
    expect(responseParams(ok.headers.get("Location") as string).get("trnApproved")).toBe("1");
    const large = await openPayment(partner);
    const no = await payWith(large, { cardNumber: "4504481742333" });
    expect(responseParams(no.headers.get("Location") as string).get("messageText")).toBe("Declined");
  });

  it("cancels with a signed Cancelled response and explains no money was taken", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const response = await post(`${payment.cardPath}/cancel`, { csrfToken: payment.csrfToken }, payment.cookie);
    const location = response.headers.get("Location") as string;
    const params = responseParams(location);
    expect(params.get("trnApproved")).toBe("0");
    expect(params.get("messageText")).toBe("Cancelled");
    expect(await pythonClientVerifies(location, partner.apiKey)).toBe(true);
    const back = await (await get(payment.cardPath, payment.cookie)).text();
    expect(back).toContain("Your payment has been cancelled");
    expect(back).toContain("No money has been taken from your account.");
  });

  it("accepts the TypeScript client's unencoded request with a redirectUri carrying its own query", async () => {
    const partner = await seedPartner();
    const today = pacificToday();
    const pairs: Array<[string, string]> = [
      ["pbcRefNumber", partner.pbcRefNumber],
      ["description", "Direct_Sale"],
      ["trnNumber", `T00000A3F${Date.now()}`],
      ["trnAmount", "30.00"],
      ["redirectUri", "http://localhost:3000/payment?path=/permits/42"],
      ["trnDate", today],
      ["glDate", today],
      ["paymentMethod", "CC"],
      ["currency", "CAD"],
      ["revenue", "1:100.22222.20244.9000.1111111.000000.0000:30.00"],
      ["ref2", "permit-42"],
    ];
    const query = await typescriptClientQuery(pairs, partner.apiKey);
    const response = await get(`/public/directsale?${query}`);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toMatch(/^\/public\/pay\//);
  });

  it("the card page never re-displays the card number or security code after an error", async () => {
    const partner = await seedPartner();
    const payment = await openPayment(partner);
    const response = await payWith(payment, { cardNumber: "4030000010001235", securityCode: "12", cardholderName: "Pat" });
    expect(response.status).toBe(400);
    const html = await response.text();
    expect(html).toContain("There is a problem");
    expect(html).toContain("Enter a valid card number");
    expect(html).toContain("Enter a valid card security code");
    expect(html).not.toContain("4030000010001235");
    expect(html).toContain('value="Pat"');
  });

  it("the Python client's request is accepted (hash over the decoded query)", async () => {
    const partner = await seedPartner();
    const pairs = directSalePairs(partner, { description: "Fee & charges: 100% / year" });
    const response = await get(`/public/directsale?${await pythonClientQuery(pairs, partner.apiKey)}`);
    expect(response.status).toBe(303);
    expect(response.headers.get("Location")).toMatch(/^\/public\/pay\//);
  });
});
