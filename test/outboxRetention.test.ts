/**
 * Bounding the partner notification outbox (issue 16, "Bound the data"): a DELIVERED or CANCELLED
 * notification's signed body is cleared WEBHOOK_BODY_RETENTION_DAYS after its last change by the
 * nightly maintenance, in bounded batches; the row and its delivery log stay, PENDING and DEAD rows
 * keep their bodies, and a cleared row is never sent again.
 */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import { configurationProblems, readBodyRetentionDays } from "../src/config.ts";
import { database } from "../src/db/client.ts";
import type { OutboxRow } from "../src/db/schema.ts";
import { findTransactionById } from "../src/db/transactions.ts";
import { clearOldBodiesQuery, findOutboxRow } from "../src/db/webhookOutbox.ts";
import { addDays, pacificDate } from "../src/domain/businessTime.ts";
import worker from "../src/index.ts";
import { SWEEP_CRON } from "../src/jobs/crons.ts";
import { createLogger } from "../src/lib/logger.ts";
import { auditRecorder } from "../src/services/audit.ts";
import { sweepOutbox } from "../src/services/notifications.ts";
import { clearDeliveredBodies } from "../src/services/outboxRetention.ts";
import { paymentHistory } from "../src/services/paymentHistory.ts";
import { listDeliveries } from "../src/services/webhookConfig.ts";
import { attemptDelivery } from "../src/services/webhookDelivery.ts";
import { openPayment, payWith, seedPartner, type TestPartner } from "./helpers/portal.ts";
import { configureWebhook, deliverPending, outboxRows, received, runQueue, script, webhookDeps } from "./helpers/webhooks.ts";

const db = () => database(env.DB);

/** A payment paid through the card page; its payment.approved event is in the outbox (PENDING). */
async function pay(partner: TestPartner): Promise<string> {
  const payment = await openPayment(partner);
  expect((await payWith(payment)).status).toBe(303);
  return payment.pbcTxnNumber;
}

/** A partner with `count` notifications delivered (each with its frozen body). */
async function deliveredPartner(count: number) {
  const partner = await seedPartner();
  const { bucket } = await configureWebhook(partner.pbcRefNumber, ["payment.approved"]);
  for (let i = 0; i < count; i++) await pay(partner);
  await deliverPending(partner.pbcRefNumber);
  const rows = await bodies(partner.pbcRefNumber);
  expect(rows.map((row) => row.status)).toEqual(Array(count).fill("DELIVERED"));
  return { partner, bucket, rows };
}

async function bodies(pbcRefNumber: string) {
  const { results } = await env.DB.prepare(
    "SELECT id, status, generation, payload, payload_cleared_at, updated_at FROM webhook_outbox WHERE pbc_ref_number = ? ORDER BY id",
  )
    .bind(pbcRefNumber)
    .all<{
      id: number;
      status: string;
      generation: number;
      payload: string | null;
      payload_cleared_at: string | null;
      updated_at: string;
    }>();
  return results;
}

async function deliveryLog(outboxId: number): Promise<number> {
  const row = await env.DB.prepare("SELECT COUNT(*) AS n FROM webhook_attempts WHERE outbox_id = ?")
    .bind(outboxId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Rows the retention would still clear at this cut-off, in the whole database. */
async function dueCount(cutoff: string): Promise<number> {
  const row = await env.DB.prepare(
    "SELECT COUNT(*) AS n FROM webhook_outbox WHERE payload IS NOT NULL AND status IN ('DELIVERED', 'CANCELLED') AND updated_at < ?",
  )
    .bind(cutoff)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** The nightly maintenance sweep (09:05 UTC, the archive window) of the Pacific business day `days` after `from`. */
async function maintenanceRun(days: number, from: string): Promise<Date> {
  const at = new Date(`${addDays(pacificDate(new Date(from)), days)}T09:05:00Z`);
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: at.getTime(), cron: SWEEP_CRON }), env, ctx);
  await waitOnExecutionContext(ctx);
  return at;
}

function retentionDeps(now: Date, overrides: { batchSize?: number; maxBatches?: number } = {}) {
  const log = createLogger("test-outbox-retention");
  return {
    db: db(),
    retentionDays: 30,
    audit: auditRecorder(db(), { actor: "test", sourceIp: null, log }),
    log,
    now,
    ...overrides,
  };
}

describe("the nightly maintenance clears old bodies", () => {
  it("a delivered body is kept 30 days, then cleared; the row, its delivery log and the support views stay true", async () => {
    const { partner, rows } = await deliveredPartner(2);
    const [first] = rows;
    const id = first?.id as number;
    expect(first?.payload).toContain('"type":"payment.approved"');

    // Day 30 after delivery: still inside the retention.
    const deliveredAt = first?.updated_at as string;
    await maintenanceRun(30, deliveredAt);
    expect((await bodies(partner.pbcRefNumber)).map((row) => row.payload)).toEqual(rows.map((row) => row.payload));

    const at = await maintenanceRun(31, deliveredAt);
    const after = await bodies(partner.pbcRefNumber);
    expect(after.map((row) => [row.status, row.payload, row.payload_cleared_at])).toEqual([
      ["DELIVERED", null, at.toISOString()],
      ["DELIVERED", null, at.toISOString()],
    ]);
    // The notification's state did not change (archival's fingerprint reads updated_at).
    expect(after.map((row) => row.updated_at)).toEqual(rows.map((row) => row.updated_at));
    expect(await deliveryLog(id)).toBe(1);

    // One audit entry for the run, with the count it cleared (every row this run cleared, any partner's).
    const audit = await env.DB.prepare(
      "SELECT actor, outcome, detail FROM audit_log WHERE action = 'webhook.bodies_cleared' ORDER BY id DESC LIMIT 1",
    ).first<{ actor: string; outcome: string; detail: string }>();
    const cleared = await env.DB.prepare("SELECT COUNT(*) AS n FROM webhook_outbox WHERE payload_cleared_at = ?")
      .bind(at.toISOString())
      .first<{ n: number }>();
    expect(audit).toMatchObject({ actor: "system:outbox-retention", outcome: "success" });
    expect(JSON.parse(audit?.detail ?? "{}")).toMatchObject({ cleared: cleared?.n, retentionDays: 30, complete: true });

    // Support: the listing and the payment's story say the body was cleared, and when.
    const [listed] = await listDeliveries(db(), { pbcRefNumber: partner.pbcRefNumber }, 1, true);
    expect(listed).toMatchObject({ status: "DELIVERED", body: { state: "cleared", clearedAt: at.toISOString() } });
    expect(listed?.log).toHaveLength(1);
    const outboxRow = (await findOutboxRow(db(), id)) as OutboxRow;
    const transaction = await findTransactionById(db(), outboxRow.transactionId as number);
    const story = await paymentHistory(db(), transaction as NonNullable<typeof transaction>, new Date());
    expect(story.notifications.events).toEqual([
      expect.objectContaining({ state: "delivered", bodyClearedAt: at.toISOString(), attempts: [expect.anything()] }),
    ]);
  });

  it("PENDING and DEAD bodies are kept; a CANCELLED one (410 Gone after a try) is cleared", async () => {
    // DEAD: every one of the ten tries failed.
    const dead = await seedPartner();
    const deadHook = await configureWebhook(dead.pbcRefNumber, ["payment.approved"]);
    await pay(dead);
    await script(
      deadHook.bucket,
      Array.from({ length: 10 }, () => ({ status: 500 })),
    );
    for (let attempt = 1; attempt <= 10; attempt++) await deliverPending(dead.pbcRefNumber);
    // PENDING: tried once (500), its body frozen for the retries.
    const pending = await seedPartner();
    const pendingHook = await configureWebhook(pending.pbcRefNumber, ["payment.approved"]);
    await pay(pending);
    await script(pendingHook.bucket, [{ status: 500 }]);
    await deliverPending(pending.pbcRefNumber);
    // CANCELLED: the endpoint answered 410 Gone.
    const gone = await seedPartner();
    const goneHook = await configureWebhook(gone.pbcRefNumber, ["payment.approved"]);
    await pay(gone);
    await script(goneHook.bucket, [{ status: 410 }]);
    await deliverPending(gone.pbcRefNumber);

    const before = await Promise.all([dead, pending, gone].map((p) => bodies(p.pbcRefNumber)));
    expect(before.map(([row]) => [row?.status, row?.payload !== null])).toEqual([
      ["DEAD", true],
      ["PENDING", true],
      ["CANCELLED", true],
    ]);

    // A year on: far past the retention.
    const at = await maintenanceRun(365, new Date().toISOString());
    const after = await Promise.all([dead, pending, gone].map((p) => bodies(p.pbcRefNumber)));
    expect(after.map(([row]) => [row?.status, row?.payload, row?.payload_cleared_at])).toEqual([
      ["DEAD", before[0]?.[0]?.payload, null],
      ["PENDING", before[1]?.[0]?.payload, null],
      ["CANCELLED", null, at.toISOString()],
    ]);
  });

  it("clears in bounded batches; a run that stops at its limit leaves the rest to the next", async () => {
    const { partner } = await deliveredPartner(5);
    const now = new Date(Date.now() + 40 * 86_400_000);
    const first = await clearDeliveredBodies(retentionDeps(now, { batchSize: 2, maxBatches: 1 }));
    const remaining = await dueCount(first.cutoff);
    expect(first).toMatchObject({ cleared: 2, batches: 1, complete: false });

    const second = await clearDeliveredBodies(retentionDeps(now, { batchSize: 2, maxBatches: 1 }));
    expect(second).toMatchObject({ cleared: Math.min(2, remaining), batches: 1 });
    expect(await dueCount(first.cutoff)).toBe(remaining - second.cleared);

    // Runs until one finishes; then nothing is due and every body of this partner is gone.
    let runs = 0;
    let last = second;
    while (!last.complete && runs < 50) {
      last = await clearDeliveredBodies(retentionDeps(now, { batchSize: 2, maxBatches: 2 }));
      expect(last.cleared).toBeLessThanOrEqual(4);
      runs++;
    }
    expect(last.complete).toBe(true);
    expect(await dueCount(first.cutoff)).toBe(0);
    expect((await bodies(partner.pbcRefNumber)).map((row) => row.payload)).toEqual(Array(5).fill(null));

    // Repeatable: a run with nothing left clears nothing.
    expect(await clearDeliveredBodies(retentionDeps(now))).toMatchObject({ cleared: 0, batches: 1, complete: true });
  });

  it("uses the partial index for the rows still to clear, never a scan of the outbox", async () => {
    const query = new SQLiteSyncDialect().sqlToQuery(clearOldBodiesQuery(new Date(), 500, new Date()));
    const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${query.sql}`)
      .bind(...query.params)
      .all<{ detail: string }>();
    const plan = results.map((row) => row.detail);
    expect(plan).toContainEqual(expect.stringContaining("USING INDEX webhook_outbox_retention (updated_at<?)"));
    expect(plan.filter((detail) => /^SCAN webhook_outbox\b/.test(detail))).toEqual([]);
    expect(plan.filter((detail) => detail.includes("TEMP B-TREE"))).toEqual([]);
  });
});

describe("a cleared row is never sent again", () => {
  it("its old queue message, the outbox sweep and a direct attempt send nothing and render nothing", async () => {
    const { partner, bucket, rows } = await deliveredPartner(1);
    const row = rows[0] as NonNullable<(typeof rows)[0]>;
    await clearDeliveredBodies(retentionDeps(new Date(Date.now() + 40 * 86_400_000)));
    expect((await bodies(partner.pbcRefNumber))[0]?.payload).toBeNull();

    // The message that delivered it, redelivered by the queue (at-least-once).
    const replay = await runQueue([{ id: row.id, generation: row.generation }]);
    expect(replay.explicitAcks).toHaveLength(1);
    // The sweep (re-)enqueues only PENDING rows, however long ago this one was last enqueued.
    const sent: unknown[] = [];
    const recordingQueue = {
      send: async (body: unknown) => void sent.push(body),
      sendBatch: async (messages: Iterable<{ body: unknown }>) => void sent.push(...[...messages].map((m) => m.body)),
    };
    await sweepOutbox({
      db: db(),
      queue: recordingQueue as unknown as Queue,
      log: createLogger("test"),
      now: new Date(Date.now() + 40 * 86_400_000),
    });
    expect(sent).not.toContainEqual(expect.objectContaining({ id: row.id }));
    // Even handed a cleared row directly, delivery refuses to render and send it.
    const cleared = (await findOutboxRow(db(), row.id)) as OutboxRow;
    const result = await attemptDelivery({ ...webhookDeps(), deadLetter: undefined }, cleared, new Date());
    expect(result.kind).toBe("cancelled");

    expect(await received(bucket)).toHaveLength(1);
    expect(await bodies(partner.pbcRefNumber)).toEqual([expect.objectContaining({ status: "DELIVERED", payload: null })]);
    expect(await deliveryLog(row.id)).toBe(1);
    expect((await outboxRows(partner.pbcRefNumber))[0]).toMatchObject({ attempts: 1, generation: row.generation });
  });
});

describe("WEBHOOK_BODY_RETENTION_DAYS", () => {
  it("defaults to 30 and must be whole days from 7 to 365, or the Worker refuses to run its jobs", () => {
    expect(readBodyRetentionDays(env)).toBe(30);
    expect(readBodyRetentionDays({})).toBe(30);
    const problems = (value: string) => configurationProblems({ ...env, WEBHOOK_BODY_RETENTION_DAYS: value } as Env);
    const refusal = "WEBHOOK_BODY_RETENTION_DAYS must be whole days from 7 to 365";
    for (const bad of ["6", "0", "-30", "366", "30.5", "thirty"]) expect(problems(bad)).toContain(refusal);
    for (const good of ["7", "30", "365", ""]) expect(problems(good)).not.toContain(refusal);
  });

  it("a longer retention keeps bodies longer", async () => {
    const { partner } = await deliveredPartner(1);
    const now = new Date(Date.now() + 40 * 86_400_000);
    await clearDeliveredBodies({ ...retentionDeps(now), retentionDays: 60 });
    expect((await bodies(partner.pbcRefNumber))[0]?.payload).not.toBeNull();
    await clearDeliveredBodies({ ...retentionDeps(now), retentionDays: 7 });
    expect((await bodies(partner.pbcRefNumber))[0]?.payload).toBeNull();
  });
});
