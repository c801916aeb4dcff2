/** Validation of a revenue update (POST web service): same account rules as the direct sale, exact cents. */
import { formatCents, parseAmountToCents } from "./money.ts";
import { isValidRevenueAccount, MAX_REVENUE_LINES, type RevenueLine, revenueMessages, sumCents } from "./revenue.ts";

export interface RevenueUpdateLineInput {
  lineNumber: string | number;
  revenueAccount: string;
  revenueAmount: string | number;
}

export type RevenueUpdateCheck = { ok: true; lines: RevenueLine[] } | { ok: false; fields: Record<string, string> };

function amountToCents(value: string | number): number | null {
  if (typeof value === "number") {
    // A JSON number cannot carry "75.00"; accept it when it is a whole number of cents.
    if (!Number.isFinite(value) || value < 0 || value > 999_999_999.99) return null;
    const cents = Math.round(value * 100);
    return Math.abs(value * 100 - cents) < 1e-6 ? cents : null;
  }
  return parseAmountToCents(value.trim());
}

export function checkRevenueUpdate(lines: readonly RevenueUpdateLineInput[], trnAmountCents: number): RevenueUpdateCheck {
  const fields: Record<string, string> = {};
  if (lines.length === 0) return { ok: false, fields: { revenue: "At least one revenue line is required" } };
  if (lines.length > MAX_REVENUE_LINES) return { ok: false, fields: { revenue: `At most ${MAX_REVENUE_LINES} revenue lines` } };
  const result: RevenueLine[] = [];
  const seen = new Set<number>();
  lines.forEach((line, index) => {
    const at = `revenue[${index}]`;
    const lineText = String(line.lineNumber).trim();
    const account = line.revenueAccount.trim();
    let ok = true;
    if (!/^\d{1,5}$/.test(lineText)) {
      fields[`${at}.lineNumber`] = revenueMessages.lineNumber;
      ok = false;
    } else if (seen.has(Number(lineText))) {
      fields[`${at}.lineNumber`] = revenueMessages.duplicate;
      ok = false;
    }
    if (!isValidRevenueAccount(account)) {
      fields[`${at}.revenueAccount`] = revenueMessages.account;
      ok = false;
    }
    const cents = amountToCents(line.revenueAmount);
    if (cents === null) {
      fields[`${at}.revenueAmount`] = revenueMessages.amount;
      ok = false;
    } else if (cents <= 0) {
      fields[`${at}.revenueAmount`] = revenueMessages.amountPositive;
      ok = false;
    }
    if (ok) {
      seen.add(Number(lineText));
      // Lower case accepted, stored upper case as the ledger has it.
      result.push({ lineNumber: Number(lineText), revenueAccount: account.toUpperCase(), revenueAmountCents: cents as number });
    }
  });
  if (Object.keys(fields).length === 0 && sumCents(result) !== trnAmountCents) {
    fields.revenue = `The revenue amounts add up to ${formatCents(sumCents(result))}; they must add up to the payment amount ${formatCents(trnAmountCents)}`;
  }
  if (Object.keys(fields).length > 0) return { ok: false, fields };
  return { ok: true, lines: result.sort((a, b) => a.lineNumber - b.lineNumber) };
}
