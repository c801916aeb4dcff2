/** Entry through the single-use link, and loading a payment for the browser that holds its session. */
import { sql } from "drizzle-orm";
import { findPartnerQuery } from "../../db/partners.ts";
import { attemptTransactionId, findAttemptByLink, findAttemptQuery, useLink } from "../../db/paymentAttempts.ts";
import type { Partner, PaymentAttempt, Transaction } from "../../db/schema.ts";
import { findTransactionByIdSqlQuery } from "../../db/transactions.ts";
import { AWAITING_OUTCOME, isIn } from "../../domain/paymentAttempt.ts";
import { constantTimeEqual } from "../../domain/signature.ts";
import { randomToken, sha256Hex } from "../../lib/crypto.ts";
import type { CardDeps, CardView, PaymentContext, SessionlessState } from "./types.ts";

export function csrfTokenFor(sessionToken: string): Promise<string> {
  return sha256Hex(`csrf:${sessionToken}`);
}

export type LinkResult =
  | { kind: "ok"; externalId: string; sessionToken: string; sessionValidUntil: Date }
  | { kind: "used" }
  | { kind: "unknown" };

/** Use the link once: the attempt opens and is bound to a new session, valid an hour past the attempt's expiry. */
export async function openLink(deps: CardDeps, linkToken: string): Promise<LinkResult> {
  if (!/^[A-Za-z0-9_-]{20,64}$/.test(linkToken)) return { kind: "unknown" };
  const linkTokenHash = await sha256Hex(linkToken);
  const sessionToken = randomToken();
  // One conditional UPDATE both checks and uses the link; only a refusal needs to know why.
  const opened = await useLink(deps.db, linkTokenHash, await sha256Hex(sessionToken), deps.now);
  if (!opened) return (await findAttemptByLink(deps.db, linkTokenHash)) ? { kind: "used" } : { kind: "unknown" };
  const sessionValidUntil = new Date(Math.max(deps.now.getTime() + 60_000, Date.parse(opened.expiresAt) + 3_600_000));
  return { kind: "ok", externalId: opened.externalId, sessionToken, sessionValidUntil };
}

/**
 * The payment of an attempt, for the browser holding its session. `rows` are the attempt, its
 * transaction and its partner when the caller read them already (in the batch that took the
 * authorisation lock); otherwise they are read here, in one round trip.
 */
export async function loadContext(
  deps: CardDeps,
  externalId: string,
  sessionToken: string | undefined,
  rows?: [PaymentAttempt | undefined, Transaction | undefined, Partner | undefined],
): Promise<PaymentContext | CardView> {
  if (!/^[A-Za-z0-9_-]{10,64}$/.test(externalId)) return { kind: "not-found" };
  const [attempt, transaction, partner] = rows ?? (await readContext(deps, externalId));
  if (!attempt) return { kind: "not-found" };
  if (!sessionToken || !attempt.sessionHash || !constantTimeEqual(await sha256Hex(sessionToken), attempt.sessionHash)) {
    const state: SessionlessState =
      transaction && transaction.paymentStatus !== "PNDNG"
        ? "paid"
        : transaction?.authorisingAttemptId != null || isIn(AWAITING_OUTCOME, attempt.state)
          ? "in-progress"
          : "not-known";
    return { kind: "session-expired", state, serviceName: partner?.name ?? null };
  }
  if (!transaction || !partner) return { kind: "not-found" };
  return { attempt, transaction, partner };
}

/** Attempt, transaction and partner in one round trip. */
async function readContext(
  deps: CardDeps,
  externalId: string,
): Promise<[PaymentAttempt | undefined, Transaction | undefined, Partner | undefined]> {
  const transactionId = attemptTransactionId(externalId);
  const [attempts, transactions, partners] = await deps.db.batch([
    findAttemptQuery(deps.db, externalId),
    findTransactionByIdSqlQuery(deps.db, transactionId),
    findPartnerQuery(deps.db, sql`(SELECT pbc_ref_number FROM transactions WHERE id = ${transactionId})`),
  ]);
  return [attempts[0], transactions[0], partners[0]];
}
