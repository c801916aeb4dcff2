/**
 * The money-integrity invariant, as a pure check: for every transaction, what the processor charged
 * = the stored trnAmount = the sum of its revenue lines = what the partner's signed response said =
 * what the journals posted. Inputs are facts read elsewhere; this only compares them.
 */

/** One entry of the processor's own record (its transaction report). */
export interface ProcessorCharge {
  orderNumber: string;
  kind: "purchase" | "return" | "void";
  amountCents: number;
  approved: boolean;
}

/** What the portal holds about one transaction. */
export interface TransactionFacts {
  pbcRefNumber: string;
  pbcTxnNumber: string;
  paymentStatus: "PNDNG" | "PAID" | "CMPLT";
  trnAmountCents: number;
  linesCents: number;
  lineCount: number;
  /** Lines written into a posted journal, and their sum. */
  postedLineCount: number;
  postedCents: number;
  /** The processor order numbers of every attempt. */
  orderNumbers: string[];
  /** An attempt is still waiting for the processor's answer (a lookup or the sweep will settle it). */
  awaitingOutcome: boolean;
  /** trnAmount of every signed "approved" response the partner was sent. */
  toldApprovedCents: number[];
  /** Refunds: APPROVED in D1, and the part of it posted in a reversal journal. */
  refundedCents?: number;
  postedRefundCents?: number;
  /** The processor order numbers of every refund. */
  refundOrderNumbers?: string[];
  /** A refund is still waiting for the processor's answer. */
  refundAwaitingOutcome?: boolean;
}

export interface JournalFacts {
  batchId: number;
  debitTotalCents: number;
  creditTotalCents: number;
  /** Lines that still carry the batch and were not rejected by the ledger. */
  linesCents: number;
}

export interface Mismatch {
  target: string;
  rule: string;
  detail: string;
}

export interface ReconciliationReport {
  transactions: number;
  /** Transactions whose outcome is still being looked up: not compared yet. */
  awaitingOutcome: number;
  journals: number;
  mismatches: Mismatch[];
}

export function reconcile(
  transactions: readonly TransactionFacts[],
  journals: readonly JournalFacts[],
  charges: readonly ProcessorCharge[],
): ReconciliationReport {
  const mismatches: Mismatch[] = [];
  const chargedByOrder = new Map<string, number[]>();
  const returnedByOrder = new Map<string, number[]>();
  for (const charge of charges) {
    if (!charge.approved) continue;
    const into = charge.kind === "purchase" ? chargedByOrder : returnedByOrder;
    into.set(charge.orderNumber, [...(into.get(charge.orderNumber) ?? []), charge.amountCents]);
  }
  const knownOrders = new Set<string>();
  const knownRefundOrders = new Set<string>();
  let awaiting = 0;

  for (const t of transactions) {
    const target = `${t.pbcRefNumber}/${t.pbcTxnNumber}`;
    const fail = (rule: string, detail: string) => mismatches.push({ target, rule, detail });
    for (const order of t.orderNumbers) knownOrders.add(order);

    if (t.linesCents !== t.trnAmountCents) fail("lines = trnAmount", `lines ${t.linesCents} vs trnAmount ${t.trnAmountCents}`);
    for (const told of t.toldApprovedCents) {
      if (told !== t.trnAmountCents) fail("told = trnAmount", `signed response said ${told} vs trnAmount ${t.trnAmountCents}`);
    }
    if (t.postedCents > t.trnAmountCents) fail("posted <= trnAmount", `posted ${t.postedCents} vs trnAmount ${t.trnAmountCents}`);
    if (t.paymentStatus === "CMPLT" && (t.postedLineCount !== t.lineCount || t.postedCents !== t.trnAmountCents)) {
      fail("posted = trnAmount when complete", `posted ${t.postedCents} in ${t.postedLineCount}/${t.lineCount} lines`);
    }

    // Refunds: what the processor returned = what D1 records as refunded >= what the ledger reversed.
    const refunded = t.refundedCents ?? 0;
    const postedRefund = t.postedRefundCents ?? 0;
    for (const order of t.refundOrderNumbers ?? []) knownRefundOrders.add(order);
    if (refunded > t.trnAmountCents) fail("refunded <= trnAmount", `refunded ${refunded} vs trnAmount ${t.trnAmountCents}`);
    if (postedRefund > refunded) fail("reversed <= refunded", `reversal journals posted ${postedRefund} vs refunded ${refunded}`);
    if (refunded > 0 && t.paymentStatus === "PNDNG") fail("refunded only when paid", `refunded ${refunded} of an unpaid payment`);
    if (!t.refundAwaitingOutcome) {
      const returned = (t.refundOrderNumbers ?? []).flatMap((order) => returnedByOrder.get(order) ?? []);
      const returnedCents = returned.reduce((sum, cents) => sum + cents, 0);
      if (returnedCents !== refunded) {
        fail(
          "returned = refunded",
          `processor returned ${returnedCents} in ${returned.length} refunds vs D1 refunded ${refunded}`,
        );
      }
    }

    if (t.awaitingOutcome) {
      awaiting++;
      continue;
    }
    const charged = t.orderNumbers.flatMap((order) => chargedByOrder.get(order) ?? []);
    const paid = t.paymentStatus !== "PNDNG";
    if (paid) {
      if (charged.length !== 1) fail("charged once", `${charged.length} approved charges`);
      else if (charged[0] !== t.trnAmountCents)
        fail("charged = trnAmount", `charged ${charged[0]} vs trnAmount ${t.trnAmountCents}`);
    } else if (charged.length > 0) {
      fail("not charged while pending", `charged ${charged.join(", ")} but the payment is not recorded as paid`);
    }
    if (!paid && t.toldApprovedCents.length > 0) fail("told approved only when paid", "approved response for an unpaid payment");
  }

  for (const [order, amounts] of chargedByOrder) {
    if (!knownOrders.has(order)) {
      mismatches.push({ target: order, rule: "charge belongs to a payment", detail: `charged ${amounts.join(", ")}` });
    }
  }

  for (const [order, amounts] of returnedByOrder) {
    if (!knownRefundOrders.has(order)) {
      mismatches.push({ target: order, rule: "return belongs to a refund", detail: `returned ${amounts.join(", ")}` });
    }
  }

  for (const j of journals) {
    const fail = (rule: string, detail: string) => mismatches.push({ target: `journal batch ${j.batchId}`, rule, detail });
    // A line the ledger rejected leaves the batch when the partner corrects it, so a journal may hold
    // more than its remaining lines, never less.
    if (j.linesCents > j.creditTotalCents)
      fail("journal covers its lines", `lines ${j.linesCents} vs credit ${j.creditTotalCents}`);
    if (j.debitTotalCents !== j.creditTotalCents)
      fail("journal balanced", `debit ${j.debitTotalCents} vs credit ${j.creditTotalCents}`);
  }

  return { transactions: transactions.length, awaitingOutcome: awaiting, journals: journals.length, mismatches };
}
