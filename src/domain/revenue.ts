/** Revenue coding: `line:account:amount|line:account:amount|...` */
import { parseAmountToCents } from "./money.ts";

export interface RevenueLine {
  lineNumber: number;
  revenueAccount: string;
  revenueAmountCents: number;
}

/** XXX.XXXXX.XXXXX.XXXX.XXXXXXX.XXXXXX.XXXX, each X alphanumeric. */
const ACCOUNT_PATTERN =
  /^[A-Za-z0-9]{3}\.[A-Za-z0-9]{5}\.[A-Za-z0-9]{5}\.[A-Za-z0-9]{4}\.[A-Za-z0-9]{7}\.[A-Za-z0-9]{6}\.[A-Za-z0-9]{4}$/;
const LINE_NUMBER_PATTERN = /^\d{1,5}$/;
export const MAX_REVENUE_LINES = 100;

export function isValidRevenueAccount(account: string): boolean {
  return ACCOUNT_PATTERN.test(account);
}

export const revenueMessages = {
  account: "Revenue account must be in XXX.XXXXX.XXXXX.XXXX.XXXXXXX.XXXXXX.XXXX format (letters and digits)",
  amount: "Revenue amount must be a number with two decimal digits",
  amountPositive: "Revenue amount must be greater than 0",
  lineNumber: "Line number must be numeric",
  duplicate: "Line numbers must be unique",
} as const;

export type LineCheck = { ok: true; line: RevenueLine } | { ok: false; message: string };

/** Check one revenue line given as text parts (direct sale) or JSON values (revenue update). */
export function checkRevenueLine(lineNumber: string, account: string, amount: string): LineCheck {
  if (!LINE_NUMBER_PATTERN.test(lineNumber)) return { ok: false, message: revenueMessages.lineNumber };
  if (!isValidRevenueAccount(account)) return { ok: false, message: revenueMessages.account };
  const cents = parseAmountToCents(amount);
  if (cents === null) return { ok: false, message: revenueMessages.amount };
  if (cents <= 0) return { ok: false, message: revenueMessages.amountPositive };
  // The ledger's accounts are upper case: lower case is accepted and stored upper.
  return { ok: true, line: { lineNumber: Number(lineNumber), revenueAccount: account.toUpperCase(), revenueAmountCents: cents } };
}

export type RevenueParse = { ok: true; lines: RevenueLine[] } | { ok: false; message: string };

export function parseRevenue(text: string): RevenueParse {
  const segments = text.split("|").map((segment) => segment.trim());
  // The contract's own description ends every line with "|": tolerate one trailing separator.
  if (segments.length > 1 && segments[segments.length - 1] === "") segments.pop();
  if (segments.length > MAX_REVENUE_LINES) {
    return { ok: false, message: `Revenue must not have more than ${MAX_REVENUE_LINES} lines` };
  }
  const lines: RevenueLine[] = [];
  const problems: string[] = [];
  const seen = new Set<number>();
  segments.forEach((segment, index) => {
    const parts = segment.split(":").map((part) => part.trim());
    const label = `Revenue line ${index + 1}`;
    if (parts.length !== 3) {
      problems.push(`${label}: must be lineNumber:revenueAccount:revenueAmount`);
      return;
    }
    const check = checkRevenueLine(parts[0] as string, parts[1] as string, parts[2] as string);
    if (!check.ok) {
      problems.push(`${label}: ${check.message}`);
      return;
    }
    if (seen.has(check.line.lineNumber)) {
      problems.push(`${label}: ${revenueMessages.duplicate}`);
      return;
    }
    seen.add(check.line.lineNumber);
    lines.push(check.line);
  });
  if (problems.length > 0) return { ok: false, message: problems.join("; ") };
  return { ok: true, lines };
}

export function sumCents(lines: readonly RevenueLine[]): number {
  return lines.reduce((total, line) => total + line.revenueAmountCents, 0);
}
