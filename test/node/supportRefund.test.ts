/**
 * `npm run support -- refund` as support staff run it: a separate process on a local state
 * directory, refunding a paid payment through the sandbox processor, recorded with the operator's name.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { killGroup, spawnGroup, wranglerEnv } from "../../scripts/lib/devPortal.ts";
import { withPlatform } from "../../scripts/lib/platform.ts";
import { cliJson, NODE, ROOT, removeTempDirs, tempDir } from "./helpers.ts";

const CASH_ACCOUNT = "039.18ACE.10001.8928.1800000.000000.0000";
const TXN = "REG00001358";
const ORDER_ID = "10000777";

function support(args: string[], persistDir: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawnGroup(NODE, [join(ROOT, "scripts/support.ts"), ...args, "--persist-to", persistDir], {
      cwd: ROOT,
      env: wranglerEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (chunk) => (stdout += chunk));
    child.stderr?.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      killGroup(child, "SIGKILL");
      fail(new Error(`support ${args.join(" ")} did not finish in time`));
    }, 120_000);
    child.on("error", fail);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe("support refund", () => {
  let dir: string;

  beforeAll(async () => {
    dir = tempDir("paybc-support-refund-");
    // The partner through the onboarding CLI (which also applies the migrations) ...
    await cliJson(
      [
        "create",
        "--ref",
        "10009",
        "--name",
        "Ministry of Z",
        "--redirect",
        "https://z.example.ca/",
        "--cash-account",
        CASH_ACCOUNT,
      ],
      dir,
    );
    // ... and a payment the sandbox approved, as the card page would have left it.
    await withPlatform({ remote: false, persistPath: join(dir, "v3") }, async (env) => {
      const at = new Date().toISOString();
      const today = at.slice(0, 10);
      await env.DB.batch([
        env.DB.prepare(
          `INSERT INTO transactions (pbc_ref_number, pbc_txn_number, trn_date, requested_gl_date, gl_date, description,
             trn_amount_cents, payment_method, currency, redirect_uri, payment_status, trn_order_id, card_type, card_last_four,
             paid_at, created_at, updated_at)
           VALUES ('10009', ?, ?, ?, ?, 'Direct Sale', 10000, 'CC', 'CAD', 'https://z.example.ca/', 'PAID', ?, 'VI', '1234', ?, ?, ?)`,
        ).bind(TXN, today, today, today, ORDER_ID, at, at, at),
        env.DB.prepare(
          `INSERT INTO revenue_lines (transaction_id, line_number, revenue_account, revenue_amount_cents)
           SELECT id, 1, '039.18ACE.14691.8928.1800000.000000.0000', 7500 FROM transactions WHERE pbc_txn_number = ?`,
        ).bind(TXN),
        env.DB.prepare(
          `INSERT INTO revenue_lines (transaction_id, line_number, revenue_account, revenue_amount_cents)
           SELECT id, 2, '039.18ACE.14692.8928.1800000.000000.0000', 2500 FROM transactions WHERE pbc_txn_number = ?`,
        ).bind(TXN),
        env.DB.prepare(
          `INSERT INTO sandbox_ledger (kind, order_number, processor_txn_id, amount_cents, card_type, last_four, approved, message, created_at)
           VALUES ('purchase', 'PBCSUPPORTTEST', ?, 10000, 'VI', '1234', 1, 'Approved', ?)`,
        ).bind(ORDER_ID, at),
      ]);
    });
  });

  afterAll(() => removeTempDirs());

  it("refunds one line with the operator's name and reason, and refuses more than is left", async () => {
    const result = await support(
      [
        "refund",
        "--ref",
        "10009",
        "--txn",
        TXN,
        "--line",
        "2:25.00",
        "--reason",
        "Paid twice",
        "--operator",
        "Sam Support",
        "--json",
      ],
      dir,
    );
    expect(result.code, result.stderr).toBe(0);
    const body = JSON.parse(result.stdout) as {
      refund: { status: string; amount: string; reason: string };
      refundSummary: { amountAvailableCents: number };
    };
    expect(body.refund).toMatchObject({ status: "APPROVED", amount: "25.00", reason: "Paid twice" });
    expect(body.refundSummary.amountAvailableCents).toBe(7500);

    const over = await support(
      ["refund", "--ref", "10009", "--txn", TXN, "--amount", "75.01", "--reason", "Too much", "--operator", "Sam Support"],
      dir,
    );
    expect(over.code).not.toBe(0);
    expect(over.stderr).toMatch(/refund refused: .*exceeds the 75\.00 available/);

    const noReason = await support(["refund", "--ref", "10009", "--txn", TXN, "--amount", "1.00"], dir);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--reason/);

    const audit = await support(["audit", "--action", "refund.requested", "--json"], dir);
    expect(audit.code, audit.stderr).toBe(0);
    const rows = JSON.parse(audit.stdout) as Array<{ actor: string; target: string; detail: string }>;
    expect(rows.map((row) => row.actor)).toEqual(["staff:Sam Support"]);
    expect(rows[0]?.target).toBe(`10009/${TXN}`);
    expect(rows[0]?.detail).toContain("Paid twice");

    const payment = await support(["payment", "--ref", "10009", "--txn", TXN, "--json"], dir);
    const events = (JSON.parse(payment.stdout) as { events: Array<{ eventType: string }> }).events.map((e) => e.eventType);
    expect(events).toEqual(["refund_requested", "refund_approved"]);
  });

  it("refuses a payment that was archived, saying when, and refunds nothing", async () => {
    // The index row as a finished archive run leaves it (the payment's rows are gone from D1).
    await withPlatform({ remote: false, persistPath: join(dir, "v3") }, async (env) => {
      await env.DB.batch([
        env.DB.prepare(
          `INSERT INTO archive_runs (run_id, kind, partition_month, object_key, manifest_key, status, created_at, updated_at)
           VALUES ('run-old', 'payments', '2024-01', 'archive/payments/2024/01/run-old.ndjson.gz',
             'archive/payments/2024/01/run-old.manifest.json', 'DELETED', '2025-02-15T10:00:00.000Z', '2025-02-15T10:00:00.000Z')`,
        ),
        env.DB.prepare(
          `INSERT INTO archived_payments (transaction_id, pbc_ref_number, pbc_txn_number, trn_order_id, archive_run_id, record_line,
             trn_amount_cents, payment_status, trn_date, paid_date, fingerprint, state, archived_at)
           SELECT 990001, '10009', 'OLD00000001', '10000001', id, 1, 10000, 'CMPLT', '2024-01-10', '2024-01-10', 'f', 'ARCHIVED',
             '2025-02-15T10:00:00.000Z' FROM archive_runs WHERE run_id = 'run-old'`,
        ),
      ]);
    });
    const result = await support(
      ["refund", "--ref", "10009", "--txn", "OLD00000001", "--amount", "10.00", "--reason", "Late", "--operator", "Sam Support"],
      dir,
    );
    expect(result.code).not.toBe(0);
    // 10:00 UTC on 15 February is 02:00 in Vancouver: the same Pacific date.
    expect(result.stderr).toContain(
      "refund refused: This payment was archived on 2025-02-15 (more than 12 months after it was finished) and can no longer be refunded through the portal",
    );
    const refunds = await withPlatform({ remote: false, persistPath: join(dir, "v3") }, (env) =>
      env.DB.prepare("SELECT COUNT(*) AS n FROM refunds WHERE pbc_txn_number = 'OLD00000001'").first<{ n: number }>(),
    );
    expect(refunds?.n).toBe(0);
  });

  it("sends refund lines the ledger rejected again (repost-refunds), audited", async () => {
    const state = (sql: string) =>
      withPlatform({ remote: false, persistPath: join(dir, "v3") }, (env) => env.DB.prepare(sql).all<{ gl_status: string }>());
    // As the ledger's feedback would have left the reversal of the refund above.
    await state(
      "UPDATE refund_lines SET gl_status = 'RJCT', gl_error_message = 'GL date in a closed period', journal_batch_id = 1",
    );
    const result = await support(["repost-refunds", "--ref", "10009", "--txn", TXN, "--operator", "Sam Support", "--json"], dir);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ reposted: 1 });
    expect((await state("SELECT gl_status FROM refund_lines")).results.map((row) => row.gl_status)).toEqual(["NEW"]);
    const audit = await support(["audit", "--action", "refund.repost", "--json"], dir);
    expect((JSON.parse(audit.stdout) as Array<{ actor: string }>).map((row) => row.actor)).toEqual(["staff:Sam Support"]);
  });
});
