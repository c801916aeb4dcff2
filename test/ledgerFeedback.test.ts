/**
 * The round trip with the CAS ledger: feeder files it accepts (unique names, GA/GI, effective date)
 * and its FEEDBACK settling every line (PROCESSED / REJECT), idempotent and crash-safe.
 */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterAll, describe, expect, it } from "vitest";
import { type LedgerConfig, readLedgerConfig } from "../src/config.ts";
import { database } from "../src/db/client.ts";
import { listRejectedLines } from "../src/db/revenueLines.ts";
import worker from "../src/index.ts";
import { createLogger } from "../src/lib/logger.ts";
import { auditRecorder } from "../src/services/audit.ts";
import { type GlPostingDeps, runGlPosting } from "../src/services/glPosting.ts";
import { LEDGER_INBOX_PREFIX, processLedgerInbox } from "../src/services/ledgerFeedback.ts";
import { getPayment, postRevenue, token } from "./helpers/api.ts";
import { feedbackDeps, feedbackFor, feederFiles, feederFileText, ledgerAcceptsAll, sendFeedback } from "./helpers/ledger.ts";
import { BASE, openPayment, payWith, seedPartner, type TestPartner } from "./helpers/portal.ts";
import { expectReconciled } from "./helpers/reconcile.ts";

const HOME_1 = "039.18ACE.14691.8928.1800000.000000.0000";
const HOME_2 = "039.18ACE.14692.8928.1800000.000000.0000";
const OTHER = "112.18ACE.14691.8928.1800000.000000.0000";
const RUN_AT = new Date("2026-01-16T09:00:00Z");
const CLOSED = "GL Effective Date on the JV Detail is not within an open or future period";

async function paid(partner: TestPartner, glDate: string, revenue?: string, amount = "100.00"): Promise<string> {
  const payment = await openPayment(partner, revenue ? { revenue, trnAmount: amount } : {});
  const response = await payWith(payment);
  if (!(response.headers.get("Location") ?? "").includes("trnApproved=1")) throw new Error("payment not approved");
  await env.DB.prepare("UPDATE transactions SET gl_date = ? WHERE pbc_ref_number = ? AND pbc_txn_number = ?")
    .bind(glDate, partner.pbcRefNumber, payment.pbcTxnNumber)
    .run();
  return payment.pbcTxnNumber;
}

function posting(overrides: Partial<GlPostingDeps> = {}, ledger: Partial<LedgerConfig> = {}): GlPostingDeps {
  const db = database(env.DB);
  const log = createLogger("test-ledger");
  return {
    db,
    bucket: env.JOURNALS,
    ledger: { ...readLedgerConfig(env), ...ledger },
    audit: auditRecorder(db, { actor: "test", sourceIp: null, log }),
    log,
    now: RUN_AT,
    ...overrides,
  };
}

async function lines(pbcRefNumber: string) {
  const rows = await env.DB.prepare(
    `SELECT t.pbc_txn_number AS txn, t.payment_status AS status, r.line_number AS line, r.revenue_account AS account,
       r.gl_status AS gl, r.gl_error_code AS code, r.gl_error_message AS message, r.feeder_file_id AS file
     FROM revenue_lines r JOIN transactions t ON t.id = r.transaction_id WHERE t.pbc_ref_number = ? ORDER BY t.id, r.line_number`,
  )
    .bind(pbcRefNumber)
    .all<{
      txn: string;
      status: string;
      line: number;
      account: string;
      gl: string;
      code: string | null;
      message: string | null;
      file: number;
    }>();
  return rows.results;
}

/** JD records of a feeder file: [account digits, effective date, side]. */
function details(feeder: string): Array<{ distribution: string; effectiveDate: string; side: string }> {
  return feeder
    .split("\n")
    .filter((line) => line.slice(6, 8) === "JD")
    .map((line) => ({ distribution: line.slice(32, 82).trim(), effectiveDate: line.slice(24, 32), side: line.slice(106, 107) }));
}

describe("feeder files the ledger accepts", () => {
  it("two partners and two GL dates in one run: every file has its own UTC name, recorded in D1, and a re-run keeps them", async () => {
    const a = await seedPartner();
    const b = await seedPartner();
    for (const partner of [a, b]) {
      await paid(partner, "2026-01-14");
      await paid(partner, "2026-01-15");
    }
    const report = await runGlPosting(posting());
    const names = report.batchesPosted
      .filter((batch) => [a.pbcRefNumber, b.pbcRefNumber].includes(batch.pbcRefNumber))
      .flatMap((batch) => batch.feederFiles);
    expect(names).toHaveLength(4);
    expect(new Set(names).size).toBe(4);
    for (const name of names) expect(name).toMatch(/^INBOX\.F3535\.20260116\d{6}$/);
    const recorded = [...(await feederFiles(a.pbcRefNumber)), ...(await feederFiles(b.pbcRefNumber))].map((f) => f.fileName);
    expect(recorded.sort()).toEqual([...names].sort());
    // Each file in R2 under its name, with its trigger.
    for (const file of await feederFiles(a.pbcRefNumber)) expect(await feederFileText(file)).toContain("3535GABH");

    const namesOfA = (await feederFiles(a.pbcRefNumber)).map((f) => f.fileName);
    const again = await runGlPosting(posting());
    expect(again.batchesPosted.filter((batch) => batch.pbcRefNumber === a.pbcRefNumber)).toEqual([]);
    expect((await feederFiles(a.pbcRefNumber)).map((f) => f.fileName)).toEqual(namesOfA);
  });

  it("a crash after the names were recorded: the next run writes the same files under the same names", async () => {
    const partner = await seedPartner();
    await paid(partner, "2026-01-15");
    await expect(
      runGlPosting(
        posting({
          afterStep: (step) => {
            if (step === "feeder-files") throw new Error("crash");
          },
        }),
      ),
    ).rejects.toThrow("crash");
    const before = await feederFiles(partner.pbcRefNumber);
    expect(before).toHaveLength(1);
    await runGlPosting(posting({ now: new Date(RUN_AT.getTime() + 3_600_000) }));
    const after = await feederFiles(partner.pbcRefNumber);
    expect(after.map((f) => [f.id, f.fileName])).toEqual(before.map((f) => [f.id, f.fileName]));
    expect(await feederFileText(after[0] as never)).toContain(`PB${String(after[0]?.id).padStart(8, "0")}`);
  });

  it("GA and GI go in separate files by the accounts' client code, each balanced with its own debit", async () => {
    const partner = await seedPartner();
    await paid(partner, "2026-01-15", `1:${HOME_1}:60.00|2:${OTHER}:40.00`);
    await runGlPosting(posting());
    const files = await feederFiles(partner.pbcRefNumber);
    expect(files.map((f) => f.batchType)).toEqual(["GA", "GI"]);
    const [ga, gi] = await Promise.all(files.map((file) => feederFileText(file)));
    expect(ga?.split("\n")[0]?.startsWith("3535GABH")).toBe(true);
    expect(gi?.split("\n")[0]?.startsWith("3535GIBH")).toBe(true);
    expect(details(ga as string).map((d) => [d.distribution.slice(0, 3), d.side])).toEqual([
      ["039", "C"],
      ["039", "D"],
    ]);
    expect(details(gi as string).map((d) => [d.distribution.slice(0, 3), d.side])).toEqual([
      ["112", "C"],
      ["039", "D"],
    ]);
    const byLine = await lines(partner.pbcRefNumber);
    expect(byLine.map((l) => l.file)).toEqual([files[0]?.id, files[1]?.id]);
    // The payment completes only when the ledger has accepted both files.
    await sendFeedback(await feedbackFor([files[0] as never]));
    expect((await lines(partner.pbcRefNumber)).map((l) => [l.gl, l.status])).toEqual([
      ["PROCESSED", "PAID"],
      ["IN PROCESS", "PAID"],
    ]);
    await sendFeedback(await feedbackFor([files[1] as never]));
    expect((await lines(partner.pbcRefNumber)).map((l) => [l.gl, l.status])).toEqual([
      ["PROCESSED", "CMPLT"],
      ["PROCESSED", "CMPLT"],
    ]);
  });

  it("accounts sent in lower case by a direct sale are stored and posted upper case", async () => {
    const partner = await seedPartner();
    await paid(partner, "2026-01-15", "1:039.18ace.14691.8928.1800000.000000.0000:100.00");
    expect((await lines(partner.pbcRefNumber)).map((l) => l.account)).toEqual([HOME_1]);
    await runGlPosting(posting());
    const [file] = await feederFiles(partner.pbcRefNumber);
    expect(details(await feederFileText(file as never))[0]?.distribution).toBe(HOME_1.replaceAll(".", ""));
  });

  it("weekend and holiday GL dates are booked on the next business day; never before the open period", async () => {
    const partner = await seedPartner();
    await paid(partner, "2025-12-25"); // Christmas, a Thursday; Boxing Day is not a BC statutory holiday
    await paid(partner, "2025-12-27"); // Saturday
    await runGlPosting(posting({ now: new Date("2025-12-29T09:00:00Z") }));
    const files = await feederFiles(partner.pbcRefNumber);
    expect(files.map((f) => [f.glDate, f.effectiveDate])).toEqual([
      ["2025-12-25", "2025-12-26"],
      ["2025-12-27", "2025-12-29"],
    ]);
    expect(details(await feederFileText(files[1] as never)).every((d) => d.effectiveDate === "20251229")).toBe(true);

    const late = await seedPartner();
    await paid(late, "2026-03-30");
    await runGlPosting(posting({ now: new Date("2026-04-02T09:00:00Z") }, { openFrom: "2026-04-01" }));
    const [file] = await feederFiles(late.pbcRefNumber);
    expect(file?.effectiveDate).toBe("2026-04-01");
    const text = await feederFileText(file as never);
    expect(text.slice(13, 17)).toBe("2027"); // BH fiscal year follows the effective date
  });
});

describe("ledger feedback", () => {
  it("accepting every line: PROCESSED and CMPLT, as the partner sees it", async () => {
    const partner = await seedPartner({ keyStyle: "camel" });
    const txn = await paid(partner, "2026-01-15");
    await runGlPosting(posting());
    const outcome = await ledgerAcceptsAll(partner.pbcRefNumber);
    expect(outcome).toMatchObject({ status: "PROCESSED", problems: [], linesProcessed: 2, linesRejected: 0 });
    const view = (await (await getPayment(await token(partner), partner.pbcRefNumber, txn)).json()) as {
      paymentStatus: string;
      revenue: Array<{ glStatus: string }>;
    };
    expect(view.paymentStatus).toBe("CMPLT");
    expect(view.revenue.map((line) => line.glStatus)).toEqual(["PROCESSED", "PROCESSED"]);
  });

  it("a rejected line: REJECT with the ledger's message, revenue update, re-posted, accepted", async () => {
    const partner = await seedPartner({ keyStyle: "camel" });
    const txn = await paid(partner, "2026-01-15");
    await runGlPosting(posting());
    const [file] = await feederFiles(partner.pbcRefNumber);
    const rejectLine2 = { lines: new Map([[2, { code: "1117", message: "Distribution ACK is invalid" }]]) };
    const outcome = await sendFeedback(await feedbackFor([file as never], { [file?.id as number]: rejectLine2 }));
    expect(outcome.batches[0]).toMatchObject({ result: "PARTIAL", linesProcessed: 1, linesRejected: 1 });
    expect((await lines(partner.pbcRefNumber)).map((l) => [l.gl, l.code, l.message, l.status])).toEqual([
      ["PROCESSED", null, null, "PAID"],
      ["REJECT", "1117", "Distribution ACK is invalid", "PAID"],
    ]);
    const bearer = await token(partner);
    const shown = (await (await getPayment(bearer, partner.pbcRefNumber, txn)).json()) as {
      revenue: Array<{ glStatus: string; glErrorMessage: string | null }>;
    };
    expect(shown.revenue[1]).toMatchObject({ glStatus: "REJECT", glErrorMessage: "Distribution ACK is invalid" });
    // Finance's "needs attention" list has it.
    const rejected = await listRejectedLines(database(env.DB), { pbcRefNumber: partner.pbcRefNumber });
    expect(rejected).toMatchObject([{ pbcTxnNumber: txn, lineNumber: 2, glErrorMessage: "Distribution ACK is invalid" }]);
    const finance = { Authorization: `Bearer ${env.FINANCE_TOKEN}` };
    const api = await exports.default.fetch(`${BASE}/finance/api/rejects?partner=${partner.pbcRefNumber}`, { headers: finance });
    expect(api.status).toBe(200);
    expect(((await api.json()) as { rejects: unknown[] }).rejects).toMatchObject([
      {
        pbcRefNumber: partner.pbcRefNumber,
        partnerName: "Test Ministry",
        pbcTxnNumber: txn,
        glDate: "2026-01-15",
        lineNumber: 2,
        glErrorCode: "1117",
        glErrorMessage: "Distribution ACK is invalid",
      },
    ]);
    const page = await (
      await exports.default.fetch(`${BASE}/finance/rejects?partner=${partner.pbcRefNumber}`, { headers: finance })
    ).text();
    expect(page).toContain('<h1 class="heading-l">Needs attention</h1>');
    expect(page).toContain("1117: Distribution ACK is invalid");
    expect(page).toContain(`${partner.pbcRefNumber}<div>Test Ministry</div>`);
    expect((await exports.default.fetch(`${BASE}/finance/api/rejects?partner=x1`, { headers: finance })).status).toBe(400);
    expect((await exports.default.fetch(`${BASE}/finance/api/rejects`)).status).toBe(401);

    // Changing the accepted line is refused; correcting the rejected one (in lower case) is not.
    const changed = await postRevenue(bearer, partner.pbcRefNumber, txn, {
      revenue: [
        { lineNumber: "1", revenueAccount: HOME_1, revenueAmount: "70.00" },
        { lineNumber: "2", revenueAccount: HOME_2, revenueAmount: "30.00" },
      ],
    });
    expect(changed.status).toBe(409);
    const fixed = await postRevenue(bearer, partner.pbcRefNumber, txn, {
      revenue: [
        { lineNumber: "1", revenueAccount: HOME_1, revenueAmount: "75.00" },
        { lineNumber: "2", revenueAccount: "039.18ace.14693.8928.1800000.000000.0000", revenueAmount: "25.00" },
      ],
    });
    expect(fixed.status).toBe(200);
    expect((await lines(partner.pbcRefNumber)).map((l) => [l.gl, l.account])).toEqual([
      ["PROCESSED", HOME_1],
      ["NEW", "039.18ACE.14693.8928.1800000.000000.0000"],
    ]);
    await runGlPosting(posting({ now: new Date(RUN_AT.getTime() + 86_400_000) }));
    const resent = await feederFiles(partner.pbcRefNumber);
    expect(resent).toHaveLength(2);
    expect(resent[1]?.fileName).not.toBe(resent[0]?.fileName);
    await ledgerAcceptsAll(partner.pbcRefNumber);
    expect((await lines(partner.pbcRefNumber)).map((l) => [l.gl, l.status])).toEqual([
      ["PROCESSED", "CMPLT"],
      ["PROCESSED", "CMPLT"],
    ]);
  });

  it("a batch-level rejection rejects every line of the file", async () => {
    const partner = await seedPartner();
    await paid(partner, "2026-01-15");
    await paid(partner, "2026-01-15");
    await runGlPosting(posting());
    const [file] = await feederFiles(partner.pbcRefNumber);
    const outcome = await sendFeedback(
      await feedbackFor([file as never], {
        [file?.id as number]: { batch: { code: "0100", message: "Batch total does not balance" } },
      }),
    );
    expect(outcome.batches[0]).toMatchObject({ result: "REJECTED", linesRejected: 4, linesProcessed: 0 });
    const states = await lines(partner.pbcRefNumber);
    expect(states.every((l) => l.gl === "REJECT" && l.message === "Batch total does not balance" && l.status === "PAID")).toBe(
      true,
    );
    expect((await feederFiles(partner.pbcRefNumber))[0]?.status).toBe("REJECTED");
  });

  it("a closed-period rejection says so plainly", async () => {
    const partner = await seedPartner();
    await paid(partner, "2026-01-15");
    await runGlPosting(posting());
    const [file] = await feederFiles(partner.pbcRefNumber);
    const closed = { code: "1216", message: CLOSED };
    await sendFeedback(
      await feedbackFor([file as never], {
        [file?.id as number]: {
          lines: new Map([
            [1, closed],
            [2, closed],
            [3, closed],
          ]),
        },
      }),
    );
    const states = await lines(partner.pbcRefNumber);
    expect(states.map((l) => l.gl)).toEqual(["REJECT", "REJECT"]);
    expect(states[0]?.message).toBe(`Closed GL period: the ledger refused the effective date 2026-01-15 (${CLOSED})`);
    const audit = await env.DB.prepare("SELECT detail FROM audit_log WHERE action = 'ledger.batch_settled' AND target = ?")
      .bind(file?.fileName)
      .first<{ detail: string }>();
    expect(JSON.parse(audit?.detail ?? "{}")).toMatchObject({ status: "REJECTED", closedPeriod: true });
  });

  it("the same file twice changes nothing the second time; a second answer for a settled batch is reported", async () => {
    const partner = await seedPartner();
    await paid(partner, "2026-01-15");
    await runGlPosting(posting());
    const files = await feederFiles(partner.pbcRefNumber);
    const text = await feedbackFor(files);
    const first = await sendFeedback(text, "FEEDBACK.F3535.20260117100000");
    const before = await lines(partner.pbcRefNumber);
    const second = await sendFeedback(text, "FEEDBACK.F3535.20260117100000");
    expect(second).toMatchObject({ id: first.id, duplicate: true, linesProcessed: first.linesProcessed });
    expect(await lines(partner.pbcRefNumber)).toEqual(before);
    const rows = await env.DB.prepare("SELECT COUNT(*) AS n FROM ledger_feedback_files WHERE id = ?")
      .bind(first.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);

    // Different bytes for the same batch (a rejection after an acceptance) are not applied.
    const contrary = await feedbackFor(files, { [files[0]?.id as number]: { batch: { code: "0100", message: "No" } } });
    const third = await sendFeedback(contrary);
    expect(third.status).toBe("PROBLEMS");
    expect(third.problems.join()).toContain("already settled");
    expect(await lines(partner.pbcRefNumber)).toEqual(before);
  });

  it("a crash mid-file: the next scheduled run finishes it, applying nothing twice", async () => {
    const a = await seedPartner();
    const b = await seedPartner();
    await paid(a, "2026-01-15");
    await paid(b, "2026-01-15");
    await runGlPosting(posting());
    const files = [...(await feederFiles(a.pbcRefNumber)), ...(await feederFiles(b.pbcRefNumber))];
    const text = await feedbackFor(files);
    await expect(
      sendFeedback(text, undefined, {
        afterBatch: () => {
          throw new Error("crash after the first batch");
        },
      }),
    ).rejects.toThrow("crash after the first batch");
    expect((await lines(a.pbcRefNumber)).every((l) => l.gl === "PROCESSED")).toBe(true);
    expect((await lines(b.pbcRefNumber)).every((l) => l.gl === "IN PROCESS")).toBe(true);

    const report = await processLedgerInbox(feedbackDeps());
    expect(report.resumed).toBeGreaterThanOrEqual(1);
    const resumed = report.files.find((file) => file.batches.some((batch) => batch.pbcRefNumber === b.pbcRefNumber));
    expect(resumed?.batches.map((batch) => batch.result)).toEqual(["APPLIED_EARLIER", "ACCEPTED"]);
    for (const partner of [a, b]) {
      expect((await lines(partner.pbcRefNumber)).every((l) => l.gl === "PROCESSED" && l.status === "CMPLT")).toBe(true);
    }
  });

  it("an unknown batch or line is reported, not guessed", async () => {
    const partner = await seedPartner();
    await paid(partner, "2026-01-15");
    await runGlPosting(posting());
    const [file] = await feederFiles(partner.pbcRefNumber);
    const text = await feedbackFor([file as never]);
    const unknownBatch = text.replace(/^(GABG.{11})\d{9}/m, "$1999999999");
    const outcome = await sendFeedback(unknownBatch);
    expect(outcome).toMatchObject({ status: "PROBLEMS", batches: [] });
    expect(outcome.problems.join()).toContain("batch 999999999: not a batch this portal sent");
    const extraLine = text.replace(/^(GAJD.{13})00001/m, "$100009");
    const second = await sendFeedback(extraLine);
    expect(second.problems.join()).toMatch(/line .* 9 was not sent/);
    expect((await lines(partner.pbcRefNumber)).every((l) => l.gl === "IN PROCESS")).toBe(true);
  });

  it("files dropped in the R2 inbox are read by the scheduled run, kept, and removed from the inbox; ACKs are receipts", async () => {
    const partner = await seedPartner();
    await paid(partner, "2026-01-15");
    await runGlPosting(posting());
    const files = await feederFiles(partner.pbcRefNumber);
    await env.JOURNALS.put(`${LEDGER_INBOX_PREFIX}FEEDBACK.F3535.20260117110000`, await feedbackFor(files));
    await env.JOURNALS.put(`${LEDGER_INBOX_PREFIX}FEEDBACK.F3535.20260117110000.TRG`, "");
    await env.JOURNALS.put(`${LEDGER_INBOX_PREFIX}ACK.F3535.20260117110000`, "received");
    await env.JOURNALS.put(`${LEDGER_INBOX_PREFIX}OTHER.F9999.TRG`, "");
    const controller = createScheduledController({ scheduledTime: new Date("2026-01-17T18:05:00Z"), cron: "*/5 * * * *" });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, env, ctx);
    await waitOnExecutionContext(ctx);
    expect((await lines(partner.pbcRefNumber)).every((l) => l.gl === "PROCESSED" && l.status === "CMPLT")).toBe(true);
    const left = (await env.JOURNALS.list({ prefix: LEDGER_INBOX_PREFIX })).objects.map((o) => o.key);
    expect(left).toEqual([`${LEDGER_INBOX_PREFIX}OTHER.F9999.TRG`]);
    const kept = await env.DB.prepare(
      "SELECT kind, status, r2_key AS key FROM ledger_feedback_files WHERE file_name LIKE '%.20260117110000'",
    ).all<{ kind: string; status: string; key: string }>();
    expect(kept.results.map((r) => [r.kind, r.status]).sort()).toEqual([
      ["ACK", "PROCESSED"],
      ["FEEDBACK", "PROCESSED"],
    ]);
    for (const row of kept.results) {
      expect(await env.JOURNALS.head(row.key)).not.toBeNull();
      expect(await env.JOURNALS.head(`${row.key}.outcome.json`)).not.toBeNull();
    }
  });
});

describe("feedback in the finance pages and API", () => {
  const FINANCE = { Authorization: `Bearer ${env.FINANCE_TOKEN}` };

  it("finance staff upload a FEEDBACK file in the page; the outcome and the list show it; the journal shows the ledger's status", async () => {
    const partner = await seedPartner();
    await paid(partner, "2026-01-15");
    await runGlPosting(posting());
    const files = await feederFiles(partner.pbcRefNumber);
    const form = new FormData();
    form.set("file", new File([await feedbackFor(files)], "FEEDBACK.F3535.20260117120000"));
    const page = await exports.default.fetch(`${BASE}/finance/feedback`, { method: "POST", body: form, headers: FINANCE });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Processed FEEDBACK.F3535.20260117120000");
    expect(html).toContain("2 lines accepted (PROCESSED), 0 rejected (REJECT)");
    expect((await lines(partner.pbcRefNumber)).every((l) => l.gl === "PROCESSED")).toBe(true);

    const list = (await (await exports.default.fetch(`${BASE}/finance/api/feedback`, { headers: FINANCE })).json()) as {
      feedback: Array<{ fileName: string; status: string; receivedBy: string; linesProcessed: number }>;
    };
    expect(list.feedback.find((f) => f.fileName === "FEEDBACK.F3535.20260117120000")).toMatchObject({
      status: "PROCESSED",
      receivedBy: "finance-token",
      linesProcessed: 2,
    });
    const journals = (await (
      await exports.default.fetch(`${BASE}/finance/api/journals?partner=${partner.pbcRefNumber}`, { headers: FINANCE })
    ).json()) as { journals: Array<{ ledger: Array<{ status: string; fileName: string }> }> };
    expect(journals.journals[0]?.ledger).toMatchObject([{ status: "ACCEPTED", fileName: files[0]?.fileName }]);
  });

  it("the API takes the raw file; bad names, empty files and strangers get a clear 4xx", async () => {
    const partner = await seedPartner();
    await paid(partner, "2026-01-15");
    await runGlPosting(posting());
    const text = await feedbackFor(await feederFiles(partner.pbcRefNumber));
    const url = `${BASE}/finance/api/feedback?name=FEEDBACK.F3535.20260117130000`;
    const created = await exports.default.fetch(url, { method: "POST", body: text, headers: FINANCE });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ status: "PROCESSED", duplicate: false, linesProcessed: 2 });
    const again = await exports.default.fetch(url, { method: "POST", body: text, headers: FINANCE });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });

    const badName = await exports.default.fetch(`${BASE}/finance/api/feedback?name=INBOX.F3535.1`, {
      method: "POST",
      body: text,
      headers: FINANCE,
    });
    expect(badName.status).toBe(400);
    expect(((await badName.json()) as { message: string }).message).toContain("FEEDBACK.");
    const empty = await exports.default.fetch(`${BASE}/finance/api/feedback?name=FEEDBACK.X`, {
      method: "POST",
      body: "",
      headers: FINANCE,
    });
    expect(empty.status).toBe(400);
    const stranger = await exports.default.fetch(url, { method: "POST", body: text });
    expect(stranger.status).toBe(401);
    const form = new FormData();
    const noFile = await exports.default.fetch(`${BASE}/finance/feedback`, { method: "POST", body: form, headers: FINANCE });
    expect(noFile.status).toBe(400);
    expect(await noFile.text()).toContain("Choose the ledger&#39;s FEEDBACK or ACK file");
  });
});

// The money-integrity invariant holds through feedback, rejections, revenue updates and re-posts (issue 11).
afterAll(() => expectReconciled());
