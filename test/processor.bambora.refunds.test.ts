/**
 * Bambora returns and voids against the local fake: partial returns, a same-day void, a void that is
 * too late becoming a return, each refusal code mapped, and a lost answer that stays unknown until
 * the refund's own order number is found by lookupRefund().
 */
import { describe, expect, inject, it } from "vitest";
import { BamboraProcessor } from "../src/processor/bambora.ts";
import {
  FAKE_API_PASSCODE,
  FAKE_CARDS,
  FAKE_MERCHANT_ID,
  FAKE_REFUND_ORDERS,
  FAKE_REPORT_PASSCODE,
} from "./fakes/bamboraFakeCards.ts";

const baseUrl = inject("bamboraUrl");
const processor = (timeoutMs?: number) =>
  new BamboraProcessor({
    merchantId: FAKE_MERCHANT_ID,
    apiPasscode: FAKE_API_PASSCODE,
    reportPasscode: FAKE_REPORT_PASSCODE,
    baseUrl,
    ...(timeoutMs ? { timeoutMs } : {}),
  });

let sequence = 0;
const orderNumber = (prefix = "RT") => `${prefix}${Date.now().toString(36)}${(++sequence).toString(36)}`.slice(0, 30);

async function purchase(amountCents = 10_000): Promise<string> {
  const result = await processor().authorise({
    orderNumber: orderNumber("P"),
    amountCents,
    card: {
      kind: "card",
      number: FAKE_CARDS.approved[0],
      expiryMonth: 5,
      expiryYear: 2030,
      name: "Refund Tester",
      securityCode: "123",
    },
  });
  if (result.outcome !== "approved") throw new Error(`purchase not approved: ${JSON.stringify(result)}`);
  return result.trnOrderId;
}

describe("Bambora refunds", () => {
  it("returns part of a purchase twice, then refuses more than is left (194)", async () => {
    const purchaseId = await purchase();
    const first = await processor().refund({ orderNumber: orderNumber(), purchaseId, amountCents: 2500, method: "return" });
    expect(first).toMatchObject({ outcome: "approved", method: "return" });
    const second = await processor().refund({ orderNumber: orderNumber(), purchaseId, amountCents: 7500, method: "return" });
    expect(second.outcome).toBe("approved");
    const third = await processor().refund({ orderNumber: orderNumber(), purchaseId, amountCents: 1, method: "return" });
    expect(third).toMatchObject({ outcome: "declined", code: 194 });
  });

  it("voids the whole purchase on the day, then refuses a return of a voided purchase (196)", async () => {
    const purchaseId = await purchase();
    const voided = await processor().refund({ orderNumber: orderNumber(), purchaseId, amountCents: 10_000, method: "void" });
    expect(voided).toMatchObject({ outcome: "approved", method: "void" });
    const after = await processor().refund({ orderNumber: orderNumber(), purchaseId, amountCents: 100, method: "return" });
    expect(after).toMatchObject({ outcome: "declined", code: 196 });
  });

  it("returns instead when the void is refused as too late (205), and refuses a void after a return (192)", async () => {
    const purchaseId = await purchase();
    const late = await processor().refund({
      orderNumber: orderNumber(FAKE_REFUND_ORDERS.voidTooLate),
      purchaseId,
      amountCents: 10_000,
      method: "void",
    });
    expect(late).toMatchObject({ outcome: "approved", method: "return" });
    const other = await purchase();
    await processor().refund({ orderNumber: orderNumber(), purchaseId: other, amountCents: 100, method: "return" });
    const voided = await processor().refund({
      orderNumber: orderNumber(),
      purchaseId: other,
      amountCents: 10_000,
      method: "void",
    });
    expect(voided).toMatchObject({ outcome: "declined", code: 192 });
  });

  it("maps no refund permission (812) and retry later (935) to declines that say so, and 500 to unknown", async () => {
    const purchaseId = await purchase();
    const denied = await processor().refund({
      orderNumber: orderNumber(FAKE_REFUND_ORDERS.noPermission),
      purchaseId,
      amountCents: 100,
      method: "return",
    });
    expect(denied).toMatchObject({ outcome: "declined", code: 812 });
    expect((denied as { message: string }).message).toMatch(/permission/);
    const busy = await processor().refund({
      orderNumber: orderNumber(FAKE_REFUND_ORDERS.retryLater),
      purchaseId,
      amountCents: 100,
      method: "return",
    });
    expect(busy).toMatchObject({ outcome: "declined", code: 935 });
    expect((busy as { message: string }).message).toMatch(/again in a minute/);
    const broken = await processor().refund({
      orderNumber: orderNumber(FAKE_REFUND_ORDERS.serverError),
      purchaseId,
      amountCents: 100,
      method: "return",
    });
    expect(broken.outcome).toBe("unknown");
    const wrongPasscode = new BamboraProcessor({
      merchantId: FAKE_MERCHANT_ID,
      apiPasscode: "wrong",
      reportPasscode: FAKE_REPORT_PASSCODE,
      baseUrl,
    });
    expect(
      (await wrongPasscode.refund({ orderNumber: orderNumber(), purchaseId, amountCents: 100, method: "return" })).outcome,
    ).toBe("declined");
  });

  it("a refund whose answer never came is unknown, then found approved by its order number; a resend is resolved the same way (788)", async () => {
    const purchaseId = await purchase();
    const refundOrder = orderNumber(FAKE_REFUND_ORDERS.neverAnswers);
    const lost = await processor(500).refund({ orderNumber: refundOrder, purchaseId, amountCents: 1234, method: "return" });
    expect(lost.outcome).toBe("unknown");
    const found = await processor().lookupRefund(refundOrder, purchaseId);
    expect(found).toMatchObject({ outcome: "approved", method: "return" });
    const resent = await processor().refund({ orderNumber: refundOrder, purchaseId, amountCents: 1234, method: "return" });
    expect(resent).toMatchObject({ outcome: "approved" });
    expect(await processor().lookupRefund(orderNumber(), purchaseId)).toEqual({ outcome: "not_found" });
  });
});
