/** The partner web service: OAuth2 client credentials, payment query and revenue update. */
import { sql } from "drizzle-orm";
import { findArchivedPayment } from "../db/archive.ts";
import { runBatch } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import { readBatch } from "../db/compiled.ts";
import { clientById, findClientQuery } from "../db/oauthClients.ts";
import { findPartnerQuery, partnerAccessByNumber } from "../db/partners.ts";
import { lastAttemptOutcomeByNumber, lastAttemptOutcomesQuery } from "../db/paymentAttempts.ts";
import { recordEvent } from "../db/paymentEvents.ts";
import {
  refundLinesOfTransactionByNumber,
  refundLinesOfTransactionsQuery,
  refundsOfTransactionByNumber,
  refundsOfTransactionsQuery,
  repostRejectedRefundLinesQuery,
} from "../db/refunds.ts";
import {
  blockingLines,
  linesOfTransactionByNumber,
  linesOfTransactionsQuery,
  processedLinesSignature,
  revenueUpdateQueries,
} from "../db/revenueLines.ts";
import type { Partner, Refund, RefundLineRow, RevenueLineRow, Transaction } from "../db/schema.ts";
import {
  findTransaction,
  searchTransactionsPageIdsQuery,
  searchTransactionsPageQuery,
  transactionByNumber,
} from "../db/transactions.ts";
import { isReportedState, type ReportedState } from "../domain/paymentAttempt.ts";
import {
  type KeyStyle,
  type PaymentRecord,
  type PaymentViewCamel,
  type PaymentViewLower,
  paymentViewCamel,
  paymentViewLower,
} from "../domain/paymentView.ts";
import { archivedRefundSummary, refundSummary } from "../domain/refund.ts";
import { paymentRefundFields } from "../domain/refundView.ts";
import type { RevenueLine } from "../domain/revenue.ts";
import { checkRevenueUpdate, type RevenueUpdateLineInput } from "../domain/revenueUpdate.ts";
import { randomToken } from "../lib/crypto.ts";
import { base64UrlToBytes, bytesToBase64Url } from "../lib/encoding.ts";
import {
  clientAuthenticates,
  issueToken,
  type StoredClient,
  TOKEN_LIFETIME_SECONDS,
  type TokenClaims,
  tokenCurrent,
  verifyToken,
} from "./accessTokens.ts";
import { type PaymentArchiveRecord, readArchivedPayment } from "./archive.ts";
import type { AuditRecorder } from "./audit.ts";

export interface PartnerApiDeps {
  db: Db;
  signingKey: string;
  audit: AuditRecorder;
  now: Date;
  /** Where archived payments' records are (services/archive.ts); without it an archived payment is not found. */
  archive?: R2Bucket;
  /** Rate limit for token requests: false when `key` (a client id or an address) is over its budget. */
  throttle?: (key: string) => Promise<boolean>;
}

export type OAuthErrorCode = "invalid_request" | "invalid_client" | "unsupported_grant_type" | "invalid_grant";

export type TokenResult =
  | { ok: true; body: { access_token: string; token_type: "bearer"; expires_in: number } }
  | { ok: false; error: OAuthErrorCode | "slow_down"; description: string };

export interface TokenRequest {
  /** Client credentials sent with HTTP Basic: absent, unreadable, or the id and secret. */
  basic: { id: string; secret: string } | "malformed" | null;
  form: Record<string, string>;
  /** The caller's address, where known: token requests are throttled per address and per client id. */
  sourceAddress: string | null;
}

/** POST {base}/oauth/token, grant_type=client_credentials, client authentication by Basic or form body. */
export async function requestToken(deps: PartnerApiDeps, request: TokenRequest): Promise<TokenResult> {
  const { form } = request;
  const { basic } = request;
  if (basic === "malformed") {
    await deps.audit("oauth.token_refused", "failure", { detail: { reason: "malformed Authorization" } });
    return { ok: false, error: "invalid_client", description: "Client authentication failed" };
  }
  const inBody = form.client_id !== undefined || form.client_secret !== undefined;
  if (basic && inBody) {
    return { ok: false, error: "invalid_request", description: "Use one client authentication method, not both" };
  }
  if (!form.grant_type) return { ok: false, error: "invalid_request", description: "grant_type is required" };
  if (form.grant_type !== "client_credentials") {
    return { ok: false, error: "unsupported_grant_type", description: "Only client_credentials is supported" };
  }
  const credentials = basic ?? (inBody ? { id: form.client_id ?? "", secret: form.client_secret ?? "" } : null);
  if (!credentials || credentials.id === "") {
    await deps.audit("oauth.token_refused", "failure", { detail: { reason: "no client credentials" } });
    return { ok: false, error: "invalid_client", description: "Client authentication failed" };
  }
  if (deps.throttle) {
    const byAddress = request.sourceAddress === null || (await deps.throttle(`token-ip:${request.sourceAddress}`));
    if (!byAddress || !(await deps.throttle(`token-client:${credentials.id.slice(0, 200)}`))) {
      await deps.audit("oauth.token_throttled", "failure", { actor: `client:${credentials.id}` });
      return { ok: false, error: "slow_down", description: "Too many token requests: wait a minute and try again" };
    }
  }
  // Client and partner in one round trip, and the same hashing for an unknown client as for a wrong
  // secret: the answer's timing does not tell which client ids exist.
  const [clients, partners] = await deps.db.batch([
    findClientQuery(deps.db, credentials.id),
    findPartnerQuery(deps.db, sql`(SELECT pbc_ref_number FROM oauth_clients WHERE client_id = ${credentials.id})`),
  ]);
  const client = clients[0];
  const matches = await clientAuthenticates(client, credentials.secret, deps.now);
  if (!client || !matches || partners[0]?.status !== "ACTIVE") {
    await deps.audit("oauth.token_refused", "failure", {
      actor: `client:${credentials.id}`,
      target: client?.pbcRefNumber ?? null,
    });
    return { ok: false, error: "invalid_client", description: "Client authentication failed" };
  }
  const token = await issueToken(deps.signingKey, client, deps.now);
  await deps.audit("oauth.token_issued", "success", { actor: `client:${client.clientId}`, target: client.pbcRefNumber });
  return { ok: true, body: { access_token: token, token_type: "bearer", expires_in: TOKEN_LIFETIME_SECONDS } };
}

/** An authenticated partner: the token's claims and the partner's key style (read once per request). */
export interface PartnerSession {
  claims: TokenClaims;
  keyStyle: KeyStyle;
  /** The payment named in the path, read with the partner in the same round trip. */
  prefetched?: OwnPayment | null;
}

interface OwnPayment {
  transaction: Transaction;
  lines: RevenueLineRow[];
  refunds: Refund[];
  refundLines: RefundLineRow[];
  lastAttempt: LastAttempt;
  /** Read from the archive: it can no longer be refunded through the portal. */
  archived?: boolean;
}

export type LastAttempt = { status: ReportedState; at: string } | null;

/** The newest reported outcome (the queries select only those states). */
export function lastAttemptOf(rows: ReadonlyArray<{ state: string; at: string }>): LastAttempt {
  const row = rows[0];
  return row && isReportedState(row.state) ? { status: row.state, at: row.at } : null;
}

/** The reads of one payment named by partner and number: one batch, compiled once (db/compiled.ts). */
function ownPaymentReads(db: Db, payment: { pbcRefNumber: string; pbcTxnNumber: string }) {
  return [
    transactionByNumber(db, payment),
    linesOfTransactionByNumber(db, payment),
    refundsOfTransactionByNumber(db, payment),
    refundLinesOfTransactionByNumber(db, payment),
    lastAttemptOutcomeByNumber(db, payment),
  ] as const;
}

export type AuthResult =
  | ({ ok: true } & PartnerSession)
  | { ok: false; error: "invalid_request" | "invalid_token"; description: string };

/**
 * Check the bearer token and that its partner is still active. Given the payment the request is
 * about, it is read in the same D1 round trip as the partner.
 */
export async function authenticate(
  deps: PartnerApiDeps,
  bearerToken: string | null,
  payment?: { pbcRefNumber: string; pbcTxnNumber: string },
): Promise<AuthResult> {
  if (bearerToken === null) return { ok: false, error: "invalid_request", description: "A bearer token is required" };
  const claims = await verifyToken(deps.signingKey, bearerToken, deps.now);
  if (!claims) return { ok: false, error: "invalid_token", description: "The access token is invalid or has expired" };
  let partner: Pick<Partner, "status" | "keyStyle"> | undefined;
  let client: StoredClient | undefined;
  let prefetched: OwnPayment | null | undefined;
  if (payment && payment.pbcRefNumber === claims.ref) {
    const [partners, clients, rows, lines, refunds, refundLines, attempts] = await readBatch(deps.db, [
      partnerAccessByNumber(deps.db, { pbcRefNumber: claims.ref }),
      clientById(deps.db, { clientId: claims.sub }),
      ...ownPaymentReads(deps.db, payment),
    ]);
    [partner, client] = [partners[0], clients[0]];
    prefetched = rows[0] ? { transaction: rows[0], lines, refunds, refundLines, lastAttempt: lastAttemptOf(attempts) } : null;
  } else {
    const [partners, clients] = await readBatch(deps.db, [
      partnerAccessByNumber(deps.db, { pbcRefNumber: claims.ref }),
      clientById(deps.db, { clientId: claims.sub }),
    ]);
    [partner, client] = [partners[0], clients[0]];
  }
  if (partner?.status !== "ACTIVE" || !tokenCurrent(claims, client, deps.now))
    return { ok: false, error: "invalid_token", description: "The access token is no longer valid" };
  return { ok: true, claims, keyStyle: partner.keyStyle, ...(prefetched !== undefined ? { prefetched } : {}) };
}

function record(transaction: Transaction, lastAttempt: LastAttempt): PaymentRecord {
  return {
    pbcRefNumber: transaction.pbcRefNumber,
    pbcTxnNumber: transaction.pbcTxnNumber,
    trnDate: transaction.trnDate,
    description: transaction.description,
    trnAmountCents: transaction.trnAmountCents,
    paymentMethod: transaction.paymentMethod,
    currency: transaction.currency,
    glDate: transaction.glDate,
    paymentStatus: transaction.paymentStatus,
    trnOrderId: transaction.trnOrderId,
    paymentAuthCode: transaction.paymentAuthCode,
    cardType: transaction.cardType,
    lastAttempt,
  };
}

/** The payment as the query service shows it (also the `data` of partner notifications and search results). */
export function partnerPaymentView(payment: OwnPayment, style: "camel"): PaymentViewCamel;
export function partnerPaymentView(payment: OwnPayment, style: "lower"): PaymentViewLower;
export function partnerPaymentView(payment: OwnPayment, style: KeyStyle): PaymentViewCamel | PaymentViewLower;
export function partnerPaymentView(payment: OwnPayment, style: KeyStyle): PaymentViewCamel | PaymentViewLower {
  const { transaction, lines } = payment;
  const amountOf = (statuses: readonly Refund["status"][]) =>
    payment.refunds.filter((r) => statuses.includes(r.status)).reduce((sum, r) => sum + r.amountCents, 0);
  const summary = refundSummary(
    transaction.paymentStatus !== "PNDNG",
    transaction.trnAmountCents,
    amountOf(["APPROVED"]),
    amountOf(["PENDING", "UNKNOWN"]),
  );
  const refunds = paymentRefundFields({
    refunds: payment.refunds,
    lines: payment.refundLines,
    summary: payment.archived ? archivedRefundSummary(summary) : summary,
  });
  return style === "camel"
    ? paymentViewCamel(record(transaction, payment.lastAttempt), lines, refunds)
    : paymentViewLower(record(transaction, payment.lastAttempt), lines, refunds);
}

/**
 * The partner's own payment with its lines, in one round trip. Anything of another partner is
 * "not found", exactly as a missing one.
 */
async function ownPayment(deps: PartnerApiDeps, claims: TokenClaims, pbcRefNumber: string, pbcTxnNumber: string) {
  if (claims.ref !== pbcRefNumber) return null;
  const [rows, lines, refunds, refundLines, attempts] = await readBatch(
    deps.db,
    ownPaymentReads(deps.db, { pbcRefNumber, pbcTxnNumber }),
  );
  const transaction = rows[0];
  return transaction ? { transaction, lines, refunds, refundLines, lastAttempt: lastAttemptOf(attempts) } : null;
}

export async function queryPayment(
  deps: PartnerApiDeps,
  session: PartnerSession,
  pbcRefNumber: string,
  pbcTxnNumber: string,
  requestedStyle: KeyStyle | undefined,
) {
  const payment =
    session.prefetched !== undefined && session.claims.ref === pbcRefNumber
      ? session.prefetched
      : await ownPayment(deps, session.claims, pbcRefNumber, pbcTxnNumber);
  const style = requestedStyle ?? session.keyStyle;
  if (payment) return partnerPaymentView(payment, style);
  if (!deps.archive || session.claims.ref !== pbcRefNumber) return null;
  const archived = await readArchivedPayment(deps.db, deps.archive, pbcRefNumber, pbcTxnNumber);
  if (!archived) return null;
  return archivedPaymentView(archived.record, archived.hit.payment.archivedAt ?? "", style);
}

/** The payment an archive record holds, as it was when it left D1. */
export function paymentOfRecord(record: PaymentArchiveRecord): OwnPayment {
  const reported = record.attempts
    .filter((attempt) => isReportedState(attempt.state))
    .sort((a, b) => b.attemptNumber - a.attemptNumber)[0];
  return {
    transaction: record.transaction,
    lines: record.revenueLines,
    refunds: record.refunds,
    refundLines: record.refundLines,
    lastAttempt: lastAttemptOf(reported ? [{ state: reported.state, at: reported.updatedAt }] : []),
    archived: true,
  };
}

/**
 * An archived payment: the same body as before it was archived, plus `archived` and when (optional
 * fields deployed clients do not read: docs/OPERATIONS.md "Archive"); its refund summary says
 * nothing is available, since a refund is refused (domain/refund.ts `archivedRefundSummary`).
 */
export function archivedPaymentView(record: PaymentArchiveRecord, archivedAt: string, style: KeyStyle) {
  const view = partnerPaymentView(paymentOfRecord(record), style);
  return style === "camel" ? { ...view, archived: true, archivedAt } : { ...view, archived: true, archivedat: archivedAt };
}

export type RevenueUpdateResult =
  | { kind: "updated"; payment: ReturnType<typeof partnerPaymentView> }
  | { kind: "not-found" }
  | { kind: "conflict"; message: string }
  | { kind: "invalid"; fields: Record<string, string> };

export async function updateRevenue(
  deps: PartnerApiDeps,
  session: PartnerSession,
  pbcRefNumber: string,
  pbcTxnNumber: string,
  lines: readonly RevenueUpdateLineInput[],
  requestedStyle: KeyStyle | undefined,
): Promise<RevenueUpdateResult> {
  const { claims } = session;
  const own = await ownPayment(deps, claims, pbcRefNumber, pbcTxnNumber);
  if (!own) {
    // An archived payment was CMPLT: answered as it was before it left D1.
    if (claims.ref === pbcRefNumber && (await findArchivedPayment(deps.db, pbcRefNumber, pbcTxnNumber))) {
      const message = "Revenue can only be updated for PAID payments: this payment is CMPLT (its GL has been posted)";
      await deps.audit("payment.revenue_update_refused", "failure", {
        actor: `client:${claims.sub}`,
        target: `${pbcRefNumber}/${pbcTxnNumber}`,
        detail: { message, archived: true },
      });
      return { kind: "conflict", message };
    }
    return { kind: "not-found" };
  }
  const { transaction } = own;
  const target = `${pbcRefNumber}/${pbcTxnNumber}`;
  const conflict = async (update: readonly RevenueLine[] = []): Promise<RevenueUpdateResult> => {
    const current = (await findTransaction(deps.db, pbcRefNumber, pbcTxnNumber)) ?? transaction;
    let message: string;
    if (current.paymentStatus !== "PAID") {
      message =
        current.paymentStatus === "PNDNG"
          ? "Revenue can only be updated for PAID payments: this payment is PNDNG (no payment was made)"
          : "Revenue can only be updated for PAID payments: this payment is CMPLT (its GL has been posted)";
    } else {
      const blocking = await blockingLines(deps.db, current.id, update);
      message =
        blocking.length === 0
          ? "A refunded revenue line must keep its line number and at least the amount refunded from it"
          : `Revenue can only be updated for lines whose glStatus is NEW or REJECT (PROCESSED lines must be sent unchanged): ${blocking
              .map((line) => `line ${line.lineNumber} is ${line.glStatus}`)
              .join(", ")}`;
    }
    await deps.audit("payment.revenue_update_refused", "failure", { actor: `client:${claims.sub}`, target, detail: { message } });
    return { kind: "conflict", message };
  };
  if (transaction.paymentStatus !== "PAID") return conflict();
  const check = checkRevenueUpdate(lines, transaction.trnAmountCents);
  if (!check.ok) return { kind: "invalid", fields: check.fields };

  // Lines the ledger accepted stay posted: the update must repeat them unchanged, and only the others are replaced.
  // From the read above; the guard statement re-checks the same set atomically.
  const processed = own.lines.filter((line) => line.glStatus === "PROCESSED");
  const unchanged = (line: RevenueLine) =>
    processed.some(
      (kept) =>
        kept.lineNumber === line.lineNumber &&
        kept.revenueAccount === line.revenueAccount &&
        kept.revenueAmountCents === line.revenueAmountCents,
    );
  if (processed.some((kept) => !check.lines.some((line) => line.lineNumber === kept.lineNumber && unchanged(line)))) {
    return conflict(check.lines);
  }
  const replaced = check.lines.filter((line) => !unchanged(line));
  const token = randomToken(12);
  const results = await runBatch(deps.db, [
    ...revenueUpdateQueries(transaction.id, token, replaced, processedLinesSignature(processed), deps.now),
    // Refund lines the ledger rejected are posted again with the corrected coding (only if the guard held).
    repostRejectedRefundLinesQuery(
      sql`(SELECT id FROM transactions WHERE id = ${transaction.id} AND revenue_update_token = ${token})`,
    ),
  ]);
  if (results[0]?.meta.changes !== 1) return conflict(check.lines);
  await recordEvent(
    deps.db,
    {
      eventType: "revenue_updated",
      transactionId: transaction.id,
      pbcRefNumber,
      pbcTxnNumber,
      detail: { by: claims.sub, lines: check.lines.map((line) => ({ ...line })) },
    },
    deps.now,
  );
  await deps.audit("payment.revenue_updated", "success", {
    actor: `client:${claims.sub}`,
    target,
    detail: { lines: check.lines.length },
  });
  const updated = (await ownPayment(deps, claims, pbcRefNumber, pbcTxnNumber)) as NonNullable<
    Awaited<ReturnType<typeof ownPayment>>
  >;
  return { kind: "updated", payment: partnerPaymentView(updated, requestedStyle ?? session.keyStyle) };
}

export interface SearchRequest {
  by: "trnDate" | "paid";
  from: string | null;
  to: string | null;
  status: "PNDNG" | "PAID" | "CMPLT" | null;
  limit: number;
  cursor: string | null;
}

/** One page in one key style: the style names the payments' shape. */
export type SearchResult =
  | { ok: true; style: "camel"; payments: PaymentViewCamel[]; nextCursor: string | null }
  | { ok: true; style: "lower"; payments: PaymentViewLower[]; nextCursor: string | null }
  | { ok: false; fields: Record<string, string> };

/** The cursor is opaque to partners: the last row's (date, id) and the ordering it belongs to. */
function encodeCursor(by: SearchRequest["by"], date: string, id: number): string {
  return bytesToBase64Url(new TextEncoder().encode(JSON.stringify([by, date, id])));
}

function decodeCursor(by: SearchRequest["by"], cursor: string): { date: string; id: number } | null {
  try {
    const [cursorBy, date, id] = JSON.parse(new TextDecoder().decode(base64UrlToBytes(cursor))) as unknown[];
    if (cursorBy !== by || typeof date !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !Number.isSafeInteger(id))
      return null;
    return { date, id: id as number };
  } catch {
    return null;
  }
}

function groupByTransaction<T extends { transactionId: number }>(rows: readonly T[]): Map<number, T[]> {
  const grouped = new Map<number, T[]>();
  for (const row of rows) {
    const list = grouped.get(row.transactionId);
    if (list) list.push(row);
    else grouped.set(row.transactionId, [row]);
  }
  return grouped;
}

/**
 * Reconciliation search over the partner's own payments: keyset-paged (stable while rows are
 * added), oldest first, by transaction date or by the Pacific date the payment was made.
 */
export async function searchPayments(
  deps: PartnerApiDeps,
  session: PartnerSession,
  request: SearchRequest,
  requestedStyle: KeyStyle | undefined,
): Promise<SearchResult> {
  const fields: Record<string, string> = {};
  if (request.from !== null && request.to !== null && request.from > request.to) fields.to = "to must not be before from";
  const after = request.cursor === null ? null : decodeCursor(request.by, request.cursor);
  if (request.cursor !== null && after === null)
    fields.cursor = "cursor is not one this search returned (use nextCursor from the previous page, with the same by)";
  if (Object.keys(fields).length > 0) return { ok: false, fields };
  const filter = {
    pbcRefNumber: session.claims.ref,
    by: request.by,
    from: request.from,
    to: request.to,
    status: request.status,
    after,
  };
  // One round trip: the page (one row more, to tell whether another page follows) and, keyed by the
  // same keyset condition in SQL, its lines, last attempts and refunds; D1 runs a batch as one
  // transaction, so they all see the same rows.
  const ids = searchTransactionsPageIdsQuery(deps.db, { ...filter, limit: request.limit });
  const [rows, lineRows, attemptRows, refundRows, refundLineRows] = await deps.db.batch([
    searchTransactionsPageQuery(deps.db, { ...filter, limit: request.limit + 1 }),
    linesOfTransactionsQuery(deps.db, ids),
    lastAttemptOutcomesQuery(deps.db, ids),
    refundsOfTransactionsQuery(deps.db, ids),
    refundLinesOfTransactionsQuery(deps.db, ids),
  ]);
  const page = rows.slice(0, request.limit);
  const lines = groupByTransaction(lineRows);
  const refunds = groupByTransaction(refundRows);
  const refundLines = groupByTransaction(refundLineRows);
  const attempts = new Map(attemptRows.map((row) => [row.transactionId, row]));
  const style = requestedStyle ?? session.keyStyle;
  const owned = page.map((row): OwnPayment => {
    const attempt = attempts.get(row.id);
    return {
      transaction: row,
      lines: lines.get(row.id) ?? [],
      refunds: refunds.get(row.id) ?? [],
      refundLines: refundLines.get(row.id) ?? [],
      lastAttempt: lastAttemptOf(attempt ? [attempt] : []),
    };
  });
  const last = page.at(-1);
  const lastDate = last ? (request.by === "paid" ? last.glBusinessDate : last.trnDate) : null;
  const nextCursor = rows.length > request.limit && last && lastDate ? encodeCursor(request.by, lastDate, last.id) : null;
  return style === "camel"
    ? { ok: true, style, payments: owned.map((payment) => partnerPaymentView(payment, "camel")), nextCursor }
    : { ok: true, style, payments: owned.map((payment) => partnerPaymentView(payment, "lower")), nextCursor };
}
