/**
 * D1 bytes per payment over its whole life, measured: N two-line payments go through the real HTTP
 * flow (signed direct sale, single-use link, card page, card submission approved by the sandbox
 * processor, the partner's query), a share of them are refunded through the REST refund resource,
 * partner notifications are delivered to a loopback webhook receiver, and the nightly run posts their
 * journals. The database's pages in use (after a WAL checkpoint) before and after, divided by N.
 */
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { readDevVars, withPlatform } from "../../scripts/lib/platform.ts";
import { database } from "../../src/db/client.ts";
import { feedbackFileName, renderFeedbackBatch } from "../../src/domain/ledgerFeedback.ts";
import { WEBHOOK_EVENT_TYPES } from "../../src/domain/webhookPolicy.ts";
import { setWebhook } from "../../src/services/webhookConfig.ts";
import { type DatabaseSize, databaseSize, openD1 } from "./d1file.ts";
import { pastGlDate } from "./journal.ts";
import { APPROVED_CARD, accessToken, cardForm, clientAddress, PARTNER, pool, preparePayment } from "./partner.ts";
import { log, type Portal, startPortal, stopPortal } from "./portal.ts";

export interface CapacityResult {
  bytes_per_payment: number;
  payments_per_10gb: number;
}

export interface CapacityReport extends CapacityResult {
  payments: number;
  refunded: number;
  notificationsDelivered: number;
  seconds: number;
  before: DatabaseSize;
  after: DatabaseSize;
  /** Per table: bytes and rows added per payment. */
  perPayment: Record<string, { bytes: number; rows: number }>;
}

/** D1's 10 GB per database, read as 10 × 10^9 bytes (the smaller of the two readings: 10 GiB is 7 % more). */
const TEN_GB = 10 * 1000 ** 3;

/** A webhook receiver on loopback that accepts every delivery. */
async function webhookReceiver(): Promise<{ server: Server; url: string; received: () => number }> {
  let received = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => {
      received++;
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/paybc-events`, received: () => received };
}

async function expectOk(response: Response, what: string, expected: (status: number) => boolean): Promise<unknown> {
  const text = await response.text();
  if (!expected(response.status)) throw new Error(`${what}: status ${response.status} ${text.slice(0, 300)}`);
  return text.startsWith("{") ? JSON.parse(text) : text;
}

export async function measureCapacity(
  state: string,
  options: { payments: number; refundShare: number; connections: number },
): Promise<CapacityReport> {
  const receiver = await webhookReceiver();
  try {
    // The partner wants every notification, delivered to the receiver above (http is allowed to loopback locally).
    const secrets = readDevVars();
    await withPlatform({ remote: false, persistPath: `${state}/v3` }, async (env) => {
      await setWebhook(
        {
          db: database(env.DB),
          encryptionKey: secrets.API_KEY_ENCRYPTION_KEY as string,
          environment: "local",
          operator: { actor: "bench" },
          now: new Date(),
        },
        PARTNER.pbcRefNumber,
        receiver.url,
        [...WEBHOOK_EVENT_TYPES],
      );
    });
    const before = databaseSize(state);
    const started = performance.now();
    let portal: Portal = await startPortal("capacity", state);
    const refundEvery = options.refundShare > 0 ? Math.max(1, Math.round(1 / options.refundShare)) : 0;
    let refunded = 0;
    const txnNumbers: string[] = [];
    try {
      const redirectUri = `http://127.0.0.1:${portal.port}/bench/return`;
      let token = await accessToken(portal.baseUrl);
      let tokenAt = Date.now();
      let done = 0;
      await pool(Array.from({ length: options.payments }), options.connections, async (_item, index) => {
        const payment = await preparePayment(portal.baseUrl, redirectUri);
        const submitted = await fetch(`${portal.baseUrl}${payment.cardPath}`, {
          method: "POST",
          redirect: "manual",
          headers: {
            Cookie: payment.cookie,
            "Content-Type": "application/x-www-form-urlencoded",
            "CF-Connecting-IP": clientAddress(index + 1),
          },
          body: cardForm(payment),
        });
        await submitted.body?.cancel();
        const location = submitted.headers.get("location") ?? "";
        if (submitted.status !== 303 || !/[?&]trnApproved=1(&|$)/.test(location)) {
          throw new Error(`card submission (${APPROVED_CARD.cardNumber.slice(-4)}): ${submitted.status} to ${location}`);
        }
        if (Date.now() - tokenAt > 600_000) {
          token = await accessToken(portal.baseUrl);
          tokenAt = Date.now();
        }
        const paymentUrl = `${portal.baseUrl}/ords/cas/paybc/payment/${PARTNER.pbcRefNumber}/${payment.txnNumber}`;
        await expectOk(await fetch(paymentUrl, { headers: { Authorization: `Bearer ${token}` } }), "query", (s) => s === 200);
        if (refundEvery > 0 && index % refundEvery === 0) {
          const refund = (await expectOk(
            await fetch(`${paymentUrl}/refunds`, {
              method: "POST",
              headers: {
                Authorization: `Bearer ${token}`,
                "Content-Type": "application/json",
                "Idempotency-Key": randomUUID(),
              },
              body: JSON.stringify({
                amount: "25.00",
                refundAmountAvailable: "100.00",
                lines: [{ lineNumber: "2", amount: "25.00" }],
                reason: "Bench partial refund",
              }),
            }),
            "refund",
            (s) => s === 200 || s === 201,
          )) as { status?: string };
          if (refund.status !== "APPROVED") throw new Error(`refund: ${JSON.stringify(refund).slice(0, 300)}`);
          refunded++;
        }
        txnNumbers.push(payment.txnNumber);
        done++;
        if (done % 1000 === 0) log(`capacity: ${done} of ${options.payments} payments paid and queried`);
      });
      // Let the queued notifications reach the receiver (the queue consumer delivers in the background).
      await settled(receiver.received);
    } finally {
      await stopPortal(portal);
    }

    // Today's payments are not due for posting until tomorrow: date them (and their refunds) a few
    // days back, in place (same-length dates: no size change), and run the nightly job.
    const glDate = pastGlDate();
    const db = openD1(state);
    try {
      db.prepare("UPDATE transactions SET gl_date = ?1, gl_business_date = ?1 WHERE pbc_ref_number = ?2").run(
        glDate,
        PARTNER.pbcRefNumber,
      );
      db.prepare("UPDATE refunds SET gl_date = ?1, business_date = ?1 WHERE gl_date IS NOT NULL").run(glDate);
    } finally {
      db.close();
    }
    portal = await startPortal("capacity-posting", state);
    try {
      // Revenue first; a refund is posted once the ledger has accepted its revenue line, so the ledger's
      // FEEDBACK (every line accepted, rendered from our own feeder files as `journals make-feedback`
      // does) is uploaded after each kind, as finance staff would.
      await postAndAccept(portal, glDate, "revenue", 2 * options.payments);
      if (refunded > 0) await postAndAccept(portal, glDate, "refund", refunded);
      await settled(receiver.received);
    } finally {
      await stopPortal(portal);
    }
    const seconds = (performance.now() - started) / 1000;
    const after = databaseSize(state);
    const n = options.payments;
    const perPayment: CapacityReport["perPayment"] = {};
    for (const [table, entry] of Object.entries(after.tables)) {
      const was = before.tables[table] ?? { bytes: 0, rows: 0 };
      const bytes = entry.bytes - was.bytes;
      const rows = entry.rows - was.rows;
      if (bytes !== 0 || rows !== 0) perPayment[table] = { bytes: Math.round(bytes / n), rows: Number((rows / n).toFixed(3)) };
    }
    const bytesPerPayment = Math.round((after.usedBytes - before.usedBytes) / n);
    return {
      bytes_per_payment: bytesPerPayment,
      payments_per_10gb: Math.floor(TEN_GB / bytesPerPayment),
      payments: n,
      refunded,
      notificationsDelivered: receiver.received(),
      seconds: Number(seconds.toFixed(1)),
      before,
      after,
      perPayment,
    };
  } finally {
    receiver.server.close();
  }
}

interface JournalListing {
  id: number;
  status: string;
  kind: "revenue" | "refund";
  lineCount: number | null;
  files: Array<{ name: string; url?: string }>;
  ledger: Array<{ status: string }>;
}

async function financeGet(portal: Portal, path: string): Promise<Response> {
  const token = readDevVars().FINANCE_TOKEN as string;
  return fetch(`${portal.baseUrl}${path}`, { headers: { Authorization: `Bearer ${token}`, Accept: "application/json" } });
}

async function journalsOf(portal: Portal, glDate: string, kind: JournalListing["kind"]): Promise<JournalListing[]> {
  const response = await financeGet(portal, `/finance/api/journals?from=${glDate}&to=${glDate}&partner=${PARTNER.pbcRefNumber}`);
  if (!response.ok) throw new Error(`GET /finance/api/journals answered ${response.status}`);
  return ((await response.json()) as { journals: JournalListing[] }).journals.filter((journal) => journal.kind === kind);
}

/** Runs the nightly job until `lines` of `kind` are in POSTED journals, then has the ledger accept every line. */
async function postAndAccept(portal: Portal, glDate: string, kind: JournalListing["kind"], lines: number): Promise<void> {
  let posted = 0;
  for (let run = 1; run <= 5 && posted < lines; run++) {
    const trigger = await fetch(`${portal.baseUrl}/__scheduled?cron=0+9+*+*+*`);
    await trigger.body?.cancel();
    const waitUntil = Date.now() + 300_000;
    while (Date.now() < waitUntil) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const journals = await journalsOf(portal, glDate, kind);
      posted = journals.filter((j) => j.status === "POSTED").reduce((sum, j) => sum + (j.lineCount ?? 0), 0);
      if (journals.length > 0 && journals.every((j) => j.status === "POSTED")) break;
    }
    log(`capacity: nightly run ${run}: ${posted} of ${lines} ${kind} lines posted`);
  }
  if (posted < lines) throw new Error(`capacity: the nightly runs posted ${posted} of ${lines} ${kind} lines`);
  const token = readDevVars().FINANCE_TOKEN as string;
  for (const journal of await journalsOf(portal, glDate, kind)) {
    if (journal.ledger.every((file) => file.status !== "SENT")) continue;
    let text = "";
    let feederNumber = "";
    for (const file of journal.files.filter((f) => f.name.startsWith("feeder-"))) {
      const response = await financeGet(portal, file.url ?? `/finance/journals/${journal.id}/files/${file.name}`);
      if (!response.ok) throw new Error(`feeder file ${file.name} of journal ${journal.id}: ${response.status}`);
      const content = await response.text();
      feederNumber ||= content.slice(0, 4);
      text += renderFeedbackBatch(content);
    }
    // One second apart per journal: feedback file names carry the time to the second.
    const name = feedbackFileName(feederNumber, new Date(Date.now() + journal.id * 1000));
    const upload = await fetch(`${portal.baseUrl}/finance/api/feedback?name=${encodeURIComponent(name)}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/plain", Accept: "application/json" },
      body: text,
    });
    const outcome = (await upload.json()) as { status?: string };
    if (!upload.ok || outcome.status !== "PROCESSED")
      throw new Error(`feedback for journal ${journal.id}: ${upload.status} ${JSON.stringify(outcome).slice(0, 300)}`);
  }
}

/** Waits until no notification has arrived for 3 s (at most 60 s): "posted" events follow the nightly run. */
async function settled(count: () => number): Promise<void> {
  const until = Date.now() + 60_000;
  let last = -1;
  let quietSince = Date.now();
  while (Date.now() < until && Date.now() - quietSince < 3000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    if (count() !== last) {
      last = count();
      quietSince = Date.now();
    }
  }
}
