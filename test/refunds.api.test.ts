/**
 * The REST refund resource (Idempotency-Key, refundAmountAvailable), 50 simultaneous refund
 * requests, and the processor's declines, lost answers and lookups (sandbox refund amounts).
 */

import { env } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { database } from "../src/db/client.ts";
import { createLogger } from "../src/lib/logger.ts";
import { SandboxProcessor } from "../src/processor/sandbox.ts";
import { auditRecorder } from "../src/services/audit.ts";
import { createNotifier } from "../src/services/notifications.ts";
import { REFUND_NOT_FOUND_GRACE_MS, type RefundDeps, sweepRefunds } from "../src/services/refunds.ts";
import { getPayment, postRevenue, token } from "./helpers/api.ts";
import { seedPartner } from "./helpers/portal.ts";
import { expectReconciled } from "./helpers/reconcile.ts";
import { listRefunds, type PaidPayment, paidPayment, paybcRefund, refundToken, restRefund } from "./helpers/refunds.ts";

interface RefundBody {
  refundId: string;
  status: string;
  amount: string;
  message: string | null;
  lines: Array<{ lineNumber: string; amount: string; refundGlStatus: string | null }>;
}

const key = () => crypto.randomUUID();
const refund = (paid: PaidPayment, body: unknown, idempotencyKey: string | undefined = key()) =>
  restRefund(paid.bearer, paid.partner.pbcRefNumber, paid.pbcTxnNumber, body, idempotencyKey);

async function summary(paid: PaidPayment) {
  const response = await listRefunds(paid.bearer, paid.partner.pbcRefNumber, paid.pbcTxnNumber);
  expect(response.status).toBe(200);
  return (await response.json()) as {
    refundSummary: { status: string; amountAvailable: string; amountRefunded: string };
    refunds: RefundBody[];
  };
}

function sweepDeps(now: Date): RefundDeps {
  const db = database(env.DB);
  const log = createLogger("test-refund-sweep");
  return {
    db,
    processor: new SandboxProcessor({ db }),
    audit: auditRecorder(db, { actor: "system:sweep", sourceIp: null, log }),
    notify: createNotifier({ db, queue: undefined, log }),
    log,
    now,
  };
}

describe("REST refunds", () => {
  it("refunds partly by line, then the rest without lines; GET lists both and the summary follows", async () => {
    const paid = await paidPayment();
    const first = await refund(paid, {
      amount: "25.00",
      refundAmountAvailable: "100.00",
      lines: [{ lineNumber: "2", amount: "25.00" }],
      reason: "Duplicate application",
    });
    expect(first.status).toBe(201);
    const created = (await first.json()) as RefundBody;
    expect(created).toMatchObject({
      status: "APPROVED",
      amount: "25.00",
      lines: [{ lineNumber: "2", amount: "25.00", refundGlStatus: "PAID" }],
    });

    const rest = await refund(paid, { amount: 75, refundAmountAvailable: 75 });
    expect(rest.status).toBe(201);
    expect(((await rest.json()) as RefundBody).lines).toEqual([{ lineNumber: "1", amount: "75.00", refundGlStatus: "PAID" }]);

    const list = await summary(paid);
    expect(list.refundSummary).toEqual({ status: "full", amountAvailable: "0.00", amountRefunded: "100.00" });
    expect(list.refunds.map((r) => r.amount)).toEqual(["25.00", "75.00"]);

    const more = await refund(paid, { amount: "0.01", refundAmountAvailable: "0.00" });
    expect(more.status).toBe(400);
    expect(((await more.json()) as { message: string }).message).toMatch(/exceeds the 0\.00 available/);
  });

  it("answers the same Idempotency-Key and body with the first response, and refuses the key with another body", async () => {
    const paid = await paidPayment();
    const idempotencyKey = key();
    const body = { amount: "10.00", refundAmountAvailable: "100.00" };
    const first = await refund(paid, body, idempotencyKey);
    expect(first.status).toBe(201);
    const firstBody = await first.json();
    const again = await refund(paid, body, idempotencyKey);
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(await again.json()).toEqual(firstBody);
    const other = await refund(paid, { ...body, amount: "11.00" }, idempotencyKey);
    expect(other.status).toBe(409);
    expect(((await other.json()) as { error: string }).error).toBe("idempotency_conflict");
    expect((await summary(paid)).refundSummary.amountRefunded).toBe("10.00");
  });

  it("refuses a stale refundAmountAvailable with 412 and the current amount, and a request without Idempotency-Key", async () => {
    const paid = await paidPayment();
    expect((await refund(paid, { amount: "10.00", refundAmountAvailable: "100.00" })).status).toBe(201);
    const stale = await refund(paid, { amount: "10.00", refundAmountAvailable: "100.00" });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({ error: "refund_amount_available_mismatch", refundAmountAvailable: "90.00" });
    const noKey = await refund(paid, { amount: "10.00", refundAmountAvailable: "90.00" }, "");
    expect(noKey.status).toBe(400);
    expect(((await noKey.json()) as { fields: Record<string, string> }).fields).toHaveProperty("idempotency-key");
    expect((await summary(paid)).refundSummary.amountRefunded).toBe("10.00");
  });

  it("validates the body field by field, and answers another partner's payment with 404", async () => {
    const paid = await paidPayment();
    const invalid = await refund(paid, {
      amount: "1.005",
      refundAmountAvailable: "100",
      lines: [{ lineNumber: "x", amount: "-1" }],
    });
    expect(invalid.status).toBe(400);
    expect(Object.keys(((await invalid.json()) as { fields: Record<string, string> }).fields).sort()).toEqual([
      "amount",
      "lines[0].amount",
      "lines[0].lineNumber",
    ]);
    const notJson = await refund(paid, "{");
    expect(notJson.status).toBe(400);
    const other = await seedPartner();
    const cross = await restRefund(
      await token(other),
      paid.partner.pbcRefNumber,
      paid.pbcTxnNumber,
      { amount: "1.00", refundAmountAvailable: "100.00" },
      key(),
    );
    expect(cross.status).toBe(404);
    const crossList = await listRefunds(await token(other), paid.partner.pbcRefNumber, paid.pbcTxnNumber);
    expect(crossList.status).toBe(404);
    const noToken = await restRefund("nope", paid.partner.pbcRefNumber, paid.pbcTxnNumber, "{", key());
    expect(noToken.status).toBe(401);
  });
});

describe("refunds and revenue updates", () => {
  it("keeps a refunded line's number and refunded amount through a revenue update", async () => {
    const paid = await paidPayment();
    expect(
      (await refund(paid, { amount: "25.00", refundAmountAvailable: "100.00", lines: [{ lineNumber: 2, amount: "25.00" }] }))
        .status,
    ).toBe(201);
    const line = (lineNumber: string, account: string, amount: string) => ({
      lineNumber,
      revenueAccount: account,
      revenueAmount: amount,
    });
    const shrink = await postRevenue(paid.bearer, paid.partner.pbcRefNumber, paid.pbcTxnNumber, {
      revenue: [
        line("1", "039.18ACE.14691.8928.1800000.000000.0000", "80.00"),
        line("2", "039.18ACE.14692.8928.1800000.000000.0000", "20.00"),
      ],
    });
    expect(shrink.status).toBe(409);
    expect(((await shrink.json()) as { message: string }).message).toMatch(/refunded revenue line must keep/);
    const recode = await postRevenue(paid.bearer, paid.partner.pbcRefNumber, paid.pbcTxnNumber, {
      revenue: [
        line("1", "039.18ACE.14691.8928.1800000.000000.0000", "75.00"),
        line("2", "039.18ACE.14693.8928.1800000.000000.0000", "25.00"),
      ],
    });
    expect(recode.status).toBe(200);
  });
});

describe("simultaneous refunds", () => {
  it("50 REST requests that all saw $100.00 available refund exactly once", async () => {
    const paid = await paidPayment();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => refund(paid, { amount: "60.00", refundAmountAvailable: "100.00" })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 201).every((s) => s === 412 || s === 400)).toBe(true);
    expect((await summary(paid)).refundSummary).toEqual({ status: "partial", amountAvailable: "40.00", amountRefunded: "60.00" });
  });

  it("50 different PayBC partial refunds of one line never refund more than the line", async () => {
    const paid = await paidPayment();
    const bearer = await refundToken(paid.partner);
    // 50 distinct amounts from $2.00 to $2.49: together $112.25, more than line 1's $75.00.
    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) => {
        const amount = (200 + i) / 100;
        return paybcRefund(bearer, {
          orderNumber: paid.trnOrderId,
          pbcRefNumber: paid.partner.pbcRefNumber,
          txnAmount: amount,
          txnNumber: paid.pbcTxnNumber,
          refundRevenue: [{ lineNumber: "1", refundAmount: amount }],
        });
      }),
    );
    let approvedCents = 0;
    for (const response of responses) {
      const body = (await response.json()) as { approved?: number; amount?: number; errors?: string[] };
      if (response.status === 200 && body.approved === 1) approvedCents += Math.round((body.amount as number) * 100);
      else expect(response.status, JSON.stringify(body)).toBe(400);
    }
    expect(approvedCents).toBeLessThanOrEqual(7500);
    expect(approvedCents).toBeGreaterThan(7500 - 249);
    const list = await summary(paid);
    expect(list.refundSummary.amountRefunded).toBe((approvedCents / 100).toFixed(2));
  });

  it("50 copies of the same PayBC request refund once; the others are duplicates", async () => {
    const paid = await paidPayment();
    const bearer = await refundToken(paid.partner);
    const body = {
      orderNumber: paid.trnOrderId,
      pbcRefNumber: paid.partner.pbcRefNumber,
      txnAmount: 5.0,
      txnNumber: paid.pbcTxnNumber,
    };
    const responses = await Promise.all(Array.from({ length: 50 }, () => paybcRefund(bearer, body)));
    expect(responses.filter((r) => r.status === 200)).toHaveLength(1);
    for (const response of responses.filter((r) => r.status !== 200)) {
      expect(response.status).toBe(400);
      expect(((await response.json()) as { errors: string[] }).errors).toEqual([
        "Duplicate refund - Refund has been already processed",
      ]);
    }
  });
});

describe("processor outcomes", () => {
  it("a declined refund (sandbox amount ending .91) refunds nothing, says so, and leaves the money available", async () => {
    const paid = await paidPayment();
    const bearer = await refundToken(paid.partner);
    const response = await paybcRefund(bearer, {
      orderNumber: paid.trnOrderId,
      pbcRefNumber: paid.partner.pbcRefNumber,
      txnAmount: 10.91,
      txnNumber: paid.pbcTxnNumber,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { approved: number; message: string };
    expect(body.approved).toBe(0);
    expect(body.message).toMatch(/^Declined - /);
    const query = (await (await getPayment(paid.bearer, paid.partner.pbcRefNumber, paid.pbcTxnNumber, "?keys=lower")).json()) as {
      refundedamount: number;
      refundsummary: { status: string };
      revenue: Array<{
        refundglstatus: string | null;
        refund_data: Array<{ refundglstatus: string; refundglerrormessage: string | null }>;
      }>;
    };
    expect(query.refundedamount).toBe(0);
    expect(query.refundsummary.status).toBe("available");
    expect(query.revenue[0]?.refundglstatus).toBe("DECLINED");
    expect(query.revenue[0]?.refund_data[0]?.refundglerrormessage).toMatch(/return limit/i);
    // A declined refund is not a duplicate: the same request may be made again.
    const retry = await paybcRefund(bearer, {
      orderNumber: paid.trnOrderId,
      pbcRefNumber: paid.partner.pbcRefNumber,
      txnAmount: 10.91,
      txnNumber: paid.pbcTxnNumber,
    });
    expect(retry.status).toBe(200);
  });

  it("a refund whose answer never came (.92) stays pending, holds its amount, and the sweep declines it once the processor has no record", async () => {
    const paid = await paidPayment();
    const response = await refund(paid, { amount: "20.92", refundAmountAvailable: "100.00" });
    expect(response.status).toBe(202);
    const pending = (await response.json()) as RefundBody;
    expect(pending.status).toBe("UNKNOWN");
    expect((await summary(paid)).refundSummary).toEqual({ status: "pending", amountAvailable: "79.08", amountRefunded: "0.00" });

    // Too early: "not found" is not believed yet.
    expect((await sweepRefunds(sweepDeps(new Date()))).resolved).toBe(0);
    const later = new Date(Date.now() + REFUND_NOT_FOUND_GRACE_MS + 60_000);
    await sweepRefunds(sweepDeps(later));
    const after = await summary(paid);
    expect(after.refunds[0]?.status).toBe("DECLINED");
    expect(after.refundSummary).toEqual({ status: "available", amountAvailable: "100.00", amountRefunded: "0.00" });
  });

  it("a refund made but whose answer was lost (.93) is found APPROVED by the sweep's lookup", async () => {
    const paid = await paidPayment();
    const response = await refund(paid, { amount: "30.93", refundAmountAvailable: "100.00" });
    expect(response.status).toBe(202);
    expect((await summary(paid)).refunds[0]?.status).toBe("UNKNOWN");
    const report = await sweepRefunds(sweepDeps(new Date(Date.now() + 1000)));
    expect(report.resolved).toBeGreaterThanOrEqual(1);
    const after = await summary(paid);
    expect(after.refunds[0]).toMatchObject({ status: "APPROVED", amount: "30.93" });
    expect(after.refundSummary).toEqual({ status: "partial", amountAvailable: "69.07", amountRefunded: "30.93" });
  });
});

afterAll(() => expectReconciled());
