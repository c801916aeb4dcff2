/**
 * Partner notifications (issue 14): Standard Webhooks signatures checked by the independent
 * `standardwebhooks` verifier, retries through queue retry delays, Retry-After, 410 Gone, the dead
 * letter, secret rotation, and the outbox that keeps events whose queue send failed.
 */
import { createExecutionContext, createScheduledController, env, SELF, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { readLedgerConfig } from "../src/config.ts";
import { runBatch } from "../src/db/batch.ts";
import { database } from "../src/db/client.ts";
import worker from "../src/index.ts";
import { createLogger } from "../src/lib/logger.ts";
import { auditRecorder } from "../src/services/audit.ts";
import { runGlPosting } from "../src/services/glPosting.ts";
import { createNotifier } from "../src/services/notifications.ts";
import { runRefundPosting } from "../src/services/refundPosting.ts";
import { removeWebhook, rotateSecret } from "../src/services/webhookConfig.ts";
import { handleWebhookMessage } from "../src/services/webhookDelivery.ts";
import { ledgerAcceptsAll } from "./helpers/ledger.ts";
import { BASE, openPayment, payWith, post, seedPartner, type TestPartner } from "./helpers/portal.ts";
import { paidPayment, restRefund } from "./helpers/refunds.ts";
import {
  configureWebhook,
  deliverPending,
  dueMessages,
  outboxRows,
  received,
  runQueue,
  scheduledWait,
  script,
  testWebhook,
  verified,
  webhookDeps,
} from "./helpers/webhooks.ts";

async function transactionId(partner: TestPartner, txn: string): Promise<number> {
  const row = await env.DB.prepare("SELECT id FROM transactions WHERE pbc_ref_number = ? AND pbc_txn_number = ?")
    .bind(partner.pbcRefNumber, txn)
    .first<{ id: number }>();
  return row?.id as number;
}

/** A paid payment whose payment.approved event is in the outbox. */
async function approvedPayment(partner: TestPartner) {
  const payment = await openPayment(partner);
  expect((await payWith(payment)).status).toBe(303);
  const id = await transactionId(partner, payment.pbcTxnNumber);
  const notify = createNotifier({ db: database(env.DB), queue: undefined, log: createLogger("test") });
  // The card page's own batch writes this event; writing it again is a no-op (one row per event).
  await runBatch(database(env.DB), [
    notify.payment("payment.approved", { pbcRefNumber: partner.pbcRefNumber, transactionId: id }),
  ]);
  return { ...payment, transactionId: id };
}

describe("signing", () => {
  it("a ping from test-webhook is verified by the standardwebhooks package", async () => {
    const partner = await seedPartner();
    const { bucket, secret } = await configureWebhook(partner.pbcRefNumber);
    const { result } = await testWebhook(webhookDeps(), partner.pbcRefNumber);
    expect(result).toEqual({ kind: "delivered", statusCode: 204 });
    const [delivery] = await received(bucket);
    expect(delivery).toBeDefined();
    const event = verified(secret, delivery as NonNullable<typeof delivery>);
    expect(event.type).toBe("ping");
    expect(delivery?.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it("another secret does not verify: the signature is over the id, timestamp and body", async () => {
    const partner = await seedPartner();
    const { bucket } = await configureWebhook(partner.pbcRefNumber);
    await testWebhook(webhookDeps(), partner.pbcRefNumber);
    const [delivery] = await received(bucket);
    const other = `whsec_${btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))}`;
    expect(() => verified(other, delivery as NonNullable<typeof delivery>)).toThrow();
    const tampered = { ...(delivery as NonNullable<typeof delivery>), body: (delivery?.body ?? "").replace("ping", "pong") };
    expect(() => verified(other, tampered)).toThrow();
  });

  it("during a rotation both secrets sign (two signatures), and each verifies alone", async () => {
    const partner = await seedPartner();
    const { bucket, secret: oldSecret } = await configureWebhook(partner.pbcRefNumber);
    const { secret: newSecret } = await rotateSecret(webhookDeps(), partner.pbcRefNumber, 24);
    await testWebhook(webhookDeps(), partner.pbcRefNumber);
    const [delivery] = await received(bucket);
    const signatures = delivery?.headers["webhook-signature"]?.split(" ") ?? [];
    expect(signatures).toHaveLength(2);
    expect(verified(oldSecret, delivery as NonNullable<typeof delivery>).type).toBe("ping");
    expect(verified(newSecret, delivery as NonNullable<typeof delivery>).type).toBe("ping");
  });

  it("after the grace period only the new secret signs", async () => {
    const partner = await seedPartner();
    const { bucket, secret: oldSecret } = await configureWebhook(partner.pbcRefNumber);
    const { secret: newSecret } = await rotateSecret(webhookDeps(), partner.pbcRefNumber, 0);
    await testWebhook(webhookDeps(), partner.pbcRefNumber);
    const [delivery] = await received(bucket);
    expect(delivery?.headers["webhook-signature"]?.split(" ")).toHaveLength(1);
    expect(verified(newSecret, delivery as NonNullable<typeof delivery>).type).toBe("ping");
    expect(() => verified(oldSecret, delivery as NonNullable<typeof delivery>)).toThrow();
  });
});

describe("delivery through the queue", () => {
  it("payment.approved carries the payment as the query service shows it, in the partner's key style", async () => {
    const partner = await seedPartner({ keyStyle: "camel" });
    const { bucket, secret } = await configureWebhook(partner.pbcRefNumber);
    const payment = await approvedPayment(partner);
    const result = await deliverPending(partner.pbcRefNumber);
    expect(result.retryMessages).toEqual([]);
    const deliveries = await received(bucket);
    expect(deliveries).toHaveLength(1);
    const event = verified(secret, deliveries[0] as NonNullable<(typeof deliveries)[0]>);
    expect(event.type).toBe("payment.approved");
    expect(event.data).toMatchObject({ pbcTxnNumber: payment.pbcTxnNumber, paymentStatus: "PAID", trnAmount: "100.00" });
    expect((await outboxRows(partner.pbcRefNumber))[0]).toMatchObject({ status: "DELIVERED", attempts: 1 });
  });

  it("a 500 is retried after 5 s, then delivered; the same message id and body both times", async () => {
    const partner = await seedPartner();
    const { bucket, secret } = await configureWebhook(partner.pbcRefNumber);
    await approvedPayment(partner);
    await script(bucket, [{ status: 500 }]);
    const first = await deliverPending(partner.pbcRefNumber);
    expect(first.retryMessages).toHaveLength(1);
    expect(await scheduledWait(partner.pbcRefNumber)).toBe(5);
    expect((await outboxRows(partner.pbcRefNumber))[0]).toMatchObject({ status: "PENDING", attempts: 1, last_status_code: 500 });
    const second = await deliverPending(partner.pbcRefNumber);
    expect(second.retryMessages).toEqual([]);
    const deliveries = await received(bucket);
    expect(deliveries).toHaveLength(2);
    expect(deliveries[0]?.headers["webhook-id"]).toBe(deliveries[1]?.headers["webhook-id"]);
    expect(deliveries[0]?.body).toBe(deliveries[1]?.body);
    expect(verified(secret, deliveries[1] as NonNullable<(typeof deliveries)[1]>).type).toBe("payment.approved");
    expect((await outboxRows(partner.pbcRefNumber))[0]).toMatchObject({ status: "DELIVERED", attempts: 2 });
  });

  it("a message that arrives before its row is due waits for the rest of the delay, in steps of at most 12 hours", async () => {
    const partner = await seedPartner();
    const { bucket } = await configureWebhook(partner.pbcRefNumber);
    await approvedPayment(partner);
    await script(bucket, [{ status: 503 }, { status: 503 }]);
    await deliverPending(partner.pbcRefNumber);
    const [message] = await dueMessages(partner.pbcRefNumber);
    const second = await runQueue([message]);
    expect(second.retryMessages).toHaveLength(1);
    expect(await scheduledWait(partner.pbcRefNumber)).toBe(300);
    const deps = {
      db: database(env.DB),
      encryptionKey: env.API_KEY_ENCRYPTION_KEY,
      environment: "local",
      log: createLogger("test"),
    };
    const early = await handleWebhookMessage(deps, message, new Date());
    expect(early).toEqual({ retryInSeconds: expect.any(Number) });
    expect((early as { retryInSeconds: number }).retryInSeconds).toBeGreaterThan(290);
    // A wait longer than the queue's 12-hour limit is taken in steps.
    const later = await handleWebhookMessage(deps, message, new Date(Date.now() - 20 * 3_600_000));
    expect(later).toEqual({ retryInSeconds: 43_200 });
    expect(await received(bucket)).toHaveLength(2);
  });

  it("Retry-After decides the wait", async () => {
    const partner = await seedPartner();
    const { bucket } = await configureWebhook(partner.pbcRefNumber);
    await approvedPayment(partner);
    await script(bucket, [{ status: 429, headers: { "Retry-After": "120" } }]);
    const result = await deliverPending(partner.pbcRefNumber);
    expect(result.retryMessages).toHaveLength(1);
    expect(await scheduledWait(partner.pbcRefNumber)).toBe(120);
    const row = (await outboxRows(partner.pbcRefNumber))[0];
    const wait = (Date.parse(row?.next_attempt_at ?? "") - Date.now()) / 1000;
    expect(wait).toBeGreaterThan(100);
    expect(wait).toBeLessThanOrEqual(120);
  });

  it("410 Gone disables the endpoint: nothing more is sent until it is set again", async () => {
    const partner = await seedPartner();
    const { bucket } = await configureWebhook(partner.pbcRefNumber);
    await approvedPayment(partner);
    await script(bucket, [{ status: 410 }]);
    const result = await deliverPending(partner.pbcRefNumber);
    expect(result.retryMessages).toEqual([]);
    const hook = await env.DB.prepare("SELECT status, disabled_reason FROM partner_webhooks WHERE pbc_ref_number = ?")
      .bind(partner.pbcRefNumber)
      .first<{ status: string; disabled_reason: string }>();
    expect(hook?.status).toBe("DISABLED");
    expect(hook?.disabled_reason).toContain("410");
    // A later event is not even written.
    await approvedPayment(partner);
    expect((await outboxRows(partner.pbcRefNumber)).map((row) => row.status)).toEqual(["CANCELLED"]);
    await expect(testWebhook(webhookDeps(), partner.pbcRefNumber)).rejects.toThrow(/disabled/);
    expect(await received(bucket)).toHaveLength(1);
  });

  it("after the tenth failed try the row is dead and the message goes to the dead-letter queue", async () => {
    const partner = await seedPartner();
    const { bucket } = await configureWebhook(partner.pbcRefNumber);
    await approvedPayment(partner);
    await script(
      bucket,
      Array.from({ length: 10 }, () => ({ status: 500 })),
    );
    const delays: Array<number | null> = [];
    for (let attempt = 1; attempt <= 9; attempt++) {
      const result = await deliverPending(partner.pbcRefNumber);
      expect(result.retryMessages).toHaveLength(1);
      delays.push(await scheduledWait(partner.pbcRefNumber));
    }
    expect(delays).toEqual([5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]);
    const deadLetters: unknown[] = [];
    const dlq = { send: async (body: unknown) => void deadLetters.push(body) };
    const last = await deliverPending(partner.pbcRefNumber, { ...env, WEBHOOK_DLQ: dlq as unknown as Queue });
    expect(last.explicitAcks).toHaveLength(1);
    expect(deadLetters).toEqual([
      expect.objectContaining({ pbcRefNumber: partner.pbcRefNumber, eventType: "payment.approved", attempts: 10 }),
    ]);
    const [row] = await outboxRows(partner.pbcRefNumber);
    expect(row).toMatchObject({ status: "DEAD", attempts: 10 });
    expect(await received(bucket)).toHaveLength(10);
    const log = await env.DB.prepare("SELECT COUNT(*) AS n FROM webhook_attempts WHERE outbox_id = ?")
      .bind(row?.id)
      .first<{ n: number }>();
    expect(log?.n).toBe(10);
  });

  it("a removed endpoint gets nothing: pending events are cancelled", async () => {
    const partner = await seedPartner();
    const { bucket } = await configureWebhook(partner.pbcRefNumber);
    await approvedPayment(partner);
    await removeWebhook(webhookDeps(), partner.pbcRefNumber);
    await deliverPending(partner.pbcRefNumber);
    expect(await received(bucket)).toHaveLength(0);
    expect((await outboxRows(partner.pbcRefNumber)).map((row) => row.status)).toEqual(["CANCELLED"]);
  });

  it("a void (older generation) or malformed message is acknowledged without sending", async () => {
    const partner = await seedPartner();
    const { bucket } = await configureWebhook(partner.pbcRefNumber);
    await approvedPayment(partner);
    const [message] = await dueMessages(partner.pbcRefNumber);
    const result = await runQueue([{ id: message?.id, generation: (message?.generation ?? 0) - 1 }, { hello: "world" }]);
    expect(result.explicitAcks).toHaveLength(2);
    expect(await received(bucket)).toHaveLength(0);
  });
});

describe("the outbox", () => {
  it("an event whose queue send failed is sent by the next 5-minute sweep, then delivered", async () => {
    const partner = await seedPartner();
    const { bucket, secret } = await configureWebhook(partner.pbcRefNumber);
    // The approval's request runs with a queue that refuses every send.
    const failingQueue = {
      send: () => Promise.reject(new Error("queue unavailable")),
      sendBatch: () => Promise.reject(new Error("queue unavailable")),
    };
    const payment = await openPayment(partner);
    const ctx = createExecutionContext();
    const response = await worker.fetch(
      new Request(`${BASE}${payment.cardPath}`, {
        method: "POST",
        redirect: "manual",
        headers: {
          "Content-Type": "application/x-www-form-urlencoded",
          Cookie: payment.cookie,
          "CF-Connecting-IP": "203.0.113.9",
        },
        body: new URLSearchParams({
          csrfToken: payment.csrfToken,
          cardNumber: "4030000010001234",
          expiryMonth: "12",
          expiryYear: String(new Date().getUTCFullYear() + 2),
          cardholderName: "Pat Payer",
          securityCode: "123",
        }).toString(),
      }),
      { ...env, WEBHOOKS: failingQueue as unknown as Queue },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(303);
    const [row] = await outboxRows(partner.pbcRefNumber);
    expect(row).toMatchObject({ event_type: "payment.approved", status: "PENDING", enqueued_at: null });

    const sent: unknown[] = [];
    const recordingQueue = {
      send: async (body: unknown) => void sent.push(body),
      sendBatch: async (messages: Iterable<{ body: unknown }>) => void sent.push(...[...messages].map((m) => m.body)),
    };
    const sweep = createExecutionContext();
    await worker.scheduled(
      createScheduledController({ scheduledTime: Date.now(), cron: "*/5 * * * *" }),
      { ...env, WEBHOOKS: recordingQueue as unknown as Queue },
      sweep,
    );
    await waitOnExecutionContext(sweep);
    // The failed send's generation (1) is void; the sweep's message carries the next.
    expect(sent).toContainEqual({ id: row?.id, generation: 2 });
    await runQueue(sent.filter((body) => (body as { id: number }).id === row?.id));
    const [delivery] = await received(bucket);
    expect(verified(secret, delivery as NonNullable<typeof delivery>).data).toMatchObject({ trnnumber: payment.pbcTxnNumber });
  });

  it("a partner without a webhook, or not subscribed to the type, gets no outbox row", async () => {
    const partner = await seedPartner();
    await approvedPayment(partner);
    expect(await outboxRows(partner.pbcRefNumber)).toEqual([]);
    const subscribed = await seedPartner();
    await configureWebhook(subscribed.pbcRefNumber, ["payment.declined"]);
    await approvedPayment(subscribed);
    expect(await outboxRows(subscribed.pbcRefNumber)).toEqual([]);
    expect((await SELF.fetch(`${BASE}/health`)).status).toBeLessThan(500);
  });
});

describe("each payment event, as the partner receives it", () => {
  async function deliveredEvents(partner: TestPartner, bucket: string, secret: string) {
    await deliverPending(partner.pbcRefNumber);
    return (await received(bucket)).map((delivery) => verified(secret, delivery));
  }

  it("payment.declined (with the attempt outcome) while the payment stays PNDNG", async () => {
    const partner = await seedPartner();
    const { bucket, secret } = await configureWebhook(partner.pbcRefNumber);
    const payment = await openPayment(partner);
    expect((await payWith(payment, { cardNumber: "4003050500040005" })).status).toBe(303);
    const [event] = await deliveredEvents(partner, bucket, secret);
    expect(event?.type).toBe("payment.declined");
    expect(event?.data).toMatchObject({ trnnumber: payment.pbcTxnNumber, paymentstatus: "PNDNG" });
  });

  it("with retry in place, every decline is a payment.declined, then the final outcome follows", async () => {
    const partner = await seedPartner({ onDecline: "retry" });
    const { bucket, secret } = await configureWebhook(partner.pbcRefNumber);
    const payment = await openPayment(partner);
    for (let decline = 1; decline <= 2; decline++) {
      // Declined on the portal (no redirect to the partner), then "Try another card" on the same attempt.
      expect((await payWith(payment, { cardNumber: "4003050500040005" })).headers.get("Location")).toBe(payment.cardPath);
      expect((await post(`${payment.cardPath}/retry`, { csrfToken: payment.csrfToken }, payment.cookie)).status).toBe(303);
    }
    expect((await payWith(payment)).headers.get("Location")).toMatch(/trnApproved=1/);
    const events = await deliveredEvents(partner, bucket, secret);
    expect(events.map((event) => event.type)).toEqual(["payment.declined", "payment.declined", "payment.approved"]);
  });

  it("payment.cancelled", async () => {
    const partner = await seedPartner();
    const { bucket, secret } = await configureWebhook(partner.pbcRefNumber);
    const payment = await openPayment(partner);
    expect((await post(`${payment.cardPath}/cancel`, { csrfToken: payment.csrfToken }, payment.cookie)).status).toBe(303);
    const events = await deliveredEvents(partner, bucket, secret);
    expect(events.map((event) => event.type)).toEqual(["payment.cancelled"]);
  });

  it("payment.expired, from the 5-minute sweep", async () => {
    const partner = await seedPartner();
    const { bucket, secret } = await configureWebhook(partner.pbcRefNumber);
    const payment = await openPayment(partner);
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now() + 31 * 60_000, cron: "*/5 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const events = await deliveredEvents(partner, bucket, secret);
    expect(events.map((event) => event.type)).toEqual(["payment.expired"]);
    expect(events[0]?.data).toMatchObject({ trnnumber: payment.pbcTxnNumber });
  });

  it("payment.approved once, then payment.posted when the ledger accepts the posted journal (CMPLT)", async () => {
    const partner = await seedPartner();
    const { bucket, secret } = await configureWebhook(partner.pbcRefNumber);
    const payment = await openPayment(partner);
    await payWith(payment);
    expect((await deliveredEvents(partner, bucket, secret)).map((event) => event.type)).toEqual(["payment.approved"]);
    await env.DB.prepare("UPDATE transactions SET gl_date = '2026-01-15' WHERE pbc_ref_number = ?")
      .bind(partner.pbcRefNumber)
      .run();
    const db = database(env.DB);
    const log = createLogger("test");
    await runGlPosting({
      db,
      bucket: env.JOURNALS,
      ledger: readLedgerConfig(env),
      audit: auditRecorder(db, { actor: "t", sourceIp: null, log }),
      log,
      now: new Date("2026-01-16T09:00:00Z"),
    });
    // Sent to the ledger is not posted: nothing until its feedback accepts the lines.
    expect(await deliveredEvents(partner, bucket, secret)).toHaveLength(1);
    await ledgerAcceptsAll(partner.pbcRefNumber);
    const events = await deliveredEvents(partner, bucket, secret);
    expect(events.map((event) => event.type)).toEqual(["payment.approved", "payment.posted"]);
    expect(events[1]?.data).toMatchObject({ trnnumber: payment.pbcTxnNumber, paymentstatus: "CMPLT" });
    expect(((events[1]?.data.revenue ?? []) as Array<{ glstatus: string }>).map((line) => line.glstatus)).toEqual([
      "PROCESSED",
      "PROCESSED",
    ]);
  });
});

describe("each refund event, as the partner receives it", () => {
  async function refundedPayment(amount: string, bucketFor: (ref: string) => Promise<{ bucket: string; secret: string }>) {
    const paid = await paidPayment({ keyStyle: "camel" });
    const hook = await bucketFor(paid.partner.pbcRefNumber);
    // Set after the payment was paid: only the refund's events follow.
    const response = await restRefund(
      paid.bearer,
      paid.partner.pbcRefNumber,
      paid.pbcTxnNumber,
      { amount, refundAmountAvailable: "100.00", lines: [{ lineNumber: "2", amount }] },
      crypto.randomUUID(),
    );
    return { paid, response, ...hook };
  }

  it("refund.approved carries the payment with its refund fields and the refund itself", async () => {
    const { paid, response, bucket, secret } = await refundedPayment("25.00", (ref) => configureWebhook(ref));
    expect(response.status).toBe(201);
    await deliverPending(paid.partner.pbcRefNumber);
    const events = (await received(bucket)).map((delivery) => verified(secret, delivery));
    expect(events.map((event) => event.type)).toEqual(["refund.approved"]);
    expect(events[0]?.data).toMatchObject({
      pbcTxnNumber: paid.pbcTxnNumber,
      refundedAmount: 25,
      refund: { status: "APPROVED", amount: "25.00", lines: [{ lineNumber: "2", amount: "25.00" }] },
    });
  });

  it("refund.declined when the processor refuses the refund", async () => {
    const { paid, response, bucket, secret } = await refundedPayment("0.91", (ref) => configureWebhook(ref));
    expect(response.status).toBe(201);
    await deliverPending(paid.partner.pbcRefNumber);
    const events = (await received(bucket)).map((delivery) => verified(secret, delivery));
    expect(events.map((event) => event.type)).toEqual(["refund.declined"]);
    expect(events[0]?.data).toMatchObject({ refund: { status: "DECLINED", amount: "0.91" } });
  });

  it("refund.posted once the ledger accepts the reversal", async () => {
    const { paid, bucket, secret } = await refundedPayment("25.00", (ref) => configureWebhook(ref));
    const ref = paid.partner.pbcRefNumber;
    await env.DB.prepare("UPDATE transactions SET gl_date = '2026-02-16' WHERE pbc_ref_number = ?").bind(ref).run();
    await env.DB.prepare("UPDATE refunds SET gl_date = '2026-02-16' WHERE pbc_ref_number = ?").bind(ref).run();
    const db = database(env.DB);
    const log = createLogger("test");
    const posting = {
      db,
      bucket: env.JOURNALS,
      ledger: readLedgerConfig(env),
      audit: auditRecorder(db, { actor: "t", sourceIp: null, log }),
      log,
      now: new Date("2026-02-17T09:00:00Z"),
    };
    await runGlPosting(posting);
    await ledgerAcceptsAll(ref);
    await runRefundPosting(posting);
    await ledgerAcceptsAll(ref);
    await deliverPending(ref);
    const events = (await received(bucket)).map((delivery) => verified(secret, delivery));
    expect(events.map((event) => event.type)).toEqual(["refund.approved", "payment.posted", "refund.posted"]);
    expect(events[2]?.data).toMatchObject({ postedRefundAmount: 25, refund: { status: "APPROVED" } });
  });
});
