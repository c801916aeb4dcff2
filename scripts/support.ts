/**
 * `npm run support -- ...`: what support staff need to answer "the user says they paid but the
 * service says not": a payment's state and every step of its lifecycle, refunds from the terminal,
 * the audit log, reconciliation and archival to R2 (archived payments are shown from the archive).
 * Local database by default; `--remote --env staging|production` for a deployed one.
 */

import { userInfo } from "node:os";
import { sql } from "drizzle-orm";
import { archiveConfigurationProblems, readArchiveSettings, readConfig } from "../src/config.ts";
import { listRuns } from "../src/db/archive.ts";
import { auditActions, queryAudit } from "../src/db/auditLog.ts";
import { runBatch } from "../src/db/batch.ts";
import type { Db } from "../src/db/client.ts";
import { repostRejectedRefundLinesQuery } from "../src/db/refunds.ts";
import { findTransaction } from "../src/db/transactions.ts";
import { formatCents } from "../src/domain/money.ts";
import { centsFromAmount } from "../src/domain/refund.ts";
import { createLogger } from "../src/lib/logger.ts";
import { createProcessor } from "../src/processor/index.ts";
import { previewArchive, readArchivedPayment, runArchive } from "../src/services/archive.ts";
import { auditRecorder } from "../src/services/audit.ts";
import { createNotifier } from "../src/services/notifications.ts";
import { paymentHistory } from "../src/services/paymentHistory.ts";
import { reconcileSandbox } from "../src/services/reconciliation.ts";
import { requestRefund } from "../src/services/refunds.ts";
import { bodyPhrase, listDeliveries } from "../src/services/webhookConfig.ts";
import { type CommandSpec, exit, type Output, runCli, str, UsageError, type Values } from "./lib/cli.ts";
import { DATABASE_OPTIONS, databaseTarget, withDatabase } from "./lib/database.ts";
import { paymentHistoryText } from "./support/paymentText.ts";

interface SupportCommand extends CommandSpec {
  run: (db: Db, values: Values, env: Env) => Promise<Output>;
}

const payment: SupportCommand = {
  summary: "a payment's state, GL posting, refunds, partner notifications, receipt email and every step of its lifecycle",
  usage: "payment --ref N --txn PBC_TXN_NUMBER",
  options: {
    ref: { type: "string", value: "N", help: "the partner's PayBC reference number (pbcRefNumber)" },
    txn: { type: "string", value: "PBC_TXN_NUMBER", help: "the partner's transaction number" },
  },
  required: ["ref", "txn"],
  notes: [
    "Shows, for each revenue and refund line, the journal it was posted in (the ID of `npm run journals -- list`,",
    "the ledger's journal name, the feeder file and the download names), when the ledger answered, and when the",
    "payment became CMPLT; each notification with every delivery attempt; the receipt email (the address masked,",
    "and only until it is sent). Times in Pacific (PST/PDT); --json gives the same facts with ISO UTC times.",
  ],
  async run(db, values, env) {
    const ref = str(values, "ref") as string;
    const txnNumber = str(values, "txn") as string;
    const txn = await findTransaction(db, ref, txnNumber);
    if (!txn) {
      const archived = await readArchivedPayment(db, env.JOURNALS, ref, txnNumber);
      if (archived) return archivedPayment(archived);
      throw new UsageError(`no payment ${txnNumber} for partner ${ref}: the portal never received a valid request for it`);
    }
    const history = await paymentHistory(db, txn, new Date());
    return { json: history, text: paymentHistoryText(history) };
  },
};

/** A payment that has left D1 for the archive: where it is, and what its record holds. */
function archivedPayment({ hit, record }: NonNullable<Awaited<ReturnType<typeof readArchivedPayment>>>): Output {
  const txn = record.transaction;
  const text = [
    `Payment ${txn.pbcTxnNumber} (partner ${txn.pbcRefNumber}): ${txn.paymentStatus}, ARCHIVED at ${hit.payment.archivedAt}`,
    `  archive object ${hit.run.objectKey} (line ${hit.payment.recordLine}; manifest ${hit.run.manifestKey})`,
    `  amount ${formatCents(txn.trnAmountCents)} CAD, trnDate ${txn.trnDate}, GL date ${txn.glDate}`,
    `  processor order id ${txn.trnOrderId ?? "-"}, auth code ${txn.paymentAuthCode ?? "-"}, card ${txn.cardType ?? "-"} ending ${txn.cardLastFour ?? "-"}, paid at ${txn.paidAt ?? "-"}`,
    "Revenue lines:",
    ...record.revenueLines.map(
      (l) =>
        `  ${l.lineNumber}  ${l.revenueAccount}  ${formatCents(l.revenueAmountCents)}  ${l.glStatus}${l.glErrorMessage ? ` (${l.glErrorMessage})` : ""}`,
    ),
    "Refunds:",
    ...record.refunds.map(
      (r) =>
        `  ${r.createdAt}  ${r.externalId}  ${formatCents(r.amountCents)}  ${r.status}${r.method ? ` (${r.method})` : ""}  by ${r.requestedBy}${r.reason ? `: ${r.reason}` : ""}`,
    ),
    "Partner notifications:",
    ...record.webhooks.map((w) => `  ${w.occurredAt}  ${w.eventType}  ${w.status}  attempts ${w.attempts}`),
    "Lifecycle:",
    ...record.events.map(
      (e) => `  ${e.createdAt}  attempt ${e.attemptNumber ?? "-"}  ${e.eventType}${e.detail ? `  ${e.detail}` : ""}`,
    ),
  ].join("\n");
  return {
    json: { archived: { at: hit.payment.archivedAt, objectKey: hit.run.objectKey, line: hit.payment.recordLine }, record },
    text,
  };
}

const archive: SupportCommand = {
  summary: "archive finished payments and old audit rows to R2 now (--dry-run: only show what would move; --list: the runs)",
  usage: "archive [--dry-run | --list] [--limit N]",
  options: {
    "dry-run": { type: "boolean", help: "show what a run now would archive, writing nothing" },
    list: { type: "boolean", help: "list archive runs (objects), newest first" },
    limit: { type: "string", value: "N", help: "with --list: how many runs (default 50, at most 500)" },
  },
  required: [],
  notes: [
    'A run does what the nightly job does (docs/OPERATIONS.md "Archive"): it finishes an interrupted run, then',
    "archives what is due, within one invocation's D1 query budget; run it again for more.",
  ],
  check(values) {
    if (values["dry-run"] === true && values.list === true) throw new UsageError("--dry-run and --list are separate: give one");
    const limit = str(values, "limit");
    if (limit !== undefined && (values.list !== true || !/^\d{1,3}$/.test(limit) || Number(limit) < 1 || Number(limit) > 500))
      throw new UsageError("--limit goes with --list and is a whole number from 1 to 500");
  },
  async run(db, values, env) {
    if (values.list === true) {
      const runs = await listRuns(db, Number(str(values, "limit") ?? 50));
      const text = runs.length
        ? runs
            .map(
              (r) =>
                `${r.createdAt}  ${r.kind.padEnd(8)}  ${r.partitionMonth}  ${r.status.padEnd(9)}  records ${r.recordCount ?? "-"}  deleted ${r.deletedCount}` +
                `${r.kind === "payments" && r.totalCents !== null ? `  total ${formatCents(r.totalCents)}` : ""}  ${r.objectKey}`,
            )
            .join("\n")
        : "No archive runs.";
      return { json: runs, text };
    }
    const problems = archiveConfigurationProblems(env);
    if (problems.length > 0) throw new UsageError(problems.join("; "));
    const settings = readArchiveSettings(env);
    const now = new Date();
    if (values["dry-run"] === true) {
      const preview = await previewArchive({ db, settings, now });
      const text = [
        `Archival is ${preview.enabled ? "on" : "OFF (ARCHIVE_ENABLED=false): the nightly job archives nothing"}.`,
        `Payments finished and untouched before ${preview.paymentsCutoff} (Pacific): ${preview.payments.count}${preview.payments.capped ? "+" : ""}`,
        ...Object.entries(preview.payments.byMonth).map(([month, count]) => `  ${month}  ${count}`),
        `Audit rows before ${preview.auditCutoff}: ${preview.audit.count}${preview.audit.oldest ? ` (${preview.audit.oldest} to ${preview.audit.newest})` : ""}`,
        `Unfinished runs (finished first by the next run): ${preview.unfinishedRuns.length}`,
        ...preview.unfinishedRuns.map((r) => `  ${r.kind}  ${r.status}  ${r.objectKey}`),
      ].join("\n");
      return { json: preview, text };
    }
    const log = createLogger(`support-archive-${now.getTime()}`, (line) => process.stderr.write(`${line}\n`));
    const report = await runArchive({
      db,
      bucket: env.JOURNALS,
      settings: { ...settings, enabled: true },
      audit: auditRecorder(db, { actor: `support:${userInfo().username}`, sourceIp: null, log }),
      log,
      now,
    });
    const text = [
      `Payments before ${report.paymentsCutoff}, audit rows before ${report.auditCutoff} (Pacific dates):`,
      ...report.runs.map(
        (r) =>
          `  ${r.kind.padEnd(8)}  ${r.partition}  ${r.status.padEnd(9)}  records ${r.records}  deleted ${r.deleted}  ${r.objectKey}`,
      ),
      `${report.paymentsDeleted} payments and ${report.auditRowsDeleted} audit rows left D1 (${report.queries} D1 queries).`,
    ].join("\n");
    return { json: report, text };
  },
};

// An ISO-8601 date or UTC time, as the audit log stores them (2026-12-01 or 2026-12-01T09:30:00Z).
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?Z?)?$/;

const audit: SupportCommand = {
  summary: "query the audit log, newest first",
  usage: "audit [--from ISO] [--to ISO] [--action ACTION] [--target TARGET] [--limit N] [--list-actions]",
  options: {
    from: { type: "string", value: "ISO", help: "entries at or after this time (2026-12-01 or 2026-12-01T09:30:00Z, UTC)" },
    to: { type: "string", value: "ISO", help: "entries at or before this time" },
    action: { type: "string", value: "ACTION", help: "one action, e.g. partner.created (see --list-actions)" },
    target: { type: "string", value: "TARGET", help: "what the entry is about, e.g. a partner number" },
    limit: { type: "string", value: "N", help: "at most N entries (default 100, at most 1000)" },
    "list-actions": { type: "boolean", help: "list the actions the log holds, with their counts, instead of entries" },
  },
  required: [],
  check(values) {
    const limit = str(values, "limit");
    if (limit !== undefined && !(/^\d{1,4}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 1000)) {
      throw new UsageError(`--limit must be a number from 1 to 1000, not "${limit}"`);
    }
    for (const name of ["from", "to"]) {
      const value = str(values, name);
      if (value !== undefined && (!ISO_TIME.test(value) || Number.isNaN(Date.parse(value)))) {
        throw new UsageError(`--${name} must be a date or UTC time such as 2026-12-01 or 2026-12-01T09:30:00Z, not "${value}"`);
      }
    }
  },
  async run(db, values) {
    if (values["list-actions"] === true) {
      const actions = await auditActions(db);
      const text = actions.length
        ? actions.map((a) => `${a.action.padEnd(36)}  ${String(a.count).padStart(7)}  last ${a.last}`).join("\n")
        : "The audit log is empty.";
      return { json: actions, text };
    }
    const rows = await queryAudit(db, {
      from: str(values, "from"),
      to: str(values, "to"),
      action: str(values, "action"),
      target: str(values, "target"),
      limit: Number(str(values, "limit") ?? 100),
    });
    const text = rows.length
      ? rows
          .map(
            (r) =>
              `${r.occurredAt}  ${r.outcome.padEnd(7)}  ${r.action}  actor=${r.actor}  target=${r.target ?? "-"}  ip=${r.sourceIp ?? "-"}  ${r.detail ?? ""}`,
          )
          .join("\n")
      : "No audit entries match.";
    return { json: rows, text };
  },
};

const refund: SupportCommand = {
  summary: "refund a payment through the processor, recording who asked and why",
  usage: 'refund --ref N --txn PBC_TXN_NUMBER (--amount X | --line 1:25.00 ...) --reason "..." [--operator NAME]',
  options: {
    ref: { type: "string", value: "N", help: "the partner's PayBC reference number" },
    txn: { type: "string", value: "PBC_TXN_NUMBER", help: "the partner's transaction number" },
    amount: { type: "string", value: "X", help: "the amount to refund, e.g. 25.00" },
    line: {
      type: "string",
      multiple: true,
      value: "LINE:AMOUNT",
      help: "refund part of a revenue line (repeatable), e.g. 1:25.00",
    },
    reason: { type: "string", value: "TEXT", help: "why (kept with the refund and in the audit log)" },
    operator: { type: "string", value: "NAME", help: "who asks (default the login name)" },
  },
  required: ["ref", "txn", "reason"],
  notes: [
    "With --remote the processor's credentials come from the environment (BAMBORA_MERCHANT_ID,",
    "BAMBORA_API_PASSCODE, BAMBORA_REPORT_PASSCODE), as they are Worker secrets.",
  ],
  check(values) {
    if (values.amount === undefined && values.line === undefined)
      throw new UsageError("refund needs --amount or at least one --line");
  },
  async run(db, values, env) {
    const reason = (str(values, "reason") ?? "").trim();
    if (!reason) throw new UsageError('refund needs --reason "..." (it is kept with the refund and in the audit log)');
    const operator = (str(values, "operator") ?? userInfo().username).trim();
    if (!operator) throw new UsageError("refund needs --operator NAME");
    const lines = ((values.line as string[] | undefined) ?? []).map((text) => {
      const match = /^(\d{1,4}):(\d{1,9}(?:\.\d{1,2})?)$/.exec(text);
      const amount = match ? centsFromAmount(match[2] as string) : null;
      if (!match || amount === null) throw new UsageError(`--line ${text}: expected LINE:AMOUNT, e.g. 1:25.00`);
      return { lineNumber: Number(match[1]), amountCents: amount };
    });
    const amountText = str(values, "amount");
    const given = amountText === undefined ? null : centsFromAmount(amountText);
    if (amountText !== undefined && given === null)
      throw new UsageError(`--amount ${amountText}: expected an amount such as 25.00`);
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
    const ref = str(values, "ref") as string;
    const txn = str(values, "txn") as string;
    const outcome = await requestRefund(
      {
        db,
        processor: createProcessor(readConfig(processorEnv), processorEnv),
        audit: auditRecorder(db, { actor, sourceIp: null, log }),
        // No queue from the terminal: the portal's 5-minute sweep sends the refund's notification.
        notify: createNotifier({ db, queue: undefined, log }),
        log,
        now: new Date(),
      },
      {
        pbcRefNumber: ref,
        pbcTxnNumber: txn,
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
          ? `no payment ${txn} for partner ${ref}`
          : outcome.kind === "invalid"
            ? outcome.errors.join("; ")
            : "message" in outcome
              ? outcome.message
              : outcome.kind;
      throw new UsageError(`refund refused: ${why}`);
    }
    const { refund: made, summary } = outcome;
    if (made.status === "DECLINED") process.exitCode = 1;
    const text = [
      `Refund ${made.refundId} of ${made.amount} CAD on ${made.pbcTxnNumber} (partner ${made.pbcRefNumber}): ${made.status}${made.message ? ` (${made.message})` : ""}`,
      ...made.lines.map((line) => `  line ${line.lineNumber}  ${line.amount}`),
      `  left to refund ${formatCents(summary.amountAvailableCents)}, refunded ${formatCents(summary.amountRefundedCents)}`,
      ...(made.status === "UNKNOWN" || made.status === "PENDING"
        ? ["  The processor has not confirmed it yet: the sweep looks it up every 5 minutes. Do not refund again."]
        : []),
    ].join("\n");
    return { json: { refund: made, refundSummary: summary }, text };
  },
};

const repostRefunds: SupportCommand = {
  summary: "send the payment's refund lines the ledger rejected (RJCT) again with the next nightly run",
  usage: "repost-refunds --ref N --txn PBC_TXN_NUMBER [--operator NAME]",
  options: {
    ref: { type: "string", value: "N", help: "the partner's PayBC reference number" },
    txn: { type: "string", value: "PBC_TXN_NUMBER", help: "the partner's transaction number" },
    operator: { type: "string", value: "NAME", help: "who asks (default the login name)" },
  },
  required: ["ref", "txn"],
  notes: ["Once the cause (closed period, closed account) is fixed at the ledger."],
  async run(db, values) {
    const operator = (str(values, "operator") ?? userInfo().username).trim();
    const ref = str(values, "ref") as string;
    const txnNumber = str(values, "txn") as string;
    const txn = await findTransaction(db, ref, txnNumber);
    if (!txn) throw new UsageError(`no payment ${txnNumber} for partner ${ref}`);
    const [result] = await runBatch(db, [repostRejectedRefundLinesQuery(sql`${txn.id}`)]);
    const lines = result?.meta.changes ?? 0;
    const log = createLogger(`support-repost-${Date.now()}`, (line) => process.stderr.write(`${line}\n`));
    await auditRecorder(db, { actor: `staff:${operator}`, sourceIp: null, log })("refund.repost", "success", {
      target: `${txn.pbcRefNumber}/${txn.pbcTxnNumber}`,
      detail: { lines },
    });
    return { json: { reposted: lines }, text: `${lines} rejected refund line(s) will be sent again by the next nightly run` };
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

const webhooks: SupportCommand = {
  summary: "partner notifications, newest first: status, attempts, next retry, last answer (--log: every attempt)",
  usage: "webhooks [--ref N] [--status PENDING|DELIVERED|DEAD|CANCELLED] [--limit N] [--log]",
  options: {
    ref: { type: "string", value: "N", help: "only this partner's" },
    status: {
      type: "string",
      value: "STATUS",
      help: "PENDING (waiting for a retry), DELIVERED, DEAD (every try failed) or CANCELLED",
    },
    limit: { type: "string", value: "N", help: "how many (default 50, at most 500)" },
    log: { type: "boolean", help: "show every delivery attempt: time, HTTP status or error, duration, Retry-After" },
  },
  required: [],
  async run(db, values) {
    const status = str(values, "status")?.toUpperCase();
    if (status !== undefined && !["PENDING", "DELIVERED", "DEAD", "CANCELLED"].includes(status))
      throw new UsageError(`--status must be PENDING, DELIVERED, DEAD or CANCELLED, not "${str(values, "status")}"`);
    const limitText = str(values, "limit") ?? "50";
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > 500)
      throw new UsageError("--limit must be a whole number from 1 to 500");
    const ref = str(values, "ref");
    const deliveries = await listDeliveries(
      db,
      { ...(ref ? { pbcRefNumber: ref } : {}), ...(status ? { status } : {}) },
      limit,
      values.log === true,
    );
    const text = [
      ...deliveries.flatMap((d) => [
        `${d.createdAt}  ${d.messageId}  partner ${d.pbcRefNumber}  ${d.eventType}  ${d.status}  attempts ${d.attempts}` +
          `${d.nextRetryAt ? `  next retry ${d.nextRetryAt}` : ""}${d.lastStatusCode !== null ? `  last HTTP ${d.lastStatusCode}` : ""}` +
          `${d.lastError ? `  (${d.lastError})` : ""}  ${bodyPhrase(d.body)}`,
        ...(d.log ?? []).map(
          (a) =>
            `    #${a.attemptNumber} ${a.attemptedAt}  ${a.statusCode !== null ? `HTTP ${a.statusCode}` : "no answer"}  ${a.durationMs} ms` +
            `${a.error ? `  ${a.error}` : ""}${a.retryAfterSeconds !== null ? `  Retry-After ${a.retryAfterSeconds}s` : ""}`,
        ),
      ]),
      ...(deliveries.length === 0 ? ["No notifications."] : []),
    ].join("\n");
    return { json: deliveries, text };
  },
};

// Keep stdout for the answer (wrangler otherwise notes where secrets come from).
process.env.WRANGLER_LOG ??= "warn";

const code = await runCli<SupportCommand>(
  {
    program: "npm run support --",
    description: [
      "Support tools for the PayBC portal: payments, refunds, the audit log, reconciliation and partner notifications.",
      "Works on the local database unless --remote is given.",
    ],
    commands: { payment, audit, refund, "repost-refunds": repostRefunds, reconcile, webhooks, archive },
    globalOptions: DATABASE_OPTIONS,
    execute: (_name, command, values) =>
      withDatabase(databaseTarget(values, "support"), (db, env) => command.run(db, values, env)),
  },
  process.argv.slice(2),
);
await exit(code);
