/**
 * `npm run support -- payment` as support staff run it, on a local state directory holding a payment
 * that was declined once, paid, posted and accepted by the ledger, refunded twice (one reversal the
 * ledger rejected, one still waiting for the nightly run), notified to the partner (delivered after a
 * retry, dead, pending) and whose receipt email is still being retried. The rows are what the card
 * page, the nightly posting, the ledger's feedback and the webhook consumer leave; the times are in
 * November 2025 (PST in every tz database).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withPlatform } from "../../scripts/lib/platform.ts";
import type { PaymentHistory } from "../../src/services/paymentHistory.ts";
import { cliJson, removeTempDirs, runCli, tempDir } from "./helpers.ts";

const REF = "10009";
const TXN = "REG00001358";
const LINE_1 = "039.18ACE.14691.8928.1800000.000000.0000";
const LINE_2 = "039.18ACE.14692.8928.1800000.000000.0000";
const FEEDER_1 = "INBOX.F3535.20251129090001";
const FEEDER_2 = "INBOX.F3535.20251201090001";

const file = (key: string) => JSON.stringify({ key, sha256: "0".repeat(64), size: 100 });
const journalFiles = (prefix: string, feeder: string) =>
  `{"journal.csv":${file(`${prefix}journal.csv`)},"feeder-GA":${file(`${prefix}${feeder}`)},` +
  `"trigger-GA":${file(`${prefix}${feeder}.TRG`)},"detail.csv":${file(`${prefix}detail.csv`)}}`;

const FIXTURE = [
  `INSERT INTO transactions (id, pbc_ref_number, pbc_txn_number, trn_date, requested_gl_date, gl_date, description,
     trn_amount_cents, payment_method, currency, redirect_uri, payment_status, trn_order_id, payment_auth_code, card_type,
     card_last_four, paid_at, decline_count, created_at, updated_at)
   VALUES (1, '${REF}', '${TXN}', '2025-11-28', '2025-11-28', '2025-11-28', 'Business licence', 10000, 'CC', 'CAD',
     'https://z.example.ca/', 'CMPLT', '10000777', 'TEST01', 'VI', '1234', '2025-11-28T18:15:00.000Z', 1,
     '2025-11-28T18:05:00.000Z', '2025-11-29T17:30:00.000Z')`,
  `INSERT INTO payment_attempts (id, external_id, transaction_id, attempt_number, state, link_token_hash, order_number,
     expires_at, created_at, updated_at, receipt_email, receipt_language, receipt_status, receipt_updated_at)
   VALUES (1, 'att_1', 1, 1, 'DECLINED', 'hash1', 'PBC0001', '2025-11-28T18:35:00.000Z', '2025-11-28T18:05:00.000Z',
     '2025-11-28T18:10:00.000Z', NULL, 'en', 'ERASED', '2025-11-28T18:40:00.000Z'),
     (2, 'att_2', 1, 2, 'APPROVED', 'hash2', 'PBC0002', '2025-11-28T18:45:00.000Z', '2025-11-28T18:12:00.000Z',
     '2025-11-28T18:15:00.000Z', 'jane.doe@example.com', 'en', 'REQUESTED', '2025-11-28T18:20:00.000Z')`,
  `INSERT INTO payment_events (transaction_id, attempt_id, attempt_number, pbc_ref_number, pbc_txn_number, event_type, detail, created_at)
   VALUES (1, 1, 1, '${REF}', '${TXN}', 'declined', '{"message":"DECLINE"}', '2025-11-28T18:10:00.000Z'),
     (1, 2, 2, '${REF}', '${TXN}', 'approved', '{"cardType":"VI","lastFour":"1234"}', '2025-11-28T18:15:00.000Z')`,
  // Posted on the night of 28 November, accepted by the ledger the next morning.
  `INSERT INTO journal_batches (id, pbc_ref_number, gl_date, sequence, status, line_count, account_count,
     debit_total_cents, credit_total_cents, files, claimed_at, posted_at, kind)
   VALUES (1, '${REF}', '2025-11-28', 1, 'POSTED', 2, 2, 10000, 10000,
     '${journalFiles(`journals/2025-11-28/${REF}/001/`, FEEDER_1)}', '2025-11-29T09:00:00.000Z', '2025-11-29T09:00:05.000Z', 'revenue'),
     (2, '${REF}', '2025-11-30', 1, 'POSTED', 1, 1, 2500, 2500,
     '${journalFiles(`journals/2025-11-30/${REF}/001/`, FEEDER_2)}', '2025-12-01T09:00:00.000Z', '2025-12-01T09:00:04.000Z', 'refund')`,
  `INSERT INTO ledger_feedback_files (id, file_name, kind, sha256, size, r2_key, source, received_by, status, received_at, processed_at)
   VALUES (1, 'FEEDBACK.F3535.20251129172900', 'FEEDBACK', '${"1".repeat(64)}', 300, 'ledger-feedback/1', 'inbox', 'ledger',
     'PROCESSED', '2025-11-29T17:29:00.000Z', '2025-11-29T17:30:00.000Z'),
     (2, 'FEEDBACK.F3535.20251201175900', 'FEEDBACK', '${"2".repeat(64)}', 300, 'ledger-feedback/2', 'upload', 'finance',
     'PROCESSED', '2025-12-01T17:59:00.000Z', '2025-12-01T18:00:00.000Z')`,
  `INSERT INTO ledger_feeder_files (id, journal_kind, source_batch_id, pbc_ref_number, gl_date, effective_date, batch_type,
     feeder_number, ministry_prefix, file_name, journal, total_cents, line_count, status, feedback_file_id, created_at, settled_at)
   VALUES (1, 'payment', 1, '${REF}', '2025-11-28', '2025-11-28', 'GA', '3535', 'PB', '${FEEDER_1}', '{}', 10000, 2,
     'ACCEPTED', 1, '2025-11-29T09:00:01.000Z', '2025-11-29T17:30:00.000Z'),
     (2, 'refund', 2, '${REF}', '2025-11-30', '2025-12-01', 'GA', '3535', 'PB', '${FEEDER_2}', '{}', 2500, 1,
     'REJECTED', 2, '2025-12-01T09:00:01.000Z', '2025-12-01T18:00:00.000Z')`,
  `INSERT INTO revenue_lines (transaction_id, line_number, revenue_account, revenue_amount_cents, gl_status, journal_batch_id, feeder_file_id)
   VALUES (1, 1, '${LINE_1}', 7500, 'PROCESSED', 1, 1), (1, 2, '${LINE_2}', 2500, 'PROCESSED', 1, 1)`,
  // Two refunds: line 2 in full (reversal rejected by the ledger), then 10.00 of line 1 (not posted yet).
  `INSERT INTO refunds (id, external_id, transaction_id, pbc_ref_number, pbc_txn_number, order_number, amount_cents, status,
     method, processor_refund_id, processor_message, channel, requested_by, reason, request_fingerprint, business_date,
     gl_date, gl_after_cutoff, created_at, updated_at, settled_at)
   VALUES (1, 'rfd_first', 1, '${REF}', '${TXN}', 'PBCR0001', 2500, 'APPROVED', 'return', '10000778', 'Approved', 'support',
     'staff:Sam Support', 'Paid twice', 'fp1', '2025-11-30', '2025-11-30', 0, '2025-11-30T19:00:00.000Z',
     '2025-11-30T19:00:02.000Z', '2025-11-30T19:00:02.000Z'),
     (2, 'rfd_second', 1, '${REF}', '${TXN}', 'PBCR0002', 1000, 'APPROVED', 'return', '10000779', 'Approved', 'api',
     'partner:${REF}', NULL, 'fp2', '2025-12-02', '2025-12-02', 0, '2025-12-02T20:00:00.000Z',
     '2025-12-02T20:00:01.000Z', '2025-12-02T20:00:01.000Z')`,
  `INSERT INTO refund_lines (refund_id, transaction_id, line_number, amount_cents, revenue_account, gl_status, gl_error_message,
     gl_error_code, journal_batch_id, feeder_file_id)
   VALUES (1, 1, 2, 2500, '${LINE_2}', 'RJCT', 'GL date in a closed period', '0032', 2, 2),
     (2, 1, 1, 1000, NULL, 'NEW', NULL, NULL, NULL, NULL)`,
  // The partner's endpoint and what the webhook consumer logged.
  `INSERT INTO partner_webhooks (pbc_ref_number, url, events, status, secret_ciphertext, created_at, updated_at)
   VALUES ('${REF}', 'https://z.example.ca/hooks', '["payment.approved","payment.posted","refund.approved"]', 'ACTIVE',
     'ciphertext', '2025-11-01T00:00:00.000Z', '2025-11-01T00:00:00.000Z')`,
  `INSERT INTO webhook_outbox (id, message_id, event_key, pbc_ref_number, event_type, transaction_id, refund_id, occurred_at,
     status, attempts, next_attempt_at, last_status_code, last_error, delivered_at, created_at, updated_at)
   VALUES (1, 'msg_approved', 'payment.approved:1', '${REF}', 'payment.approved', 1, NULL, '2025-11-28T18:15:00.000Z',
     'DELIVERED', 2, NULL, 200, NULL, '2025-11-28T18:15:07.000Z', '2025-11-28T18:15:00.000Z', '2025-11-28T18:15:07.000Z'),
     (2, 'msg_posted', 'payment.posted:1', '${REF}', 'payment.posted', 1, NULL, '2025-11-29T17:30:00.000Z',
     'DEAD', 2, NULL, 500, 'HTTP 500', NULL, '2025-11-29T17:30:00.000Z', '2025-11-29T17:35:06.000Z'),
     (3, 'msg_refund', 'refund.approved:refund:1', '${REF}', 'refund.approved', 1, 1, '2025-11-30T19:00:02.000Z',
     'PENDING', 1, '2025-11-30T19:00:08.000Z', NULL, 'connection refused', NULL, '2025-11-30T19:00:02.000Z',
     '2025-11-30T19:00:03.000Z')`,
  `INSERT INTO webhook_attempts (outbox_id, attempt_number, url, status_code, error, duration_ms, retry_after_seconds, attempted_at)
   VALUES (1, 1, 'https://z.example.ca/hooks', 503, NULL, 40, 5, '2025-11-28T18:15:01.000Z'),
     (1, 2, 'https://z.example.ca/hooks', 200, NULL, 35, NULL, '2025-11-28T18:15:07.000Z'),
     (2, 1, 'https://z.example.ca/hooks', 500, NULL, 30, NULL, '2025-11-29T17:30:01.000Z'),
     (2, 2, 'https://z.example.ca/hooks', 500, NULL, 30, NULL, '2025-11-29T17:35:06.000Z'),
     (3, 1, 'https://z.example.ca/hooks', NULL, 'connection refused', 2, NULL, '2025-11-30T19:00:03.000Z')`,
];

afterAll(removeTempDirs);

describe("support payment", () => {
  const dir = tempDir("support-payment-");
  const payment = (...args: string[]) =>
    runCli(["payment", "--ref", REF, "--txn", TXN, ...args, "--persist-to", dir], { script: "scripts/support.ts" });

  beforeAll(async () => {
    // The partner through the onboarding CLI (which also applies the migrations) ...
    await cliJson(
      [
        "create",
        "--ref",
        REF,
        "--name",
        "Ministry of Z",
        "--redirect",
        "https://z.example.ca/",
        "--cash-account",
        "039.18ACE.10001.8928.1800000.000000.0000",
        "--gl-posting",
        "on",
      ],
      dir,
    );
    // ... and the payment's rows.
    await withPlatform({ remote: false, persistPath: join(dir, "v3") }, (env) =>
      env.DB.batch(FIXTURE.map((statement) => env.DB.prepare(statement))),
    );
  });

  it("tells the payment's GL posting, refunds, notifications and receipt in Pacific time", async () => {
    const result = await payment();
    expect(result.code, result.stderr).toBe(0);
    const text = result.stdout;
    expect(text).toContain(`Payment ${TXN} (partner ${REF} Ministry of Z): CMPLT`);
    expect(text).toContain("paid 2025-11-28 10:15:00 PST");
    expect(text).toContain("fully posted (CMPLT): 2025-11-29 09:30:00 PST");
    // Each revenue line: the journal as finance staff know it, and the ledger's answer.
    expect(text).toContain(
      [
        `  1  ${LINE_1}  75.00  PROCESSED`,
        "      journal 1 (revenue, GL date 2025-11-28, sequence 1), posted 2025-11-29 01:00:05 PST",
        `      ledger journal PB00000001 in feeder file ${FEEDER_1} (GA)`,
        `      files journal-2025-11-28-${REF}-1.csv, ${FEEDER_1}, ${FEEDER_1}.TRG, detail-2025-11-28-${REF}-1.csv, manifest-2025-11-28-${REF}-1.json`,
        "      ledger: accepted 2025-11-29 09:30:00 PST, feedback file FEEDBACK.F3535.20251129172900",
      ].join("\n"),
    );
    // Refunds: who, when, the processor's reference, and where each reversal stands.
    expect(text).toContain(
      [
        "  rfd_first  25.00 CAD  APPROVED (return)  requested 2025-11-30 11:00:00 PST by staff:Sam Support: Paid twice",
        "      processor reference 10000778 (Approved), settled 2025-11-30 11:00:02 PST",
        `    line 2  ${LINE_2}  25.00  RJCT`,
        "      journal 2 (refund, GL date 2025-11-30, sequence 1), posted 2025-12-01 01:00:04 PST",
        `      ledger journal PB00000002 in feeder file ${FEEDER_2} (GA)`,
      ].join("\n"),
    );
    expect(text).toContain(
      [
        "      ledger: REJECT 2025-12-01 10:00:00 PST, feedback file FEEDBACK.F3535.20251201175900: 0032 GL date in a closed period",
        "      posted again by the nightly run after `npm run support -- repost-refunds` once the cause is fixed at the ledger",
      ].join("\n"),
    );
    expect(text).toMatch(
      /rfd_second {2}10\.00 CAD {2}APPROVED \(return\) {2}requested 2025-12-02 12:00:00 PST by partner:10009\n.*\n {4}line 1 {2}- {2}10\.00 {2}NEW\n {6}not yet posted \(next nightly run after GL date 2025-12-02: \d{4}-\d{2}-\d{2} \d{2}:00:00 P[SD]T\)/,
    );
    // Notifications: every event and every try.
    expect(text).toContain("Notifications (endpoint https://z.example.ca/hooks, ACTIVE):");
    expect(text).toContain(
      [
        "  payment.approved  msg_approved  created 2025-11-28 10:15:00 PST: delivered 2025-11-28 10:15:07 PST",
        "    #1 2025-11-28 10:15:01 PST  HTTP 503  Retry-After 5s  next retry 2025-11-28 10:15:07 PST",
        "    #2 2025-11-28 10:15:07 PST  HTTP 200",
        "  payment.posted  msg_posted  created 2025-11-29 09:30:00 PST: dead (every try failed: HTTP 500)",
      ].join("\n"),
    );
    expect(text).toContain(
      [
        "  refund.approved  msg_refund  created 2025-11-30 11:00:02 PST: pending, next retry 2025-11-30 11:00:08 PST",
        "    #1 2025-11-30 11:00:03 PST  no answer  connection refused  next retry 2025-11-30 11:00:08 PST",
      ].join("\n"),
    );
    // The receipt: masked while it is held, never the whole address.
    expect(text).toContain(
      [
        "Receipt email:",
        "  attempt 1: not sent (the attempt was not approved): address erased 2025-11-28 10:40:00 PST",
        "  attempt 2: requested, not sent yet (to j***@example.com); last activity 2025-11-28 10:20:00 PST",
      ].join("\n"),
    );
    expect(text).not.toContain("jane.doe");
    // No UTC times in the words.
    expect(text).not.toMatch(/\d{2}:\d{2}:\d{2}(\.\d+)?Z/);
  }, 180_000);

  it("gives the same facts as JSON with UTC times", async () => {
    const result = await payment("--json");
    expect(result.code, result.stderr).toBe(0);
    const history = result.json as PaymentHistory;
    expect(result.stdout).not.toContain("jane.doe");
    expect(result.stdout).not.toMatch(/P[SD]T/);
    expect(history.payment).toMatchObject({
      status: "CMPLT",
      amountCents: 10000,
      paidAt: "2025-11-28T18:15:00.000Z",
      completedAt: "2025-11-29T17:30:00.000Z",
      declineCount: 1,
    });
    expect(history.revenueLines.map((line) => line.posting)).toEqual([
      {
        journal: {
          batchId: 1,
          kind: "revenue",
          glDate: "2025-11-28",
          sequence: 1,
          status: "POSTED",
          postedAt: "2025-11-29T09:00:05.000Z",
          journalName: "PB00000001",
          feederFile: FEEDER_1,
          batchType: "GA",
          files: [
            `journal-2025-11-28-${REF}-1.csv`,
            FEEDER_1,
            `${FEEDER_1}.TRG`,
            `detail-2025-11-28-${REF}-1.csv`,
            `manifest-2025-11-28-${REF}-1.json`,
          ],
        },
        ledger: {
          result: "ACCEPTED",
          at: "2025-11-29T17:30:00.000Z",
          feedbackFile: "FEEDBACK.F3535.20251129172900",
          code: null,
          message: null,
        },
        notPosted: null,
      },
      expect.objectContaining({ ledger: expect.objectContaining({ result: "ACCEPTED" }) }),
    ]);
    const [first, second] = history.refunds;
    expect(first).toMatchObject({
      refundId: "rfd_first",
      status: "APPROVED",
      amountCents: 2500,
      requestedBy: "staff:Sam Support",
      requestedAt: "2025-11-30T19:00:00.000Z",
      processorReference: "10000778",
    });
    expect(first?.lines[0]?.posting.ledger).toEqual({
      result: "REJECTED",
      at: "2025-12-01T18:00:00.000Z",
      feedbackFile: "FEEDBACK.F3535.20251201175900",
      code: "0032",
      message: "GL date in a closed period",
    });
    const waiting = second?.lines[0]?.posting.notPosted;
    expect(waiting).toMatchObject({ reason: "waiting", glDate: "2025-12-02" });
    // The next 09:00 UTC nightly run, not in the past.
    expect(waiting?.nextRunAt).toMatch(/T09:00:00\.000Z$/);
    expect(Date.parse(waiting?.nextRunAt ?? "") + 86_400_000).toBeGreaterThan(Date.now());
    expect(history.notifications.events.map((n) => [n.type, n.state, n.attempts.length])).toEqual([
      ["payment.approved", "delivered", 2],
      ["payment.posted", "dead", 2],
      ["refund.approved", "pending", 1],
    ]);
    expect(history.notifications.events[2]?.nextRetryAt).toBe("2025-11-30T19:00:08.000Z");
    expect(history.receipts).toEqual([
      { attemptNumber: 1, status: "ERASED", at: "2025-11-28T18:40:00.000Z", address: null },
      { attemptNumber: 2, status: "REQUESTED", at: "2025-11-28T18:20:00.000Z", address: "j***@example.com" },
    ]);
  }, 180_000);

  it("says when there is no such payment", async () => {
    const result = await runCli(["payment", "--ref", REF, "--txn", "NOPE", "--persist-to", dir], {
      script: "scripts/support.ts",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("no payment NOPE for partner 10009");
  }, 180_000);
});
