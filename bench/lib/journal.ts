/**
 * Journal export at volume: PAID transactions with NEW revenue lines for partner 10006 (GL posting
 * on) are generated straight into the local D1 of a fresh state directory (recursive-CTE
 * INSERT ... SELECT, while no portal runs on it), then the portal is started on it and the nightly
 * run is triggered through /__scheduled until the journal batch is POSTED.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { readDevVars, withPlatform } from "../../scripts/lib/platform.ts";
import { pacificDate } from "../../src/domain/businessTime.ts";
import { PARTNER } from "./partner.ts";
import { log, type Portal } from "./portal.ts";
import { rssKiB, sampleRss } from "./proc.ts";

export interface JournalResult {
  lines: number;
  seconds: number;
  d1_queries: number;
  peak_mb: number;
}

export interface JournalReport extends JournalResult {
  /** Nightly runs needed until the batch was POSTED. */
  runs: number;
  seedSeconds: number;
  dbMiB: number;
  rssBeforeMiB: number;
  /** Peak RSS growth of the runtime workerd alone (the Worker with local D1 and R2). */
  runtimePeakMb: number;
  /** The same, anonymous memory only (heaps, SQLite caches) without file-backed pages. */
  runtimeAnonPeakMb: number;
  perRun: Array<{ seconds: number; queries: number; batchesPosted: number }>;
  /** Why the batch was not POSTED (a crashed run, a timeout), or null. */
  failure: string | null;
}

/** Revenue lines per transaction in the generated data (1..9). */
export const LINES_PER_TRANSACTION = Math.min(9, Math.max(1, Number(process.env.BENCH_LINES_PER_TRANSACTION || 2)));
/** Transactions per INSERT statement while seeding. */
const SEED_CHUNK = 100_000;
const ACCOUNTS = 50;

/** A GL date a few days back: due for posting whatever the hour. */
export function pastGlDate(): string {
  const date = new Date(`${pacificDate(new Date())}T12:00:00Z`);
  date.setUTCDate(date.getUTCDate() - 3);
  return date.toISOString().slice(0, 10);
}

/** Seeds `lines` NEW revenue lines (on PAID transactions of `glDate`) into the state directory. */
export async function seedRevenueLines(persistDir: string, lines: number, glDate: string): Promise<number> {
  const transactions = Math.ceil(lines / LINES_PER_TRANSACTION);
  const started = Date.now();
  await withPlatform({ remote: false, persistPath: join(persistDir, "v3") }, async (env) => {
    const paidAt = `${glDate}T18:00:00.000Z`;
    const first = await env.DB.prepare("SELECT COALESCE(MAX(id), 0) AS id FROM transactions").first<{ id: number }>();
    const base = first?.id ?? 0;
    for (let from = 1; from <= transactions; from += SEED_CHUNK) {
      const to = Math.min(transactions, from + SEED_CHUNK - 1);
      // Line k of transaction n carries 100 + n % 5000 cents; the transaction is the sum of its lines.
      await env.DB.prepare(
        `INSERT INTO transactions (pbc_ref_number, pbc_txn_number, trn_date, requested_gl_date, gl_date, gl_business_date,
           gl_after_cutoff, description, trn_amount_cents, payment_method, currency, redirect_uri, payment_status, trn_order_id,
           payment_auth_code, card_type, card_last_four, paid_at, decline_count, created_at, updated_at)
         WITH RECURSIVE seq(n) AS (SELECT ?1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?2)
         SELECT ?3, 'JRNL' || printf('%09d', n), ?4, ?4, ?4, ?4, 0, 'Bench journal line', ?5 * (100 + n % 5000), 'CC', 'CAD',
           'http://127.0.0.1:9/return', 'PAID', 'BNCH' || printf('%09d', n), 'TEST', 'VI', '1234', ?6, 0, ?6, ?6
         FROM seq`,
      )
        .bind(from, to, PARTNER.pbcRefNumber, glDate, LINES_PER_TRANSACTION, paidAt)
        .run();
    }
    // Lines, as many statements as there are chunks of transactions; the last transaction may carry fewer.
    for (let from = 1; from <= transactions; from += SEED_CHUNK) {
      const to = Math.min(transactions, from + SEED_CHUNK - 1);
      await env.DB.prepare(
        `INSERT INTO revenue_lines (transaction_id, line_number, revenue_account, revenue_amount_cents, gl_status)
         WITH RECURSIVE k(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM k WHERE k < ?1)
         SELECT t.id, k.k,
           '039.18ACE.' || printf('%05d', 14600 + (t.id * CAST(?1 AS INTEGER) + k.k) % CAST(?2 AS INTEGER))
             || '.8928.1800000.000000.0000',
           100 + (t.id - CAST(?3 AS INTEGER)) % 5000, 'NEW'
         FROM transactions t CROSS JOIN k
         WHERE t.id BETWEEN ?3 + ?4 AND ?3 + ?5 AND ((t.id - ?3 - 1) * ?1 + k.k) <= ?6`,
      )
        .bind(LINES_PER_TRANSACTION, ACCOUNTS, base, from, to, lines)
        .run();
    }
    const count = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM revenue_lines r JOIN transactions t ON t.id = r.transaction_id WHERE t.gl_date = ?1 AND r.gl_status = 'NEW'",
    )
      .bind(glDate)
      .first<{ n: number }>();
    if (count?.n !== lines) throw new Error(`seeded ${count?.n} revenue lines, expected ${lines}`);
  });
  return (Date.now() - started) / 1000;
}

/** Size of the D1 database files of a state directory, in MiB. */
export function databaseMiB(persistDir: string): number {
  const dir = join(persistDir, "v3/d1/miniflare-D1DatabaseObject");
  let bytes = 0;
  try {
    for (const name of readdirSync(dir)) bytes += statSync(join(dir, name)).size;
  } catch {
    // no database yet
  }
  return bytes / 1024 / 1024;
}

interface PostingLine {
  queries: number;
  batchesPosted: number;
}

/** "gl posting finished" lines that appeared in the wrangler log after byte `offset`; a crash of the run throws. */
function postingLines(logFile: string, offset: number): PostingLine[] {
  const text = readFileSync(logFile).subarray(offset).toString("utf8");
  const failure = text.split("\n").findIndex((line) => line.includes("Uncaught") || line.includes('"level":"error"'));
  if (failure !== -1) {
    const context = text
      .split("\n")
      .slice(failure, failure + 8)
      .join("\n");
    // biome-ignore lint/complexity/useRegexLiterals: the ESC character is clearer spelled out
    throw new Error(`the nightly run failed:\n${context.replace(new RegExp("\u001b\\[[0-9;]*m", "g"), "")}`);
  }
  const found: PostingLine[] = [];
  for (const line of text.split("\n")) {
    const at = line.indexOf("{");
    if (at === -1 || !line.includes('"gl posting finished"')) continue;
    try {
      const entry = JSON.parse(line.slice(at)) as { queries?: number; batchesPosted?: number };
      found.push({ queries: Number(entry.queries ?? 0), batchesPosted: Number(entry.batchesPosted ?? 0) });
    } catch {
      // a line that only mentions it
    }
  }
  return found;
}

interface Batch {
  glDate: string;
  status: string;
  lineCount: number | null;
  files?: Array<{ name: string; sha256: string; size: number }>;
}

async function batchesOf(portal: Portal, glDate: string): Promise<Batch[]> {
  const token = readDevVars().FINANCE_TOKEN as string;
  const response = await fetch(
    `${portal.baseUrl}/finance/api/journals?from=${glDate}&to=${glDate}&partner=${PARTNER.pbcRefNumber}`,
    {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    },
  );
  if (!response.ok) throw new Error(`GET /finance/api/journals answered ${response.status}`);
  return ((await response.json()) as { journals: Batch[] }).journals;
}

/**
 * Triggers the nightly run and waits for its "gl posting finished" log line, as many runs as it
 * takes (at most `maxRuns`) until POSTED batches hold all `lines`. Seconds and queries add up.
 * A run that crashes (an uncaught error in the log) ends the measurement with `failure` set.
 */
export async function measureExport(
  portal: Portal,
  lines: number,
  glDate: string,
  options: { maxRuns: number; runTimeoutMs: number },
): Promise<Omit<JournalReport, "seedSeconds" | "dbMiB">> {
  // Let the fresh portal settle, then take the memory baseline.
  await new Promise((done) => setTimeout(done, 1000));
  const runtime = portal.roles.runtime === undefined ? [] : [portal.roles.runtime];
  const rssBefore = rssKiB(portal.workerd);
  const runtimeBefore = rssKiB(runtime);
  const runtimeAnonBefore = rssKiB(runtime, "RssAnon");
  const sampler = sampleRss(portal.workerd, 100);
  const runtimeSampler = sampleRss(runtime, 100);
  const perRun: JournalReport["perRun"] = [];
  let posted = false;
  let failure: string | null = null;
  let peakKiB = rssBefore;
  let runtimePeak = { peakKiB: runtimeBefore, peakAnonKiB: runtimeAnonBefore };
  try {
    for (let run = 1; run <= options.maxRuns && !posted && failure === null; run++) {
      const offset = statSync(portal.logFile).size;
      const started = performance.now();
      const trigger = await fetch(`${portal.baseUrl}/__scheduled?cron=0+9+*+*+*`);
      await trigger.body?.cancel();
      if (!trigger.ok) throw new Error(`/__scheduled answered ${trigger.status}`);
      let finished: PostingLine | undefined;
      while (!finished && failure === null) {
        if (performance.now() - started > options.runTimeoutMs) {
          failure = `the nightly run did not log "gl posting finished" within ${options.runTimeoutMs / 1000} s`;
          break;
        }
        try {
          finished = postingLines(portal.logFile, offset)[0];
        } catch (error) {
          failure = error instanceof Error ? error.message : String(error);
        }
        if (!finished && failure === null) await new Promise((done) => setTimeout(done, 50));
      }
      const seconds = (performance.now() - started) / 1000;
      perRun.push({ seconds, queries: finished?.queries ?? 0, batchesPosted: finished?.batchesPosted ?? 0 });
      const batches = await batchesOf(portal, glDate);
      const done = batches.filter((batch) => batch.status === "POSTED").reduce((sum, batch) => sum + (batch.lineCount ?? 0), 0);
      posted = done === lines && batches.every((batch) => batch.status === "POSTED");
      log(
        `  run ${run}: ${seconds.toFixed(2)} s, ` +
          (finished ? `${finished.queries} queries, ${finished.batchesPosted} batch(es) posted` : "CRASHED") +
          `; ${done} of ${lines} lines in POSTED batches`,
      );
      // So a change to the export can be checked to write the same bytes.
      for (const file of batches.flatMap((batch) => batch.files ?? []).filter((f) => f.name === "detail.csv")) {
        log(`  detail.csv ${file.size} bytes, sha256 ${file.sha256}`);
      }
    }
  } finally {
    peakKiB = sampler.stop().peakKiB;
    runtimePeak = runtimeSampler.stop();
  }
  if (!posted && failure === null) failure = `not POSTED after ${perRun.length} nightly runs`;
  return {
    lines,
    seconds: Number(perRun.reduce((sum, run) => sum + run.seconds, 0).toFixed(2)),
    d1_queries: perRun.reduce((sum, run) => sum + run.queries, 0),
    peak_mb: Number(((peakKiB - rssBefore) / 1024).toFixed(1)),
    runtimePeakMb: Number(((runtimePeak.peakKiB - runtimeBefore) / 1024).toFixed(1)),
    runtimeAnonPeakMb: Number(((runtimePeak.peakAnonKiB - runtimeAnonBefore) / 1024).toFixed(1)),
    runs: perRun.length,
    rssBeforeMiB: Number((rssBefore / 1024).toFixed(1)),
    perRun,
    failure,
  };
}
