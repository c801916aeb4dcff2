/**
 * Bambora/Worldline North America Payments API adapter.
 *
 * authorise(): POST /v1/payments (a purchase: `complete: true`).
 * lookup(): the Reporting API search, POST /v1/reports with a criterion on the order number, which is
 * the only way to find a payment whose answer we never received (the order number is the only
 * duplicate guard the API has; there is no idempotency key).
 *
 * Safety rules: an answer we could not read (timeout, network error, 5xx, unreadable 2xx) is
 * "unknown", never declined or failed, because the card may have been charged. Card numbers and
 * security codes go into the request body only: never into results, messages or errors.
 */
import { CARD_TYPE_CODE, detectBrand } from "../domain/card.ts";
import { textToBase64 } from "../lib/encoding.ts";
import { maskDigits } from "../lib/logger.ts";
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

export interface BamboraOptions {
  merchantId: string;
  /** Payments API passcode. */
  apiPasscode: string;
  /**
   * Reporting API passcode, used by lookup(). A separate key: without it every lookup fails, so it is
   * required (configurationProblems() refuses PROCESSOR=bambora without it) and never replaced by the
   * payments passcode.
   */
  reportPasscode: string;
  /** Default https://api.na.bambora.com */
  baseUrl?: string;
  /**
   * Per request, including reading the answer. Default 60 000 ms: above the gateway's own timeout
   * (its delayed test cards answer after 45 s or more), so a slow but real answer is read, not lost.
   */
  timeoutMs?: number;
  fetch?: typeof fetch;
  /** Clock for the report search window (tests). */
  now?: () => Date;
}

export const BAMBORA_DEFAULT_URL = "https://api.na.bambora.com";
export const BAMBORA_DEFAULT_TIMEOUT_MS = 60_000;

/** Message ids (the `code` of an error answer, `message_id` of a payment). */
const MESSAGE_DUPLICATE_TRANSACTION = 16;
const MESSAGE_DUPLICATE_ORDER_NUMBER = 788;
const MESSAGE_IN_PROCESS = 560;
/**
 * Answers whose wording means the bank may have answered: 54/55 timeouts, 56 "Application Error -
 * Retrieving Response", 190 "Unknown transaction response", 560 "Transaction In Process". Whatever
 * the HTTP status, these are unknown outcomes for lookup() to resolve, never declines.
 */
export const BAMBORA_UNKNOWN_OUTCOME_CODES: ReadonlySet<number> = new Set([54, 55, 56, 190, 560]);

/**
 * Refund answers (the `code` of an error): each means nothing was refunded by this request.
 * 205 (a void only on the day processed) is retried as a return; 788 means the refund's order number
 * already reached Bambora, so its first outcome is looked up.
 */
const REFUND_REFUSALS: Record<number, string> = {
  192: "Cannot void a purchase that has a return",
  194: "The refund exceeds what is left to return on this purchase",
  196: "The purchase was voided",
  812: "The merchant account has no permission to refund",
  935: "The processor is busy: try the refund again in a minute",
};
const MESSAGE_VOID_ONLY_SAME_DAY = 205;
/** Report transaction types of a refund: R return, VP void purchase, VR void return. */
const REFUND_TYPES = new Set(["R", "VP"]);

/** Reporting API search criteria: field 5 is the order number; operators are sent URL-encoded. */
const REPORT_FIELD_ORDER_NUMBER = 5;
const REPORT_OPERATOR_EQUALS = "%3D";
/** How far back lookup() searches: unknown outcomes are normally resolved within minutes. */
const LOOKUP_WINDOW_DAYS = 31;
const MAX_ORDER_NUMBER_LENGTH = 30;

/**
 * Bambora card types to the codes returned to partners. Bambora's `DI` is Diners Club and `NN` is
 * Discover (whose partner code is DI): the two must not be confused. The portal accepts neither
 * Diners nor JCB (domain/card.ts), so they keep codes of their own (DN, JB) that no partner's
 * accepted brands contain.
 */
const CARD_TYPES: Record<string, string> = {
  VI: "VI",
  PV: "VI", // Visa Debit
  MC: "MC",
  MD: "MC", // Debit Mastercard
  AM: "AM",
  NN: "DI", // Discover
  DI: "DN", // Diners Club
  JB: "JB", // JCB
};

interface ErrorAnswerExtras {
  /** A 402 may carry the transaction id and the card type of the refused payment. */
  validation?: { id?: unknown } | null;
  card?: { card_type?: unknown } | null;
}

interface PaymentAnswer {
  id?: unknown;
  approved?: unknown;
  message_id?: unknown;
  message?: unknown;
  auth_code?: unknown;
  card?: { card_type?: unknown; last_four?: unknown } | null;
}

interface ErrorAnswer extends ErrorAnswerExtras {
  code?: unknown;
  category?: unknown;
  message?: unknown;
}

interface ReportRecord {
  trn_id?: unknown;
  trn_type?: unknown;
  trn_order_number?: unknown;
  trn_masked_card?: unknown;
  trn_response?: unknown;
  trn_card_type?: unknown;
  trn_approval_code?: unknown;
  trn_voided?: unknown;
  message_id?: unknown;
  message_text?: unknown;
}

type Answer = { kind: "http"; status: number; body: unknown } | { kind: "no-answer"; reason: string };

function text(value: unknown): string {
  return typeof value === "string" || typeof value === "number" ? String(value) : "";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Report search dates: without a zone, as the API examples send them (UTC here; lookup() widens the window). */
function reportDate(date: Date): string {
  return date.toISOString().slice(0, 19);
}

export class BamboraProcessor implements PaymentProcessor, RefundProcessor {
  readonly name = "bambora";
  private readonly merchantId: string;
  private readonly apiPasscode: string;
  private readonly reportPasscode: string;
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly fetcher: typeof fetch;
  private readonly now: () => Date;

  constructor(options: BamboraOptions) {
    this.merchantId = options.merchantId;
    this.apiPasscode = options.apiPasscode;
    this.reportPasscode = options.reportPasscode;
    this.baseUrl = (options.baseUrl || BAMBORA_DEFAULT_URL).replace(/\/+$/, "");
    this.timeoutMs = options.timeoutMs ?? BAMBORA_DEFAULT_TIMEOUT_MS;
    // Bound so a bare `fetch` reference keeps working inside workerd.
    this.fetcher = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? (() => new Date());
  }

  async authorise(request: AuthorisationRequest): Promise<AuthorisationResult> {
    const { orderNumber, amountCents, card } = request;
    // Refused before sending: nothing reached the processor.
    if (!orderNumber || orderNumber.length > MAX_ORDER_NUMBER_LENGTH) {
      return { outcome: "failed", message: "The order number must be 1 to 30 characters" };
    }
    if (!Number.isSafeInteger(amountCents) || amountCents <= 0) {
      return { outcome: "failed", message: "The amount must be a positive number of cents" };
    }
    const secrets = card.kind === "card" ? [card.number, card.securityCode] : [card.token];
    const clean = (message: string) => scrub(message, secrets);
    // Declines carry no card type: the brand of the number we sent stands in.
    const brand = card.kind === "card" ? detectBrand(card.number) : null;
    const knownCardType = brand ? CARD_TYPE_CODE[brand] : null;

    const body = {
      order_number: orderNumber,
      amount: Number((amountCents / 100).toFixed(2)),
      ...(card.kind === "card"
        ? {
            payment_method: "card",
            card: {
              name: card.name,
              number: card.number,
              expiry_month: String(card.expiryMonth).padStart(2, "0"),
              expiry_year: String(card.expiryYear % 100).padStart(2, "0"),
              cvd: card.securityCode,
              complete: true,
            },
          }
        : { payment_method: "token", token: { name: card.name, code: card.token, complete: true } }),
    };

    const answer = await this.post("/v1/payments", this.apiPasscode, body);
    if (answer.kind === "no-answer") return { outcome: "unknown", message: answer.reason };
    const { status } = answer;

    if (status >= 200 && status < 300) {
      if (!isRecord(answer.body)) {
        return { outcome: "unknown", message: `Bambora answered HTTP ${status} without a readable payment` };
      }
      const payment = answer.body as PaymentAnswer;
      const cardType = mapCardType(text(payment.card?.card_type)) ?? knownCardType;
      const message = clean(text(payment.message));
      if (text(payment.approved) === "1") {
        return {
          outcome: "approved",
          trnOrderId: text(payment.id),
          authCode: text(payment.auth_code),
          cardType: cardType ?? text(payment.card?.card_type),
          lastFour: lastFour(text(payment.card?.last_four)),
          message: message || "Approved",
        };
      }
      if (text(payment.approved) === "0") {
        const messageId = Number(text(payment.message_id));
        if (BAMBORA_UNKNOWN_OUTCOME_CODES.has(messageId) || messageId === MESSAGE_DUPLICATE_TRANSACTION) {
          return { outcome: "unknown", message: unknownMessage(messageId, message) };
        }
        return { outcome: "declined", trnOrderId: text(payment.id) || null, cardType, message: message || "Declined" };
      }
      return { outcome: "unknown", message: `Bambora answered HTTP ${status} without an approval flag` };
    }

    const error: ErrorAnswer = isRecord(answer.body) ? answer.body : {};
    const code = Number(error.code);
    const detail = clean(text(error.message));
    // Whatever the HTTP status: these mean the bank may have answered, so only a lookup can tell.
    if (BAMBORA_UNKNOWN_OUTCOME_CODES.has(code)) return { outcome: "unknown", message: unknownMessage(code, detail) };
    if (code === MESSAGE_DUPLICATE_TRANSACTION) {
      // "This transaction has already been approved": an identical purchase was approved before, so
      // saying "no money was taken" could make the payer pay twice. Unknown until someone checks.
      return { outcome: "unknown", message: unknownMessage(code, detail) };
    }
    if (status === 402) {
      if (code === MESSAGE_DUPLICATE_ORDER_NUMBER) return this.resolveDuplicateOrder(orderNumber);
      // Issuer decline (category 1) or business rule (category 2). The 402 body may name the
      // transaction and the card type Bambora saw.
      const trnOrderId = text(error.validation?.id) || null;
      const cardType = mapCardType(text(error.card?.card_type)) ?? knownCardType;
      return { outcome: "declined", trnOrderId, cardType, message: detail || "Declined" };
    }
    if (status >= 400 && status < 500) {
      // Rejected before authorisation: bad request (400), credentials (401/403), wrong URL or method.
      return { outcome: "failed", message: `Bambora refused the request: HTTP ${status}${suffix(detail)}` };
    }
    // 5xx, or a 1xx/3xx we never expect: it may have been processed.
    return { outcome: "unknown", message: `Bambora answered HTTP ${status}${suffix(detail)}` };
  }

  async lookup(orderNumber: string): Promise<LookupResult> {
    const now = this.now();
    const day = 24 * 60 * 60 * 1000;
    const query = {
      name: "Search",
      // Wide on both sides: the API reads these dates in the merchant's time zone.
      start_date: reportDate(new Date(now.getTime() - LOOKUP_WINDOW_DAYS * day)),
      end_date: reportDate(new Date(now.getTime() + day)),
      start_row: 1,
      end_row: 100,
      criteria: [{ field: REPORT_FIELD_ORDER_NUMBER, operator: REPORT_OPERATOR_EQUALS, value: orderNumber }],
    };
    const answer = await this.post("/v1/reports", this.reportPasscode, query);
    if (answer.kind === "no-answer") return { outcome: "unknown", message: `Lookup: ${answer.reason}` };
    // Only an explicit, readable empty result means "not there": anything else may hide a payment.
    if (answer.status !== 200 || !isRecord(answer.body) || !Array.isArray(answer.body.records)) {
      return { outcome: "unknown", message: `Lookup: Bambora answered HTTP ${answer.status} without a readable report` };
    }
    // Filter again here: if the criterion were ignored, another order's payment must not be taken for ours.
    const purchases = (answer.body.records as unknown[])
      .filter(isRecord)
      .map((record) => record as ReportRecord)
      .filter((record) => text(record.trn_order_number) === orderNumber && text(record.trn_type).toUpperCase() === "P");
    // A voided purchase took no money: it is not an approval, whatever trn_response says.
    const approved = purchases.find((record) => text(record.trn_response) === "1" && !isVoided(record));
    if (approved) {
      return {
        outcome: "approved",
        trnOrderId: text(approved.trn_id),
        authCode: text(approved.trn_approval_code),
        cardType: mapCardType(text(approved.trn_card_type)) ?? text(approved.trn_card_type),
        lastFour: lastFour(text(approved.trn_masked_card)),
        message: scrub(text(approved.message_text), []) || "Approved",
      };
    }
    const declined = purchases.at(-1);
    // The gateway's record of "already approved" (16) is not a decline with no money taken, and one
    // still "In Process" (560) has no outcome yet. Its record of a timeout (54/55/56/190) with no
    // approval is its final word: not approved.
    const recordCode = declined ? Number(text(declined.message_id)) : 0;
    if (declined && !isVoided(declined) && (recordCode === MESSAGE_DUPLICATE_TRANSACTION || recordCode === MESSAGE_IN_PROCESS)) {
      return { outcome: "unknown", message: unknownMessage(recordCode, scrub(text(declined.message_text), [])) };
    }
    if (declined) {
      return {
        outcome: "declined",
        trnOrderId: text(declined.trn_id) || null,
        cardType: mapCardType(text(declined.trn_card_type)),
        message: scrub(text(declined.message_text), []) || "Declined",
      };
    }
    return { outcome: "not_found" };
  }

  /**
   * POST /v1/payments/{id}/void (whole amount, day of purchase) or /returns (partial allowed). A void
   * refused because the day has passed (205) is sent again as a return with the same order number.
   */
  async refund(request: RefundRequest): Promise<RefundResult> {
    const { orderNumber, purchaseId, amountCents } = request;
    if (!orderNumber || orderNumber.length > MAX_ORDER_NUMBER_LENGTH || !/^\d+$/.test(purchaseId)) {
      return { outcome: "declined", message: "The refund's order number or the purchase id is not valid" };
    }
    if (!Number.isSafeInteger(amountCents) || amountCents <= 0) {
      return { outcome: "declined", message: "The amount must be a positive number of cents" };
    }
    const body = { amount: Number((amountCents / 100).toFixed(2)), order_number: orderNumber };
    let method = request.method;
    let answer = await this.post(`/v1/payments/${purchaseId}/${method === "void" ? "void" : "returns"}`, this.apiPasscode, body);
    if (method === "void" && answer.kind === "http" && errorCode(answer.body) === MESSAGE_VOID_ONLY_SAME_DAY) {
      method = "return";
      answer = await this.post(`/v1/payments/${purchaseId}/returns`, this.apiPasscode, body);
    }
    if (answer.kind === "no-answer") return { outcome: "unknown", message: answer.reason };
    const { status } = answer;
    if (status >= 200 && status < 300) {
      if (!isRecord(answer.body))
        return { outcome: "unknown", message: `Bambora answered HTTP ${status} without a readable refund` };
      const refund = answer.body as PaymentAnswer;
      const message = scrub(text(refund.message), []);
      if (text(refund.approved) === "1") {
        return { outcome: "approved", refundId: text(refund.id), method, message: message || "Approved" };
      }
      if (text(refund.approved) === "0") return { outcome: "declined", message: message || "Declined" };
      return { outcome: "unknown", message: `Bambora answered HTTP ${status} without an approval flag` };
    }
    const code = errorCode(answer.body);
    const detail = scrub(text(isRecord(answer.body) ? answer.body.message : ""), []);
    if (code === MESSAGE_DUPLICATE_ORDER_NUMBER) {
      const found = await this.lookupRefund(orderNumber, purchaseId);
      if (found.outcome === "approved" || found.outcome === "declined") return found;
      return {
        outcome: "unknown",
        message: "Bambora already has this refund's order number; its outcome could not be found yet",
      };
    }
    if (code !== null && BAMBORA_UNKNOWN_OUTCOME_CODES.has(code)) {
      return { outcome: "unknown", message: `Bambora reported a processor timeout (${code})${suffix(detail)}` };
    }
    if (status >= 400 && status < 500) {
      const known = code !== null ? REFUND_REFUSALS[code] : undefined;
      return {
        outcome: "declined",
        ...(code !== null ? { code } : {}),
        message: known
          ? `${known}${code !== null ? ` (${code})` : ""}`
          : `Bambora refused the refund: HTTP ${status}${suffix(detail)}`,
      };
    }
    return { outcome: "unknown", message: `Bambora answered HTTP ${status}${suffix(detail)}` };
  }

  /** The refund's own order number in the Reporting API: a return (R) or void (VP) of this purchase. */
  async lookupRefund(orderNumber: string, purchaseId: string): Promise<RefundLookupResult> {
    const records = await this.searchByOrderNumber(orderNumber);
    if (records === null) return { outcome: "unknown", message: "Lookup: Bambora answered without a readable report" };
    const refunds = records.filter(
      (record) => text(record.trn_order_number) === orderNumber && REFUND_TYPES.has(text(record.trn_type).toUpperCase()),
    );
    void purchaseId; // the report does not link a refund to its purchase; the order number is unique to this refund
    const approved = refunds.find((record) => text(record.trn_response) === "1");
    if (approved) {
      return {
        outcome: "approved",
        refundId: text(approved.trn_id),
        method: text(approved.trn_type).toUpperCase() === "VP" ? "void" : "return",
        message: scrub(text(approved.message_text), []) || "Approved",
      };
    }
    const declined = refunds.at(-1);
    if (declined) return { outcome: "declined", message: scrub(text(declined.message_text), []) || "Declined" };
    return { outcome: "not_found" };
  }

  private async searchByOrderNumber(orderNumber: string): Promise<ReportRecord[] | null> {
    const now = this.now();
    const day = 24 * 60 * 60 * 1000;
    const answer = await this.post("/v1/reports", this.reportPasscode, {
      name: "Search",
      start_date: reportDate(new Date(now.getTime() - LOOKUP_WINDOW_DAYS * day)),
      end_date: reportDate(new Date(now.getTime() + day)),
      start_row: 1,
      end_row: 100,
      criteria: [{ field: REPORT_FIELD_ORDER_NUMBER, operator: REPORT_OPERATOR_EQUALS, value: orderNumber }],
    });
    if (answer.kind === "no-answer" || answer.status !== 200 || !isRecord(answer.body) || !Array.isArray(answer.body.records)) {
      return null;
    }
    return (answer.body.records as unknown[]).filter(isRecord).map((record) => record as ReportRecord);
  }

  /** 788: this order number already reached Bambora (a retry after a lost answer). Its first outcome stands. */
  private async resolveDuplicateOrder(orderNumber: string): Promise<AuthorisationResult> {
    const found = await this.lookup(orderNumber);
    if (found.outcome === "approved" || found.outcome === "declined") return found;
    // Bambora has the order but the report does not show it (yet): never guess.
    return {
      outcome: "unknown",
      message: "Bambora already has this order number; its outcome could not be found yet",
    };
  }

  private async post(path: string, passcode: string, body: unknown): Promise<Answer> {
    let response: Response;
    try {
      response = await this.fetcher(`${this.baseUrl}${path}`, {
        method: "POST",
        headers: {
          Authorization: `Passcode ${textToBase64(`${this.merchantId}:${passcode}`)}`,
          "Content-Type": "application/json",
          Accept: "application/json",
        },
        body: JSON.stringify(body),
        redirect: "manual",
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      return { kind: "no-answer", reason: noAnswerReason(error, this.timeoutMs) };
    }
    let raw: string;
    try {
      raw = await response.text();
    } catch (error) {
      return { kind: "no-answer", reason: noAnswerReason(error, this.timeoutMs) };
    }
    let parsed: unknown = null;
    try {
      parsed = raw ? JSON.parse(raw) : null;
    } catch {
      parsed = null; // an HTML error page from a proxy, for example
    }
    return { kind: "http", status: response.status, body: parsed };
  }
}

function noAnswerReason(error: unknown, timeoutMs: number): string {
  const name = error instanceof Error || error instanceof DOMException ? error.name : "";
  if (name === "TimeoutError" || name === "AbortError") return `Bambora did not answer within ${timeoutMs} ms`;
  // The error's own text is left out: it is not ours to vouch for.
  return `Could not reach Bambora${name ? ` (${name})` : ""}`;
}

function errorCode(body: unknown): number | null {
  if (!isRecord(body) || body.code === undefined || body.code === null) return null;
  const code = Number(body.code);
  return Number.isInteger(code) ? code : null;
}

function isVoided(record: ReportRecord): boolean {
  const voided = text(record.trn_voided);
  return voided !== "" && voided !== "0";
}

function unknownMessage(code: number, detail: string): string {
  const what =
    code === MESSAGE_DUPLICATE_TRANSACTION
      ? "Bambora reported a duplicate of an approved transaction"
      : `Bambora reported an unresolved outcome`;
  return `${what} (${code})${suffix(detail)}`;
}

function mapCardType(code: string): string | null {
  return CARD_TYPES[code.toUpperCase()] ?? null;
}

function lastFour(masked: string): string {
  return masked.replace(/\D/g, "").slice(-4);
}

function suffix(detail: string): string {
  return detail ? `: ${detail}` : "";
}

/** Processor text is shown and stored: remove anything that could be card data, and cap its length. */
function scrub(message: string, secrets: string[]): string {
  let result = message;
  for (const secret of secrets) {
    if (secret) result = result.split(secret).join("[removed]");
  }
  return maskDigits(result).slice(0, 200);
}
