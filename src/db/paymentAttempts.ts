/** Owns `payment_attempts`: one card-page visit, reached through a single-use link bound to one browser. */
import { and, asc, desc, eq, inArray, isNotNull, lt, max, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { AWAITING_OUTCOME, CLOSABLE, REPORTED, TRANSITIONS, type Transition } from "../domain/paymentAttempt.ts";
import type { Db } from "./client.ts";
import { compiledRead } from "./compiled.ts";
import { type AttemptState, type PaymentAttempt, paymentAttempts } from "./schema.ts";
import { type PageIds, transactionIdByNumberSql } from "./transactions.ts";

/** SQL: the attempt's state is one of a named set of domain/paymentAttempt.ts. */
export function attemptStateIn(set: readonly AttemptState[], column: SQL = sql`state`): SQL {
  return sql`${column} IN (${sql.join(
    set.map((state) => sql`${state}`),
    sql`, `,
  )})`;
}

export interface NewAttempt {
  externalId: string;
  linkTokenHash: string;
  orderNumber: string;
  expiresAt: Date;
  /** The language the partner asked for (signed `language`), or null for the browser's choice. */
  language?: "en" | "fr" | null;
}

/** Every closable attempt of the transaction (FAILED ones too) is superseded: only the newest link can pay. */
export function supersedeOpenAttemptsQuery(transactionIdSql: SQL, now: Date): SQL {
  return sql`UPDATE payment_attempts SET state = ${TRANSITIONS.supersede.to}, updated_at = ${now.toISOString()}
    WHERE transaction_id = ${transactionIdSql} AND ${attemptStateIn(TRANSITIONS.supersede.from)}`;
}

export function insertAttemptQuery(transactionIdSql: SQL, attempt: NewAttempt, now: Date): SQL {
  const at = now.toISOString();
  return sql`INSERT INTO payment_attempts
      (external_id, transaction_id, attempt_number, state, link_token_hash, order_number, expires_at, language, created_at, updated_at)
    SELECT ${attempt.externalId}, t.id,
      (SELECT COALESCE(MAX(attempt_number), 0) + 1 FROM payment_attempts WHERE transaction_id = t.id),
      'CREATED', ${attempt.linkTokenHash}, ${attempt.orderNumber}, ${attempt.expiresAt.toISOString()}, ${attempt.language ?? null}, ${at}, ${at}
    FROM transactions t WHERE t.id = ${transactionIdSql}
    RETURNING id, transaction_id, attempt_number`;
}

export async function findAttemptByLink(db: Db, linkTokenHash: string): Promise<PaymentAttempt | undefined> {
  return db.select().from(paymentAttempts).where(eq(paymentAttempts.linkTokenHash, linkTokenHash)).get();
}

export function findAttemptQuery(db: Db, externalId: string) {
  return db.select().from(paymentAttempts).where(eq(paymentAttempts.externalId, externalId));
}

export async function findAttempt(db: Db, externalId: string): Promise<PaymentAttempt | undefined> {
  return findAttemptQuery(db, externalId).get();
}

/** SQL: the transaction id of the attempt with this public id. */
export function attemptTransactionId(externalId: string): SQL {
  return sql`(SELECT transaction_id FROM payment_attempts WHERE external_id = ${externalId})`;
}

/** Use the single-use link: binds the attempt to the browser holding the session cookie. */
/**
 * Use the single-use link: binds the attempt to a session and opens it, once. Returns the attempt
 * it opened, or undefined when the link is unknown or was already used.
 */
export async function useLink(
  db: Db,
  linkTokenHash: string,
  sessionHash: string,
  now: Date,
): Promise<{ externalId: string; expiresAt: string } | undefined> {
  const rows = await db
    .update(paymentAttempts)
    .set({ linkUsedAt: now.toISOString(), sessionHash, state: TRANSITIONS.open.to, updatedAt: now.toISOString() })
    .where(
      and(
        eq(paymentAttempts.linkTokenHash, linkTokenHash),
        inArray(paymentAttempts.state, [...TRANSITIONS.open.from]),
        sql`link_used_at IS NULL`,
      ),
    )
    .returning({ externalId: paymentAttempts.externalId, expiresAt: paymentAttempts.expiresAt });
  return rows[0];
}

/** Conditional state change; returns whether this call made it. */
export async function transitionAttempt(
  db: Db,
  attemptId: number,
  transition: Transition,
  now: Date,
  outcomeMessage?: string,
): Promise<boolean> {
  const rows = await transitionAttemptQuery(db, attemptId, transition, now, outcomeMessage).returning({ id: paymentAttempts.id });
  return rows.length === 1;
}

/** A transition of domain/paymentAttempt.ts: changes the row only from one of its allowed states. */
export function transitionAttemptQuery(db: Db, attemptId: number, transition: Transition, now: Date, outcomeMessage?: string) {
  return db
    .update(paymentAttempts)
    .set({ state: transition.to, updatedAt: now.toISOString(), ...(outcomeMessage !== undefined ? { outcomeMessage } : {}) })
    .where(and(eq(paymentAttempts.id, attemptId), inArray(paymentAttempts.state, [...transition.from])));
}

/**
 * OPEN/FAILED -> AUTHORISING, only right after `claimAuthorisationQuery` took the lock in the same
 * batch (SQLite's changes() is the row count of the previous statement), so lock and state move together.
 */
export function startAuthorisingAfterClaimQuery(externalId: string, now: Date): SQL {
  return sql`UPDATE payment_attempts SET state = ${TRANSITIONS.startAuthorising.to}, updated_at = ${now.toISOString()}
    WHERE external_id = ${externalId} AND ${attemptStateIn(TRANSITIONS.startAuthorising.from)} AND changes() = 1`;
}

export function markRedirectedQuery(db: Db, attemptId: number, now: Date) {
  return db
    .update(paymentAttempts)
    .set({ redirectedAt: now.toISOString() })
    .where(and(eq(paymentAttempts.id, attemptId), sql`redirected_at IS NULL`));
}

/** Closable attempts past their expiry time, oldest first (bounded page for the sweep). */
export async function listExpiredOpenAttempts(db: Db, now: Date, limit: number): Promise<PaymentAttempt[]> {
  return db
    .select()
    .from(paymentAttempts)
    .where(and(inArray(paymentAttempts.state, [...CLOSABLE]), lt(paymentAttempts.expiresAt, now.toISOString())))
    .orderBy(paymentAttempts.expiresAt)
    .limit(limit)
    .all();
}

export async function listUnknownAttempts(db: Db, limit: number): Promise<PaymentAttempt[]> {
  return db
    .select()
    .from(paymentAttempts)
    .where(inArray(paymentAttempts.state, [...AWAITING_OUTCOME]))
    .orderBy(paymentAttempts.updatedAt)
    .limit(limit)
    .all();
}

// ---------------------------------------------------------------- receipt address (services/receipts.ts)

/**
 * The language a receipt is written in: the person's own choice (the page's switch), else the
 * language the partner asked for in the signed request (the attempt's), else the browser's.
 */
export type ReceiptLanguage = { chosen: "en" | "fr" } | { unlessRequested: "en" | "fr" };

/**
 * Keep (or clear) the receipt address given with this submission, only if the same batch just moved
 * the attempt to AUTHORISING: an address never outlives the attempt it was given for.
 */
export function setReceiptRequestQuery(externalId: string, email: string | null, language: ReceiptLanguage, now: Date): SQL {
  const at = now.toISOString();
  const receiptLanguage =
    "chosen" in language
      ? sql`${language.chosen}`
      : sql`CASE WHEN language IN ('en', 'fr') THEN language ELSE ${language.unlessRequested} END`;
  return email === null
    ? sql`UPDATE payment_attempts SET receipt_email = NULL, receipt_status = NULL, receipt_updated_at = ${at}
        WHERE external_id = ${externalId} AND state = ${TRANSITIONS.startAuthorising.to} AND receipt_status = 'REQUESTED' AND changes() = 1`
    : sql`UPDATE payment_attempts SET receipt_email = ${email}, receipt_language = ${receiptLanguage},
        receipt_status = 'REQUESTED', receipt_updated_at = ${at}
        WHERE external_id = ${externalId} AND state = ${TRANSITIONS.startAuthorising.to} AND changes() = 1`;
}

/** The receipt request of an attempt: address, language, status. */
export async function findReceiptRequest(db: Db, attemptId: number) {
  return db
    .select({
      id: paymentAttempts.id,
      state: paymentAttempts.state,
      transactionId: paymentAttempts.transactionId,
      attemptNumber: paymentAttempts.attemptNumber,
      email: paymentAttempts.receiptEmail,
      language: paymentAttempts.receiptLanguage,
      status: paymentAttempts.receiptStatus,
      updatedAt: paymentAttempts.receiptUpdatedAt,
    })
    .from(paymentAttempts)
    .where(eq(paymentAttempts.id, attemptId))
    .get();
}

/** The receipt requests of a payment's attempts, oldest first (the address only while it is still held). */
export async function receiptRequestsOfTransaction(db: Db, transactionId: number) {
  return db
    .select({
      attemptNumber: paymentAttempts.attemptNumber,
      email: paymentAttempts.receiptEmail,
      status: paymentAttempts.receiptStatus,
      updatedAt: paymentAttempts.receiptUpdatedAt,
    })
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.transactionId, transactionId), isNotNull(paymentAttempts.receiptStatus)))
    .orderBy(asc(paymentAttempts.attemptNumber))
    .all();
}

/** The receipt's final state: the address is erased in the same statement. Returns whether this call made it. */
export async function finishReceipt(
  db: Db,
  attemptId: number,
  status: "SENT" | "FAILED" | "ERASED",
  now: Date,
): Promise<boolean> {
  const rows = await db
    .update(paymentAttempts)
    .set({ receiptEmail: null, receiptStatus: status, receiptUpdatedAt: now.toISOString() })
    .where(and(eq(paymentAttempts.id, attemptId), eq(paymentAttempts.receiptStatus, "REQUESTED")))
    .returning({ id: paymentAttempts.id });
  return rows.length === 1;
}

/** A send is being retried: the request is active, so the sweep does not take its message for lost. */
export async function touchReceiptRequest(db: Db, attemptId: number, now: Date): Promise<void> {
  await db
    .update(paymentAttempts)
    .set({ receiptUpdatedAt: now.toISOString() })
    .where(and(eq(paymentAttempts.id, attemptId), eq(paymentAttempts.receiptStatus, "REQUESTED")));
}

/** Approved attempts whose receipt was requested before `before` and is not sent yet (lost queue message). */
export async function listStalledReceipts(db: Db, before: Date, limit: number): Promise<Array<{ id: number }>> {
  return db
    .select({ id: paymentAttempts.id })
    .from(paymentAttempts)
    .where(
      and(
        eq(paymentAttempts.receiptStatus, "REQUESTED"),
        eq(paymentAttempts.state, TRANSITIONS.approve.to),
        lt(paymentAttempts.receiptUpdatedAt, before.toISOString()),
      ),
    )
    .limit(limit)
    .all();
}

/**
 * Erase addresses that can no longer be used: the attempt ended without a payment (its page has
 * expired), or an approved receipt could not be sent by `approvedBefore`. Returns how many.
 */
export async function eraseUnusableReceiptAddresses(db: Db, now: Date, approvedBefore: Date): Promise<number> {
  const at = now.toISOString();
  const approved = TRANSITIONS.approve.to;
  const result = await db.run(sql`UPDATE payment_attempts
    SET receipt_email = NULL, receipt_updated_at = ${at},
      receipt_status = CASE WHEN state = ${approved} THEN 'FAILED' ELSE 'ERASED' END
    WHERE receipt_status = 'REQUESTED' AND (
      (NOT ${attemptStateIn([approved, ...AWAITING_OUTCOME])} AND expires_at < ${at})
      OR (state = ${approved} AND receipt_updated_at < ${approvedBefore.toISOString()}))`);
  return result.meta.changes ?? 0;
}

/** The attempt outcomes a partner is shown as the payment's last attempt (domain/paymentAttempt.ts REPORTED). */
export const REPORTED_ATTEMPT_STATES = REPORTED;

/** The newest attempt with an outcome, of the transaction named by `transactionIdSql` (batched with its read). */
export function lastAttemptOutcomeQuery(db: Db, transactionIdSql: SQL) {
  return db
    .select({ state: paymentAttempts.state, at: paymentAttempts.updatedAt })
    .from(paymentAttempts)
    .where(and(eq(paymentAttempts.transactionId, transactionIdSql), inArray(paymentAttempts.state, [...REPORTED_ATTEMPT_STATES])))
    .orderBy(desc(paymentAttempts.attemptNumber))
    .limit(1);
}

/** The payment's newest attempt outcome by partner and number, compiled once (db/compiled.ts). */
export const lastAttemptOutcomeByNumber = compiledRead(["pbcRefNumber", "pbcTxnNumber"], (db, values) =>
  lastAttemptOutcomeQuery(db, transactionIdByNumberSql(values.pbcRefNumber, values.pbcTxnNumber)),
);

/**
 * The newest attempt with an outcome of each payment of a search page. The page is the outer loop
 * (CROSS JOIN fixes SQLite's join order): with `transaction_id IN (...)` SQLite chose the state
 * index and walked every approved attempt (seen in the plan on 1,000,000 payments, docs/SCALING.md).
 */
export function lastAttemptOutcomesQuery(db: Db, pageIds: PageIds) {
  const page = pageIds.as("page");
  const newest = alias(paymentAttempts, "newest");
  return db
    .select({ transactionId: paymentAttempts.transactionId, state: paymentAttempts.state, at: paymentAttempts.updatedAt })
    .from(page)
    .crossJoin(paymentAttempts)
    .where(
      and(
        eq(paymentAttempts.transactionId, page.id),
        inArray(paymentAttempts.state, [...REPORTED_ATTEMPT_STATES]),
        eq(
          paymentAttempts.attemptNumber,
          db
            .select({ n: max(newest.attemptNumber) })
            .from(newest)
            .where(
              and(eq(newest.transactionId, paymentAttempts.transactionId), inArray(newest.state, [...REPORTED_ATTEMPT_STATES])),
            ),
        ),
      ),
    );
}
