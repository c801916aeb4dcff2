/**
 * How refunds are shown: the REST refund resource, the PayBC refund service's answer, and the
 * refund fields of the query service (both key styles). Inputs are stored rows; nothing is read here.
 */
import { formatCents } from "./money.ts";
import { type RefundLineGlStatus, type RefundSummary, refundLineGlStatus } from "./refund.ts";

type RefundStatus = "PENDING" | "APPROVED" | "DECLINED" | "UNKNOWN";
type RefundGl = "NEW" | "INPRG" | "CMPLT" | "RJCT";

export interface RefundRow {
  id: number;
  externalId: string;
  pbcRefNumber: string;
  pbcTxnNumber: string;
  amountCents: number;
  status: RefundStatus;
  method: "void" | "return" | null;
  processorMessage: string | null;
  reason: string | null;
  businessDate: string | null;
  glDate: string | null;
  createdAt: string;
  settledAt: string | null;
}

export interface RefundLineFacts {
  id: number;
  refundId: number;
  lineNumber: number;
  amountCents: number;
  glStatus: RefundGl;
  glErrorMessage: string | null;
}

export interface RefundResource {
  refundId: string;
  pbcRefNumber: string;
  pbcTxnNumber: string;
  /** PENDING and UNKNOWN: the processor's answer is not known yet (never a decline). */
  status: RefundStatus;
  amount: string;
  method: "void" | "return" | null;
  message: string | null;
  reason: string | null;
  refundDate: string | null;
  glDate: string | null;
  lines: Array<{ lineNumber: string; amount: string; refundGlStatus: RefundLineGlStatus | null }>;
  createdAt: string;
  settledAt: string | null;
}

export function refundResource(refund: RefundRow, lines: readonly RefundLineFacts[]): RefundResource {
  return {
    refundId: refund.externalId,
    pbcRefNumber: refund.pbcRefNumber,
    pbcTxnNumber: refund.pbcTxnNumber,
    status: refund.status,
    amount: formatCents(refund.amountCents),
    method: refund.method,
    message: refund.processorMessage,
    reason: refund.reason,
    refundDate: refund.businessDate,
    glDate: refund.glDate,
    lines: lines
      .filter((line) => line.refundId === refund.id)
      .map((line) => ({
        lineNumber: String(line.lineNumber),
        amount: formatCents(line.amountCents),
        refundGlStatus: refundLineGlStatus(refund.status, line.glStatus),
      })),
    createdAt: refund.createdAt,
    settledAt: refund.settledAt,
  };
}

/** A JSON number of dollars (100.0 is sent as 100): how the PayBC refund service and ORDS show amounts. */
export function dollars(cents: number): number {
  return Number(formatCents(cents));
}

/** The PayBC refund service's answer: `approved` 1 only when the processor refunded. */
export function paybcRefundAnswer(refund: RefundRow, trnOrderId: string) {
  const message =
    refund.status === "APPROVED"
      ? "Approved"
      : refund.status === "DECLINED"
        ? `Declined - ${refund.processorMessage ?? "the processor refused the refund"}`
        : "Pending - the processor has not confirmed this refund yet; its outcome will show in the query service";
  return {
    id: refund.externalId,
    approved: refund.status === "APPROVED" ? 1 : 0,
    amount: dollars(refund.amountCents),
    message,
    created: refund.createdAt,
    orderNumber: trnOrderId,
    txnNumber: refund.pbcTxnNumber,
  };
}

/** Refund fields of the query service, per payment and per revenue line. */
export interface PaymentRefundFacts {
  refunds: readonly RefundRow[];
  lines: readonly RefundLineFacts[];
  summary: RefundSummary;
}

export interface RefundDataCamel {
  txnRefundDistributionId: number;
  revenueAmount: number;
  refundDate: string | null;
  refundGlStatus: RefundLineGlStatus;
  refundGlErrorMessage: string | null;
}

export interface LineRefundFields {
  refundGlStatus: RefundLineGlStatus | null;
  refundGlErrorMessage: string | null;
  refundData: RefundDataCamel[];
}

export interface PaymentRefundFields {
  refundedAmount: number;
  postedRefundAmount: number;
  refundSummary: { status: RefundSummary["status"]; amountAvailable: string; amountRefunded: string };
  lines: Map<number, LineRefundFields>;
}

/**
 * Settled refunds only (APPROVED, DECLINED): an empty refund_data means nothing was done; a refund
 * still waiting for the processor shows in refundSummary (status pending), not as a line status.
 */
export function paymentRefundFields(facts: PaymentRefundFacts): PaymentRefundFields {
  const byId = new Map(facts.refunds.map((refund) => [refund.id, refund]));
  const lines = new Map<number, LineRefundFields>();
  let refunded = 0;
  let posted = 0;
  for (const line of facts.lines) {
    const refund = byId.get(line.refundId);
    if (!refund) continue;
    const status = refundLineGlStatus(refund.status, line.glStatus);
    if (status === null) continue;
    if (refund.status === "APPROVED") refunded += line.amountCents;
    if (status === "CMPLT") posted += line.amountCents;
    const fields = lines.get(line.lineNumber) ?? { refundGlStatus: null, refundGlErrorMessage: null, refundData: [] };
    fields.refundData.push({
      txnRefundDistributionId: line.id,
      revenueAmount: dollars(line.amountCents),
      refundDate: refund.businessDate ?? refund.settledAt?.slice(0, 10) ?? null,
      refundGlStatus: status,
      refundGlErrorMessage: status === "RJCT" ? line.glErrorMessage : status === "DECLINED" ? refund.processorMessage : null,
    });
    // The line's status is its newest refund's, unless a declined one would hide an earlier refund.
    if (status !== "DECLINED" || fields.refundGlStatus === null || fields.refundGlStatus === "DECLINED") {
      fields.refundGlStatus = status;
      fields.refundGlErrorMessage = status === "RJCT" ? line.glErrorMessage : null;
    }
    lines.set(line.lineNumber, fields);
  }
  return {
    refundedAmount: dollars(refunded),
    postedRefundAmount: dollars(posted),
    refundSummary: {
      status: facts.summary.status,
      amountAvailable: formatCents(facts.summary.amountAvailableCents),
      amountRefunded: formatCents(facts.summary.amountRefundedCents),
    },
    lines,
  };
}
