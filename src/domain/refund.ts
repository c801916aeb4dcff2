/**
 * Refund rules as pure functions: amounts from JSON numbers, which lines a refund takes money from,
 * the refund summary partners see, and whether the processor can void rather than return.
 */
import { formatCents } from "./money.ts";

/** The largest amount a refund may carry (the same 9 integer digits as trnAmount). */
const MAX_CENTS = 999_999_999_99;

/**
 * A JSON amount in dollars to exact cents: `31.5` and `100.0` (numbers, as deployed clients send
 * them) or `"31.50"`. Anything that is not a positive whole number of cents is refused (null),
 * including `10.005` and `31.50000000000001`: the nearest cent must be exactly the number sent.
 */
export function centsFromAmount(value: unknown, options: { allowZero?: boolean } = {}): number | null {
  const least = options.allowZero ? 0 : 1;
  if (typeof value === "string") {
    const match = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(value);
    if (!match) return null;
    const cents = Number(match[1]) * 100 + Number((match[2] ?? "0").padEnd(2, "0"));
    return cents >= least ? cents : null;
  }
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) return null;
  const cents = Math.round(value * 100);
  if (cents / 100 !== value || cents < least || cents > MAX_CENTS) return null;
  return cents;
}

/** A revenue line as refunds see it: what was paid, what is already refunded or held by a refund in flight. */
export interface RefundableLine {
  lineNumber: number;
  amountCents: number;
  /** APPROVED plus PENDING/UNKNOWN refunds of this line. */
  heldCents: number;
}

export interface RefundLineRequest {
  lineNumber: number;
  amountCents: number;
}

export type RefundPlan = { ok: true; lines: RefundLineRequest[]; amountCents: number } | { ok: false; errors: string[] };

/**
 * Which lines the refund takes money from. With lines, each must exist once and not exceed what is
 * left on it, and they must add up to the amount. Without lines, the amount is taken from the lines
 * in order (line 1 first), each up to what is left on it: a full refund takes what is left of every line.
 */
export function planRefund(
  lines: readonly RefundableLine[],
  amountCents: number,
  requested: readonly RefundLineRequest[] | undefined,
): RefundPlan {
  const errors: string[] = [];
  const remaining = new Map(lines.map((line) => [line.lineNumber, line.amountCents - line.heldCents]));
  const available = [...remaining.values()].reduce((sum, cents) => sum + Math.max(0, cents), 0);
  if (requested && requested.length > 0) {
    const seen = new Set<number>();
    let sum = 0;
    for (const line of requested) {
      const left = remaining.get(line.lineNumber);
      if (left === undefined) {
        errors.push(`Revenue line ${line.lineNumber} does not exist on this payment`);
        continue;
      }
      if (seen.has(line.lineNumber)) {
        errors.push(`Revenue line ${line.lineNumber} is given more than once`);
        continue;
      }
      seen.add(line.lineNumber);
      sum += line.amountCents;
      if (line.amountCents > left) {
        errors.push(
          `Refund amount ${formatCents(line.amountCents)} for revenue line ${line.lineNumber} exceeds the ${formatCents(Math.max(0, left))} available on it`,
        );
      }
    }
    if (errors.length === 0 && sum !== amountCents) {
      errors.push(`The refund amount ${formatCents(amountCents)} is not the sum of its lines (${formatCents(sum)})`);
    }
    if (errors.length > 0) return { ok: false, errors };
    return { ok: true, amountCents, lines: [...requested].sort((a, b) => a.lineNumber - b.lineNumber) };
  }
  if (amountCents > available) {
    return {
      ok: false,
      errors: [`Refund amount ${formatCents(amountCents)} exceeds the ${formatCents(available)} available for refund`],
    };
  }
  const plan: RefundLineRequest[] = [];
  let left = amountCents;
  for (const line of [...lines].sort((a, b) => a.lineNumber - b.lineNumber)) {
    if (left === 0) break;
    const take = Math.min(left, Math.max(0, line.amountCents - line.heldCents));
    if (take > 0) plan.push({ lineNumber: line.lineNumber, amountCents: take });
    left -= take;
  }
  return { ok: true, amountCents, lines: plan };
}

export type RefundSummaryStatus = "available" | "partial" | "full" | "pending" | "unavailable";

export interface RefundSummary {
  status: RefundSummaryStatus;
  amountAvailableCents: number;
  amountRefundedCents: number;
}

/**
 * GOV.UK Pay's refund_summary: `pending` while a refund's outcome is not known, `unavailable` for a
 * payment that took no money, else by how much is left.
 */
export function refundSummary(
  paid: boolean,
  trnAmountCents: number,
  approvedCents: number,
  inFlightCents: number,
): RefundSummary {
  const amountAvailableCents = paid ? Math.max(0, trnAmountCents - approvedCents - inFlightCents) : 0;
  let status: RefundSummaryStatus;
  if (!paid) status = "unavailable";
  else if (inFlightCents > 0) status = "pending";
  else if (approvedCents === 0) status = "available";
  else status = approvedCents >= trnAmountCents ? "full" : "partial";
  return { status, amountAvailableCents, amountRefundedCents: approvedCents };
}

/**
 * An archived payment can no longer be refunded through the portal (services/refunds.ts refuses it
 * with 409): nothing is available, whatever was left when it was archived; what was refunded stays.
 */
export function archivedRefundSummary(summary: RefundSummary): RefundSummary {
  return { status: "unavailable", amountAvailableCents: 0, amountRefundedCents: summary.amountRefundedCents };
}

/** The processor's settlement day ends at midnight Eastern; a void is only possible before it. */
const VOID_TIME_ZONE = "America/Toronto";
/** Margin before midnight Eastern: a void sent later might arrive after the batch closed. */
const VOID_LAST_MINUTE = 23 * 60 + 30;

const easternFormat = new Intl.DateTimeFormat("en-CA", {
  timeZone: VOID_TIME_ZONE,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

function eastern(instant: Date): { date: string; minute: number } {
  const parts: Record<string, string> = {};
  for (const part of easternFormat.formatToParts(instant)) parts[part.type] = part.value;
  return { date: `${parts.year}-${parts.month}-${parts.day}`, minute: Number(parts.hour) * 60 + Number(parts.minute) };
}

/**
 * A void cancels the purchase before it settles (no fee, nothing on the statement) but must be the
 * whole amount on the day of the purchase; anything else is a return.
 */
export function refundMethod(paidAt: Date, now: Date, wholePaymentAtOnce: boolean): "void" | "return" {
  if (!wholePaymentAtOnce) return "return";
  const paid = eastern(paidAt);
  const current = eastern(now);
  return paid.date === current.date && current.minute < VOID_LAST_MINUTE ? "void" : "return";
}

/** What identifies "the same refund" for the PayBC service's duplicate check (hashed by the caller). */
export function refundFingerprintText(transactionId: number, amountCents: number, lines: readonly RefundLineRequest[]): string {
  return JSON.stringify([transactionId, amountCents, lines.map((line) => [line.lineNumber, line.amountCents])]);
}

/** A refund line's status in the query service (PayBC's refundglstatus vocabulary). */
/** A refunded line's GL status as the query service shows it. */
export type RefundLineGlStatus = "PAID" | "INPRG" | "CMPLT" | "RJCT" | "DECLINED";

export function refundLineGlStatus(
  refundStatus: "PENDING" | "APPROVED" | "DECLINED" | "UNKNOWN",
  glStatus: "NEW" | "INPRG" | "CMPLT" | "RJCT",
): RefundLineGlStatus | null {
  if (refundStatus === "DECLINED") return "DECLINED";
  if (refundStatus !== "APPROVED") return null;
  return glStatus === "NEW" ? "PAID" : glStatus;
}
