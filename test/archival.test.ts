/**
 * Archival to R2 (issue 16): finished payments and old audit rows leave D1 as write-once gzip NDJSON
 * objects with a manifest, verified before anything is deleted; the partner query service, support
 * and duplicate detection still know an archived payment; a crash at any step loses and duplicates
 * nothing; unfinished or recent payments never move.
 */
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from "cloudflare:test";
import { afterAll, describe, expect, it } from "vitest";
import { configurationProblems, readArchiveSettings, readLedgerConfig } from "../src/config.ts";
import { database } from "../src/db/client.ts";
import { retentionCutoff } from "../src/domain/archive.ts";
import { pacificDate } from "../src/domain/businessTime.ts";
import worker from "../src/index.ts";
import { NIGHTLY_CRON, SWEEP_CRON } from "../src/jobs/crons.ts";
import { createLogger } from "../src/lib/logger.ts";
import { type ArchiveDeps, type ArchiveStep, readArchivedPayment, runArchive } from "../src/services/archive.ts";
import { auditRecorder } from "../src/services/audit.ts";
import { runGlPosting } from "../src/services/glPosting.ts";
import { queryPayment } from "../src/services/partnerApi.ts";
import { runRefundPosting } from "../src/services/refundPosting.ts";
import { getPayment, postRevenue, token } from "./helpers/api.ts";
import { pythonClientQuery, pythonClientVerifies, responseParams } from "./helpers/independent.ts";
import { ledgerAcceptsAll } from "./helpers/ledger.ts";
import { directSalePairs, get, openPayment, seedPartner } from "./helpers/portal.ts";
import { expectReconciled } from "./helpers/reconcile.ts";
import { listRefunds, type PaidPayment, paidPayment, paybcRefund, refundToken, restRefund } from "./helpers/refunds.ts";

const DAY = 86_400_000;
/** Fourteen months on: everything paid and posted today is past the 13-month retention. */
const LATER = new Date(Date.now() + 426 * DAY);

function archiveDeps(overrides: Partial<ArchiveDeps> = {}): ArchiveDeps {
  const db = database(env.DB);
  const log = createLogger("test-archive");
  return {
    db,
    bucket: env.JOURNALS,
    settings: readArchiveSettings(env),
    audit: auditRecorder(db, { actor: "test", sourceIp: null, log }),
    log,
    now: LATER,
    ...overrides,
  };
}

/** The nightly posting a week on (every GL date due), then the ledger accepts it all. */
async function postAndAccept(pbcRefNumber: string): Promise<void> {
  const db = database(env.DB);
  const log = createLogger("test-archive-posting");
  const posting = {
    db,
    bucket: env.JOURNALS,
    ledger: readLedgerConfig(env),
    audit: auditRecorder(db, { actor: "test", sourceIp: null, log }),
    log,
    now: new Date(Date.now() + 7 * DAY),
  };
  await runGlPosting(posting);
  await runRefundPosting(posting);
  await ledgerAcceptsAll(pbcRefNumber);
}

/** A payment paid and CMPLT (both revenue lines accepted by the ledger). */
async function finishedPayment(): Promise<PaidPayment> {
  const paid = await paidPayment();
  await postAndAccept(paid.partner.pbcRefNumber);
  return paid;
}

async function rowsOf(pbcRefNumber: string, pbcTxnNumber: string) {
  const one = async (query: string) =>
    (await env.DB.prepare(query).bind(pbcRefNumber, pbcTxnNumber).first<{ n: number }>())?.n ?? 0;
  const txn = "(SELECT id FROM transactions WHERE pbc_ref_number = ?1 AND pbc_txn_number = ?2)";
  return {
    transactions: await one("SELECT COUNT(*) AS n FROM transactions WHERE pbc_ref_number = ?1 AND pbc_txn_number = ?2"),
    lines: await one(`SELECT COUNT(*) AS n FROM revenue_lines WHERE transaction_id = ${txn}`),
    attempts: await one(`SELECT COUNT(*) AS n FROM payment_attempts WHERE transaction_id = ${txn}`),
    events: await one(`SELECT COUNT(*) AS n FROM payment_events WHERE transaction_id = ${txn}`),
    refunds: await one(`SELECT COUNT(*) AS n FROM refunds WHERE transaction_id = ${txn}`),
  };
}

async function indexRow(pbcRefNumber: string, pbcTxnNumber: string) {
  return env.DB.prepare(
    `SELECT a.state, a.record_line, a.archived_at, r.object_key, r.manifest_key, r.status AS run_status
     FROM archived_payments a JOIN archive_runs r ON r.id = a.archive_run_id WHERE a.pbc_ref_number = ? AND a.pbc_txn_number = ?`,
  )
    .bind(pbcRefNumber, pbcTxnNumber)
    .first<{
      state: string;
      record_line: number;
      archived_at: string;
      object_key: string;
      manifest_key: string;
      run_status: string;
    }>();
}

async function objectKeys(prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.JOURNALS.list({ prefix, ...(cursor ? { cursor } : {}) });
    keys.push(...page.objects.map((object) => object.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys;
}

async function gunzipObject(key: string): Promise<string> {
  const object = await env.JOURNALS.get(key);
  if (!object) throw new Error(`missing ${key}`);
  return new Response(object.body.pipeThrough(new DecompressionStream("gzip"))).text();
}

async function sha256Of(key: string): Promise<string> {
  const object = await env.JOURNALS.get(key);
  if (!object) throw new Error(`missing ${key}`);
  const digest = await crypto.subtle.digest("SHA-256", await object.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function failAt(step: ArchiveStep): ArchiveDeps["afterStep"] {
  return (at, run) => {
    if (at === step && run.kind === "payments") throw new Error(`injected crash after ${step}`);
  };
}

describe("archival of a finished payment", () => {
  it("moves the whole payment to a write-once gzip NDJSON object with a verified manifest, then deletes it from D1", async () => {
    const paid = await finishedPayment();
    const { pbcRefNumber } = paid.partner;
    const before = await env.DB.prepare("SELECT * FROM transactions WHERE pbc_ref_number = ? AND pbc_txn_number = ?")
      .bind(pbcRefNumber, paid.pbcTxnNumber)
      .first<Record<string, unknown>>();
    expect(before?.payment_status).toBe("CMPLT");
    const counts = await rowsOf(pbcRefNumber, paid.pbcTxnNumber);
    expect(counts.events).toBeGreaterThan(3);

    const report = await runArchive(archiveDeps());
    expect(report.paymentsDeleted).toBeGreaterThanOrEqual(1);

    expect(await rowsOf(pbcRefNumber, paid.pbcTxnNumber)).toEqual({
      transactions: 0,
      lines: 0,
      attempts: 0,
      events: 0,
      refunds: 0,
    });
    const index = await indexRow(pbcRefNumber, paid.pbcTxnNumber);
    expect(index).toMatchObject({ state: "ARCHIVED", run_status: "DELETED" });
    // Partitioned by the Pacific month the payment was made.
    const month = new Intl.DateTimeFormat("en-CA", { timeZone: "America/Vancouver", year: "numeric", month: "2-digit" })
      .format(new Date(String(before?.paid_at)))
      .replace("-", "/");
    expect(index?.object_key).toMatch(new RegExp(`^archive/payments/${month}/[0-9a-f-]{36}\\.ndjson\\.gz$`));

    const manifest = JSON.parse((await (await env.JOURNALS.get(index?.manifest_key as string))?.text()) ?? "{}");
    const object = await env.JOURNALS.head(index?.object_key as string);
    expect(manifest).toMatchObject({ schemaVersion: 1, kind: "payments", contentEncoding: "gzip", size: object?.size });
    expect(manifest.sha256).toBe(await sha256Of(index?.object_key as string));
    const lines = (await gunzipObject(index?.object_key as string)).trimEnd().split("\n");
    expect(lines).toHaveLength(manifest.count);
    const records = lines.map((line) => JSON.parse(line));
    expect(manifest.totalCents).toBe(records.reduce((sum, r) => sum + r.transaction.trnAmountCents, 0));
    expect(manifest.firstId).toBe(records[0].id);
    expect(manifest.lastId).toBe(records.at(-1).id);

    const record = records[(index?.record_line as number) - 1];
    expect(record.transaction).toMatchObject({
      pbcTxnNumber: paid.pbcTxnNumber,
      paymentStatus: "CMPLT",
      trnOrderId: paid.trnOrderId,
    });
    expect(record.transaction.trnAmountCents).toBe(before?.trn_amount_cents);
    expect(record.revenueLines.map((l: { glStatus: string }) => l.glStatus)).toEqual(["PROCESSED", "PROCESSED"]);
    expect(record.attempts).toHaveLength(counts.attempts);
    expect(record.events).toHaveLength(counts.events);
    expect(record.events.map((e: { eventType: string }) => e.eventType)).toContain("approved");
    // No card data anywhere, and not even the link or session hashes.
    expect(lines.join("\n")).not.toContain("4030000010001234");
    expect(lines.join("\n")).not.toContain("linkTokenHash");
  });

  it("archives a refunded payment once its refund is posted, refund and refund lines included", async () => {
    const paid = await paidPayment();
    const refund = await restRefund(
      paid.bearer,
      paid.partner.pbcRefNumber,
      paid.pbcTxnNumber,
      { amount: "25.00", refundAmountAvailable: "100.00", lines: [{ lineNumber: "2", amount: "25.00" }] },
      crypto.randomUUID(),
    );
    expect(refund.status).toBe(201);
    // Revenue first, then (the next night) the reversal; the ledger accepts each.
    await postAndAccept(paid.partner.pbcRefNumber);
    await postAndAccept(paid.partner.pbcRefNumber);
    const status = await env.DB.prepare(
      "SELECT gl_status FROM refund_lines WHERE transaction_id = (SELECT id FROM transactions WHERE pbc_txn_number = ?)",
    )
      .bind(paid.pbcTxnNumber)
      .first<{ gl_status: string }>();
    expect(status?.gl_status).toBe("CMPLT");

    await runArchive(archiveDeps());
    const found = await readArchivedPayment(database(env.DB), env.JOURNALS, paid.partner.pbcRefNumber, paid.pbcTxnNumber);
    expect(found?.record.refunds).toHaveLength(1);
    expect(found?.record.refunds[0]).toMatchObject({ status: "APPROVED", amountCents: 2500 });
    expect(found?.record.refundLines.map((l) => l.glStatus)).toEqual(["CMPLT"]);
    expect((await rowsOf(paid.partner.pbcRefNumber, paid.pbcTxnNumber)).refunds).toBe(0);

    // The partner still lists its refunds, from the archive: as they were, marked archived, with
    // nothing left to refund through the portal; another partner's token finds nothing.
    const listed = await listRefunds(paid.bearer, paid.partner.pbcRefNumber, paid.pbcTxnNumber);
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as {
      refundSummary: unknown;
      refunds: Array<{ amount: string; status: string; lines: unknown[] }>;
      archived?: boolean;
      archivedAt?: string;
    };
    expect(body.refundSummary).toEqual({ status: "unavailable", amountAvailable: "0.00", amountRefunded: "25.00" });
    expect(body.refunds).toHaveLength(1);
    expect(body.refunds[0]).toMatchObject({
      status: "APPROVED",
      amount: "25.00",
      lines: [{ lineNumber: "2", amount: "25.00", refundGlStatus: "CMPLT" }],
    });
    expect(body.archived).toBe(true);
    expect(body.archivedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const stranger = await seedPartner();
    expect((await listRefunds(await token(stranger), paid.partner.pbcRefNumber, paid.pbcTxnNumber)).status).toBe(404);
  });

  it("archives audit rows past their retention by month, verified, and deletes them", async () => {
    const partner = await seedPartner();
    const created = await env.DB.prepare("SELECT id, occurred_at FROM audit_log WHERE target = ? ORDER BY id")
      .bind(partner.pbcRefNumber)
      .all<{ id: number; occurred_at: string }>();
    expect(created.results.length).toBeGreaterThan(0);

    const report = await runArchive(archiveDeps({ queryBudget: 900 }));
    expect(report.auditRowsDeleted).toBeGreaterThan(0);
    const left = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE target = ?")
      .bind(partner.pbcRefNumber)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
    const run = await env.DB.prepare(
      "SELECT * FROM archive_runs WHERE kind = 'audit' AND first_id <= ? AND last_id >= ? ORDER BY id DESC LIMIT 1",
    )
      .bind(created.results[0]?.id, created.results[0]?.id)
      .first<{
        object_key: string;
        manifest_key: string;
        status: string;
        sha256: string;
        record_count: number;
        deleted_count: number;
      }>();
    expect(run).toMatchObject({ status: "DELETED" });
    expect(run?.object_key).toMatch(/^archive\/audit\/\d{4}\/\d{2}\/[0-9a-f-]{36}\.ndjson\.gz$/);
    expect(run?.sha256).toBe(await sha256Of(run?.object_key as string));
    expect(run?.deleted_count).toBe(run?.record_count);
    const records = (await gunzipObject(run?.object_key as string))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    for (const row of created.results) {
      expect(records.find((r) => r.id === row.id)).toMatchObject({
        kind: "audit",
        occurredAt: row.occurred_at,
        target: partner.pbcRefNumber,
      });
    }
    // Rows within their retention stay: a run today moves nothing of today's.
    await seedPartner();
    const today = await runArchive(archiveDeps({ now: new Date() }));
    expect(today.auditRowsDeleted).toBe(0);
  });
});

describe("an archived payment is still known", () => {
  it("the partner query service answers from the archive, marked archived, in both key styles (HTTP and service)", async () => {
    const paid = await finishedPayment();
    const { pbcRefNumber } = paid.partner;
    const camelBefore = (await (await getPayment(paid.bearer, pbcRefNumber, paid.pbcTxnNumber, "?keys=camel")).json()) as Record<
      string,
      unknown
    >;
    const lowerBefore = (await (await getPayment(paid.bearer, pbcRefNumber, paid.pbcTxnNumber, "?keys=lower")).json()) as Record<
      string,
      unknown
    >;
    await runArchive(archiveDeps());
    expect((await rowsOf(pbcRefNumber, paid.pbcTxnNumber)).transactions).toBe(0);

    const lowerResponse = await getPayment(paid.bearer, pbcRefNumber, paid.pbcTxnNumber, "?keys=lower");
    expect(lowerResponse.status).toBe(200);
    const lower = (await lowerResponse.json()) as Record<string, unknown>;
    // Every field deployed clients read is as it was; the marker is added, and the refund summary says
    // nothing is available any more (a refund is refused: see below).
    expect(lowerBefore.refundsummary).toEqual({ status: "available", amountavailable: "100.00", amountrefunded: "0.00" });
    expect(lower).toEqual({
      ...lowerBefore,
      refundsummary: { status: "unavailable", amountavailable: "0.00", amountrefunded: "0.00" },
      archived: true,
      archivedat: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
    expect(lower.paymentstatus).toBe("CMPLT");
    expect(lower.trnorderid).toBe(paid.trnOrderId);
    const camel = (await (await getPayment(paid.bearer, pbcRefNumber, paid.pbcTxnNumber, "?keys=camel")).json()) as Record<
      string,
      unknown
    >;
    expect(camel).toEqual({
      ...camelBefore,
      refundSummary: { status: "unavailable", amountAvailable: "0.00", amountRefunded: "0.00" },
      archived: true,
      archivedAt: lower.archivedat,
    });

    // Through the service, and only for its own partner.
    const db = database(env.DB);
    const deps = {
      db,
      signingKey: env.TOKEN_SIGNING_KEY,
      audit: auditRecorder(db, { actor: "test", sourceIp: null, log: createLogger("t") }),
      now: new Date(),
      archive: env.JOURNALS,
    };
    const session = { claims: { ref: pbcRefNumber, sub: paid.partner.clientId, iat: 0, exp: 0 }, keyStyle: "camel" as const };
    expect(await queryPayment(deps, session, pbcRefNumber, paid.pbcTxnNumber, undefined)).toMatchObject({
      pbcTxnNumber: paid.pbcTxnNumber,
      paymentStatus: "CMPLT",
      archived: true,
    });
    const other = { ...session, claims: { ...session.claims, ref: "99999" } };
    expect(await queryPayment(deps, other, pbcRefNumber, paid.pbcTxnNumber, undefined)).toBeNull();
    // Another partner's token over HTTP: not found, as for any payment of another partner.
    const stranger = await seedPartner();
    expect((await getPayment(await token(stranger), pbcRefNumber, paid.pbcTxnNumber)).status).toBe(404);

    // Its revenue can no longer be updated: the same answer as for a CMPLT payment in D1.
    const update = await postRevenue(paid.bearer, pbcRefNumber, paid.pbcTxnNumber, {
      revenue: [{ lineNumber: "1", revenueAccount: "039.18ACE.14691.8928.1800000.000000.0000", revenueAmount: "100.00" }],
    });
    expect(update.status).toBe(409);
  });

  it("a refund of an archived payment is refused as archived (409 with the date) by both refund APIs, and nothing is sent", async () => {
    const paid = await finishedPayment();
    const { pbcRefNumber } = paid.partner;
    await runArchive(archiveDeps());
    const index = await indexRow(pbcRefNumber, paid.pbcTxnNumber);
    expect(index?.state).toBe("ARCHIVED");
    const archivedOn = pacificDate(new Date(index?.archived_at as string));
    const refundsBefore = await env.DB.prepare("SELECT COUNT(*) AS n FROM refunds").first<{ n: number }>();
    const sandboxBefore = await env.DB.prepare("SELECT COUNT(*) AS n FROM sandbox_ledger").first<{ n: number }>();

    const rest = await restRefund(
      paid.bearer,
      pbcRefNumber,
      paid.pbcTxnNumber,
      { amount: "25.00", refundAmountAvailable: "100.00" },
      crypto.randomUUID(),
    );
    expect(rest.status).toBe(409);
    const restBody = (await rest.json()) as { error: string; message: string };
    expect(restBody.error).toBe("payment_archived");
    expect(restBody.message).toBe(
      `This payment was archived on ${archivedOn} (more than 12 months after it was finished) and can no longer be refunded through the portal: a refund must be made outside it`,
    );

    const service = await paybcRefund(await refundToken(paid.partner), {
      orderNumber: Number(paid.trnOrderId),
      pbcRefNumber,
      txnAmount: 100.0,
      txnNumber: paid.pbcTxnNumber,
    });
    expect(service.status).toBe(409);
    expect(await service.json()).toEqual({ message: "Conflict", errors: [restBody.message] });

    // Nothing was reserved or sent to the processor; the refusal is in the audit log.
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM refunds").first<{ n: number }>()).toEqual(refundsBefore);
    expect(await env.DB.prepare("SELECT COUNT(*) AS n FROM sandbox_ledger").first<{ n: number }>()).toEqual(sandboxBefore);
    const refusals = await env.DB.prepare(
      "SELECT detail FROM audit_log WHERE action = 'refund.refused' AND target = ? ORDER BY id",
    )
      .bind(`${pbcRefNumber}/${paid.pbcTxnNumber}`)
      .all<{ detail: string }>();
    expect(refusals.results.map((row) => JSON.parse(row.detail).reason)).toEqual(["archived", "archived"]);

    // A number that was never received is still simply not found, and another partner's archived payment too.
    const unknown = await restRefund(
      paid.bearer,
      pbcRefNumber,
      "NEVER-SENT-1",
      { amount: "1.00", refundAmountAvailable: "1.00" },
      crypto.randomUUID(),
    );
    expect(unknown.status).toBe(404);
    const stranger = await seedPartner();
    const foreign = await restRefund(
      await token(stranger),
      pbcRefNumber,
      paid.pbcTxnNumber,
      { amount: "25.00", refundAmountAvailable: "100.00" },
      crypto.randomUUID(),
    );
    expect(foreign.status).toBe(404);
  });

  it("a new direct sale request with an archived transaction number is refused as already paid", async () => {
    const paid = await finishedPayment();
    await runArchive(archiveDeps());
    expect((await indexRow(paid.partner.pbcRefNumber, paid.pbcTxnNumber))?.state).toBe("ARCHIVED");
    const again = directSalePairs(paid.partner, { pbcTxnNumber: paid.pbcTxnNumber });
    const response = await get(`/public/directsale?${await pythonClientQuery(again, paid.partner.apiKey)}`);
    expect(response.status).toBe(303);
    const location = response.headers.get("Location") as string;
    expect(responseParams(location).get("pbcTxnNumber")).toBe("This transaction number has already been paid");
    expect(await pythonClientVerifies(location, paid.partner.apiKey)).toBe(true);
    // Nothing was created in D1 for it.
    expect((await rowsOf(paid.partner.pbcRefNumber, paid.pbcTxnNumber)).transactions).toBe(0);
  });
});

describe("crash safety", () => {
  for (const step of ["uploaded", "verified", "deleted-batch"] as const) {
    it(`a run that dies after "${step}" is finished by the next: nothing lost, nothing written twice`, async () => {
      const paid = await finishedPayment();
      const { pbcRefNumber } = paid.partner;
      const keysBefore = await objectKeys("archive/payments/");
      await expect(runArchive(archiveDeps({ afterStep: failAt(step) }))).rejects.toThrow(`injected crash after ${step}`);
      const index = await indexRow(pbcRefNumber, paid.pbcTxnNumber);
      expect(index?.object_key).toBeDefined();
      if (step !== "deleted-batch") {
        // Not yet deleted: the payment is whole in D1 and answers from there.
        expect((await rowsOf(pbcRefNumber, paid.pbcTxnNumber)).transactions).toBe(1);
        const body = (await (await getPayment(paid.bearer, pbcRefNumber, paid.pbcTxnNumber)).json()) as Record<string, unknown>;
        expect(body.archived).toBeUndefined();
      }
      const written = (await objectKeys("archive/payments/")).filter((key) => !keysBefore.includes(key));
      expect(written).toContain(index?.object_key);
      const sha = await sha256Of(index?.object_key as string);

      await runArchive(archiveDeps());
      expect(await rowsOf(pbcRefNumber, paid.pbcTxnNumber)).toEqual({
        transactions: 0,
        lines: 0,
        attempts: 0,
        events: 0,
        refunds: 0,
      });
      expect(await indexRow(pbcRefNumber, paid.pbcTxnNumber)).toMatchObject({ state: "ARCHIVED", run_status: "DELETED" });
      // The same object, never rewritten; no second object holds the payment.
      expect(await sha256Of(index?.object_key as string)).toBe(sha);
      const after = (await objectKeys("archive/payments/")).filter(
        (key) => !keysBefore.includes(key) && key.endsWith(".ndjson.gz"),
      );
      let copies = 0;
      for (const key of after) {
        copies += (await gunzipObject(key))
          .split("\n")
          .filter((line) => line.includes(`"pbcTxnNumber":"${paid.pbcTxnNumber}"`)).length;
      }
      expect(copies).toBe(1);
      const query = await getPayment(paid.bearer, pbcRefNumber, paid.pbcTxnNumber);
      expect(((await query.json()) as Record<string, unknown>).archived).toBe(true);
    });
  }

  it("every statement stays within D1's 100 bound parameters (the local simulator does not enforce it)", async () => {
    const paid = await finishedPayment();
    let most = 0;
    // The real statement is bound and returned, so batches get genuine D1 statements.
    const guarded = new Proxy(env.DB, {
      get(target, property) {
        if (property === "prepare") {
          return (query: string) => {
            const statement = target.prepare(query);
            return new Proxy(statement, {
              get(inner, name) {
                if (name === "bind")
                  return (...values: unknown[]) => {
                    most = Math.max(most, values.length);
                    if (values.length > 100) throw new Error(`${values.length} bound parameters: ${query.slice(0, 80)}`);
                    return inner.bind(...values);
                  };
                const value = Reflect.get(inner, name);
                return typeof value === "function" ? value.bind(inner) : value;
              },
            });
          };
        }
        const value = Reflect.get(target, property);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    await runArchive(archiveDeps({ db: database(guarded) }));
    expect((await indexRow(paid.partner.pbcRefNumber, paid.pbcTxnNumber))?.state).toBe("ARCHIVED");
    expect(most).toBeGreaterThan(0);
  });

  it("running twice archives nothing twice", async () => {
    const paid = await finishedPayment();
    await runArchive(archiveDeps());
    const keys = await objectKeys("archive/payments/");
    const runs = await env.DB.prepare("SELECT COUNT(*) AS n FROM archive_runs WHERE kind = 'payments'").first<{ n: number }>();
    const second = await runArchive(archiveDeps());
    // (The first run's own audit entry is itself old enough for the second: only that may move.)
    expect(second.runs.filter((run) => run.kind === "payments")).toEqual([]);
    expect(await objectKeys("archive/payments/")).toEqual(keys);
    expect(
      (await env.DB.prepare("SELECT COUNT(*) AS n FROM archive_runs WHERE kind = 'payments'").first<{ n: number }>())?.n,
    ).toBe(runs?.n);
    expect((await indexRow(paid.partner.pbcRefNumber, paid.pbcTxnNumber))?.state).toBe("ARCHIVED");
    // No audit row is in two objects either.
    const ids: number[] = [];
    for (const key of await objectKeys("archive/audit/")) {
      if (!key.endsWith(".ndjson.gz")) continue;
      ids.push(
        ...(await gunzipObject(key))
          .trimEnd()
          .split("\n")
          .map((line) => JSON.parse(line).id as number),
      );
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("a payment that changes after its object was written is not deleted on that object's word", async () => {
    const paid = await finishedPayment();
    const { pbcRefNumber } = paid.partner;
    await expect(runArchive(archiveDeps({ afterStep: failAt("verified") }))).rejects.toThrow();
    const first = await indexRow(pbcRefNumber, paid.pbcTxnNumber);
    // Something happens to it before the delete: a late event.
    await env.DB.prepare(
      "INSERT INTO payment_events (transaction_id, pbc_ref_number, pbc_txn_number, event_type, created_at) SELECT id, pbc_ref_number, pbc_txn_number, 'revenue_updated', ? FROM transactions WHERE pbc_ref_number = ? AND pbc_txn_number = ?",
    )
      .bind(new Date().toISOString(), pbcRefNumber, paid.pbcTxnNumber)
      .run();
    await runArchive(archiveDeps());
    // The first object's copy was not deleted from D1 (the run deleted nothing of it); the payment,
    // still finished, went into a new object as it is now, and the index row points there.
    const firstRun = await env.DB.prepare("SELECT status, deleted_count FROM archive_runs WHERE object_key = ?")
      .bind(first?.object_key)
      .first<{ status: string; deleted_count: number }>();
    expect(firstRun).toEqual({ status: "DELETED", deleted_count: 0 });
    const now = await indexRow(pbcRefNumber, paid.pbcTxnNumber);
    expect(now?.state).toBe("ARCHIVED");
    expect(now?.object_key).not.toBe(first?.object_key);
    const found = await readArchivedPayment(database(env.DB), env.JOURNALS, pbcRefNumber, paid.pbcTxnNumber);
    expect(found?.record.events.map((event) => event.eventType)).toContain("revenue_updated");
  });
});

describe("unfinished payments are never archived", () => {
  it("unpaid, paid but not CMPLT, refund not posted, and recent payments all stay in D1", async () => {
    const partner = await seedPartner();
    const { pbcRefNumber } = partner;
    const unpaid = await openPayment(partner);
    const notPosted = await paidPayment({ partner });
    await postAndAccept(pbcRefNumber); // notPosted becomes CMPLT here: pay a new one after
    const refundedLate = await paidPayment({ partner });
    await postAndAccept(pbcRefNumber);
    const refund = await restRefund(
      refundedLate.bearer,
      pbcRefNumber,
      refundedLate.pbcTxnNumber,
      { amount: "10.00", refundAmountAvailable: "100.00", lines: [{ lineNumber: "1", amount: "10.00" }] },
      crypto.randomUUID(),
    );
    expect(refund.status).toBe(201); // APPROVED, its reversal not posted
    const paidOnly = await paidPayment({ partner }); // PAID, never posted
    const pendingRefund = await finishedPayment();
    await env.DB.prepare(
      "INSERT INTO refunds (external_id, transaction_id, pbc_ref_number, pbc_txn_number, order_number, amount_cents, status, channel, requested_by, request_fingerprint, created_at, updated_at) SELECT ?, id, pbc_ref_number, pbc_txn_number, ?, 100, 'UNKNOWN', 'api', 'test', 'fp', ?, ? FROM transactions WHERE pbc_txn_number = ?",
    )
      .bind(
        crypto.randomUUID(),
        `R${crypto.randomUUID().slice(0, 8)}`,
        new Date().toISOString(),
        new Date().toISOString(),
        pendingRefund.pbcTxnNumber,
      )
      .run();

    // Recent: finished, but a run within 13 months of its last activity leaves it.
    const recentRun = await runArchive(archiveDeps({ now: new Date(Date.now() + 200 * DAY) }));
    expect(recentRun.paymentsCutoff < new Date().toISOString().slice(0, 10)).toBe(true);
    expect((await rowsOf(pbcRefNumber, notPosted.pbcTxnNumber)).transactions).toBe(1);
    expect(await indexRow(pbcRefNumber, notPosted.pbcTxnNumber)).toBeNull();

    await runArchive(archiveDeps());
    for (const [what, txn] of [
      ["unpaid", unpaid.pbcTxnNumber],
      ["paid, not CMPLT", paidOnly.pbcTxnNumber],
      ["refund not posted", refundedLate.pbcTxnNumber],
      ["refund waiting for the processor", pendingRefund.pbcTxnNumber],
    ] as const) {
      const rows = await rowsOf(
        what === "refund waiting for the processor" ? pendingRefund.partner.pbcRefNumber : pbcRefNumber,
        txn,
      );
      expect(rows.transactions, what).toBe(1);
      expect(
        await indexRow(what === "refund waiting for the processor" ? pendingRefund.partner.pbcRefNumber : pbcRefNumber, txn),
        what,
      ).toBeNull();
    }
    // The finished one of the same partner did go.
    expect((await indexRow(pbcRefNumber, notPosted.pbcTxnNumber))?.state).toBe("ARCHIVED");
  });

  it("the retention cut-off is a Pacific business date 13 months back", () => {
    expect(retentionCutoff(new Date("2027-03-31T18:00:00Z"), 13).date).toBe("2026-02-28");
  });
});

describe("the nightly job and its settings", () => {
  async function scheduled(cron: string, at: Date): Promise<void> {
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: at, cron }), env, ctx);
    await waitOnExecutionContext(ctx);
  }

  it("archives in the sweeps after the nightly posting, not in the posting's own run nor in the day", async () => {
    const paid = await finishedPayment();
    const day = LATER.toISOString().slice(0, 10);
    await scheduled(SWEEP_CRON, new Date(`${day}T18:00:00Z`)); // business hours
    await scheduled(NIGHTLY_CRON, new Date(`${day}T09:00:00Z`)); // the posting's run
    expect(await indexRow(paid.partner.pbcRefNumber, paid.pbcTxnNumber)).toBeNull();
    await scheduled(SWEEP_CRON, new Date(`${day}T09:05:00Z`));
    expect((await indexRow(paid.partner.pbcRefNumber, paid.pbcTxnNumber))?.state).toBe("ARCHIVED");
  });

  it("ARCHIVE_ENABLED=false stops it; a retention too short or not whole months refuses to run", async () => {
    const paid = await finishedPayment();
    const off = await runArchive(archiveDeps({ settings: { ...readArchiveSettings(env), enabled: false } }));
    expect(off.runs).toEqual([]);
    expect((await rowsOf(paid.partner.pbcRefNumber, paid.pbcTxnNumber)).transactions).toBe(1);

    expect(readArchiveSettings(env)).toEqual({ enabled: true, paymentsAfterMonths: 13, auditAfterMonths: 12 });
    const problems = (vars: Record<string, string>) => configurationProblems({ ...env, ...vars } as Env);
    expect(problems({})).toEqual([]);
    expect(problems({ ARCHIVE_PAYMENTS_AFTER_MONTHS: "6" })).toContain(
      "ARCHIVE_PAYMENTS_AFTER_MONTHS must be whole months from 12 to 120",
    );
    expect(problems({ ARCHIVE_PAYMENTS_AFTER_MONTHS: "13.5" })).toContain(
      "ARCHIVE_PAYMENTS_AFTER_MONTHS must be whole months from 12 to 120",
    );
    expect(problems({ ARCHIVE_AUDIT_AFTER_MONTHS: "2" })).toContain(
      "ARCHIVE_AUDIT_AFTER_MONTHS must be whole months from 3 to 120",
    );
    expect(problems({ ARCHIVE_AUDIT_AFTER_MONTHS: "twelve" })).toContain(
      "ARCHIVE_AUDIT_AFTER_MONTHS must be whole months from 3 to 120",
    );
    expect(problems({ ARCHIVE_ENABLED: "yes" })).toContain("ARCHIVE_ENABLED must be true or false");
  });
});

// Archived payments are reconciled too (their charges belong to a payment, from the facts recorded at archival).
afterAll(() => expectReconciled());
