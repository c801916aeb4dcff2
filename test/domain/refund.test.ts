import { describe, expect, it } from "vitest";
import { reconcile, type TransactionFacts } from "../../src/domain/reconciliation.ts";
import { centsFromAmount, planRefund, refundMethod, refundSummary } from "../../src/domain/refund.ts";

describe("refund amounts from JSON", () => {
  it("takes numbers and decimal strings as exact cents, refusing anything that is not whole cents", () => {
    expect(centsFromAmount(31.5)).toBe(3150);
    expect(centsFromAmount(100.0)).toBe(10000);
    expect(centsFromAmount(0.29)).toBe(29);
    expect(centsFromAmount("25.00")).toBe(2500);
    expect(centsFromAmount("25.5")).toBe(2550);
    for (const bad of [10.005, 31.50000000000001, -1, 0, Number.NaN, "1e3", " 1.00", "1.001", null, true, [], "0.00"]) {
      expect(centsFromAmount(bad), String(bad)).toBeNull();
    }
    expect(centsFromAmount("0.00", { allowZero: true })).toBe(0);
  });
});

describe("planRefund", () => {
  const lines = [
    { lineNumber: 1, amountCents: 7500, heldCents: 0 },
    { lineNumber: 2, amountCents: 2500, heldCents: 1000 },
  ];
  it("takes an amount without lines from line 1 first, each up to what is left", () => {
    expect(planRefund(lines, 8000, undefined)).toEqual({
      ok: true,
      amountCents: 8000,
      lines: [
        { lineNumber: 1, amountCents: 7500 },
        { lineNumber: 2, amountCents: 500 },
      ],
    });
  });
  it("refuses more than is left on a line or in total, unknown or repeated lines, and lines that do not add up", () => {
    expect(planRefund(lines, 9001, undefined).ok).toBe(false);
    expect(planRefund(lines, 1501, [{ lineNumber: 2, amountCents: 1501 }])).toMatchObject({ ok: false });
    expect(planRefund(lines, 100, [{ lineNumber: 3, amountCents: 100 }])).toMatchObject({ ok: false });
    expect(
      planRefund(lines, 200, [
        { lineNumber: 1, amountCents: 100 },
        { lineNumber: 1, amountCents: 100 },
      ]),
    ).toMatchObject({ ok: false });
    expect(planRefund(lines, 300, [{ lineNumber: 1, amountCents: 100 }])).toMatchObject({ ok: false });
  });
});

describe("refund summary and method", () => {
  it("says pending while a refund is in flight, full when nothing is left", () => {
    expect(refundSummary(true, 10000, 0, 0).status).toBe("available");
    expect(refundSummary(true, 10000, 2500, 0)).toEqual({
      status: "partial",
      amountAvailableCents: 7500,
      amountRefundedCents: 2500,
    });
    expect(refundSummary(true, 10000, 2500, 500).status).toBe("pending");
    expect(refundSummary(true, 10000, 10000, 0).status).toBe("full");
    expect(refundSummary(false, 10000, 0, 0)).toEqual({ status: "unavailable", amountAvailableCents: 0, amountRefundedCents: 0 });
  });
  it("voids only the whole payment on the purchase's Eastern day, before 23:30", () => {
    const paidAt = new Date("2026-03-10T15:00:00Z"); // 11:00 Eastern
    expect(refundMethod(paidAt, new Date("2026-03-10T20:00:00Z"), true)).toBe("void");
    expect(refundMethod(paidAt, new Date("2026-03-10T20:00:00Z"), false)).toBe("return");
    expect(refundMethod(paidAt, new Date("2026-03-11T03:45:00Z"), true)).toBe("return"); // 23:45 Eastern
    expect(refundMethod(paidAt, new Date("2026-03-11T05:00:00Z"), true)).toBe("return"); // next day
  });
});

describe("reconciliation of refunds", () => {
  const paid: TransactionFacts = {
    pbcRefNumber: "10006",
    pbcTxnNumber: "T1",
    paymentStatus: "PAID",
    trnAmountCents: 10000,
    linesCents: 10000,
    lineCount: 1,
    postedLineCount: 0,
    postedCents: 0,
    orderNumbers: ["PBC1"],
    awaitingOutcome: false,
    toldApprovedCents: [10000],
    refundedCents: 2500,
    postedRefundCents: 0,
    refundOrderNumbers: ["RF1"],
    refundAwaitingOutcome: false,
  };
  const purchase = { orderNumber: "PBC1", kind: "purchase" as const, amountCents: 10000, approved: true };
  it("agrees when the processor returned what D1 records as refunded", () => {
    const report = reconcile([paid], [], [purchase, { orderNumber: "RF1", kind: "return", amountCents: 2500, approved: true }]);
    expect(report.mismatches).toEqual([]);
  });
  it("finds a return D1 does not know, a refund the processor never made, and reversals above the refund", () => {
    const missing = reconcile([paid], [], [purchase]);
    expect(missing.mismatches.map((m) => m.rule)).toEqual(["returned = refunded"]);
    const stray = reconcile(
      [{ ...paid, refundedCents: 0, refundOrderNumbers: [] }],
      [],
      [purchase, { orderNumber: "RF9", kind: "void", amountCents: 10000, approved: true }],
    );
    expect(stray.mismatches.map((m) => m.rule)).toEqual(["return belongs to a refund"]);
    const over = reconcile(
      [{ ...paid, postedRefundCents: 3000 }],
      [],
      [purchase, { orderNumber: "RF1", kind: "return", amountCents: 2500, approved: true }],
    );
    expect(over.mismatches.map((m) => m.rule)).toEqual(["reversed <= refunded"]);
  });
});
