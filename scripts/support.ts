/**
 * `npm run support -- ...`: what support staff need to answer "the user says they paid but the
 * service says not": a payment's state and every step of its lifecycle, and the audit log.
 * Local database by default; `--remote --env staging|production` for a deployed one.
 */
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { queryAudit } from "../src/db/auditLog.ts";
import { database } from "../src/db/client.ts";
import { listEvents } from "../src/db/paymentEvents.ts";
import { listLines } from "../src/db/revenueLines.ts";
import { findTransaction } from "../src/db/transactions.ts";
import { reconcileSandbox } from "../src/services/reconciliation.ts";
import { listDeliveries } from "../src/services/webhookConfig.ts";
import { withPlatform } from "./lib/platform.ts";

// Keep stdout for the answer (wrangler otherwise notes where secrets come from).
process.env.WRANGLER_LOG ??= "warn";

const USAGE = `Usage:
  npm run support -- payment --ref N --txn PBC_TXN_NUMBER [--json]
  npm run support -- audit [--from ISO] [--to ISO] [--action ACTION] [--target TARGET] [--limit N] [--json]
  npm run support -- webhooks [--ref N] [--status PENDING|DELIVERED|DEAD|CANCELLED] [--limit N] [--log] [--json]
                                          (partner notifications: status, attempts, next retry; --log adds every attempt)
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
        status: { type: "string" },
        log: { type: "boolean", default: false },
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
      print({ transaction: txn, revenue: lines, events }, () => {
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
    } else if (command === "webhooks") {
      const status = values.status?.toUpperCase();
      if (status !== undefined && !["PENDING", "DELIVERED", "DEAD", "CANCELLED"].includes(status))
        fail(`--status must be PENDING, DELIVERED, DEAD or CANCELLED, not "${values.status}"`);
      const limit = values.limit ? Number(values.limit) : 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > 500) fail("--limit must be a whole number from 1 to 500");
      const deliveries = await listDeliveries(
        db,
        { ...(values.ref ? { pbcRefNumber: values.ref } : {}), ...(status ? { status } : {}) },
        limit,
        values.log,
      );
      print(deliveries, () =>
        [
          ...deliveries.flatMap((d) => [
            `${d.createdAt}  ${d.messageId}  partner ${d.pbcRefNumber}  ${d.eventType}  ${d.status}  attempts ${d.attempts}` +
              `${d.nextRetryAt ? `  next retry ${d.nextRetryAt}` : ""}${d.lastStatusCode !== null ? `  last HTTP ${d.lastStatusCode}` : ""}` +
              `${d.lastError ? `  (${d.lastError})` : ""}`,
            ...(d.log ?? []).map(
              (a) =>
                `    #${a.attemptNumber} ${a.attemptedAt}  ${a.statusCode !== null ? `HTTP ${a.statusCode}` : "no answer"}  ${a.durationMs} ms${a.error ? `  ${a.error}` : ""}${a.retryAfterSeconds !== null ? `  Retry-After ${a.retryAfterSeconds}s` : ""}`,
            ),
          ]),
          deliveries.length === 0 ? "No notifications." : "",
          "",
        ].join("\n"),
      );
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
