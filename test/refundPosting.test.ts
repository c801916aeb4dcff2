/**
 * Reversal journals: a refund is posted on its GL date after the ledger accepted its revenue,
 * balanced to the cent, in the same files as payments (refund rows negative in the detail CSV),
 * once, under re-runs and crashes; the ledger's feedback then makes its lines CMPLT or RJCT.
 */
import { env } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { readLedgerConfig } from "../src/config.ts";
import { database } from "../src/db/client.ts";
import { formatPacificTime } from "../src/domain/businessTime.ts";
import { createLogger } from "../src/lib/logger.ts";
import { auditRecorder } from "../src/services/audit.ts";
import { type GlPostingDeps, runGlPosting } from "../src/services/glPosting.ts";
import { runRefundPosting } from "../src/services/refundPosting.ts";
import { getPayment } from "./helpers/api.ts";
import { feedbackFor, feederFiles, ledgerAcceptsAll, sendFeedback } from "./helpers/ledger.ts";
import { BASE } from "./helpers/portal.ts";
import { expectReconciled } from "./helpers/reconcile.ts";
import { type PaidPayment, paidPayment, restRefund } from "./helpers/refunds.ts";

const GL_DATE = "2026-02-16";
const RUN_AT = new Date("2026-02-17T09:00:00Z"); // the night after: 01:00 PST on the 17th
const CASH = "039.18ACE.10001.8928.1800000.000000.0000";
const LINE_2 = "039.18ACE.14692.8928.1800000.000000.0000";

function deps(overrides: Partial<GlPostingDeps> = {}): GlPostingDeps {
  const db = database(env.DB);
  const log = createLogger("test-refund-posting");
  return {
    db,
    bucket: env.JOURNALS,
    ledger: readLedgerConfig(env),
    audit: auditRecorder(db, { actor: "test", sourceIp: null, log }),
    log,
    now: RUN_AT,
    ...overrides,
  };
}

/** A paid payment and an approved $25.00 refund of its line 2, both dated GL_DATE. */
async function refunded(): Promise<PaidPayment> {
  const paid = await paidPayment();
  const response = await restRefund(
    paid.bearer,
    paid.partner.pbcRefNumber,
    paid.pbcTxnNumber,
    { amount: "25.00", refundAmountAvailable: "100.00", lines: [{ lineNumber: "2", amount: "25.00" }] },
    crypto.randomUUID(),
  );
  expect(response.status).toBe(201);
  await env.DB.prepare("UPDATE transactions SET gl_date = ? WHERE pbc_ref_number = ?")
    .bind(GL_DATE, paid.partner.pbcRefNumber)
    .run();
  await env.DB.prepare("UPDATE refunds SET gl_date = ? WHERE pbc_ref_number = ?").bind(GL_DATE, paid.partner.pbcRefNumber).run();
  return paid;
}

async function refundBatches(ref: string) {
  return (
    await env.DB.prepare("SELECT * FROM journal_batches WHERE pbc_ref_number = ? AND kind = 'refund' ORDER BY id").bind(ref).all<{
      id: number;
      status: string;
      sequence: number;
      debit_total_cents: number;
      credit_total_cents: number;
      files: string;
    }>()
  ).results;
}

async function lowerQuery(paid: PaidPayment) {
  return (await (await getPayment(paid.bearer, paid.partner.pbcRefNumber, paid.pbcTxnNumber, "?keys=lower")).json()) as {
    postedrefundamount: number;
    revenue: Array<{ refundglstatus: string | null; refund_data: Array<{ refundglstatus: string }> }>;
  };
}

describe("refund posting", () => {
  it("waits for the ledger to accept the revenue, then posts a balanced reversal once; feedback makes it CMPLT", async () => {
    const paid = await refunded();
    const ref = paid.partner.pbcRefNumber;
    // Before the payment's own journal is accepted: nothing to post (the ledger never sees a refund first).
    await runRefundPosting(deps());
    await runGlPosting(deps());
    await runRefundPosting(deps());
    expect(await refundBatches(ref)).toEqual([]);

    await ledgerAcceptsAll(ref);
    const report = await runRefundPosting(deps());
    expect(report.batchesPosted.filter((b) => b.pbcRefNumber === ref)).toHaveLength(1);
    const [batch] = await refundBatches(ref);
    expect(batch).toMatchObject({ status: "POSTED", sequence: 2, debit_total_cents: 2500, credit_total_cents: 2500 });

    const files = JSON.parse(batch?.files ?? "{}") as Record<string, { key: string }>;
    const journal = await (await env.JOURNALS.get(files["journal.csv"]?.key ?? ""))?.text();
    const journalRows = (journal ?? "").split("\r\n");
    expect(journalRows.find((row) => row.includes(LINE_2))).toMatch(/,25\.00,,Refund /);
    expect(journalRows.find((row) => row.includes(CASH))).toMatch(/,,25\.00,Cash clearing refund /);
    const detail = await (await env.JOURNALS.get(files["detail.csv"]?.key ?? ""))?.text();
    expect(detail).toContain(`,${paid.pbcTxnNumber},2,${LINE_2},-25.00,rf_`);
    // Matching the merchant statement: brand and last four (no more of the card), Pacific time, description.
    const refundRow = (detail ?? "").split("\r\n").find((row) => row.includes(`,${paid.pbcTxnNumber},2,`)) ?? "";
    const refundedAt = refundRow.split(",")[9] as string;
    expect(refundRow.split(",").slice(10)).toEqual([
      "Visa",
      "1234",
      formatPacificTime(refundedAt, { seconds: true }),
      "Direct Sale",
    ]);
    expect((detail ?? "").split("\r\n")[0]).toBe(
      "GL date,Partner,Transaction,Line,Account,Amount,Refund,Processor refund id,Order id,Refunded at," +
        "Card brand,Card last four,Refunded at (Pacific),Description",
    );
    const manifest = JSON.parse(
      (await (await env.JOURNALS.get(`${files["journal.csv"]?.key.replace("journal.csv", "manifest.json")}`))?.text()) ?? "{}",
    );
    expect(manifest).toMatchObject({ kind: "refund", debitTotal: "25.00", creditTotal: "25.00", refundLineCount: 1 });
    const sent = (await feederFiles(ref)).filter((file) => file.sourceBatchId === batch?.id);
    expect(sent).toHaveLength(1);
    expect(await env.JOURNALS.head(files[`trigger-${sent[0]?.batchType}`]?.key ?? "")).not.toBeNull();

    // Sent, not yet accepted: INPRG.
    let query = await lowerQuery(paid);
    expect(query.postedrefundamount).toBe(0);
    expect(query.revenue[1]?.refundglstatus).toBe("INPRG");

    await ledgerAcceptsAll(ref);
    query = await lowerQuery(paid);
    expect(query.postedrefundamount).toBe(25);
    expect(query.revenue[1]?.refundglstatus).toBe("CMPLT");
    expect(query.revenue[1]?.refund_data[0]?.refundglstatus).toBe("CMPLT");

    // Re-runs post nothing more.
    await runGlPosting(deps());
    await runRefundPosting(deps());
    expect(await refundBatches(ref)).toHaveLength(1);
  });

  it("a reversal the ledger rejects shows RJCT with the ledger's message", async () => {
    const paid = await refunded();
    const ref = paid.partner.pbcRefNumber;
    await runGlPosting(deps());
    await ledgerAcceptsAll(ref);
    await runRefundPosting(deps());
    const sent = (await feederFiles(ref)).filter((file) => file.status === "SENT");
    expect(sent).toHaveLength(1);
    const file = sent[0] as (typeof sent)[number];
    await sendFeedback(
      await feedbackFor(sent, { [file.id]: { batch: { code: "0101", message: "GL date in a closed period" } } }),
    );
    const query = (await (await getPayment(paid.bearer, ref, paid.pbcTxnNumber, "?keys=lower")).json()) as {
      postedrefundamount: number;
      revenue: Array<{ refundglstatus: string | null; refundglerrormessage: string | null }>;
    };
    expect(query.postedrefundamount).toBe(0);
    expect(query.revenue[1]?.refundglstatus).toBe("RJCT");
    expect(query.revenue[1]?.refundglerrormessage).toMatch(/closed period/i);
  });

  it("a run that dies between files is finished by the next, with the same bytes and one journal", async () => {
    const paid = await refunded();
    const ref = paid.partner.pbcRefNumber;
    await runGlPosting(deps());
    await ledgerAcceptsAll(ref);
    let died = false;
    await expect(
      runRefundPosting(
        deps({
          afterStep: (step) => {
            if (step === "feeder" && !died) {
              died = true;
              throw new Error("worker died");
            }
          },
        }),
      ),
    ).rejects.toThrow("worker died");
    const [claimed] = await refundBatches(ref);
    expect(claimed?.status).toBe("CLAIMED");
    expect((await lowerQuery(paid)).revenue[1]?.refundglstatus).toBe("INPRG");

    await runRefundPosting(deps({ now: new Date(RUN_AT.getTime() + 3600_000) }));
    const after = await refundBatches(ref);
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: claimed?.id, status: "POSTED", debit_total_cents: 2500, credit_total_cents: 2500 });
    expect((await feederFiles(ref)).filter((file) => file.sourceBatchId === claimed?.id)).toHaveLength(1);
    await ledgerAcceptsAll(ref);
    expect((await lowerQuery(paid)).postedrefundamount).toBe(25);
    const events = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM payment_events WHERE pbc_ref_number = ? AND event_type = 'refund_gl_posted'",
    )
      .bind(ref)
      .first<{ n: number }>();
    expect(events?.n).toBe(1);
  });
});

describe("finance views of refunds", () => {
  it("the journals API and page show the reversal journal as a negative amount and net totals", async () => {
    const paid = await refunded();
    await runGlPosting(deps());
    await ledgerAcceptsAll(paid.partner.pbcRefNumber);
    await runRefundPosting(deps());
    const headers = { Authorization: `Bearer ${env.FINANCE_TOKEN}` };
    const api = await exports.default.fetch(`${BASE}/finance/api/journals?partner=${paid.partner.pbcRefNumber}`, { headers });
    expect(api.status).toBe(200);
    const body = (await api.json()) as {
      journals: Array<{ kind: string; amount: string; status: string }>;
      totals: { revenue: string; refunds: string; net: string };
    };
    expect(body.journals.map((j) => [j.kind, j.amount, j.status]).sort()).toEqual([
      ["refund", "-25.00", "POSTED"],
      ["revenue", "100.00", "POSTED"],
    ]);
    expect(body.totals).toEqual({ revenue: "100.00", refunds: "-25.00", net: "75.00" });
    const page = await (
      await exports.default.fetch(`${BASE}/finance/journals?partner=${paid.partner.pbcRefNumber}`, { headers })
    ).text();
    expect(page).toContain("<td>Refund</td><td>-25.00</td>");
    expect(page).toContain("revenue 100.00, refunds -25.00, net 75.00 CAD");
  });
});

afterAll(() => expectReconciled());
