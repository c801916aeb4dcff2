/**
 * A year and a bit of payments written straight into a bench state's D1 file (node:sqlite, no portal
 * running): 1,000,000 payments through HTTP would take hours here. Each payment leaves what a paid,
 * queried and posted one leaves through the real flow (bench/lib/capacity.ts measures it): the
 * transaction, two revenue lines, one approved attempt, its lifecycle events, its audit rows, the
 * processor's ledger row (notifications are not seeded: capacity.ts counts their bytes). They are
 * spread over PARTNERS partners (1 in 20 payments is the demo partner's, so its own index ranges are
 * large too) and the last DAYS days; the last 3 days are PAID, the rest CMPLT, 1 in 50 still PNDNG.
 */

import { openD1 } from "./d1file.ts";
import { PARTNER } from "./partner.ts";

const PARTNERS = 300;
const DAYS = 400;
const CHUNK = 100_000;

/** Six events per paid payment, as the capacity run counts them (two for one never paid). */
const EVENTS = ["request_received", "attempt_created", "link_used", "authorising", "approved", "gl_posted"];
/** One audit row per paid payment (the capacity run counts 1.3 with the partner's own sign-ins). */
const AUDIT = ["card.payment"];

export async function seedPayments(persistDir: string, count: number): Promise<number> {
  const started = Date.now();
  const db = openD1(persistDir);
  try {
    // Seeding only: a large page cache for the random-key unique indexes, and no fsync per commit.
    db.exec("PRAGMA cache_size = -1048576");
    db.exec("PRAGMA synchronous = OFF");
    const now = new Date().toISOString();
    // Whole numbers are bound as BigInt: node:sqlite binds a JS number as REAL, and '20119.0' is no partner.
    db.exec("BEGIN");
    const partner = db.prepare(
      `INSERT OR IGNORE INTO partners (pbc_ref_number, name, status, key_style, gl_posting, cash_account, created_at, updated_at)
       VALUES (?1, ?2, 'ACTIVE', 'lower', 1, '039.18ACE.14600.8928.1800000.000000.0000', ?3, ?3)`,
    );
    for (let p = 0; p < PARTNERS; p++) partner.run(String(20000 + p), `Seeded ministry programme ${p}`, now);
    db.exec("COMMIT");
    const base = Number((db.prepare("SELECT COALESCE(MAX(id), 0) AS id FROM transactions").get() as { id: number }).id);
    const attemptBase = Number(
      (db.prepare("SELECT COALESCE(MAX(id), 0) AS id FROM payment_attempts").get() as { id: number }).id,
    );
    for (let from = 1; from <= count; from += CHUNK) {
      const to = Math.min(count, from + CHUNK - 1);
      db.exec("BEGIN");
      // n -> partner, day (0 = today), status; amounts 1.00 .. 50.99 split 75/25 over two lines.
      db.exec(`CREATE TEMP TABLE IF NOT EXISTS seq (n INTEGER PRIMARY KEY, partner TEXT, day INTEGER, status TEXT, cents INTEGER,
        d TEXT, at TEXT)`);
      db.exec("DELETE FROM seq");
      db.prepare(
        `INSERT INTO seq (n, partner, day, status, cents, d, at)
         WITH RECURSIVE s(n) AS (SELECT ?1 UNION ALL SELECT n + 1 FROM s WHERE n < ?2)
         SELECT n,
           CASE WHEN n % 20 = 0 THEN ?3 ELSE CAST(20000 + (n * 7919) % ?4 AS TEXT) END,
           (n * 37) % ?5,
           CASE WHEN n % 50 = 0 THEN 'PNDNG' WHEN (n * 37) % ?5 < 3 THEN 'PAID' ELSE 'CMPLT' END,
           100 * (1 + n % 50) + n % 100,
           date('now', '-' || ((n * 37) % ?5) || ' days'),
           strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-' || ((n * 37) % ?5) || ' days', '-' || (n % 36000) || ' seconds')
         FROM s`,
      ).run(BigInt(from), BigInt(to), PARTNER.pbcRefNumber, BigInt(PARTNERS), BigInt(DAYS));
      db.prepare(
        `INSERT INTO transactions (id, pbc_ref_number, pbc_txn_number, trn_date, requested_gl_date, gl_date, gl_business_date,
           gl_after_cutoff, description, trn_amount_cents, payment_method, currency, redirect_uri, payment_status, trn_order_id,
           payment_auth_code, card_type, card_last_four, paid_at, api_key_id, decline_count, created_at, updated_at, money_digest)
         SELECT ?1 + n, partner, 'SEED' || printf('%010d', n), d, d, d,
           CASE WHEN status = 'PNDNG' THEN NULL ELSE d END, CASE WHEN status = 'PNDNG' THEN NULL ELSE 0 END,
           'Licence fee ' || printf('%06d', n % 1000000), cents, 'CC', 'CAD',
           'https://programme' || partner || '.gov.bc.ca/payments/return', status,
           CASE WHEN status = 'PNDNG' THEN NULL ELSE '1' || printf('%08d', n) END,
           CASE WHEN status = 'PNDNG' THEN NULL ELSE 'TEST' END,
           CASE WHEN status = 'PNDNG' THEN NULL ELSE 'VI' END,
           CASE WHEN status = 'PNDNG' THEN NULL ELSE printf('%04d', n % 10000) END,
           CASE WHEN status = 'PNDNG' THEN NULL ELSE at END, 1, 0, at, at, lower(hex(randomblob(32)))
         FROM seq`,
      ).run(BigInt(base));
      db.prepare(
        `INSERT INTO revenue_lines (transaction_id, line_number, revenue_account, revenue_amount_cents, gl_status, journal_batch_id, feeder_file_id)
         SELECT ?1 + n, k, '039.18ACE.' || printf('%05d', 14600 + (n + k) % 50) || '.8928.1800000.000000.0000',
           CASE WHEN k = 1 THEN cents - cents / 4 ELSE cents / 4 END,
           CASE status WHEN 'CMPLT' THEN 'PROCESSED' ELSE 'NEW' END,
           CASE status WHEN 'CMPLT' THEN 1000000 + day * ?2 + (CAST(partner AS INTEGER) % ?2) END,
           CASE status WHEN 'CMPLT' THEN 1000000 + day * ?2 + (CAST(partner AS INTEGER) % ?2) END
         FROM seq CROSS JOIN (SELECT 1 AS k UNION ALL SELECT 2)`,
      ).run(BigInt(base), BigInt(PARTNERS + 1));
      db.prepare(
        `INSERT INTO payment_attempts (id, external_id, transaction_id, attempt_number, state, link_token_hash, link_used_at,
           session_hash, order_number, outcome_message, redirected_at, expires_at, created_at, updated_at, language)
         SELECT ?1 + n, 'sd' || lower(hex(randomblob(10))), ?2 + n, 1, CASE status WHEN 'PNDNG' THEN 'EXPIRED' ELSE 'APPROVED' END,
           lower(hex(randomblob(32))), at, lower(hex(randomblob(32))), 'PBC' || printf('%012d', ?1 + n),
           CASE status WHEN 'PNDNG' THEN NULL ELSE 'Approved' END, CASE status WHEN 'PNDNG' THEN NULL ELSE at END,
           strftime('%Y-%m-%dT%H:%M:%fZ', at, '+30 minutes'), at, at, NULL
         FROM seq`,
      ).run(BigInt(attemptBase), BigInt(base));
      const events = EVENTS.map((type, i) => `SELECT ${i} AS e, '${type}' AS type`).join(" UNION ALL ");
      db.prepare(
        `INSERT INTO payment_events (transaction_id, attempt_id, attempt_number, pbc_ref_number, pbc_txn_number, event_type, detail, created_at)
         SELECT ?1 + n, CASE WHEN e = 0 THEN NULL ELSE ?2 + n END, CASE WHEN e = 0 THEN NULL ELSE 1 END, partner,
           'SEED' || printf('%010d', n), type,
           CASE e WHEN 0 THEN '{"trnAmountCents":' || cents || ',"lines":2}' WHEN 1 THEN '{"expiresAt":"' || at || '"}'
             WHEN 4 THEN '{"orderNumber":"PBC' || printf('%012d', ?2 + n) || '","cardType":"VI","lastFour":"' || printf('%04d', n % 10000) || '"}'
             ELSE NULL END,
           at
         FROM seq CROSS JOIN (${events})
         WHERE status <> 'PNDNG' OR e < 2 ORDER BY n, e`,
      ).run(BigInt(base), BigInt(attemptBase));
      const audit = AUDIT.map((action, i) => `SELECT ${i} AS a, '${action}' AS action`).join(" UNION ALL ");
      db.prepare(
        `INSERT INTO audit_log (occurred_at, actor, action, target, outcome, source_ip, request_id, detail)
         SELECT at, CASE a WHEN 0 THEN 'public' ELSE 'client:seed-' || partner END, action, partner || '/SEED' || printf('%010d', n),
           'success', '10.' || (n % 250) || '.' || (n / 250 % 250) || '.' || (n % 199), lower(hex(randomblob(16))),
           CASE a WHEN 0 THEN '{"orderNumber":"PBC' || printf('%012d', n) || '"}' ELSE NULL END
         FROM seq CROSS JOIN (${audit}) WHERE status <> 'PNDNG' ORDER BY at`,
      ).run();
      db.prepare(
        `INSERT INTO sandbox_ledger (kind, order_number, processor_txn_id, amount_cents, card_type, last_four, approved, message, created_at)
         SELECT 'purchase', 'PBC' || printf('%012d', ?1 + n), '1' || printf('%08d', n), cents, 'VI', printf('%04d', n % 10000), 1, 'Approved', at
         FROM seq WHERE status <> 'PNDNG'`,
      ).run(BigInt(attemptBase));
      db.exec("COMMIT");
    }
    db.exec("DROP TABLE IF EXISTS temp.seq");
    // No ANALYZE: a production D1 has no sqlite_stat1 unless someone runs it, so the plans shown are the ones it would use.
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  } finally {
    db.close();
  }
  return (Date.now() - started) / 1000;
}
