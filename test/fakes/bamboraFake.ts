/**
 * A local fake of the Bambora/Worldline North America Payments and Reporting APIs, for tests.
 * Runs in Node (vitest globalSetup) on 127.0.0.1; tests inside workerd reach it over loopback with
 * `inject("bamboraUrl")`. Answers follow the documented shapes: a payment object on approval, an
 * error object `{code, category, message, reference}` otherwise (402 for declines and business rules).
 *
 * It never keeps a card number or security code: only the last four digits of each order.
 *
 * Outcomes, as the published sandbox answers its test numbers:
 * - approved / declined (402, message 7) numbers, the amount-limited Visa (declined from $100.00);
 * - 4872385877270993 and 4104631199283796, the delayed cards: the sandbox answers them after 45 s or
 *   more with a 402 carrying message 55 and 54 (timeouts), never an approval; here after
 *   DELAYED_ANSWER_MS (shortened; BAMBORA_FAKE_DELAY_MS overrides it), recorded as not approved;
 * - the account's default transaction limit: a purchase above $1,000.00 is refused (402);
 * - any other Luhn-valid number is approved; a number failing Luhn is a 400 (message 52);
 * - an order number seen before is a 402 duplicate order number (788);
 * - a missing or wrong Passcode header is a 401 (message 21), as the API reports it.
 * Declines (402) carry `validation.id` and `card.card_type` as the API's do.
 * Cardholder names in FAKE_NAMES trigger the other documented answers (500, 502, codes 16, 56, 190,
 * 560, an approval whose answer never comes or comes late).
 * Report searches for order numbers starting with FAKE_REPORT_ERROR / FAKE_REPORT_HANG fail or hang.
 */
// Runs in Node only; tests inside workerd take the fake's constants from bamboraFakeCards.ts.
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import {
  DELAYED_ANSWER_MS,
  FAKE_API_PASSCODE,
  FAKE_CARDS,
  FAKE_MERCHANT_ID,
  FAKE_NAMES,
  FAKE_REFUND_ORDERS,
  FAKE_REPORT_ERROR,
  FAKE_REPORT_HANG,
  FAKE_REPORT_PASSCODE,
  FAKE_TRANSACTION_LIMIT,
  SLOW_ANSWER_MS,
} from "./bamboraFakeCards.ts";

interface StoredOrder {
  id: number;
  orderNumber: string;
  approved: boolean;
  messageId: number;
  message: string;
  authCode: string;
  cardType: string;
  lastFour: string;
  amount: number;
  created: Date;
  /** Report transaction type: P purchase (default), R return, VP void purchase. */
  type?: "P" | "R" | "VP";
  /** For a refund: the purchase's id. */
  originalId?: number;
}

export interface BamboraFake {
  url: string;
  close(): Promise<void>;
}

function passcodeHeader(passcode: string): string {
  return `Passcode ${Buffer.from(`${FAKE_MERCHANT_ID}:${passcode}`).toString("base64")}`;
}

function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let digit = digits.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Bambora's own card type codes (NN is Discover, DI is Diners Club, JB is JCB). */
function bamboraCardType(number: string): string {
  if (/^4/.test(number)) return "VI";
  if (/^3[47]/.test(number)) return "AM";
  if (/^(36|38|30[0-5])/.test(number)) return "DI";
  if (/^35/.test(number)) return "JB";
  if (/^(5[1-5]|2[2-7])/.test(number)) return "MC";
  if (/^6/.test(number)) return "NN";
  return "VI";
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  response.end(text);
}

function sendError(
  response: ServerResponse,
  status: number,
  code: number,
  category: number,
  message: string,
  extra: Record<string, unknown> = {},
): void {
  sendJson(response, status, { code, category, message, reference: "", ...extra });
}

/** What a 402 adds about the refused payment: its transaction id and the card type. */
function declineExtras(order: { id: number; cardType: string }): Record<string, unknown> {
  return { validation: { id: String(order.id), approved: 0 }, card: { card_type: order.cardType } };
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return null;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Report dates have no zone; the fake reads them as UTC, like the adapter writes them. */
function parseReportDate(value: unknown): Date | null {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(value)) return null;
  const date = new Date(`${value.slice(0, 19)}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

export async function startBamboraFake(options: { delayMs?: number } = {}): Promise<BamboraFake> {
  const delayMs = options.delayMs ?? DELAYED_ANSWER_MS;
  const orders = new Map<string, StoredOrder>();
  const hanging = new Set<ServerResponse>();
  let nextId = 10_000_001;

  const record = (orderNumber: string, fields: Omit<StoredOrder, "id" | "orderNumber" | "created">): StoredOrder => {
    const order = { id: nextId++, orderNumber, created: new Date(), ...fields };
    orders.set(orderNumber, order);
    return order;
  };

  const paymentBody = (order: StoredOrder) => ({
    id: String(order.id),
    authorizing_merchant_id: Number(FAKE_MERCHANT_ID),
    approved: order.approved ? "1" : "0",
    message_id: String(order.messageId),
    message: order.message,
    auth_code: order.authCode,
    created: order.created.toISOString().slice(0, 19),
    order_number: order.orderNumber,
    type: "P",
    payment_method: "CC",
    risk_score: 0,
    amount: order.amount,
    custom: { ref1: "", ref2: "", ref3: "", ref4: "", ref5: "" },
    card: {
      card_type: order.cardType,
      last_four: order.lastFour,
      address_match: 0,
      postal_result: 0,
      avs_result: "0",
      cvd_result: "1",
    },
    links: [
      { rel: "void", href: `/v1/payments/${order.id}/void`, method: "POST" },
      { rel: "return", href: `/v1/payments/${order.id}/returns`, method: "POST" },
    ],
  });

  const hang = (response: ServerResponse) => {
    hanging.add(response);
    response.on("close", () => hanging.delete(response));
  };

  async function payments(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.headers.authorization !== passcodeHeader(FAKE_API_PASSCODE)) {
      return sendError(response, 401, 21, 3, "Authentication failed");
    }
    const body = await readBody(request);
    if (!isObject(body)) return sendError(response, 400, 31, 3, "Invalid request: body is not JSON");
    const orderNumber = body.order_number;
    const amount = body.amount;
    if (typeof orderNumber !== "string" || orderNumber.length === 0 || orderNumber.length > 30) {
      return sendError(response, 400, 31, 3, "Invalid order number");
    }
    if (typeof amount !== "number" || !(amount > 0) || Math.round(amount * 100) / 100 !== amount) {
      return sendError(response, 400, 31, 3, "Invalid amount");
    }

    let number = "";
    let name = "";
    if (body.payment_method === "card" && isObject(body.card)) {
      const card = body.card;
      const valid =
        typeof card.number === "string" &&
        typeof card.name === "string" &&
        typeof card.expiry_month === "string" &&
        /^\d{2}$/.test(card.expiry_month) &&
        typeof card.expiry_year === "string" &&
        /^\d{2}$/.test(card.expiry_year) &&
        typeof card.cvd === "string" &&
        card.complete === true;
      if (!valid) return sendError(response, 400, 31, 3, "Invalid card details");
      number = card.number as string;
      name = card.name as string;
      if (!/^\d{12,19}$/.test(number) || !luhnValid(number)) return sendError(response, 400, 52, 3, "Invalid card number");
    } else if (body.payment_method === "token" && isObject(body.token)) {
      const token = body.token;
      if (typeof token.code !== "string" || typeof token.name !== "string" || token.complete !== true) {
        return sendError(response, 400, 31, 3, "Invalid token");
      }
      name = token.name;
      // Tokens stand for a test Visa; a code containing "decline" stands for a declined card.
      number = token.code.includes("decline") ? FAKE_CARDS.declined[0] : FAKE_CARDS.approved[0];
    } else {
      return sendError(response, 400, 31, 3, "Invalid payment method");
    }

    if (orders.has(orderNumber)) {
      return sendError(response, 402, 788, 2, "Duplicate Order Number - This order number has already been processed");
    }
    if (name === FAKE_NAMES.serverError) return sendError(response, 500, 0, 4, "Internal Server Error");
    if (name === FAKE_NAMES.badGateway) {
      response.writeHead(502, { "Content-Type": "text/html" });
      response.end("<html><body><h1>502 Bad Gateway</h1></body></html>");
      return;
    }

    const cardType = bamboraCardType(number);
    const lastFour = number.slice(-4);
    const refuse = (status: number, code: number, category: number, message: string) => {
      const order = record(orderNumber, { approved: false, messageId: code, message, authCode: "", cardType, lastFour, amount });
      return sendError(response, status, code, category, message, status === 402 ? declineExtras(order) : {});
    };
    if (name === FAKE_NAMES.duplicateTransaction) {
      return refuse(402, 16, 1, "Duplicate Transaction - This transaction has already been approved");
    }
    if (name === FAKE_NAMES.code190) return sendError(response, 400, 190, 1, "Unknown transaction response");
    if (name === FAKE_NAMES.code560) return refuse(402, 560, 1, "Transaction In Process");
    const delayed = number === FAKE_CARDS.delayed55 ? 55 : number === FAKE_CARDS.delayed54 ? 54 : null;
    if (delayed !== null) {
      const order = record(orderNumber, {
        approved: false,
        messageId: delayed,
        message: delayed === 55 ? "Processor timeout" : "Transaction timeout - No response",
        authCode: "",
        cardType,
        lastFour,
        amount,
      });
      hang(response);
      setTimeout(() => {
        if (!response.destroyed && !response.writableEnded) {
          sendError(response, 402, delayed, 1, order.message, declineExtras(order));
        }
      }, delayMs).unref();
      return;
    }
    if (amount > FAKE_TRANSACTION_LIMIT) {
      // The reference gives the limit, not the code: a business-rule refusal (category 2).
      return refuse(402, 311, 2, "Transaction exceeds the merchant's per-transaction limit");
    }
    const declined =
      (FAKE_CARDS.declined as readonly string[]).includes(number) ||
      (number === FAKE_CARDS.amountLimited && amount >= 100) ||
      name === FAKE_NAMES.declinedWith200;
    if (declined) {
      const order = record(orderNumber, {
        approved: false,
        messageId: 7,
        message: "DECLINE",
        authCode: "",
        cardType,
        lastFour,
        amount,
      });
      if (name === FAKE_NAMES.declinedWith200) return sendJson(response, 200, paymentBody(order));
      return sendError(response, 402, 7, 1, "DECLINE", declineExtras(order));
    }

    const order = record(orderNumber, {
      approved: true,
      messageId: 1,
      message: "Approved",
      authCode: `T${String(nextId).slice(-5)}`,
      cardType,
      lastFour,
      amount,
    });
    if (name === FAKE_NAMES.noAnswer) return hang(response);
    if (name === FAKE_NAMES.serverErrorAfterApproval) return sendError(response, 500, 0, 4, "Internal Server Error");
    if (name === FAKE_NAMES.code56) return sendError(response, 402, 56, 1, "Application Error - Retrieving Response");
    if (name === FAKE_NAMES.slowApproval) {
      hang(response);
      setTimeout(() => {
        if (!response.destroyed && !response.writableEnded) sendJson(response, 200, paymentBody(order));
      }, SLOW_ANSWER_MS).unref();
      return;
    }
    return sendJson(response, 200, paymentBody(order));
  }

  async function reports(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.headers.authorization !== passcodeHeader(FAKE_REPORT_PASSCODE)) {
      return sendError(response, 401, 21, 3, "Authentication failed");
    }
    const body = await readBody(request);
    if (!isObject(body) || body.name !== "Search") return sendError(response, 400, 31, 3, "Invalid report request");
    const start = parseReportDate(body.start_date);
    const end = parseReportDate(body.end_date);
    const startRow = Number(body.start_row);
    const endRow = Number(body.end_row);
    if (!start || !end || !(startRow >= 1) || !(endRow >= startRow)) {
      return sendError(response, 400, 31, 3, "Invalid report dates or rows");
    }
    let matches = [...orders.values()].filter((order) => order.created >= start && order.created <= end);
    const criteria = Array.isArray(body.criteria) ? body.criteria : [];
    for (const criterion of criteria) {
      if (!isObject(criterion)) return sendError(response, 400, 31, 3, "Invalid criteria");
      // Field 5 is the order number; operators arrive URL-encoded ("%3D" is "=").
      if (criterion.field !== 5 || decodeURIComponent(String(criterion.operator)) !== "=") {
        return sendError(response, 400, 31, 3, "The fake supports order number equality only");
      }
      const value = String(criterion.value);
      if (value.startsWith(FAKE_REPORT_ERROR)) return sendError(response, 500, 0, 4, "Internal Server Error");
      if (value.startsWith(FAKE_REPORT_HANG)) return hang(response);
      matches = matches.filter((order) => order.orderNumber === value);
    }
    const records = matches.slice(startRow - 1, endRow).map((order, index) => ({
      row_id: startRow + index,
      trn_id: order.id,
      trn_date_time: order.created.toISOString(),
      trn_type: order.type ?? "P",
      trn_order_number: order.orderNumber,
      trn_payment_method: "CC",
      trn_masked_card: order.lastFour,
      trn_amount: order.amount.toFixed(2),
      trn_returns: "0.00",
      trn_completions: "0.00",
      trn_voided: 0,
      trn_response: order.approved ? 1 : 0,
      trn_card_type: order.cardType,
      message_id: order.messageId,
      message_text: order.message,
      trn_approval_code: order.authCode,
      currency_abbr: "CAD",
      merchant_id: Number(FAKE_MERCHANT_ID),
    }));
    return sendJson(response, 200, { records });
  }

  async function refunds(request: IncomingMessage, response: ServerResponse, purchaseId: number, kind: "void" | "returns") {
    if (request.headers.authorization !== passcodeHeader(FAKE_API_PASSCODE)) {
      return sendError(response, 401, 21, 3, "Authentication failed");
    }
    const body = await readBody(request);
    if (!isObject(body)) return sendError(response, 400, 31, 3, "Invalid request: body is not JSON");
    const { amount, order_number: orderNumber } = body;
    if (typeof orderNumber !== "string" || orderNumber.length === 0 || orderNumber.length > 30) {
      return sendError(response, 400, 31, 3, "Invalid order number");
    }
    if (typeof amount !== "number" || !(amount > 0) || Math.round(amount * 100) / 100 !== amount) {
      return sendError(response, 400, 31, 3, "Invalid amount");
    }
    const purchase = [...orders.values()].find((order) => order.id === purchaseId && (order.type ?? "P") === "P");
    if (!purchase?.approved) return sendError(response, 400, 1, 3, "Invalid transaction id");
    if (orders.has(orderNumber)) {
      return sendError(response, 402, 788, 2, "Duplicate Order Number - This order number has already been processed");
    }
    if (orderNumber.startsWith(FAKE_REFUND_ORDERS.serverError)) return sendError(response, 500, 0, 4, "Internal Server Error");
    if (orderNumber.startsWith(FAKE_REFUND_ORDERS.noPermission)) {
      return sendError(response, 402, 812, 2, "Transaction type not permitted for this merchant");
    }
    if (orderNumber.startsWith(FAKE_REFUND_ORDERS.retryLater))
      return sendError(response, 402, 935, 2, "Please retry in one minute");
    const reversals = [...orders.values()].filter((order) => order.originalId === purchaseId && order.approved);
    if (reversals.some((order) => order.type === "VP")) return sendError(response, 402, 196, 2, "Original transaction voided");
    if (kind === "void") {
      if (orderNumber.startsWith(FAKE_REFUND_ORDERS.voidTooLate)) {
        return sendError(response, 402, 205, 2, "Transaction only voidable on the date processed");
      }
      if (reversals.length > 0) return sendError(response, 402, 192, 2, "Cannot void a transaction with returns");
      if (Math.round(amount * 100) !== Math.round(purchase.amount * 100))
        return sendError(response, 400, 31, 3, "Void amount must be the full amount");
    }
    const returned = reversals.reduce((sum, order) => sum + Math.round(order.amount * 100), 0);
    if (returned + Math.round(amount * 100) > Math.round(purchase.amount * 100)) {
      return sendError(response, 402, 194, 2, "Exceeds return limit");
    }
    const order = record(orderNumber, {
      approved: true,
      messageId: 1,
      message: "Approved",
      authCode: `R${String(nextId).slice(-5)}`,
      cardType: purchase.cardType,
      lastFour: purchase.lastFour,
      amount,
      type: kind === "void" ? "VP" : "R",
      originalId: purchaseId,
    });
    if (orderNumber.startsWith(FAKE_REFUND_ORDERS.neverAnswers)) return hang(response);
    return sendJson(response, 200, { ...paymentBody(order), type: order.type, links: [] });
  }

  const { createServer } = await import("node:http");
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    const refund = /^\/v1\/payments\/(\d+)\/(void|returns)$/.exec(path ?? "");
    const handle =
      refund && request.method === "POST"
        ? refunds(request, response, Number(refund[1]), refund[2] as "void" | "returns")
        : request.method === "POST" && path === "/v1/payments"
          ? payments(request, response)
          : request.method === "POST" && path === "/v1/reports"
            ? reports(request, response)
            : Promise.resolve(sendError(response, 404, 0, 3, "Not found"));
    handle.catch(() => {
      if (!response.headersSent) sendError(response, 500, 0, 4, "Internal Server Error");
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
