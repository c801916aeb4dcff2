/**
 * The payment processor seen by the portal. Implementations: the sandbox (test cards, no network)
 * and Bambora/Worldline. The card is passed through and never kept.
 */

export interface AuthorisationRequest {
  /** Our unique order number for this attempt: the processor's only duplicate guard. */
  orderNumber: string;
  amountCents: number;
  card:
    | { kind: "card"; number: string; expiryMonth: number; expiryYear: number; name: string; securityCode: string }
    | { kind: "token"; token: string; name: string };
}

export type AuthorisationResult =
  /** Money was authorised. */
  | { outcome: "approved"; trnOrderId: string; authCode: string; cardType: string; lastFour: string; message: string }
  /** The issuer or processor refused; no money taken. */
  | { outcome: "declined"; trnOrderId: string | null; cardType: string | null; message: string }
  /** Definitely not charged (request rejected before authorisation, e.g. bad credentials). */
  | { outcome: "failed"; message: string }
  /** Timeout or 5xx: it may or may not have been charged. Resolve with lookup() before reporting anything. */
  | { outcome: "unknown"; message: string };

export type LookupResult = AuthorisationResult | { outcome: "not_found" };

export interface PaymentProcessor {
  readonly name: string;
  authorise(request: AuthorisationRequest): Promise<AuthorisationResult>;
  /** Find what happened to an order whose authorisation outcome is unknown. */
  lookup(orderNumber: string): Promise<LookupResult>;
}

/** A refund of an approved purchase: a same-day void of the whole amount, or a return (partial allowed). */
export interface RefundRequest {
  /** Our unique order number for this refund: the processor's duplicate guard and our lookup key. */
  orderNumber: string;
  /** The processor's id of the purchase (trnOrderId). */
  purchaseId: string;
  amountCents: number;
  method: "void" | "return";
}

export type RefundResult =
  /** Money was given back. `method` is what the processor did (a void can fall back to a return). */
  | { outcome: "approved"; refundId: string; method: "void" | "return"; message: string }
  /** Definitely not refunded (refused, or rejected before processing). */
  | { outcome: "declined"; message: string; code?: number }
  /** Timeout or 5xx: it may or may not have been refunded. Resolve with lookupRefund() before reporting anything. */
  | { outcome: "unknown"; message: string };

export type RefundLookupResult = RefundResult | { outcome: "not_found" };

/** Processors that can give money back. */
export interface RefundProcessor {
  refund(request: RefundRequest): Promise<RefundResult>;
  /** Find what happened to a refund whose outcome is unknown, by its order number. */
  lookupRefund(orderNumber: string, purchaseId: string): Promise<RefundLookupResult>;
}
