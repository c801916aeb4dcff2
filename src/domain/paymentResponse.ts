/** The signed redirect back to the partner (RESPONSE and VALIDATION sections of the contract). */
import type { FieldErrors } from "./directSaleRequest.ts";
import { formatCents } from "./money.ts";
import { type Signer, signatureHex } from "./signature.ts";
import { parseQuery, urlencode } from "./urlencoding.ts";

export type ResponseOutcome = "approved" | "declined" | "cancelled" | "expired" | "locked";

export interface PaymentForResponse {
  pbcTxnNumber: string;
  trnAmountCents: number;
  trnDate: string;
  paymentMethod: string;
  ref1: string;
  ref2: string;
  ref3: string;
  trnOrderId: string | null;
  cardType: string | null;
  paymentAuthCode: string | null;
}

const MESSAGE_TEXT: Record<ResponseOutcome, string> = {
  approved: "Approved",
  declined: "Declined",
  cancelled: "Cancelled",
  expired: "Expired",
  locked: "Declined",
};

type Pairs = Array<[string, string]>;

/** Parameters in the contract's order: trnApproved ... ref3 (hashValue is appended when signing). */
export function paymentResponsePairs(outcome: ResponseOutcome, payment: PaymentForResponse): Pairs {
  const approved = outcome === "approved";
  return [
    ["trnApproved", approved ? "1" : "0"],
    ["trnOrderId", payment.trnOrderId ?? ""],
    ["messageText", MESSAGE_TEXT[outcome]],
    ["trnAmount", formatCents(payment.trnAmountCents)],
    ["trnDate", payment.trnDate],
    ["cardType", payment.cardType ?? ""],
    ["paymentMethod", payment.paymentMethod],
    ["pbcTxnNumber", payment.pbcTxnNumber],
    // The contract's declined example says "null" when there is no authorisation code.
    ["paymentAuthCode", approved ? (payment.paymentAuthCode ?? "") : outcome === "declined" ? "null" : ""],
    ["ref1", payment.ref1],
    ["ref2", payment.ref2],
    ["ref3", payment.ref3],
  ];
}

/** trnApproved=0, pbcTxnNumber, messageText=Validation Errors, one parameter per failing field, refs. */
export function validationErrorPairs(
  errors: FieldErrors,
  pbcTxnNumber: string | null,
  refs: { ref1: string; ref2: string; ref3: string },
): Pairs {
  const pairs: Pairs = [["trnApproved", "0"]];
  // A failing pbcTxnNumber carries its message in that parameter instead of the echo.
  if (errors.pbcTxnNumber === undefined && pbcTxnNumber !== null) pairs.push(["pbcTxnNumber", pbcTxnNumber]);
  pairs.push(["messageText", "Validation Errors"]);
  for (const [field, message] of Object.entries(errors)) {
    if (field === "ref1" || field === "ref2" || field === "ref3") continue;
    pairs.push([field, message]);
  }
  for (const ref of ["ref1", "ref2", "ref3"] as const) {
    pairs.push([ref, errors[ref] ?? refs[ref]]);
  }
  return pairs;
}

/**
 * Build the partner URL with our parameters appended and signed. The whole query (the partner's own
 * parameters, then ours) is written as Python's urlencode writes it, without blank values, because
 * the deployed Python client verifies with urlencode(dict(parse_qsl(query))) and parse_qsl drops
 * blank values: the hash must cover exactly the bytes that client reproduces.
 */
export async function signedRedirectUrl(redirectUri: string, pairs: Pairs, signer: Signer): Promise<string> {
  const hashAt = redirectUri.indexOf("#");
  const fragment = hashAt === -1 ? "" : redirectUri.slice(hashAt);
  const withoutFragment = hashAt === -1 ? redirectUri : redirectUri.slice(0, hashAt);
  const queryAt = withoutFragment.indexOf("?");
  const base = queryAt === -1 ? withoutFragment : withoutFragment.slice(0, queryAt);
  const partnerPairs = queryAt === -1 ? [] : parseQuery(withoutFragment.slice(queryAt + 1));
  const all = [...partnerPairs, ...pairs].filter(([, value]) => value !== "");
  const query = urlencode(all);
  const hashValue = await signatureHex(signer.algorithm, query, signer.key);
  return `${base}?${query}&hashValue=${hashValue}${fragment}`;
}
