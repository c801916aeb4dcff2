import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readLedgerConfig } from "../src/config.ts";
import { database } from "../src/db/client.ts";
import { detailCsvFirstChunk } from "../src/domain/journalCsv.ts";
import worker from "../src/index.ts";
import { NIGHTLY_CRON } from "../src/jobs/crons.ts";
import { createLogger } from "../src/lib/logger.ts";
import { auditRecorder } from "../src/services/audit.ts";
import { type GlPostingDeps, lastDueGlDate, type PostingStep, runGlPosting } from "../src/services/glPosting.ts";
import { loadChartOfAccounts } from "../src/services/onboarding.ts";
import { getPayment, postRevenue, token } from "./helpers/api.ts";
import { ledgerAcceptsAll } from "./helpers/ledger.ts";
import { openPayment, payWith, seedPartner, type TestPartner } from "./helpers/portal.ts";
import { expectReconciled } from "./helpers/reconcile.ts";

const GL_DATE = "2026-01-15";
const RUN_AT = new Date("2026-01-16T09:00:00Z"); // the night after: 01:00 PST on the 16th

async function paidPayments(partner: TestPartner, count: number, revenue?: string, amount = "100.00"): Promise<string[]> {
  const txns: string[] = [];
  for (let i = 0; i < count; i++) {
    const payment = await openPayment(partner, revenue ? { revenue, trnAmount: amount } : {});
    const paid = await payWith(payment);
    if (!(paid.headers.get("Location") ?? "").includes("trnApproved=1")) throw new Error("payment not approved");
    txns.push(payment.pbcTxnNumber);
  }
  // Pin the effective GL date so the test controls which night posts it.
  await env.DB.prepare("UPDATE transactions SET gl_date = ? WHERE pbc_ref_number = ?").bind(GL_DATE, partner.pbcRefNumber).run();
  return txns;
}

function deps(overrides: Partial<GlPostingDeps> = {}): GlPostingDeps {
  const db = database(env.DB);
  const log = createLogger("test-gl");
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

async function lineStates(pbcRefNumber: string) {
  const rows = await env.DB.prepare(
    `SELECT t.pbc_txn_number AS txn, t.payment_status AS status, r.line_number AS line, r.gl_status AS gl, r.gl_error_message AS message, r.journal_batch_id AS batch
     FROM revenue_lines r JOIN transactions t ON t.id = r.transaction_id WHERE t.pbc_ref_number = ? ORDER BY t.id, r.line_number`,
  )
    .bind(pbcRefNumber)
    .all<{ txn: string; status: string; line: number; gl: string; message: string | null; batch: number | null }>();
  return rows.results;
}

async function batches(pbcRefNumber: string) {
  const rows = await env.DB.prepare("SELECT * FROM journal_batches WHERE pbc_ref_number = ? ORDER BY id")
    .bind(pbcRefNumber)
    .all<Record<string, unknown>>();
  return rows.results;
}

async function objectText(key: string): Promise<string> {
  const object = await env.JOURNALS.get(key);
  if (!object) throw new Error(`missing ${key}`);
  return object.text();
}

async function sha256Of(key: string): Promise<string> {
  const object = await env.JOURNALS.get(key);
  if (!object) throw new Error(`missing ${key}`);
  // Bytes, not text(): the CSVs start with a BOM that text() would drop.
  const digest = await crypto.subtle.digest("SHA-256", await object.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("which GL dates are due", () => {
  it("a GL date is due only after its 16:00 Pacific cut-off (plus grace), winter and summer alike", () => {
    expect(lastDueGlDate(new Date("2026-01-16T00:15:00Z"))).toBe("2026-01-14"); // 16:15 PST: within grace
    expect(lastDueGlDate(new Date("2026-01-16T00:45:00Z"))).toBe("2026-01-15"); // 16:45 PST
    expect(lastDueGlDate(new Date("2025-07-15T23:45:00Z"))).toBe("2025-07-15"); // 16:45 PDT
    expect(lastDueGlDate(new Date("2025-07-15T23:15:00Z"))).toBe("2025-07-14"); // 16:15 PDT
    expect(lastDueGlDate(new Date("2026-01-16T09:00:00Z"))).toBe("2026-01-15"); // the nightly cron, 01:00 PST
    expect(lastDueGlDate(new Date("2025-07-16T09:00:00Z"))).toBe("2025-07-15"); // the nightly cron, 02:00 PDT
  });
});

describe("nightly GL posting", () => {
  it("the scheduled handler posts a balanced journal; lines stay IN PROCESS until the ledger accepts them", async () => {
    // Changed with ledger feedback (issue 17): writing the files no longer makes lines PROCESSED.
    const partner = await seedPartner({ keyStyle: "camel", name: "GL Ministry" });
    const txns = await paidPayments(partner, 3);
    const controller = createScheduledController({ scheduledTime: RUN_AT, cron: NIGHTLY_CRON });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, env, ctx);
    await waitOnExecutionContext(ctx);

    const sent = await lineStates(partner.pbcRefNumber);
    expect(sent.every((s) => s.gl === "IN PROCESS" && s.status === "PAID")).toBe(true);
    const bearer = await token(partner);
    const pending = (await (await getPayment(bearer, partner.pbcRefNumber, txns[0] as string)).json()) as Record<string, unknown>;
    expect(pending.paymentStatus).toBe("PAID");
    expect((pending.revenue as Array<{ glStatus: string }>).map((l) => l.glStatus)).toEqual(["IN PROCESS", "IN PROCESS"]);

    await ledgerAcceptsAll(partner.pbcRefNumber);
    const states = await lineStates(partner.pbcRefNumber);
    expect(states.every((s) => s.gl === "PROCESSED" && s.status === "CMPLT")).toBe(true);
    const [batch] = await batches(partner.pbcRefNumber);
    expect(batch).toMatchObject({
      gl_date: GL_DATE,
      sequence: 1,
      status: "POSTED",
      line_count: 6,
      account_count: 2,
      debit_total_cents: 30000,
      credit_total_cents: 30000,
    });

    const prefix = `journals/${GL_DATE}/${partner.pbcRefNumber}/001/`;
    const manifest = JSON.parse(await objectText(`${prefix}manifest.json`));
    expect(manifest).toMatchObject({ revenueLineCount: 6, accountCount: 2, debitTotal: "300.00", creditTotal: "300.00" });
    for (const file of Object.values(manifest.files) as Array<{ key: string; sha256: string }>) {
      expect(await sha256Of(file.key), file.key).toBe(file.sha256);
    }
    const csv = await objectText(`${prefix}journal.csv`);
    expect(csv).toContain("039.18ACE.14691.8928.1800000.000000.0000");
    expect(csv).toContain("225.00"); // 3 x 75.00 credited to the first account
    expect(csv).toContain("300.00"); // debited to cash
    const detail = await objectText(`${prefix}detail.csv`);
    for (const txn of txns) expect(detail).toContain(txn);
    expect(detail.trim().split("\r\n")).toHaveLength(7);

    // The partner service shows the new states.
    const body = (await (await getPayment(bearer, partner.pbcRefNumber, txns[0] as string)).json()) as Record<string, unknown>;
    expect(body.paymentStatus).toBe("CMPLT");
    expect((body.revenue as Array<{ glStatus: string }>).map((l) => l.glStatus)).toEqual(["PROCESSED", "PROCESSED"]);
  });

  it("a re-run posts nothing twice and overwrites nothing", async () => {
    const partner = await seedPartner();
    await paidPayments(partner, 2);
    await runGlPosting(deps());
    const before = await env.JOURNALS.list({ prefix: `journals/${GL_DATE}/${partner.pbcRefNumber}/` });
    const second = await runGlPosting(deps());
    expect(second.batchesPosted.filter((b) => b.pbcRefNumber === partner.pbcRefNumber)).toEqual([]);
    const after = await env.JOURNALS.list({ prefix: `journals/${GL_DATE}/${partner.pbcRefNumber}/` });
    expect(after.objects.map((o) => [o.key, o.etag])).toEqual(before.objects.map((o) => [o.key, o.etag]));
    expect(await batches(partner.pbcRefNumber)).toHaveLength(1);
  });

  it("GL dates not yet due are left alone, and partners without GL posting are never posted", async () => {
    const partner = await seedPartner();
    await paidPayments(partner, 1);
    await runGlPosting(deps({ now: new Date("2026-01-15T20:00:00Z") })); // noon on the GL date itself
    expect((await lineStates(partner.pbcRefNumber)).every((s) => s.gl === "NEW")).toBe(true);
    const off = await seedPartner({ glPosting: false });
    await paidPayments(off, 1);
    await runGlPosting(deps());
    expect((await lineStates(off.pbcRefNumber)).every((s) => s.gl === "NEW" && s.status === "PAID")).toBe(true);
  });

  it("an account not open in the chart is REJECTed; after a revenue update the next run posts it", async () => {
    const partner = await seedPartner({ keyStyle: "camel" });
    await loadChartOfAccounts(database(env.DB), partner.pbcRefNumber, ["039.18ACE.14691.8928.1800000.000000.0000"]);
    const [txn] = await paidPayments(partner, 1);
    await runGlPosting(deps());
    const states = await lineStates(partner.pbcRefNumber);
    expect(states.map((s) => [s.line, s.gl, s.message])).toEqual([
      [1, "IN PROCESS", null],
      [2, "REJECT", "Invalid revenue account"],
    ]);
    expect(states[0]?.status).toBe("PAID");

    const bearer = await token(partner);
    const shown = (await (await getPayment(bearer, partner.pbcRefNumber, txn as string)).json()) as {
      revenue: Array<{ glErrorMessage: string | null }>;
    };
    expect(shown.revenue[1]?.glErrorMessage).toBe("Invalid revenue account");
    // Line 1 is IN PROCESS (sent, the ledger has not answered): no update until it has.
    const refused = await postRevenue(bearer, partner.pbcRefNumber, txn as string, {
      revenue: [{ lineNumber: "1", revenueAccount: "039.18ACE.14691.8928.1800000.000000.0000", revenueAmount: "100.00" }],
    });
    expect(refused.status).toBe(409);
  });

  it("REJECT, revenue update, then the next night posts it and the payment completes", async () => {
    const partner = await seedPartner({ keyStyle: "camel" });
    await loadChartOfAccounts(database(env.DB), partner.pbcRefNumber, ["039.18ACE.14691.8928.1800000.000000.0000"]);
    const [txn] = await paidPayments(partner, 1, "1:039.18ACE.99999.8928.1800000.000000.0000:100.00");
    await runGlPosting(deps());
    expect((await lineStates(partner.pbcRefNumber)).map((s) => s.gl)).toEqual(["REJECT"]);
    expect(await batches(partner.pbcRefNumber)).toHaveLength(0);

    const bearer = await token(partner);
    const fixed = await postRevenue(bearer, partner.pbcRefNumber, txn as string, {
      revenue: [{ lineNumber: "1", revenueAccount: "039.18ACE.14691.8928.1800000.000000.0000", revenueAmount: "100.00" }],
    });
    expect(fixed.status).toBe(200);
    await runGlPosting(deps({ now: new Date(RUN_AT.getTime() + 86_400_000) }));
    expect((await lineStates(partner.pbcRefNumber)).map((s) => [s.gl, s.status])).toEqual([["IN PROCESS", "PAID"]]);
    await ledgerAcceptsAll(partner.pbcRefNumber);
    const states = await lineStates(partner.pbcRefNumber);
    expect(states.map((s) => [s.gl, s.status])).toEqual([["PROCESSED", "CMPLT"]]);
  });

  it("late lines of an already posted GL date go into a second journal, never the first", async () => {
    const partner = await seedPartner();
    await paidPayments(partner, 1);
    await runGlPosting(deps());
    await paidPayments(partner, 1);
    await runGlPosting(deps());
    const rows = await batches(partner.pbcRefNumber);
    expect(rows.map((b) => [b.sequence, b.line_count, b.status])).toEqual([
      [1, 2, "POSTED"],
      [2, 2, "POSTED"],
    ]);
    expect(await env.JOURNALS.head(`journals/${GL_DATE}/${partner.pbcRefNumber}/002/manifest.json`)).not.toBeNull();
  });

  it("two overlapping runs post each line exactly once", async () => {
    const partner = await seedPartner();
    await paidPayments(partner, 4);
    await Promise.all([runGlPosting(deps()), runGlPosting(deps()), runGlPosting(deps())]);
    const states = await lineStates(partner.pbcRefNumber);
    expect(states.every((s) => s.gl === "IN PROCESS")).toBe(true);
    const names = await env.DB.prepare("SELECT file_name FROM ledger_feeder_files WHERE pbc_ref_number = ?")
      .bind(partner.pbcRefNumber)
      .all<{ file_name: string }>();
    expect(new Set(names.results.map((row) => row.file_name)).size).toBe(names.results.length);
    const rows = await batches(partner.pbcRefNumber);
    expect(rows.reduce((sum, b) => sum + Number(b.line_count), 0)).toBe(8);
    for (const b of rows) expect(b.debit_total_cents).toBe(b.credit_total_cents);
  });

  const steps: PostingStep[] = [
    "claimed",
    "feeder-files",
    "journal.csv",
    "feeder",
    "trigger",
    "detail.csv",
    "manifest.json",
    "posted",
  ];
  for (const step of steps) {
    it(`a run that dies after "${step}" is finished by the next run: no line lost, nothing posted twice`, async () => {
      const partner = await seedPartner();
      await paidPayments(partner, 2);
      const crash = runGlPosting(
        deps({
          afterStep: (at) => {
            if (at === step) throw new Error(`injected crash after ${step}`);
          },
        }),
      );
      await expect(crash).rejects.toThrow(`injected crash after ${step}`);
      await runGlPosting(deps());
      expect((await lineStates(partner.pbcRefNumber)).every((s) => s.gl === "IN PROCESS" && s.status === "PAID")).toBe(true);
      await ledgerAcceptsAll(partner.pbcRefNumber);
      const states = await lineStates(partner.pbcRefNumber);
      expect(states.every((s) => s.gl === "PROCESSED" && s.status === "CMPLT")).toBe(true);
      const rows = await batches(partner.pbcRefNumber);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: "POSTED", line_count: 4, debit_total_cents: 20000, credit_total_cents: 20000 });
      expect(new Set(states.map((s) => s.batch))).toEqual(new Set([rows[0]?.id]));
      const manifest = JSON.parse(await objectText(`journals/${GL_DATE}/${partner.pbcRefNumber}/001/manifest.json`));
      for (const file of Object.values(manifest.files) as Array<{ key: string; sha256: string }>) {
        expect(await sha256Of(file.key)).toBe(file.sha256);
      }
    });
  }
});

// Payments made through the card page and posted by the runs above: charged = recorded = posted.
// (The volume tests below seed PAID rows directly in SQL, with no processor behind them.)
describe("reconciliation after the nightly runs", () => {
  it("finds no mismatch between the processor's record, D1 and the posted journals", () => expectReconciled());
});

describe("journal export at volume", () => {
  it("a detail file of several multipart parts is written whole and its checksum matches", async () => {
    const partner = await seedPartner();
    const ref = partner.pbcRefNumber;
    const lines = 150_000; // about 15 MB of detail rows: three 5 MiB parts and a last one
    // Seeded directly in SQL: one PAID transaction of one revenue line each.
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO transactions (pbc_ref_number, pbc_txn_number, trn_date, requested_gl_date, gl_date, description, trn_amount_cents,
         payment_method, currency, redirect_uri, payment_status, trn_order_id, paid_at, created_at, updated_at)
       SELECT ?, 'BULK' || i, '2026-01-15', '2026-01-15', '2026-01-15', 'Bulk', 1000, 'CC', 'CAD', 'http://localhost:7002/', 'PAID',
         '8' || i, '2026-01-15T20:00:00.000Z', '2026-01-15T20:00:00.000Z', '2026-01-15T20:00:00.000Z' FROM n`,
    )
      .bind(lines, ref)
      .run();
    await env.DB.prepare(
      `INSERT INTO revenue_lines (transaction_id, line_number, revenue_account, revenue_amount_cents, gl_status)
       SELECT id, 1, '039.18ACE.14691.8928.1800000.000000.0000', 1000, 'NEW' FROM transactions WHERE pbc_ref_number = ?`,
    )
      .bind(ref)
      .run();
    const report = await runGlPosting(deps());
    const batch = report.batchesPosted.find((b) => b.pbcRefNumber === ref);
    expect(batch).toMatchObject({ lines, totalCents: lines * 1000 });
    expect(report.queries).toBeLessThan(100);
    const manifest = JSON.parse(await objectText(`journals/${GL_DATE}/${ref}/001/manifest.json`));
    const detail = manifest.files["detail.csv"] as { key: string; sha256: string; size: number };
    expect(detail.size).toBeGreaterThan(3 * 5 * 1024 * 1024);
    expect(await sha256Of(detail.key)).toBe(detail.sha256);
    const text = await objectText(detail.key);
    expect(text.trim().split("\r\n")).toHaveLength(lines + 1);
  }, 120_000);

  it("a part boundary inside a multi-byte character: the bytes are exactly the rendered file", async () => {
    const partner = await seedPartner();
    const ref = partner.pbcRefNumber;
    const lines = 60_000; // about 7 MB: one full 5 MiB part and a last one
    const account = "039.18ACE.14691.8928.1800000.000000.0000";
    // Transaction numbers carry 2- and 3-byte UTF-8 characters; the first one is padded so that the
    // 5 MiB boundary falls inside a character (a UTF-8 continuation byte, 0b10xxxxxx).
    const rendered = (pad: string) =>
      new TextEncoder().encode(
        detailCsvFirstChunk(
          Array.from({ length: lines }, (_, i) => ({
            glDate: GL_DATE,
            pbcRefNumber: ref,
            pbcTxnNumber: `${i === 0 ? pad : ""}É€${i + 1}`,
            lineNumber: 1,
            revenueAccount: account,
            amountCents: 1000,
            trnOrderId: `8${i + 1}`,
            paidAt: "2026-01-15T20:00:00.000Z",
            // Seeded without a card or authorisation code: those cells are empty.
            cardBrand: "",
            cardLastFour: "",
            authCode: "",
            paidAtPacific: "2026-01-15 12:00:00 PST",
            description: "Bulk",
          })),
        ),
      );
    const PART = 5 * 1024 * 1024;
    // A pad of k bytes in the first row moves byte PART - k of the unpadded file to PART.
    const unpadded = rendered("");
    let shift = 0;
    while (((unpadded[PART - shift] as number) & 0xc0) !== 0x80) shift++;
    const pad = "x".repeat(shift);
    const expected = rendered(pad);
    expect((expected[PART] as number) & 0xc0).toBe(0x80);
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO transactions (pbc_ref_number, pbc_txn_number, trn_date, requested_gl_date, gl_date, description, trn_amount_cents,
         payment_method, currency, redirect_uri, payment_status, trn_order_id, paid_at, created_at, updated_at)
       SELECT ?, CASE WHEN i = 1 THEN ? ELSE '' END || 'É€' || i, '2026-01-15', '2026-01-15', '2026-01-15', 'Bulk', 1000, 'CC', 'CAD',
         'http://localhost:7002/', 'PAID', '8' || i, '2026-01-15T20:00:00.000Z', '2026-01-15T20:00:00.000Z', '2026-01-15T20:00:00.000Z' FROM n`,
    )
      .bind(lines, ref, pad)
      .run();
    await env.DB.prepare(
      `INSERT INTO revenue_lines (transaction_id, line_number, revenue_account, revenue_amount_cents, gl_status)
       SELECT id, 1, ?, 1000, 'NEW' FROM transactions WHERE pbc_ref_number = ?`,
    )
      .bind(account, ref)
      .run();
    await runGlPosting(deps());
    const manifest = JSON.parse(await objectText(`journals/${GL_DATE}/${ref}/001/manifest.json`));
    const detail = manifest.files["detail.csv"] as { key: string; sha256: string; size: number };
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", expected));
    const expectedSha = [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(detail.size).toBe(expected.byteLength);
    expect(detail.sha256).toBe(expectedSha);
    expect(await sha256Of(detail.key)).toBe(expectedSha);
  }, 120_000);
});
