/** The direct sale REQUEST and VALIDATION sections of the contract, as a pure function. */
import { isValidDate, latestRequestableGlDate, pacificDate, utcDate } from "./businessTime.ts";
import { formatCents, parseAmountToCents } from "./money.ts";
import { parseRevenue, type RevenueLine, sumCents } from "./revenue.ts";

export const DIRECT_SALE_FIELDS = [
  "trnDate",
  "pbcRefNumber",
  "glDate",
  "description",
  "pbcTxnNumber",
  "trnAmount",
  "paymentMethod",
  "redirectUri",
  "currency",
  "revenue",
  "ref1",
  "ref2",
  "ref3",
] as const;
export type DirectSaleField = (typeof DIRECT_SALE_FIELDS)[number];
export type FieldErrors = Partial<Record<DirectSaleField, string>>;

export type PaymentMethod = "CC" | "VI";

export interface DirectSaleRequest {
  /** The business date of the request (Pacific). */
  trnDate: string;
  pbcRefNumber: string;
  glDate: string;
  description: string;
  pbcTxnNumber: string;
  trnAmountCents: number;
  paymentMethod: PaymentMethod;
  redirectUri: string;
  currency: "CAD";
  revenue: RevenueLine[];
  ref1: string;
  ref2: string;
  ref3: string;
}

export const messages = {
  required: "A value is required",
  once: "Give this parameter only once",
  dateFormat: "Date must be in yyyy-MM-dd format",
  notToday: "Date should be todays date",
  glDatePast: "GL date should not be in the past",
  glDateTooLate: "GL date must be in the current or next fiscal period",
  descriptionLength: "Description must not be more than 100 characters",
  controlCharacters: "Must not contain control characters",
  txnNumberLength: "Transaction number must not be more than 50 characters",
  txnNumberCharacters: "Transaction number must not contain spaces or control characters",
  txnNumberConflict: "pbcTxnNumber and trnNumber must not differ",
  amountFormat: "Amount must be a decimal number with two digits in the fractional part",
  amountPositive: "Amount must be greater than 0",
  paymentMethod: "Payment method must be CC (credit) or VI (debit)",
  currency: "Currency must be CAD",
  referenceLength: "Reference must not be more than 250 characters",
  redirectUriLength: "Redirect URL must not be more than 2000 characters",
  alreadyPaid: "This transaction number has already been paid",
  locked: "This payment is locked after too many declined attempts: start a new transaction",
  moneyChanged:
    "This transaction number was already requested with a different amount, currency or revenue lines: use a new transaction number",
} as const;

const CONTROL = /[\u0000-\u001f\u007f]/;
const TXN_FORBIDDEN = /[\s\u0000-\u001f\u007f]/;

function length(text: string): number {
  return [...text].length;
}

export interface ParamBag {
  values: Map<string, string>;
  duplicates: Set<string>;
}

/** Collect parameters by name (trnNumber is the deployed clients' name for pbcTxnNumber). */
export function collectParams(pairs: ReadonlyArray<readonly [string, string]>): ParamBag {
  const values = new Map<string, string>();
  const duplicates = new Set<string>();
  for (const [key, value] of pairs) {
    if (values.has(key)) duplicates.add(key);
    else values.set(key, value);
  }
  return { values, duplicates };
}

export type ValidationResult =
  | { ok: true; request: DirectSaleRequest }
  | { ok: false; errors: FieldErrors; pbcTxnNumber: string | null };

export function validateDirectSaleRequest(bag: ParamBag, now: Date): ValidationResult {
  const errors: FieldErrors = {};
  const value = (field: string): string | undefined => bag.values.get(field);
  const required = (field: DirectSaleField, raw = value(field)): string | null => {
    if (bag.duplicates.has(field)) {
      errors[field] = messages.once;
      return null;
    }
    if (raw === undefined || raw.trim() === "") {
      errors[field] = messages.required;
      return null;
    }
    return raw;
  };

  const today = pacificDate(now);
  const trnDate = required("trnDate");
  if (trnDate !== null) {
    if (!isValidDate(trnDate)) errors.trnDate = messages.dateFormat;
    // Deployed clients date requests in UTC; both name the same "today" and are accepted.
    else if (trnDate !== today && trnDate !== utcDate(now)) errors.trnDate = messages.notToday;
  }

  const pbcRefNumber = required("pbcRefNumber");

  const glDate = required("glDate");
  if (glDate !== null) {
    if (!isValidDate(glDate)) errors.glDate = messages.dateFormat;
    else if (glDate < today) errors.glDate = messages.glDatePast;
    else if (glDate > latestRequestableGlDate(today))
      errors.glDate = `${messages.glDateTooLate} (on or before ${latestRequestableGlDate(today)})`;
  }

  const description = required("description");
  if (description !== null) {
    if (length(description) > 100) errors.description = messages.descriptionLength;
    else if (CONTROL.test(description)) errors.description = messages.controlCharacters;
  }

  let txnRaw = value("pbcTxnNumber");
  const alias = value("trnNumber");
  if (bag.duplicates.has("trnNumber")) errors.pbcTxnNumber = messages.once;
  else if (txnRaw !== undefined && alias !== undefined && txnRaw !== alias) errors.pbcTxnNumber = messages.txnNumberConflict;
  txnRaw ??= alias;
  let pbcTxnNumber: string | null = null;
  if (errors.pbcTxnNumber === undefined) {
    pbcTxnNumber = required("pbcTxnNumber", txnRaw);
    if (pbcTxnNumber !== null) {
      if (length(pbcTxnNumber) > 50) errors.pbcTxnNumber = messages.txnNumberLength;
      else if (TXN_FORBIDDEN.test(pbcTxnNumber)) errors.pbcTxnNumber = messages.txnNumberCharacters;
    }
  }

  const amountText = required("trnAmount");
  let trnAmountCents: number | null = null;
  if (amountText !== null) {
    trnAmountCents = parseAmountToCents(amountText);
    if (trnAmountCents === null) errors.trnAmount = messages.amountFormat;
    else if (trnAmountCents <= 0) errors.trnAmount = messages.amountPositive;
  }

  const paymentMethod = required("paymentMethod");
  if (paymentMethod !== null && paymentMethod !== "CC" && paymentMethod !== "VI") errors.paymentMethod = messages.paymentMethod;

  const currency = required("currency");
  if (currency !== null && currency !== "CAD") errors.currency = messages.currency;

  const redirectUri = required("redirectUri");
  if (redirectUri !== null && redirectUri.length > 2000) errors.redirectUri = messages.redirectUriLength;

  const revenueText = required("revenue");
  let revenue: RevenueLine[] = [];
  if (revenueText !== null) {
    const parsed = parseRevenue(revenueText);
    if (!parsed.ok) errors.revenue = parsed.message;
    else {
      revenue = parsed.lines;
      if (trnAmountCents !== null && errors.trnAmount === undefined && sumCents(revenue) !== trnAmountCents) {
        errors.trnAmount = `Amount must equal the sum of the revenue amounts (${formatCents(sumCents(revenue))})`;
      }
    }
  }

  const refs = (["ref1", "ref2", "ref3"] as const).map((field) => {
    if (bag.duplicates.has(field)) {
      errors[field] = messages.once;
      return "";
    }
    const ref = value(field) ?? "";
    if (length(ref) > 250) errors[field] = messages.referenceLength;
    else if (CONTROL.test(ref)) errors[field] = messages.controlCharacters;
    return ref;
  });

  if (Object.keys(errors).length > 0) {
    return { ok: false, errors, pbcTxnNumber: errors.pbcTxnNumber === undefined ? pbcTxnNumber : null };
  }
  return {
    ok: true,
    request: {
      trnDate: today,
      pbcRefNumber: pbcRefNumber as string,
      glDate: glDate as string,
      description: description as string,
      pbcTxnNumber: pbcTxnNumber as string,
      trnAmountCents: trnAmountCents as number,
      paymentMethod: paymentMethod as PaymentMethod,
      redirectUri: redirectUri as string,
      currency: "CAD",
      revenue,
      ref1: refs[0] as string,
      ref2: refs[1] as string,
      ref3: refs[2] as string,
    },
  };
}
