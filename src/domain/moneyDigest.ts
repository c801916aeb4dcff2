/**
 * What a transaction number's money is: amount, currency and revenue lines. Once a pbcTxnNumber has
 * been requested this is fixed (an older signed URL replayed, or a re-request at another amount, must
 * not change what is charged); the digest is stored and compared inside the write that reuses it.
 */
import { sha256Hex } from "../lib/crypto.ts";
import type { RevenueLine } from "./revenue.ts";

export function moneyDigest(money: {
  trnAmountCents: number;
  currency: string;
  revenue: readonly RevenueLine[];
}): Promise<string> {
  const lines = [...money.revenue]
    .sort((a, b) => a.lineNumber - b.lineNumber)
    .map((line) => `${line.lineNumber}:${line.revenueAccount.toUpperCase()}:${line.revenueAmountCents}`);
  return sha256Hex(["money-v1", money.currency, String(money.trnAmountCents), ...lines].join("|"));
}
