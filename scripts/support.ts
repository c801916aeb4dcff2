/**
 * `npm run support -- ...`: what support staff need to answer "the user says they paid but the
 * service says not": a payment's state and every step of its lifecycle, and the audit log.
 * Local database by default; `--remote --env staging|production` for a deployed one.
 */
import { queryAudit } from "../src/db/auditLog.ts";
import type { Db } from "../src/db/client.ts";
import { listEvents } from "../src/db/paymentEvents.ts";
import { listLines } from "../src/db/revenueLines.ts";
import { findTransaction } from "../src/db/transactions.ts";
import { reconcileSandbox } from "../src/services/reconciliation.ts";
import { type CommandSpec, exit, type Output, runCli, str, UsageError, type Values } from "./lib/cli.ts";
import { DATABASE_OPTIONS, databaseTarget, withDatabase } from "./lib/database.ts";

interface SupportCommand extends CommandSpec {
  run: (db: Db, values: Values) => Promise<Output>;
}

const cents = (value: number) => (value / 100).toFixed(2);

const payment: SupportCommand = {
  summary: "a payment's state, revenue lines and every step of its lifecycle",
  usage: "payment --ref N --txn PBC_TXN_NUMBER",
  options: {
    ref: { type: "string", value: "N", help: "the partner's PayBC reference number (pbcRefNumber)" },
    txn: { type: "string", value: "PBC_TXN_NUMBER", help: "the partner's transaction number" },
  },
  required: ["ref", "txn"],
  async run(db, values) {
    const ref = str(values, "ref") as string;
    const txnNumber = str(values, "txn") as string;
    const txn = await findTransaction(db, ref, txnNumber);
    if (!txn)
      throw new UsageError(`no payment ${txnNumber} for partner ${ref}: the portal never received a valid request for it`);
    const lines = await listLines(db, txn.id);
    const events = await listEvents(db, txn.id);
    const text = [
      `Payment ${txn.pbcTxnNumber} (partner ${txn.pbcRefNumber}): ${txn.paymentStatus}`,
      `  amount ${cents(txn.trnAmountCents)} CAD, trnDate ${txn.trnDate}, GL date ${txn.glDate}`,
      `  processor order id ${txn.trnOrderId ?? "-"}, auth code ${txn.paymentAuthCode ?? "-"}, card ${txn.cardType ?? "-"} ending ${txn.cardLastFour ?? "-"}, paid at ${txn.paidAt ?? "-"}`,
      `  authorisation in progress: ${txn.authorisingAttemptId === null ? "no" : `yes (attempt ${txn.authorisingAttemptId})`}, declines ${txn.declineCount}`,
      "Revenue lines:",
      ...lines.map(
        (l) =>
          `  ${l.lineNumber}  ${l.revenueAccount}  ${cents(l.revenueAmountCents)}  ${l.glStatus}${l.glErrorMessage ? ` (${l.glErrorMessage})` : ""}`,
      ),
      "Lifecycle:",
      ...events.map(
        (e) => `  ${e.createdAt}  attempt ${e.attemptNumber ?? "-"}  ${e.eventType}${e.detail ? `  ${e.detail}` : ""}`,
      ),
    ].join("\n");
    return { json: { transaction: txn, revenue: lines, events }, text };
  },
};

const audit: SupportCommand = {
  summary: "query the audit log, newest first",
  usage: "audit [--from ISO] [--to ISO] [--action ACTION] [--target TARGET] [--limit N]",
  options: {
    from: { type: "string", value: "ISO", help: "entries at or after this time" },
    to: { type: "string", value: "ISO", help: "entries at or before this time" },
    action: { type: "string", value: "ACTION", help: "one action, e.g. partner.created" },
    target: { type: "string", value: "TARGET", help: "what the entry is about, e.g. a partner number" },
    limit: { type: "string", value: "N", help: "at most N entries (default 100, at most 1000)" },
  },
  required: [],
  check(values) {
    const limit = str(values, "limit");
    if (limit !== undefined && !(/^\d{1,4}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 1000)) {
      throw new UsageError(`--limit must be a number from 1 to 1000, not "${limit}"`);
    }
  },
  async run(db, values) {
    const rows = await queryAudit(db, {
      from: str(values, "from"),
      to: str(values, "to"),
      action: str(values, "action"),
      target: str(values, "target"),
      limit: Number(str(values, "limit") ?? 100),
    });
    const text = rows
      .map(
        (r) =>
          `${r.occurredAt}  ${r.outcome.padEnd(7)}  ${r.action}  actor=${r.actor}  target=${r.target ?? "-"}  ip=${r.sourceIp ?? "-"}  ${r.detail ?? ""}`,
      )
      .join("\n");
    return { json: rows, text };
  },
};

const reconcile: SupportCommand = {
  summary: "every payment against the sandbox processor's own ledger, the signed responses and the posted journals",
  usage: "reconcile",
  options: {},
  required: [],
  notes: ["For sandbox environments (the local portal, staging). Exit code 1 when anything does not agree."],
  async run(db) {
    const report = await reconcileSandbox(db);
    if (report.mismatches.length > 0) process.exitCode = 1;
    const text = [
      `${report.transactions} transactions, ${report.journals} posted journals, ${report.awaitingOutcome} awaiting an outcome: ${report.mismatches.length} mismatches`,
      ...report.mismatches.map((m) => `  ${m.target}: ${m.rule} (${m.detail})`),
    ].join("\n");
    return { json: report, text };
  },
};

// Keep stdout for the answer (wrangler otherwise notes where secrets come from).
process.env.WRANGLER_LOG ??= "warn";

const code = await runCli<SupportCommand>(
  {
    program: "npm run support --",
    description: [
      "Support tools for the PayBC portal: payments, the audit log and reconciliation. Works on the local database",
      "unless --remote is given.",
    ],
    commands: { payment, audit, reconcile },
    globalOptions: DATABASE_OPTIONS,
    execute: (_name, command, values) => withDatabase(databaseTarget(values, "support"), (db) => command.run(db, values)),
  },
  process.argv.slice(2),
);
await exit(code);
