/**
 * The CHES sender against a loopback fake of the Common Hosted Email Service and its token endpoint
 * (test/fakes/chesFake.ts): OAuth2 client credentials, POST /api/v1/email, the token kept and
 * renewed after a 401, which failures are retried, and a receipt sent through it end to end.
 */
import { env } from "cloudflare:test";
import { describe, expect, inject, it } from "vitest";
import { readConfig } from "../src/config.ts";
import { database } from "../src/db/client.ts";
import { ChesSender } from "../src/email/ches.ts";
import { type EmailMessage, EmailSendError } from "../src/email/types.ts";
import { createLogger } from "../src/lib/logger.ts";
import { sendReceipt } from "../src/services/receipts.ts";
import { type AcceptedEmail, FAKE_CHES_CLIENT_PREFIX, fakeChesSecret } from "./fakes/chesFakeClients.ts";
import { findCardNumbers } from "./helpers/cardScan.ts";
import { openPayment, payWith, seedPartner } from "./helpers/portal.ts";

const chesUrl = inject("chesUrl");
const FROM = "noreply-pay@gov.bc.ca";

let clients = 0;
/** A client of its own per test: the sender keeps tokens per token URL and client. */
function newClientId(): string {
  clients++;
  return `${FAKE_CHES_CLIENT_PREFIX}${clients}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

function sender(clientId = newClientId(), secret = fakeChesSecret(clientId)) {
  return {
    clientId,
    ches: new ChesSender({ apiUrl: chesUrl, tokenUrl: `${chesUrl}/token`, clientId, clientSecret: secret, from: FROM }),
  };
}

function message(to: string): EmailMessage {
  return {
    to,
    subject: "Your payment receipt: Ministry of Mail",
    text: "Payment receipt",
    html: "<p>Payment receipt</p>",
    language: "en",
    tag: "receipt-12345",
  };
}

const unique = (prefix: string) => `${prefix}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.ca`;

async function accepted(to: string): Promise<AcceptedEmail[]> {
  return (await fetch(`${chesUrl}/__messages?to=${encodeURIComponent(to)}`)).json();
}

async function tokensIssued(clientId: string): Promise<number> {
  return ((await (await fetch(`${chesUrl}/__tokens?client=${encodeURIComponent(clientId)}`)).json()) as { issued: number })
    .issued;
}

async function sendError(promise: Promise<unknown>): Promise<EmailSendError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EmailSendError);
  return error as EmailSendError;
}

describe("ChesSender", () => {
  it("gets a client-credentials token and posts the message as HTML from the configured address", async () => {
    const { clientId, ches } = sender();
    const to = unique("pat");
    await ches.send(message(to));
    const [sent, ...more] = await accepted(to);
    expect(more).toEqual([]);
    expect(sent).toMatchObject({
      from: FROM,
      to: [to],
      subject: "Your payment receipt: Ministry of Mail",
      bodyType: "html",
      body: "<p>Payment receipt</p>",
      tag: "receipt-12345",
      client: clientId,
    });
  });

  it("keeps its token for the next message", async () => {
    const { clientId, ches } = sender();
    await ches.send(message(unique("one")));
    await ches.send(message(unique("two")));
    expect(await tokensIssued(clientId)).toBe(1);
  });

  it("a refused client is a retryable failure and sends nothing", async () => {
    const { ches } = sender(newClientId(), "not-the-secret");
    const to = unique("pat");
    const error = await sendError(ches.send(message(to)));
    expect(error.message).toBe("CHES token endpoint answered 401");
    expect(error.retryable).toBe(true);
    expect(await accepted(to)).toEqual([]);
  });

  it("an address CHES refuses (422) is not retried; CHES unavailable (503) is", async () => {
    const { ches } = sender();
    const refused = await sendError(ches.send(message(unique("refuse"))));
    expect(refused).toMatchObject({ message: "CHES answered 422", retryable: false });
    const busy = await sendError(ches.send(message(unique("busy"))));
    expect(busy).toMatchObject({ message: "CHES answered 503", retryable: true });
  });

  it("a token CHES no longer accepts (401) is dropped: the retry gets a new one and sends", async () => {
    const { clientId, ches } = sender();
    await ches.send(message(unique("first")));
    await fetch(`${chesUrl}/__revoke?client=${encodeURIComponent(clientId)}`, { method: "POST" });
    const to = unique("second");
    const error = await sendError(ches.send(message(to)));
    expect(error).toMatchObject({ message: "CHES answered 401", retryable: true });
    await ches.send(message(to));
    expect(await accepted(to)).toHaveLength(1);
    expect(await tokensIssued(clientId)).toBe(2);
  });

  it("a wrong token URL (404) is a retryable failure, visible in the logs each time", async () => {
    const clientId = newClientId();
    const ches = new ChesSender({
      apiUrl: chesUrl,
      tokenUrl: `${chesUrl}/realms/wrong/token`,
      clientId,
      clientSecret: fakeChesSecret(clientId),
      from: FROM,
    });
    const error = await sendError(ches.send(message(unique("pat"))));
    expect(error).toMatchObject({ message: "CHES token endpoint answered 404", retryable: true });
  });
});

describe("a receipt through CHES", () => {
  async function paidWithReceipt(email: string) {
    const partner = await seedPartner({ name: "Ministry of Mail" });
    const payment = await openPayment(partner);
    const response = await payWith(payment, { email });
    expect(response.headers.get("Location")).toMatch(/trnApproved=1/);
    const row = await env.DB.prepare(
      `SELECT a.id FROM payment_attempts a JOIN transactions t ON t.id = a.transaction_id
       WHERE t.pbc_txn_number = ? AND a.receipt_status = 'REQUESTED'`,
    )
      .bind(payment.pbcTxnNumber)
      .first<{ id: number }>();
    return row?.id as number;
  }

  async function receiptState(attemptId: number) {
    return env.DB.prepare("SELECT receipt_email, receipt_status FROM payment_attempts WHERE id = ?")
      .bind(attemptId)
      .first<{ receipt_email: string | null; receipt_status: string }>();
  }

  const deps = (ches: ChesSender) => ({
    db: database(env.DB),
    config: readConfig(env),
    sender: ches,
    log: createLogger("test-ches"),
    now: new Date(),
  });

  it("is sent with brand and last four only, and the address is erased once CHES accepts it", async () => {
    const to = unique("receipt");
    const attemptId = await paidWithReceipt(to);
    expect(await sendReceipt(deps(sender().ches), attemptId, 1)).toBe("sent");
    const [sent] = await accepted(to);
    expect(sent?.subject).toBe("Your payment receipt: Ministry of Mail");
    expect(sent?.body).toContain("Visa ending 1234");
    expect(sent?.body).toContain("$100.00");
    expect(findCardNumbers(JSON.stringify(sent))).toEqual([]);
    expect(await receiptState(attemptId)).toEqual({ receipt_email: null, receipt_status: "SENT" });
  });

  it("CHES unavailable: retried with the address kept, then on the last delivery given up and erased", async () => {
    const to = unique("busy");
    const attemptId = await paidWithReceipt(to);
    const ches = sender().ches;
    expect(await sendReceipt(deps(ches), attemptId, 1)).toBe("retry");
    expect(await receiptState(attemptId)).toEqual({ receipt_email: to, receipt_status: "REQUESTED" });
    expect(await sendReceipt(deps(ches), attemptId, 7)).toBe("failed");
    expect(await receiptState(attemptId)).toEqual({ receipt_email: null, receipt_status: "FAILED" });
  });

  it("an address CHES refuses is not retried: the receipt fails at once and the address is erased", async () => {
    const to = unique("refuse");
    const attemptId = await paidWithReceipt(to);
    expect(await sendReceipt(deps(sender().ches), attemptId, 1)).toBe("failed");
    expect(await receiptState(attemptId)).toEqual({ receipt_email: null, receipt_status: "FAILED" });
  });
});
