/**
 * The detail CSV of a reversal journal, for people: one row per refunded revenue line, the amount
 * negative (money going back, as GOV.UK Pay's reports show refunds). Same CSV rules as journalCsv.ts.
 */
import { formatPacificTime } from "./businessTime.ts";
import { CSV_LINE_END, csvText, UTF8_BOM } from "./journalCsv.ts";
import { formatCents } from "./money.ts";

export const REFUND_DETAIL_COLUMNS = [
  "GL date",
  "Partner",
  "Transaction",
  "Line",
  "Account",
  "Amount",
  "Refund",
  "Processor refund id",
  "Order id",
  "Refunded at",
  // Added at the end (earlier spreadsheets keep their columns): what the merchant statement shows.
  "Card brand",
  "Card last four",
  "Refunded at (Pacific)",
  "Description",
] as const;

export interface RefundDetailFacts {
  pbcTxnNumber: string;
  lineNumber: number;
  account: string;
  amountCents: number;
  refundId: string;
  processorRefundId: string | null;
  trnOrderId: string | null;
  refundedAt: string | null;
  /** The card brand's name (Visa); brand and last four at most. */
  cardBrand: string;
  cardLastFour: string | null;
  description: string;
}

/** A refund as a signed amount for people: "-25.00". */
export function negativeAmount(cents: number): string {
  return cents === 0 ? "0.00" : `-${formatCents(cents)}`;
}

export function renderRefundDetailHeader(): string {
  return UTF8_BOM + REFUND_DETAIL_COLUMNS.join(",") + CSV_LINE_END;
}

export function renderRefundDetailRow(glDate: string, pbcRefNumber: string, row: RefundDetailFacts): string {
  return (
    [
      csvText(glDate),
      csvText(pbcRefNumber),
      csvText(row.pbcTxnNumber),
      String(row.lineNumber),
      csvText(row.account),
      // A number cell: written as is (csvText would guard the leading "-" as if it were a formula).
      negativeAmount(row.amountCents),
      csvText(row.refundId),
      csvText(row.processorRefundId ?? ""),
      csvText(row.trnOrderId ?? ""),
      csvText(row.refundedAt ?? ""),
      csvText(row.cardBrand),
      csvText(row.cardLastFour ?? ""),
      csvText(row.refundedAt ? formatPacificTime(row.refundedAt, { seconds: true }) : ""),
      csvText(row.description),
    ].join(",") + CSV_LINE_END
  );
}
