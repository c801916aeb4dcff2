/**
 * What the local Bambora fake (bamboraFake.ts, Node) and the tests inside workerd share: its
 * credentials, the card numbers and names that choose its answers, and the URL it is reached at.
 * No Node APIs here: this file is compiled for both.
 */

declare module "vitest" {
  export interface ProvidedContext {
    bamboraUrl: string;
  }
}

export const FAKE_MERCHANT_ID = "300200578";
export const FAKE_API_PASSCODE = "fake-payments-passcode";
export const FAKE_REPORT_PASSCODE = "fake-reporting-passcode";

export const FAKE_CARDS = {
  approved: ["4030000010001234", "5100000010001004", "2223000048400011", "371100001000131", "6011500080009080"],
  declined: ["4003050500040005", "5100000020002000", "342400001000180", "6011000900901111"],
  amountLimited: "4504481742333",
  /** Answers after DELAYED_ANSWER_MS with a 402, message 55. */
  delayed55: "4872385877270993",
  /** Answers after DELAYED_ANSWER_MS with a 402, message 54. */
  delayed54: "4104631199283796",
  /** Diners Club (Bambora card type DI) and JCB (JB): the adapter must not call them Discover. */
  diners: "36438999910011",
  jcb: "3528000000000015",
} as const;

/** The sandbox's delayed cards answer after 45 s or more; the fake waits this long (configurable). */
export const DELAYED_ANSWER_MS = 2_000;
/** Answers that are approved but come late (FAKE_NAMES.slowApproval). */
export const SLOW_ANSWER_MS = 2_000;
/** The default per-transaction limit of a Bambora account, in dollars. */
export const FAKE_TRANSACTION_LIMIT = 1_000;

export const FAKE_NAMES = {
  /** 500 before anything is recorded: a lookup finds nothing. */
  serverError: "FAKE SERVER ERROR",
  /** The payment is approved and recorded, then the answer is a 500. */
  serverErrorAfterApproval: "FAKE ERROR AFTER APPROVAL",
  /** 502 with an HTML body, as from a proxy in front of the API. */
  badGateway: "FAKE BAD GATEWAY",
  /** 402 message 16: Bambora's duplicate-transaction check (recorded as declined). */
  duplicateTransaction: "FAKE DUPLICATE TRANSACTION",
  /** 200 with `approved: "0"` instead of a 402. */
  declinedWith200: "FAKE DECLINED 200",
  /** Approved and recorded; the answer never comes. */
  noAnswer: "FAKE NO ANSWER",
  /** Approved and recorded; the answer comes after SLOW_ANSWER_MS. */
  slowApproval: "FAKE SLOW APPROVAL",
  /** 402 message 56 "Application Error - Retrieving Response" (approved and recorded behind it). */
  code56: "FAKE CODE 56",
  /** 400 message 190 "Unknown transaction response" (nothing recorded). */
  code190: "FAKE CODE 190",
  /** 402 message 560 "Transaction In Process". */
  code560: "FAKE CODE 560",
} as const;

export const FAKE_REPORT_ERROR = "FAKEREPORT500";
export const FAKE_REPORT_HANG = "FAKEREPORTHANG";

/**
 * Refunds (POST /v1/payments/{id}/returns and /void): approved up to what is left of the purchase
 * (194 beyond), voids refused after a return (192) or a void (196). A refund order number starting
 * with one of these prefixes gets the answer named.
 */
export const FAKE_REFUND_ORDERS = {
  /** 205: "only voidable on the date processed" (the adapter then returns instead). */
  voidTooLate: "FAKEVOID205",
  /** 402 message 812: no refund permission. */
  noPermission: "FAKEREFUND812",
  /** 402 message 935: retry in one minute. */
  retryLater: "FAKEREFUND935",
  /** Recorded as approved, and the answer never comes. */
  neverAnswers: "FAKEREFUNDHANG",
  /** 500 before anything is recorded. */
  serverError: "FAKEREFUND500",
} as const;
