/**
 * The Bambora adapter against the local fake of the Payments and Reporting APIs (test/fakes), reached
 * over loopback: every mapping of an answer to an outcome, the request it sends, and the rule that
 * an answer we did not get is "unknown" until lookup() finds the order.
 */
import { describe, expect, inject, it } from "vitest";
import { type BamboraOptions, BamboraProcessor } from "../src/processor/bambora.ts";
import type { AuthorisationRequest, AuthorisationResult, LookupResult } from "../src/processor/types.ts";
import {
  FAKE_API_PASSCODE,
  FAKE_CARDS,
  FAKE_MERCHANT_ID,
  FAKE_NAMES,
  FAKE_REPORT_ERROR,
  FAKE_REPORT_HANG,
  FAKE_REPORT_PASSCODE,
  FAKE_TRANSACTION_LIMIT,
} from "./fakes/bamboraFakeCards.ts";

const baseUrl = inject("bamboraUrl");
const CVD = "987";

function processor(overrides: Partial<BamboraOptions> = {}): BamboraProcessor {
  return new BamboraProcessor({
    merchantId: FAKE_MERCHANT_ID,
    apiPasscode: FAKE_API_PASSCODE,
    reportPasscode: FAKE_REPORT_PASSCODE,
    baseUrl,
    ...overrides,
  });
}

let sequence = 0;
function newOrderNumber(prefix = "T"): string {
  sequence++;
  return `${prefix}${Date.now().toString(36)}${sequence.toString(36)}${Math.random().toString(36).slice(2, 8)}`.slice(0, 30);
}

function cardRequest(
  number: string,
  overrides: { orderNumber?: string; amountCents?: number; name?: string } = {},
): AuthorisationRequest {
  return {
    orderNumber: overrides.orderNumber ?? newOrderNumber(),
    amountCents: overrides.amountCents ?? 1999,
    card: {
      kind: "card",
      number,
      expiryMonth: 5,
      expiryYear: 2030,
      name: overrides.name ?? "Test Cardholder",
      securityCode: CVD,
    },
  };
}

/** No result or message may carry the card number or security code. */
function expectNoCardData(result: AuthorisationResult | LookupResult, number: string): void {
  const json = JSON.stringify(result);
  expect(json).not.toContain(number);
  expect(json).not.toMatch(new RegExp(`(^|\\D)${CVD}(\\D|$)`));
}

async function authorise(request: AuthorisationRequest, options: Partial<BamboraOptions> = {}): Promise<AuthorisationResult> {
  const result = await processor(options).authorise(request);
  if (request.card.kind === "card") expectNoCardData(result, request.card.number);
  return result;
}

interface Captured {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
}

/** A fetch that records what the adapter sends and forwards it to the fake (or to a stub answer). */
function capturingFetch(answer?: () => Response): { fetch: typeof fetch; calls: Captured[] } {
  const calls: Captured[] = [];
  const capture: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const text = await request.clone().text();
    calls.push({ url: request.url, method: request.method, headers: request.headers, body: JSON.parse(text) });
    return answer ? answer() : fetch(request);
  };
  return { fetch: capture, calls };
}

const approvedCards: Array<[string, string, string]> = [
  ["Visa", FAKE_CARDS.approved[0], "VI"],
  ["Mastercard", FAKE_CARDS.approved[1], "MC"],
  ["Mastercard 2-series", FAKE_CARDS.approved[2], "MC"],
  ["Amex", FAKE_CARDS.approved[3], "AM"],
  ["Discover (Bambora NN)", FAKE_CARDS.approved[4], "DI"],
];

describe("authorise: approved", () => {
  it.each(approvedCards)("%s is approved with order id, auth code, card type and last four", async (_brand, number, cardType) => {
    const result = await authorise(cardRequest(number));
    expect(result).toMatchObject({ outcome: "approved", cardType, lastFour: number.slice(-4), message: "Approved" });
    if (result.outcome !== "approved") throw new Error("unreachable");
    expect(result.trnOrderId).toMatch(/^\d+$/);
    expect(result.authCode).not.toBe("");
  });

  it("pays with a single-use token", async () => {
    const result = await processor().authorise({
      orderNumber: newOrderNumber(),
      amountCents: 500,
      card: { kind: "token", token: "fake-token-approved", name: "Test Cardholder" },
    });
    expect(result).toMatchObject({ outcome: "approved", cardType: "VI" });
  });

  it("Diners Club (Bambora DI) is not called Discover, and JCB keeps its own code", async () => {
    expect(await authorise(cardRequest(FAKE_CARDS.diners))).toMatchObject({ outcome: "approved", cardType: "DN" });
    expect(await authorise(cardRequest(FAKE_CARDS.jcb))).toMatchObject({ outcome: "approved", cardType: "JB" });
  });

  it("approves the amount-limited Visa under $100.00 and declines it from $100.00", async () => {
    expect((await authorise(cardRequest(FAKE_CARDS.amountLimited, { amountCents: 9999 }))).outcome).toBe("approved");
    expect((await authorise(cardRequest(FAKE_CARDS.amountLimited, { amountCents: 10_000 }))).outcome).toBe("declined");
  });
});

describe("authorise: the request", () => {
  it("sends only what Bambora needs, with the Passcode authorisation header", async () => {
    const { fetch, calls } = capturingFetch();
    const request = cardRequest(FAKE_CARDS.approved[0], { amountCents: 1999 });
    expect((await authorise(request, { fetch })).outcome).toBe("approved");

    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.url).toBe(`${baseUrl}/v1/payments`);
    expect(call?.method).toBe("POST");
    expect(call?.headers.get("Authorization")).toBe(`Passcode ${btoa(`${FAKE_MERCHANT_ID}:${FAKE_API_PASSCODE}`)}`);
    expect(call?.headers.get("Content-Type")).toBe("application/json");
    expect(call?.body).toStrictEqual({
      order_number: request.orderNumber,
      amount: 19.99,
      payment_method: "card",
      card: {
        name: "Test Cardholder",
        number: FAKE_CARDS.approved[0],
        expiry_month: "05",
        expiry_year: "30",
        cvd: CVD,
        complete: true,
      },
    });
  });

  it("sends a token payment with the token and name only", async () => {
    const { fetch, calls } = capturingFetch();
    const orderNumber = newOrderNumber();
    await processor({ fetch }).authorise({
      orderNumber,
      amountCents: 10_000,
      card: { kind: "token", token: "fake-token-approved", name: "Test Cardholder" },
    });
    expect(calls[0]?.body).toStrictEqual({
      order_number: orderNumber,
      amount: 100,
      payment_method: "token",
      token: { name: "Test Cardholder", code: "fake-token-approved", complete: true },
    });
  });

  it.each([
    [1, 0.01],
    [5, 0.05],
    [123_456, 1234.56],
    [100_000, 1000],
  ])("sends %i cents as %s dollars", async (amountCents, dollars) => {
    const { fetch, calls } = capturingFetch();
    await authorise(cardRequest(FAKE_CARDS.approved[0], { amountCents }), { fetch });
    expect(calls[0]?.body).toMatchObject({ amount: dollars });
  });

  it("refuses, without sending anything, an order number Bambora would reject or an amount that is not whole cents", async () => {
    const { fetch, calls } = capturingFetch();
    const tooLong = await authorise(cardRequest(FAKE_CARDS.approved[0], { orderNumber: "X".repeat(31) }), { fetch });
    const fraction = await authorise(cardRequest(FAKE_CARDS.approved[0], { amountCents: 10.5 }), { fetch });
    expect(tooLong.outcome).toBe("failed");
    expect(fraction.outcome).toBe("failed");
    expect(calls).toHaveLength(0);
  });
});

describe("authorise: declined", () => {
  it.each(FAKE_CARDS.declined)("declines %s (HTTP 402, message 7) and the report shows the decline", async (number) => {
    const request = cardRequest(number);
    const result = await authorise(request);
    expect(result).toMatchObject({ outcome: "declined", message: "DECLINE" });
    // The 402 body's validation.id is the transaction id; card.card_type the brand Bambora saw.
    expect(result.outcome === "declined" && result.trnOrderId).toMatch(/^\d+$/);
    expect(result.outcome === "declined" && result.cardType).toMatch(/^(VI|MC|AM|DI)$/);

    const found = await processor().lookup(request.orderNumber);
    expect(found).toMatchObject({ outcome: "declined", message: "DECLINE" });
    expect(found.outcome === "declined" && found.trnOrderId).toMatch(/^\d+$/);
  });

  it('declines a 200 answer with approved "0"', async () => {
    const result = await authorise(cardRequest(FAKE_CARDS.approved[0], { name: FAKE_NAMES.declinedWith200 }));
    expect(result).toMatchObject({ outcome: "declined", cardType: "VI" });
    expect(result.outcome === "declined" && result.trnOrderId).toMatch(/^\d+$/);
  });

  it("reads the card type of a 402 body: a Diners decline is not reported as Discover", async () => {
    const { fetch } = capturingFetch(() =>
      Response.json(
        { code: 7, category: 1, message: "DECLINE", reference: "", validation: { id: "10000777" }, card: { card_type: "DI" } },
        { status: 402 },
      ),
    );
    expect(await authorise(cardRequest(FAKE_CARDS.approved[4]), { fetch })).toMatchObject({
      outcome: "declined",
      trnOrderId: "10000777",
      cardType: "DN",
    });
  });

  it(`refuses a purchase above the account's default $${FAKE_TRANSACTION_LIMIT} limit`, async () => {
    const result = await authorise(cardRequest(FAKE_CARDS.approved[0], { amountCents: FAKE_TRANSACTION_LIMIT * 100 + 1 }));
    expect(result.outcome).toBe("declined");
  });
});

describe("authorise: code 16 is never 'no money taken'", () => {
  it("a duplicate of an approved transaction (message 16) is unknown, and so is its lookup", async () => {
    const request = cardRequest(FAKE_CARDS.approved[0], { name: FAKE_NAMES.duplicateTransaction });
    const result = await authorise(request);
    expect(result.outcome).toBe("unknown");
    expect(result.outcome === "unknown" && result.message).toContain("(16)");
    expect((await processor().lookup(request.orderNumber)).outcome).toBe("unknown");
  });
});

describe("authorise: failed (definitely not charged)", () => {
  it("fails on HTTP 401 (wrong passcode)", async () => {
    const result = await authorise(cardRequest(FAKE_CARDS.approved[0]), { apiPasscode: "wrong-passcode" });
    expect(result.outcome).toBe("failed");
    expect(result.outcome === "failed" && result.message).toContain("HTTP 401");
  });

  it("fails on HTTP 400 (invalid card number, message 52)", async () => {
    const result = await authorise(cardRequest("4030000010001235"));
    expect(result.outcome).toBe("failed");
    expect(result.outcome === "failed" && result.message).toContain("HTTP 400");
  });

  it("fails on HTTP 404 (wrong base URL path)", async () => {
    const result = await authorise(cardRequest(FAKE_CARDS.approved[0]), { baseUrl: `${baseUrl}/wrong` });
    expect(result.outcome).toBe("failed");
  });
});

describe("authorise: unknown (maybe charged), resolved by lookup", () => {
  it("is unknown on HTTP 500; lookup finds nothing when nothing was recorded", async () => {
    const request = cardRequest(FAKE_CARDS.approved[0], { name: FAKE_NAMES.serverError });
    const result = await authorise(request);
    expect(result.outcome).toBe("unknown");
    expect(await processor().lookup(request.orderNumber)).toEqual({ outcome: "not_found" });
  });

  it("is unknown on HTTP 500 after the payment went through; lookup finds it approved", async () => {
    const request = cardRequest(FAKE_CARDS.approved[1], { name: FAKE_NAMES.serverErrorAfterApproval });
    expect((await authorise(request)).outcome).toBe("unknown");
    const found = await processor().lookup(request.orderNumber);
    expect(found).toMatchObject({ outcome: "approved", cardType: "MC", lastFour: FAKE_CARDS.approved[1].slice(-4) });
    expectNoCardData(found, FAKE_CARDS.approved[1]);
  });

  it("is unknown on HTTP 502 with an HTML body", async () => {
    expect((await authorise(cardRequest(FAKE_CARDS.approved[0], { name: FAKE_NAMES.badGateway }))).outcome).toBe("unknown");
  });

  it("is unknown when the processor never answers, and lookup then finds the approval", async () => {
    const request = cardRequest(FAKE_CARDS.approved[0], { name: FAKE_NAMES.noAnswer });
    const result = await authorise(request, { timeoutMs: 300 });
    expect(result).toEqual({ outcome: "unknown", message: "Bambora did not answer within 300 ms" });

    const found = await processor().lookup(request.orderNumber);
    expect(found).toMatchObject({ outcome: "approved", cardType: "VI", lastFour: "1234" });
    expect(found.outcome === "approved" && found.trnOrderId).toMatch(/^\d+$/);
    expect(found.outcome === "approved" && found.authCode).not.toBe("");
    expectNoCardData(found, FAKE_CARDS.approved[0]);
  });

  it("is unknown when the answer comes too late, and a retry of the same order is resolved, not charged again", async () => {
    const request = cardRequest(FAKE_CARDS.approved[1], { name: FAKE_NAMES.slowApproval });
    expect((await authorise(request, { timeoutMs: 300 })).outcome).toBe("unknown");
    const retry = await authorise(request);
    expect(retry).toMatchObject({ outcome: "approved", cardType: "MC", lastFour: "1004" });
  });

  it.each([
    ["55", FAKE_CARDS.delayed55],
    ["54", FAKE_CARDS.delayed54],
  ])(
    "the sandbox's delayed card answering %s is read (the default timeout outlasts it) and is unknown, then resolved by lookup",
    async (code, number) => {
      const request = cardRequest(number);
      const result = await authorise(request);
      // Read, not timed out: the message is Bambora's, not "did not answer".
      expect(result.outcome === "unknown" && result.message).toContain(`(${code})`);
      expect(await processor().lookup(request.orderNumber)).toMatchObject({ outcome: "declined" });
    },
  );

  it.each([
    ["56", FAKE_NAMES.code56, "approved"],
    ["190", FAKE_NAMES.code190, "not_found"],
    ["560", FAKE_NAMES.code560, "unknown"],
  ])("message %s is unknown whatever the HTTP status; lookup then says %s", async (code, name, looked) => {
    const request = cardRequest(FAKE_CARDS.approved[0], { name });
    const result = await authorise(request);
    expect(result.outcome).toBe("unknown");
    expect(result.outcome === "unknown" && result.message).toContain(`(${code})`);
    expect((await processor().lookup(request.orderNumber)).outcome).toBe(looked);
  });

  it("is unknown when Bambora cannot be reached", async () => {
    const result = await authorise(cardRequest(FAKE_CARDS.approved[0]), { baseUrl: "http://127.0.0.1:1" });
    expect(result.outcome).toBe("unknown");
  });

  it("is unknown on an unreadable 200", async () => {
    const { fetch } = capturingFetch(() => new Response("<html>ok</html>", { status: 200 }));
    expect((await authorise(cardRequest(FAKE_CARDS.approved[0]), { fetch })).outcome).toBe("unknown");
  });

  it.each([54, 55, 56, 190, 560])("message %i is unknown inside a 402, a 400 and a 200 with approved 0", async (code) => {
    for (const status of [402, 400]) {
      const { fetch } = capturingFetch(() => Response.json({ code, category: 1, message: "Timeout", reference: "" }, { status }));
      expect((await authorise(cardRequest(FAKE_CARDS.approved[0]), { fetch })).outcome).toBe("unknown");
    }
    const { fetch } = capturingFetch(() => Response.json({ id: "1", approved: "0", message_id: String(code), message: "x" }));
    expect((await authorise(cardRequest(FAKE_CARDS.approved[0]), { fetch })).outcome).toBe("unknown");
  });
});

describe("authorise: duplicate order number (788)", () => {
  it("resolves a repeated approved order to its approval, never to a failure or a decline", async () => {
    const orderNumber = newOrderNumber();
    const first = await authorise(cardRequest(FAKE_CARDS.approved[0], { orderNumber }));
    expect(first.outcome).toBe("approved");
    // Even a card that would be declined: the order was already paid.
    const again = await authorise(cardRequest(FAKE_CARDS.declined[0], { orderNumber }));
    expect(again).toMatchObject({ outcome: "approved", lastFour: "1234" });
    if (first.outcome !== "approved" || again.outcome !== "approved") throw new Error("unreachable");
    expect(again.trnOrderId).toBe(first.trnOrderId);
    expect(again.authCode).toBe(first.authCode);
  });

  it("resolves a repeated declined order to its decline", async () => {
    const orderNumber = newOrderNumber();
    expect((await authorise(cardRequest(FAKE_CARDS.declined[0], { orderNumber }))).outcome).toBe("declined");
    expect((await authorise(cardRequest(FAKE_CARDS.approved[0], { orderNumber }))).outcome).toBe("declined");
  });

  it("stays unknown when the report cannot say what happened", async () => {
    const orderNumber = newOrderNumber();
    expect((await authorise(cardRequest(FAKE_CARDS.approved[0], { orderNumber }))).outcome).toBe("approved");
    const again = await authorise(cardRequest(FAKE_CARDS.approved[0], { orderNumber }), { reportPasscode: "wrong" });
    expect(again.outcome).toBe("unknown");
  });
});

describe("lookup", () => {
  it("searches the report by order number with the reporting passcode", async () => {
    const { fetch, calls } = capturingFetch();
    const orderNumber = newOrderNumber();
    expect(await processor({ fetch }).lookup(orderNumber)).toEqual({ outcome: "not_found" });
    const [call] = calls;
    expect(call?.url).toBe(`${baseUrl}/v1/reports`);
    expect(call?.headers.get("Authorization")).toBe(`Passcode ${btoa(`${FAKE_MERCHANT_ID}:${FAKE_REPORT_PASSCODE}`)}`);
    expect(call?.body).toMatchObject({
      name: "Search",
      start_row: 1,
      criteria: [{ field: 5, operator: "%3D", value: orderNumber }],
    });
  });

  it("never falls back to the payments passcode: a wrong reporting passcode is a 401, so unknown", async () => {
    const { fetch, calls } = capturingFetch();
    const found = await processor({ fetch, reportPasscode: "" }).lookup(newOrderNumber());
    expect(found.outcome).toBe("unknown");
    expect(calls[0]?.headers.get("Authorization")).toBe(`Passcode ${btoa(`${FAKE_MERCHANT_ID}:`)}`);
  });

  it("a voided purchase is not an approval", async () => {
    const orderNumber = newOrderNumber();
    const { fetch } = capturingFetch(() =>
      Response.json({
        records: [
          { trn_id: 9, trn_type: "P", trn_order_number: orderNumber, trn_response: 1, trn_voided: 1, trn_card_type: "VI" },
        ],
      }),
    );
    expect((await processor({ fetch }).lookup(orderNumber)).outcome).toBe("declined");
  });

  it("is unknown on a report error, a hang or no connection", async () => {
    expect((await processor().lookup(newOrderNumber(FAKE_REPORT_ERROR))).outcome).toBe("unknown");
    expect((await processor({ timeoutMs: 300 }).lookup(newOrderNumber(FAKE_REPORT_HANG))).outcome).toBe("unknown");
    expect((await processor({ baseUrl: "http://127.0.0.1:1" }).lookup(newOrderNumber())).outcome).toBe("unknown");
  });

  it("never takes another order's payment for ours, even if the criterion were ignored", async () => {
    const { fetch } = capturingFetch(() =>
      Response.json({
        records: [{ trn_id: 1, trn_type: "P", trn_order_number: "someone-else", trn_response: 1, trn_card_type: "VI" }],
      }),
    );
    expect(await processor({ fetch }).lookup(newOrderNumber())).toEqual({ outcome: "not_found" });
  });

  it("prefers an approval to a decline for the same order, and ignores returns", async () => {
    const orderNumber = newOrderNumber();
    const { fetch } = capturingFetch(() =>
      Response.json({
        records: [
          { trn_id: 3, trn_type: "R", trn_order_number: orderNumber, trn_response: 1, trn_card_type: "VI" },
          {
            trn_id: 2,
            trn_type: "P",
            trn_order_number: orderNumber,
            trn_response: 1,
            trn_card_type: "MC",
            trn_masked_card: "5100xxxxxxxx1004",
            trn_approval_code: "A1",
          },
          { trn_id: 1, trn_type: "P", trn_order_number: orderNumber, trn_response: 0, trn_card_type: "MC" },
        ],
      }),
    );
    expect(await processor({ fetch }).lookup(orderNumber)).toMatchObject({
      outcome: "approved",
      trnOrderId: "2",
      authCode: "A1",
      cardType: "MC",
      lastFour: "1004",
    });
  });
});

describe("card data never comes back", () => {
  it("scrubs a card number or security code echoed in a processor message", async () => {
    const number = FAKE_CARDS.approved[0];
    const { fetch } = capturingFetch(() =>
      Response.json({ code: 52, category: 3, message: `Invalid card ${number} with cvd ${CVD}`, reference: "" }, { status: 400 }),
    );
    const result = await authorise(cardRequest(number), { fetch });
    expect(result.outcome).toBe("failed");
    expect(result.outcome === "failed" && result.message).toContain("[removed]");
  });
});
