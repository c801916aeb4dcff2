/**
 * The sandbox processor: Bambora/Worldline North America test card numbers and outcomes, computed
 * locally with no network. Any other valid card number is approved (as GOV.UK Pay's sandbox does).
 * Like a real processor it keeps its own ledger of what it did (`sandbox_ledger`): lookups answer
 * from it, and the reconciliation check compares the portal's records with it.
 */
import type { Db } from "../db/client.ts";
import { purchaseEntry, purchaseForOrder, recordLedgerEntry, refundForOrder, reversalsOfPurchase } from "../db/sandboxLedger.ts";
import { pacificDate } from "../domain/businessTime.ts";
import { CARD_TYPE_CODE, detectBrand } from "../domain/card.ts";
import type {
  AuthorisationRequest,
  AuthorisationResult,
  LookupResult,
  PaymentProcessor,
  RefundLookupResult,
  RefundProcessor,
  RefundRequest,
  RefundResult,
} from "./types.ts";

export const SANDBOX_CARDS = {
  approved: ["4030000010001234", "5100000010001004", "2223000048400011", "371100001000131", "6011500080009080"],
  declined: ["4003050500040005", "5100000020002000", "342400001000180", "6011000900901111"],
  /** Approved under $100.00, declined from $100.00. */
  amountLimited: ["4504481742333"],
  /** The processor does not answer (45 s or more): the outcome is unknown. */
  timeout: ["4872385877270993", "4104631199283796"],
} as const;

const AMOUNT_LIMIT_CENTS = 10_000;

/**
 * Refunds are approved, except by the cents of the refund amount (any card):
 * .91 declined (exceeds the return limit), .92 no answer and nothing done (a lookup finds nothing),
 * .93 refunded but the answer is lost (a lookup finds it approved).
 */
export const SANDBOX_REFUND_CENTS = { declined: 91, noAnswer: 92, answerLost: 93 } as const;

function includes(list: readonly string[], number: string): boolean {
  return list.includes(number);
}

/** A stable numeric order id derived from the order number, like the processor's transaction id. */
async function orderIdFor(orderNumber: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(orderNumber)));
  const value =
    ((digest[0] as number) << 24) | ((digest[1] as number) << 16) | ((digest[2] as number) << 8) | (digest[3] as number);
  return String(10_000_000 + ((value >>> 0) % 89_999_999));
}

async function authCodeFor(orderNumber: string): Promise<string> {
  const id = await orderIdFor(`auth:${orderNumber}`);
  return `${id.slice(-5)}N`;
}

export interface SandboxOptions {
  /** Where the sandbox keeps its ledger. */
  db: Db;
  /** Milliseconds to wait before answering, to exercise the waiting page. */
  delayMs?: number;
  /** The sandbox's clock (tests). */
  now?: () => Date;
}

export class SandboxProcessor implements PaymentProcessor, RefundProcessor {
  readonly name = "sandbox";
  private readonly options: SandboxOptions;
  constructor(options: SandboxOptions) {
    this.options = options;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  async authorise(request: AuthorisationRequest): Promise<AuthorisationResult> {
    if (this.options.delayMs) await new Promise((resolve) => setTimeout(resolve, this.options.delayMs));
    if (request.card.kind !== "card") return { outcome: "failed", message: "The sandbox accepts card numbers only" };
    const number = request.card.number;
    const brand = detectBrand(number);
    const cardType = brand ? CARD_TYPE_CODE[brand] : null;
    const trnOrderId = await orderIdFor(request.orderNumber);
    // A timeout never reaches the sandbox's ledger: a lookup then finds nothing, as for an order
    // the processor never received.
    if (includes(SANDBOX_CARDS.timeout, number)) {
      return { outcome: "unknown", message: "The processor did not answer in time" };
    }
    const declined =
      includes(SANDBOX_CARDS.declined, number) ||
      (includes(SANDBOX_CARDS.amountLimited, number) && request.amountCents >= AMOUNT_LIMIT_CENTS);
    const approved = !declined && cardType !== null;
    await recordLedgerEntry(
      this.options.db,
      {
        kind: "purchase",
        orderNumber: request.orderNumber,
        processorTxnId: trnOrderId,
        originalTxnId: null,
        amountCents: request.amountCents,
        cardType,
        lastFour: approved ? number.slice(-4) : null,
        approved,
        message: approved ? "Approved" : "Declined",
      },
      this.now(),
    );
    if (!approved) return { outcome: "declined", trnOrderId, cardType, message: "Declined" };
    return {
      outcome: "approved",
      trnOrderId,
      authCode: await authCodeFor(request.orderNumber),
      cardType: cardType as string,
      lastFour: number.slice(-4),
      message: "Approved",
    };
  }

  /** What the sandbox's ledger says about the order, as a report search by order number would. */
  async lookup(orderNumber: string): Promise<LookupResult> {
    const entry = await purchaseForOrder(this.options.db, orderNumber);
    if (!entry) return { outcome: "not_found" };
    if (!entry.approved) {
      return { outcome: "declined", trnOrderId: entry.processorTxnId, cardType: entry.cardType, message: entry.message };
    }
    return {
      outcome: "approved",
      trnOrderId: entry.processorTxnId,
      authCode: await authCodeFor(orderNumber),
      cardType: entry.cardType ?? "",
      lastFour: entry.lastFour ?? "",
      message: entry.message,
    };
  }

  /** A void or return of a purchase in the sandbox's ledger, with Bambora's rules and messages. */
  async refund(request: RefundRequest): Promise<RefundResult> {
    if (this.options.delayMs) await new Promise((resolve) => setTimeout(resolve, this.options.delayMs));
    const { db } = this.options;
    const cents = request.amountCents % 100;
    if (cents === SANDBOX_REFUND_CENTS.noAnswer) return { outcome: "unknown", message: "The processor did not answer in time" };
    const purchase = await purchaseEntry(db, request.purchaseId);
    if (!purchase) return { outcome: "declined", code: 1, message: "Invalid transaction id" };
    const reversals = await reversalsOfPurchase(db, request.purchaseId);
    if (reversals.some((entry) => entry.kind === "void"))
      return { outcome: "declined", code: 196, message: "Original transaction voided" };
    const returned = reversals.reduce((sum, entry) => sum + entry.amountCents, 0);
    // A void must be the whole amount on the day of the purchase; otherwise Bambora only returns.
    const voidable =
      request.method === "void" &&
      reversals.length === 0 &&
      request.amountCents === purchase.amountCents &&
      pacificDate(new Date(purchase.createdAt)) === pacificDate(this.now());
    const method = voidable ? "void" : "return";
    const declined = cents === SANDBOX_REFUND_CENTS.declined || returned + request.amountCents > purchase.amountCents;
    const refundId = await orderIdFor(request.orderNumber);
    await recordLedgerEntry(
      db,
      {
        kind: method,
        orderNumber: request.orderNumber,
        processorTxnId: refundId,
        originalTxnId: request.purchaseId,
        amountCents: request.amountCents,
        cardType: purchase.cardType,
        lastFour: purchase.lastFour,
        approved: !declined,
        message: declined ? "Exceeds return limit" : "Approved",
      },
      this.now(),
    );
    if (declined) return { outcome: "declined", code: 194, message: "Exceeds return limit" };
    if (cents === SANDBOX_REFUND_CENTS.answerLost) return { outcome: "unknown", message: "The processor's answer was lost" };
    return { outcome: "approved", refundId, method, message: "Approved" };
  }

  async lookupRefund(orderNumber: string, purchaseId: string): Promise<RefundLookupResult> {
    const entry = await refundForOrder(this.options.db, orderNumber);
    if (!entry || entry.originalTxnId !== purchaseId) return { outcome: "not_found" };
    if (!entry.approved) return { outcome: "declined", message: entry.message };
    return {
      outcome: "approved",
      refundId: entry.processorTxnId,
      method: entry.kind === "void" ? "void" : "return",
      message: entry.message,
    };
  }
}
