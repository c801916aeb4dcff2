/**
 * The payment as the partner web service shows it (the contract's QUERY section). Deployed clients
 * read Oracle ORDS-style lower-case keys; the contract documents camelCase. One style per body.
 */
import { type CardTypeCode, isCardTypeCode } from "./card.ts";
import { formatCents } from "./money.ts";
import type { ReportedState } from "./paymentAttempt.ts";
import { type RefundLineGlStatus, refundSummary } from "./refund.ts";
import { type PaymentRefundFields, paymentRefundFields, type RefundDataCamel } from "./refundView.ts";

export type KeyStyle = "camel" | "lower";
/** CC: credit card; VI: Visa Debit. */
export type PaymentMethod = "CC" | "VI";
export type PaymentStatus = "PNDNG" | "PAID" | "CMPLT";
export type RevenueGlStatus = "NEW" | "IN PROCESS" | "REJECT" | "PROCESSED";

export interface PaymentRecord {
  pbcRefNumber: string;
  pbcTxnNumber: string;
  trnDate: string;
  description: string;
  trnAmountCents: number;
  paymentMethod: PaymentMethod;
  currency: "CAD";
  glDate: string;
  paymentStatus: PaymentStatus;
  trnOrderId: string | null;
  paymentAuthCode: string | null;
  cardType: string | null;
  /**
   * The newest attempt's outcome (APPROVED, DECLINED, CANCELLED, EXPIRED, LOCKED) and when; null
   * when nobody has tried to pay. A declined payment stays PNDNG: this says it was tried.
   */
  lastAttempt: { status: ReportedState; at: string } | null;
}

export interface RevenueRecord {
  lineNumber: number;
  revenueAccount: string;
  revenueAmountCents: number;
  glStatus: RevenueGlStatus;
  glErrorMessage: string | null;
}

export interface PaymentViewCamel {
  pbcRefNumber: string;
  pbcTxnNumber: string;
  trnDate: string;
  description: string;
  trnAmount: string;
  paymentMethod: PaymentMethod;
  currency: "CAD";
  glDate: string;
  paymentStatus: PaymentStatus;
  lastAttemptStatus: ReportedState | null;
  lastAttemptTime: string | null;
  trnOrderId: string | null;
  paymentAuthCode: string | null;
  cardType: CardTypeCode | null;
  /** Refunded by the processor (APPROVED refunds), and the part of it posted to the GL. */
  refundedAmount: number;
  postedRefundAmount: number;
  refundSummary: PaymentRefundFields["refundSummary"];
  revenue: Array<{
    lineNumber: string;
    revenueAccount: string;
    revenueAmount: string;
    glStatus: RevenueGlStatus;
    glErrorMessage: string | null;
    refundGlStatus: RefundLineGlStatus | null;
    refundGlErrorMessage: string | null;
    refundData: RefundDataCamel[];
  }>;
}

export interface PaymentViewLower {
  pbcrefnumber: string;
  /** ORDS names the transaction number column trnnumber (as the deployed client's own mock does). */
  trnnumber: string;
  trndate: string;
  description: string;
  trnamount: string;
  paymentmethod: PaymentMethod;
  currency: "CAD";
  gldate: string;
  paymentstatus: PaymentStatus;
  lastattemptstatus: ReportedState | null;
  lastattempttime: string | null;
  trnorderid: string | null;
  paymentauthcode: string | null;
  cardtype: CardTypeCode | null;
  refundedamount: number;
  postedrefundamount: number;
  refundsummary: { status: PaymentRefundFields["refundSummary"]["status"]; amountavailable: string; amountrefunded: string };
  revenue: Array<{
    linenumber: string;
    revenueaccount: string;
    revenueamount: string;
    glstatus: RevenueGlStatus;
    glerrormessage: string | null;
    refundglstatus: RefundLineGlStatus | null;
    refundglerrormessage: string | null;
    /** Named as PayBC's ORDS names it (deployed clients read these exact keys). */
    refund_data: Array<{
      txn_refund_distribution_id: number;
      revenue_amount: number;
      refund_date: string | null;
      refundglstatus: RefundLineGlStatus;
      refundglerrormessage: string | null;
    }>;
  }>;
}

const clean = (value: string | null): string | null => {
  if (value === null) return null;
  const trimmed = value.trim();
  return trimmed === "" ? null : trimmed;
};

/** The stored card type if it is one partners are told of (VI, MC, AM, DI), else null. */
function cardTypeCode(value: string | null): CardTypeCode | null {
  const code = clean(value);
  return code !== null && isCardTypeCode(code) ? code : null;
}

export function paymentViewCamel(
  payment: PaymentRecord,
  lines: readonly RevenueRecord[],
  refunds?: PaymentRefundFields,
): PaymentViewCamel {
  // Processor fields exist only once money was taken: a pending payment shows null, not a declined attempt's id.
  const paid = payment.paymentStatus !== "PNDNG";
  const refund =
    refunds ?? paymentRefundFields({ refunds: [], lines: [], summary: refundSummary(paid, payment.trnAmountCents, 0, 0) });
  return {
    pbcRefNumber: payment.pbcRefNumber,
    pbcTxnNumber: payment.pbcTxnNumber,
    trnDate: payment.trnDate,
    description: payment.description.trim(),
    trnAmount: formatCents(payment.trnAmountCents),
    paymentMethod: payment.paymentMethod,
    currency: payment.currency,
    glDate: payment.glDate,
    paymentStatus: payment.paymentStatus,
    lastAttemptStatus: payment.lastAttempt?.status ?? null,
    lastAttemptTime: payment.lastAttempt?.at ?? null,
    trnOrderId: paid ? clean(payment.trnOrderId) : null,
    paymentAuthCode: paid ? clean(payment.paymentAuthCode) : null,
    cardType: paid ? cardTypeCode(payment.cardType) : null,
    refundedAmount: refund.refundedAmount,
    postedRefundAmount: refund.postedRefundAmount,
    refundSummary: refund.refundSummary,
    revenue: lines.map((line) => {
      const refunded = refund.lines.get(line.lineNumber);
      return {
        lineNumber: String(line.lineNumber),
        revenueAccount: line.revenueAccount,
        revenueAmount: formatCents(line.revenueAmountCents),
        glStatus: line.glStatus,
        glErrorMessage: clean(line.glErrorMessage),
        refundGlStatus: refunded?.refundGlStatus ?? null,
        refundGlErrorMessage: refunded?.refundGlErrorMessage ?? null,
        refundData: refunded?.refundData ?? [],
      };
    }),
  };
}

export function paymentViewLower(
  payment: PaymentRecord,
  lines: readonly RevenueRecord[],
  refunds?: PaymentRefundFields,
): PaymentViewLower {
  const camel = paymentViewCamel(payment, lines, refunds);
  return {
    pbcrefnumber: camel.pbcRefNumber,
    trnnumber: camel.pbcTxnNumber,
    trndate: camel.trnDate,
    description: camel.description,
    trnamount: camel.trnAmount,
    paymentmethod: camel.paymentMethod,
    currency: camel.currency,
    gldate: camel.glDate,
    paymentstatus: camel.paymentStatus,
    lastattemptstatus: camel.lastAttemptStatus,
    lastattempttime: camel.lastAttemptTime,
    trnorderid: camel.trnOrderId,
    paymentauthcode: camel.paymentAuthCode,
    cardtype: camel.cardType,
    refundedamount: camel.refundedAmount,
    postedrefundamount: camel.postedRefundAmount,
    refundsummary: {
      status: camel.refundSummary.status,
      amountavailable: camel.refundSummary.amountAvailable,
      amountrefunded: camel.refundSummary.amountRefunded,
    },
    revenue: camel.revenue.map((line) => ({
      linenumber: line.lineNumber,
      revenueaccount: line.revenueAccount,
      revenueamount: line.revenueAmount,
      glstatus: line.glStatus,
      glerrormessage: line.glErrorMessage,
      refundglstatus: line.refundGlStatus,
      refundglerrormessage: line.refundGlErrorMessage,
      refund_data: line.refundData.map((item) => ({
        txn_refund_distribution_id: item.txnRefundDistributionId,
        revenue_amount: item.revenueAmount,
        refund_date: item.refundDate,
        refundglstatus: item.refundGlStatus,
        refundglerrormessage: item.refundGlErrorMessage,
      })),
    })),
  };
}
