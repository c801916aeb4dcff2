/**
 * `npm run support -- payment` in words: the service's PaymentHistory (services/paymentHistory.ts)
 * as support staff read it, every time in Pacific with its zone (the JSON keeps ISO UTC).
 */
import { formatPacificTime } from "../../src/domain/businessTime.ts";
import type {
  LinePosting,
  NotificationHistory,
  PaymentHistory,
  ReceiptHistory,
  RefundHistory,
} from "../../src/services/paymentHistory.ts";

const at = (iso: string | null) => (iso === null ? "-" : formatPacificTime(iso, { seconds: true }));

/** What a rejected line waits for before the nightly run posts it again. */
const CORRECTION = {
  revenue: "the partner's revenue update",
  refund: "`npm run support -- repost-refunds` once the cause is fixed at the ledger",
};

/** Where a line was posted and what the ledger said, or why it is not posted; indented under the line. */
export function postingLines(posting: LinePosting, indent: string, kind: "revenue" | "refund"): string[] {
  const out: string[] = [];
  const { journal, ledger, notPosted } = posting;
  if (journal) {
    out.push(
      `${indent}journal ${journal.batchId} (${journal.kind}, GL date ${journal.glDate}, sequence ${journal.sequence}), ` +
        (journal.postedAt ? `posted ${at(journal.postedAt)}` : "claimed, files not written yet"),
    );
    if (journal.feederFile)
      out.push(`${indent}ledger journal ${journal.journalName} in feeder file ${journal.feederFile} (${journal.batchType})`);
    if (journal.files.length > 0) out.push(`${indent}files ${journal.files.join(", ")}`);
  }
  if (ledger) {
    const from = ledger.feedbackFile ? `, feedback file ${ledger.feedbackFile}` : "";
    if (ledger.result === "AWAITING") out.push(`${indent}ledger: no feedback yet`);
    else if (ledger.result === "ACCEPTED") out.push(`${indent}ledger: accepted ${at(ledger.at)}${from}`);
    else
      out.push(
        `${indent}ledger: REJECT ${at(ledger.at)}${from}: ${ledger.code ? `${ledger.code} ` : ""}${ledger.message ?? "(no message)"}`,
      );
  }
  if (notPosted) {
    switch (notPosted.reason) {
      case "waiting":
        out.push(`${indent}not yet posted (next nightly run after GL date ${notPosted.glDate}: ${at(notPosted.nextRunAt)})`);
        break;
      case "gl-posting-off":
        out.push(`${indent}not posted: GL posting is off for this partner (GL date ${notPosted.glDate})`);
        break;
      case "not-paid":
        out.push(`${indent}not posted: the payment is not paid`);
        break;
      case "refund-not-approved":
        out.push(`${indent}never posted: the refund was not approved`);
        break;
      case "waiting-for-revenue":
        out.push(
          `${indent}not yet posted: waits until the ledger accepts the revenue line it reverses, then the next nightly run (GL date ${notPosted.glDate ?? "-"})`,
        );
        break;
      case "rejected":
        if (notPosted.message) out.push(`${indent}REJECT before posting: ${notPosted.message}`);
        out.push(`${indent}posted again by the nightly run after ${CORRECTION[kind]}`);
        break;
    }
  }
  return out;
}

function refundLines(refund: RefundHistory): string[] {
  return [
    `  ${refund.refundId}  ${refund.amount} CAD  ${refund.status}${refund.method ? ` (${refund.method})` : ""}  requested ${at(refund.requestedAt)} by ${refund.requestedBy}${refund.reason ? `: ${refund.reason}` : ""}`,
    `      processor reference ${refund.processorReference ?? "-"}${refund.processorMessage ? ` (${refund.processorMessage})` : ""}, settled ${at(refund.settledAt)}`,
    ...refund.lines.flatMap((line) => [
      `    line ${line.lineNumber}  ${line.revenueAccount ?? "-"}  ${line.amount}  ${line.glStatus}`,
      ...postingLines(line.posting, "      ", "refund"),
    ]),
  ];
}

const STATE_WORDS: Record<NotificationHistory["state"], (n: NotificationHistory) => string> = {
  delivered: (n) => `delivered ${at(n.deliveredAt)}`,
  pending: (n) => `pending, next retry ${at(n.nextRetryAt)}`,
  dead: (n) => `dead (every try failed${n.lastError ? `: ${n.lastError}` : ""})`,
  disabled: (n) => `disabled (${n.lastError ?? "the endpoint is disabled"})`,
  cancelled: (n) => `cancelled (${n.lastError ?? "the endpoint was removed"})`,
};

function notificationLines(n: NotificationHistory): string[] {
  return [
    `  ${n.type}  ${n.eventId}  created ${at(n.createdAt)}: ${STATE_WORDS[n.state](n)}` +
      `${n.bodyClearedAt ? `; body cleared ${at(n.bodyClearedAt)} (past its retention)` : ""}`,
    ...n.attempts.map(
      (a) =>
        `    #${a.number} ${at(a.at)}  ${a.httpStatus !== null ? `HTTP ${a.httpStatus}` : "no answer"}` +
        `${a.error ? `  ${a.error}` : ""}${a.retryAfterSeconds !== null ? `  Retry-After ${a.retryAfterSeconds}s` : ""}` +
        `${a.nextRetryAt ? `  next retry ${at(a.nextRetryAt)}` : ""}`,
    ),
  ];
}

const RECEIPT_WORDS: Record<ReceiptHistory["status"], (r: ReceiptHistory) => string> = {
  REQUESTED: (r) => `requested, not sent yet${r.address ? ` (to ${r.address})` : ""}; last activity ${at(r.at)}`,
  SENT: (r) => `sent ${at(r.at)}`,
  FAILED: (r) => `failed: given up ${at(r.at)}, address erased`,
  ERASED: (r) => `not sent (the attempt was not approved): address erased ${at(r.at)}`,
};

export function paymentHistoryText(history: PaymentHistory): string {
  const p = history.payment;
  const { endpoint } = history.notifications;
  return [
    `Payment ${p.pbcTxnNumber} (partner ${p.pbcRefNumber}${p.partnerName ? ` ${p.partnerName}` : ""}): ${p.status}`,
    `  amount ${p.amount} ${p.currency}, trnDate ${p.trnDate}, GL date ${p.glDate}, ${p.description}`,
    `  processor order id ${p.trnOrderId ?? "-"}, auth code ${p.authCode ?? "-"}, card ${p.cardType ?? "-"} ending ${p.cardLastFour ?? "-"}, paid ${at(p.paidAt)}`,
    `  fully posted (CMPLT): ${p.completedAt ? at(p.completedAt) : p.status === "CMPLT" ? "yes" : "not yet"}`,
    `  authorisation in progress: ${p.authorisingAttemptId === null ? "no" : `yes (attempt ${p.authorisingAttemptId})`}, declines ${p.declineCount}`,
    "Revenue lines:",
    ...history.revenueLines.flatMap((line) => [
      `  ${line.lineNumber}  ${line.revenueAccount}  ${line.amount}  ${line.glStatus}`,
      ...postingLines(line.posting, "      ", "revenue"),
    ]),
    "Refunds:",
    ...(history.refunds.length ? history.refunds.flatMap(refundLines) : ["  none"]),
    `Notifications${endpoint ? ` (endpoint ${endpoint.url}, ${endpoint.status}${endpoint.disabledReason ? `: ${endpoint.disabledReason}` : ""})` : " (no endpoint)"}:`,
    ...(history.notifications.events.length ? history.notifications.events.flatMap(notificationLines) : ["  none"]),
    "Receipt email:",
    ...(history.receipts.length
      ? history.receipts.map((r) => `  attempt ${r.attemptNumber}: ${RECEIPT_WORDS[r.status](r)}`)
      : ["  not requested"]),
    "Lifecycle:",
    ...history.events.map(
      (e) =>
        `  ${at(e.at)}  attempt ${e.attemptNumber ?? "-"}  ${e.eventType}${e.detail !== null ? `  ${typeof e.detail === "string" ? e.detail : JSON.stringify(e.detail)}` : ""}`,
    ),
  ].join("\n");
}
