import { describe, expect, it } from "vitest";
import {
  addMonths,
  archiveObjectKey,
  lastActivity,
  manifestKeyOf,
  monthSpan,
  ndjson,
  type PaymentState,
  partitionOf,
  retentionCutoff,
  unfinishedReasons,
} from "../../src/domain/archive.ts";

const FINISHED: PaymentState = {
  paymentStatus: "CMPLT",
  paidAt: "2025-01-10T19:00:00.000Z",
  lines: [{ glStatus: "PROCESSED" }, { glStatus: "PROCESSED" }],
  refunds: [{ status: "APPROVED", updatedAt: "2025-01-20T19:00:00.000Z", settledAt: "2025-01-20T19:00:00.000Z" }],
  refundLines: [{ refundStatus: "APPROVED", glStatus: "CMPLT" }],
  attempts: [{ state: "APPROVED", receiptStatus: "ERASED", updatedAt: "2025-01-10T19:00:01.000Z" }],
  webhooks: [{ status: "DELIVERED" }],
  events: [{ createdAt: "2025-01-22T17:00:00.000Z" }],
};
const CUTOFF = retentionCutoff(new Date("2026-03-01T20:00:00Z"), 13); // 2025-02-01

describe("calendar months", () => {
  it("adds and subtracts months, clamping to the month's last day", () => {
    expect(addMonths("2026-03-31", -1)).toBe("2026-02-28");
    expect(addMonths("2024-03-31", -1)).toBe("2024-02-29");
    expect(addMonths("2026-01-15", -13)).toBe("2024-12-15");
    expect(addMonths("2025-12-31", 2)).toBe("2026-02-28");
    expect(() => addMonths("soon", 1)).toThrow(RangeError);
  });

  it("the retention cut-off is a Pacific business date: late evening UTC is still the Pacific day before", () => {
    // 2026-03-01T05:00Z is 2026-02-28 21:00 PST: the cut-off counts from the 28th.
    expect(retentionCutoff(new Date("2026-03-01T05:00:00Z"), 13).date).toBe("2025-01-28");
    expect(retentionCutoff(new Date("2026-03-01T09:00:00Z"), 13).date).toBe("2025-02-01");
    // Midnight Pacific, in winter (PST, UTC-8) and summer (PDT, UTC-7).
    expect(retentionCutoff(new Date("2026-03-01T20:00:00Z"), 13).instant.toISOString()).toBe("2025-02-01T08:00:00.000Z");
    expect(retentionCutoff(new Date("2026-08-15T20:00:00Z"), 12).instant.toISOString()).toBe("2025-08-15T07:00:00.000Z");
  });

  it("a row's partition is its Pacific month, and a month spans Pacific midnights", () => {
    expect(partitionOf(new Date("2025-11-01T06:30:00Z"))).toBe("2025-10"); // 23:30 PDT on 31 October
    expect(partitionOf(new Date("2025-11-01T07:30:00Z"))).toBe("2025-11");
    const november = monthSpan("2025-11");
    expect(november.start.toISOString()).toBe("2025-11-01T07:00:00.000Z");
    expect(november.end.toISOString()).toBe("2025-12-01T08:00:00.000Z");
    expect(() => monthSpan("2025-1")).toThrow(RangeError);
  });
});

describe("keys and format", () => {
  it("names one object per run per month, and its manifest beside it", () => {
    const key = archiveObjectKey("payments", "2025-10", "3f2b8c1e-0d4a-4b7e-9c2d-5a6b7c8d9e0f");
    expect(key).toBe("archive/payments/2025/10/3f2b8c1e-0d4a-4b7e-9c2d-5a6b7c8d9e0f.ndjson.gz");
    expect(manifestKeyOf(key)).toBe("archive/payments/2025/10/3f2b8c1e-0d4a-4b7e-9c2d-5a6b7c8d9e0f.manifest.json");
    expect(() => archiveObjectKey("audit", "2025-10", "../../etc")).toThrow(RangeError);
  });

  it("NDJSON is one JSON document per line, each ended by a newline", () => {
    expect(ndjson([{ a: 1 }, { b: "x\ny" }])).toBe('{"a":1}\n{"b":"x\\ny"}\n');
    expect(ndjson([])).toBe("");
  });
});

describe("what counts as finished", () => {
  it("a CMPLT payment, every line processed, every refund posted, nothing waiting, untouched since the cut-off", () => {
    expect(unfinishedReasons(FINISHED, CUTOFF)).toEqual([]);
    expect(lastActivity(FINISHED)).toBe("2025-01-22T17:00:00.000Z");
  });

  it("each unfinished state names why", () => {
    const reasons = (change: Partial<PaymentState>) => unfinishedReasons({ ...FINISHED, ...change }, CUTOFF);
    expect(reasons({ paymentStatus: "PNDNG", paidAt: null })).toEqual(
      expect.arrayContaining(["payment is PNDNG, not CMPLT", "payment has no paid time"]),
    );
    expect(reasons({ paymentStatus: "PAID" })).toEqual(["payment is PAID, not CMPLT"]);
    expect(reasons({ lines: [{ glStatus: "PROCESSED" }, { glStatus: "REJECT" }] })).toEqual([
      "a revenue line is not PROCESSED by the ledger",
    ]);
    expect(reasons({ lines: [] })).toEqual(["a revenue line is not PROCESSED by the ledger"]);
    for (const status of ["PENDING", "UNKNOWN"]) {
      expect(reasons({ refunds: [{ status, updatedAt: "2025-01-20T19:00:00.000Z", settledAt: null }] })).toEqual([
        "a refund is waiting for the processor",
      ]);
    }
    for (const glStatus of ["NEW", "INPRG", "RJCT"]) {
      expect(reasons({ refundLines: [{ refundStatus: "APPROVED", glStatus }] })).toEqual(["a refund line is not posted (CMPLT)"]);
    }
    // A declined refund's lines are never posted: they do not hold the payment back.
    expect(reasons({ refundLines: [{ refundStatus: "DECLINED", glStatus: "NEW" }] })).toEqual([]);
    for (const state of ["OPEN", "AUTHORISING", "UNKNOWN"]) {
      expect(reasons({ attempts: [{ state, receiptStatus: null, updatedAt: "2025-01-10T19:00:00.000Z" }] })).toEqual([
        "an attempt is still in progress",
      ]);
    }
    expect(
      reasons({ attempts: [{ state: "APPROVED", receiptStatus: "REQUESTED", updatedAt: "2025-01-10T19:00:00.000Z" }] }),
    ).toEqual(["a receipt email is waiting"]);
    expect(reasons({ webhooks: [{ status: "PENDING" }] })).toEqual(["a partner notification is waiting"]);
  });

  it("recent: retention counts from the last activity, the latest of payment, posting and refunds", () => {
    // Paid long ago, but a refund settled after the cut-off keeps it.
    const refundedLate = {
      ...FINISHED,
      refunds: [{ status: "APPROVED", updatedAt: "2025-01-20T19:00:00.000Z", settledAt: "2025-02-01T08:00:00.000Z" }],
    };
    expect(unfinishedReasons(refundedLate, CUTOFF)).toEqual([
      "last activity 2025-02-01 is not before 2025-02-01 (America/Vancouver)",
    ]);
    // One millisecond before Pacific midnight is the day before.
    const justBefore = { ...FINISHED, events: [{ createdAt: "2025-02-01T07:59:59.999Z" }] };
    expect(unfinishedReasons(justBefore, CUTOFF)).toEqual([]);
  });
});
