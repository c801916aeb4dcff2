/**
 * `npm run support -- ...`: what support staff need to answer "the user says they paid but the
 * service says not": a payment's state and every step of its lifecycle, and the audit log.
 * Local database by default; `--remote --env staging|production` for a deployed one.
 */
import { userInfo } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { readConfig } from "../src/config.ts";
import { queryAudit } from "../src/db/auditLog.ts";
import { runBatch } from "../src/db/batch.ts";
import { database } from "../src/db/client.ts";
import { listEvents } from "../src/db/paymentEvents.ts";
import { refundsOfTransaction, repostRejectedRefundLinesQuery } from "../src/db/refunds.ts";
import { listLines } from "../src/db/revenueLines.ts";
import { findTransaction } from "../src/db/transactions.ts";
import { formatCents } from "../src/domain/money.ts";
import { centsFromAmount } from "../src/domain/refund.ts";
import { createLogger } from "../src/http/logger.ts";
import { createProcessor } from "../src/processor/index.ts";
import { auditRecorder } from "../src/services/audit.ts";
import { reconcileSandbox } from "../src/services/reconciliation.ts";
import { requestRefund } from "../src/services/refunds.ts";
import { withPlatform } from "./lib/platform.ts";

// Keep stdout for the answer (wrangler otherwise notes where secrets come from).
process.env.WRANGLER_LOG ??= "warn";

const USAGE = `Usage:
  npm run support -- payment --ref N --txn PBC_TXN_NUMBER [--json]
  npm run support -- audit [--from ISO] [--to ISO] [--action ACTION] [--target TARGET] [--limit N] [--json]
  npm run support -- refund --ref N --txn PBC_TXN_NUMBER (--amount X | --line 1:25.00 [--line 2:5.00 ...])
                     --reason "..." [--operator NAME] [--json]
    Refunds through the processor and records who asked (--operator, default the login name). With
    --remote the processor's credentials come from the environment (BAMBORA_MERCHANT_ID, BAMBORA_API_PASSCODE,
    BAMBORA_REPORT_PASSCODE), as they are Worker secrets.
  npm run support -- repost-refunds --ref N --txn PBC_TXN_NUMBER --operator NAME
    Sends the payment's refund lines the ledger rejected (RJCT) again with the next nightly run,
    once the cause (closed period, closed account) is fixed at the ledger.
  npm run support -- reconcile [--json]   (sandbox environments: every payment against the sandbox's ledger)
Options: --remote --env staging|production (deployed database), --persist-to DIR (local state)`;

function fail(message: string): never {
  process.stderr.write(`support: ${message}\n`);
  process.exit(2);
}

const parsed = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        ref: { type: "string" },
        txn: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        action: { type: "string" },
        target: { type: "string" },
        limit: { type: "string" },
        amount: { type: "string" },
        line: { type: "string", multiple: true },
        reason: { type: "string" },
        operator: { type: "string" },
        json: { type: "boolean", default: false },
        remote: { type: "boolean", default: false },
        env: { type: "string" },
        "persist-to": { type: "string" },
        help: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${USAGE}`);
  }
})();
const { values, positionals } = parsed;
const command = positionals[0];
if (values.help || !command) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(values.help ? 0 : 2);
}
if (values.remote && values.env !== "staging" && values.env !== "production")
  fail("--remote needs --env staging or --env production");

const print = (value: unknown, text: () => string) =>
  process.stdout.write(values.json ? `${JSON.stringify(value, null, 2)}\n` : text());

await withPlatform(
  {
    remote: values.remote,
    environment: values.env,
    ...(values["persist-to"] ? { persistPath: join(resolve(values["persist-to"]), "v3") } : {}),
  },
  async (env) => {
    const db = database(env.DB);
    if (command === "payment") {
      if (!values.ref || !values.txn) fail("payment needs --ref and --txn");
      const txn = await findTransaction(db, values.ref, values.txn);
      if (!txn) fail(`no payment ${values.txn} for partner ${values.ref}: the portal never received a valid request for it`);
      const lines = await listLines(db, txn.id);
      const events = await listEvents(db, txn.id);
      const refunds = await refundsOfTransaction(db, txn.id);
      print({ transaction: txn, revenue: lines, refunds: refunds.refunds, refundLines: refunds.lines, events }, () => {
        const out = [
          `Payment ${txn.pbcTxnNumber} (partner ${txn.pbcRefNumber}): ${txn.paymentStatus}`,
          `  amount ${(txn.trnAmountCents / 100).toFixed(2)} CAD, trnDate ${txn.trnDate}, GL date ${txn.glDate}`,
          `  processor order id ${txn.trnOrderId ?? "-"}, auth code ${txn.paymentAuthCode ?? "-"}, card ${txn.cardType ?? "-"} ending ${txn.cardLastFour ?? "-"}, paid at ${txn.paidAt ?? "-"}`,
          `  authorisation in progress: ${txn.authorisingAttemptId === null ? "no" : `yes (attempt ${txn.authorisingAttemptId})`}, declines ${txn.declineCount}`,
          "Revenue lines:",
          ...lines.map(
            (l) =>
              `  ${l.lineNumber}  ${l.revenueAccount}  ${(l.revenueAmountCents / 100).toFixed(2)}  ${l.glStatus}${l.glErrorMessage ? ` (${l.glErrorMessage})` : ""}`,
          ),
          "Refunds:",
          ...refunds.refunds.map(
            (r) =>
              `  ${r.createdAt}  ${r.externalId}  ${(r.amountCents / 100).toFixed(2)}  ${r.status}${r.method ? ` (${r.method})` : ""}  by ${r.requestedBy}${r.reason ? `: ${r.reason}` : ""}`,
          ),
          "Lifecycle:",
          ...events.map(
            (e) => `  ${e.createdAt}  attempt ${e.attemptNumber ?? "-"}  ${e.eventType}${e.detail ? `  ${e.detail}` : ""}`,
          ),
        ];
        return `${out.join("\n")}\n`;
      });
    } else if (command === "audit") {
      const rows = await queryAudit(db, {
        from: values.from,
        to: values.to,
        action: values.action,
        target: values.target,
        limit: values.limit ? Number(values.limit) : 100,
      });
      print(
        rows,
        () =>
          `${rows.map((r) => `${r.occurredAt}  ${r.outcome.padEnd(7)}  ${r.action}  actor=${r.actor}  target=${r.target ?? "-"}  ip=${r.sourceIp ?? "-"}  ${r.detail ?? ""}`).join("\n")}\n`,
      );
    } else if (command === "refund") {
      if (!values.ref || !values.txn) fail("refund needs --ref and --txn");
      const reason = values.reason?.trim();
      if (!reason) fail('refund needs --reason "..." (it is kept with the refund and in the audit log)');
      const operator = (values.operator ?? userInfo().username).trim();
      if (!operator) fail("refund needs --operator NAME");
      const lines = (values.line ?? []).map((text) => {
        const match = /^(\d{1,4}):(\d{1,9}(?:\.\d{1,2})?)$/.exec(text);
        const cents = match ? centsFromAmount(match[2]) : null;
        if (!match || cents === null) fail(`--line ${text}: expected LINE:AMOUNT, e.g. 1:25.00`);
        return { lineNumber: Number(match[1]), amountCents: cents };
      });
      const given = values.amount === undefined ? null : centsFromAmount(values.amount);
      if (values.amount !== undefined && given === null) fail(`--amount ${values.amount}: expected an amount such as 25.00`);
      if (given === null && lines.length === 0) fail("refund needs --amount or at least one --line");
      const amountCents = given ?? lines.reduce((sum, line) => sum + line.amountCents, 0);
      const actor = `staff:${operator}`;
      // Log lines go to stderr: stdout carries the answer.
      const log = createLogger(`support-refund-${Date.now()}`, (line) => process.stderr.write(`${line}\n`));
      const processorEnv = {
        ...env,
        ...Object.fromEntries(
          ["BAMBORA_MERCHANT_ID", "BAMBORA_API_PASSCODE", "BAMBORA_REPORT_PASSCODE"].flatMap((name) =>
            process.env[name] ? [[name, process.env[name]]] : [],
          ),
        ),
      } as Env;
      const outcome = await requestRefund(
        {
          db,
          processor: createProcessor(readConfig(processorEnv), processorEnv),
          audit: auditRecorder(db, { actor, sourceIp: null, log }),
          log,
          now: new Date(),
        },
        {
          pbcRefNumber: values.ref,
          pbcTxnNumber: values.txn,
          ownerRef: null,
          channel: "support",
          requestedBy: actor,
          amountCents,
          lines: lines.length > 0 ? lines : undefined,
          reason,
        },
      );
      if (outcome.kind !== "created") {
        const why =
          outcome.kind === "not-found"
            ? `no payment ${values.txn} for partner ${values.ref}`
            : outcome.kind === "invalid"
              ? outcome.errors.join("; ")
              : "message" in outcome
                ? outcome.message
                : outcome.kind;
        fail(`refund refused: ${why}`);
      }
      const { refund, summary } = outcome;
      print({ refund, refundSummary: summary }, () =>
        [
          `Refund ${refund.refundId} of ${refund.amount} CAD on ${refund.pbcTxnNumber} (partner ${refund.pbcRefNumber}): ${refund.status}${refund.message ? ` (${refund.message})` : ""}`,
          ...refund.lines.map((line) => `  line ${line.lineNumber}  ${line.amount}`),
          `  left to refund ${formatCents(summary.amountAvailableCents)}, refunded ${formatCents(summary.amountRefundedCents)}`,
          refund.status === "UNKNOWN" || refund.status === "PENDING"
            ? "  The processor has not confirmed it yet: the sweep looks it up every 5 minutes. Do not refund again."
            : "",
          "",
        ].join("\n"),
      );
      if (refund.status === "DECLINED") process.exitCode = 1;
    } else if (command === "repost-refunds") {
      if (!values.ref || !values.txn) fail("repost-refunds needs --ref and --txn");
      const operator = (values.operator ?? userInfo().username).trim();
      const txn = await findTransaction(db, values.ref, values.txn);
      if (!txn) fail(`no payment ${values.txn} for partner ${values.ref}`);
      const [result] = await runBatch(db, [repostRejectedRefundLinesQuery(sql`${txn.id}`)]);
      const lines = result?.meta.changes ?? 0;
      const log = createLogger(`support-repost-${Date.now()}`, (line) => process.stderr.write(`${line}\n`));
      await auditRecorder(db, { actor: `staff:${operator}`, sourceIp: null, log })("refund.repost", "success", {
        target: `${txn.pbcRefNumber}/${txn.pbcTxnNumber}`,
        detail: { lines },
      });
      print({ reposted: lines }, () => `${lines} rejected refund line(s) will be sent again by the next nightly run\n`);
    } else if (command === "reconcile") {
      const report = await reconcileSandbox(db);
      print(report, () =>
        [
          `${report.transactions} transactions, ${report.journals} posted journals, ${report.awaitingOutcome} awaiting an outcome: ${report.mismatches.length} mismatches`,
          ...report.mismatches.map((m) => `  ${m.target}: ${m.rule} (${m.detail})`),
          "",
        ].join("\n"),
      );
      if (report.mismatches.length > 0) process.exitCode = 1;
    } else {
      fail(`unknown command "${command}"\n\n${USAGE}`);
    }
  },
);
