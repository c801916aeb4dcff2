/**
 * GET /public/directsale: authenticate the partner's signed request, validate it, store the
 * transaction and hand the browser a single-use link to the card page.
 */

import { sql } from "drizzle-orm";
import type { AppConfig } from "../config.ts";
import { findArchivedPayment, notArchivedCondition } from "../db/archive.ts";
import { runBatch } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import { type ApiKey, type ApiKeyRow, apiKeyValidCondition, decryptApiKeys, validApiKeysQuery } from "../db/partnerApiKeys.ts";
import { findPartnerQuery, partnerActiveCondition } from "../db/partners.ts";
import { insertAttemptQuery, supersedeOpenAttemptsQuery } from "../db/paymentAttempts.ts";
import { recordAttemptEventsQuery, recordEvent } from "../db/paymentEvents.ts";
import { listRedirectTargetsQuery, redirectTargetRegisteredCondition } from "../db/redirectTargets.ts";
import { replaceLinesQueries } from "../db/revenueLines.ts";
import type { Partner, Transaction } from "../db/schema.ts";
import { findTransaction, openTransactionId, upsertPendingQuery } from "../db/transactions.ts";
import {
  collectParams,
  type DirectSaleRequest,
  type FieldErrors,
  messages,
  validateDirectSaleRequest,
} from "../domain/directSaleRequest.ts";
import { moneyDigest } from "../domain/moneyDigest.ts";
import { isPbcRefNumber } from "../domain/partnerNumber.ts";
import { signedRedirectUrl, validationErrorPairs } from "../domain/paymentResponse.ts";
import { matchRedirectUri } from "../domain/redirectTargets.ts";
import {
  type SignedQuery,
  type SigningAlgorithm,
  signedParameters,
  splitSignedQuery,
  verifyRequestSignature,
} from "../domain/signature.ts";
import { parseQuery } from "../domain/urlencoding.ts";
import { type Language, parseLanguage } from "../i18n/index.ts";
import { randomToken, sha256Hex } from "../lib/crypto.ts";
import type { AuditRecorder } from "./audit.ts";

export type DirectSaleOutcome =
  /**
   * Refused. not-verified, unknown-service, return-address: the request itself is wrong and nothing was
   * written; in-progress: a payment for this transaction is with the processor; registration-changed: the
   * partner's registration changed mid-request (nothing written).
   */
  | {
      kind: "refused";
      /** For the person paying, in words the page's catalogue gives (views/pages.tsx). */
      reason: RefusalReason;
      /** For the partner's developers: logged, never shown to the public. */
      problems: string[];
    }
  | { kind: "validation-redirect"; location: string; errors: FieldErrors }
  | { kind: "card-page"; linkToken: string; transactionId: number; attemptId: number };

export interface DirectSaleDeps {
  db: Db;
  config: AppConfig;
  encryptionKey: string;
  audit: AuditRecorder;
  now: Date;
}

export type RefusalReason = "not-verified" | "unknown-service" | "return-address" | "in-progress" | "registration-changed";

/** Reasons in which the request itself is wrong: nothing was written. */
export const REQUEST_REFUSALS: ReadonlySet<RefusalReason> = new Set(["not-verified", "unknown-service", "return-address"]);

const refused = (reason: RefusalReason, problems: string[]) => ({ kind: "refused", reason, problems }) as const;

/** What a partner's right to ask rests on, read in one round trip. */
interface PartnerAuthority {
  partner: Partner | undefined;
  keyRows: ApiKeyRow[];
  targets: string[];
  readAt: number;
}

// Each partner's authority is kept per isolate for a short while, so a warm direct sale is one D1
// round trip. Nothing is trusted from it: the write batch checks again, in the same transaction, that
// the partner is active, the key that verified the hash is valid and the matched target registered.
// Whatever the cached copy does not lead to a new attempt is decided again from a fresh read.
const AUTHORITY_TTL_MS = 60_000;
const AUTHORITY_MAX = 1000;
const authorities = new WeakMap<Db, Map<string, PartnerAuthority>>();

function authorityCache(db: Db): Map<string, PartnerAuthority> {
  let cache = authorities.get(db);
  if (!cache) {
    cache = new Map();
    authorities.set(db, cache);
  }
  return cache;
}

async function readAuthority(db: Db, pbcRefNumber: string, now: Date): Promise<PartnerAuthority> {
  const [partnerRows, keyRows, targetRows] = await db.batch([
    findPartnerQuery(db, pbcRefNumber),
    validApiKeysQuery(db, pbcRefNumber, now),
    listRedirectTargetsQuery(db, pbcRefNumber),
  ]);
  const authority = { partner: partnerRows[0], keyRows, targets: targetRows.map((row) => row.target), readAt: now.getTime() };
  const cache = authorityCache(db);
  if (cache.size >= AUTHORITY_MAX) cache.delete(cache.keys().next().value as string);
  cache.set(pbcRefNumber, authority);
  return authority;
}

type Decision =
  | { kind: "unknown-partner" }
  | { kind: "bad-hash" }
  | { kind: "ambiguous"; problem: string }
  | { kind: "redirect-problem"; problem: string; audit: boolean }
  | {
      kind: "invalid";
      pbcTxnNumber: string | null;
      errors: FieldErrors;
      apiKey: ApiKey;
      algorithm: SigningAlgorithm;
      redirectUri: string;
      refs: Refs;
    }
  | {
      kind: "accepted";
      request: DirectSaleRequest;
      apiKey: ApiKey;
      algorithm: SigningAlgorithm;
      redirectTarget: string;
      moneyDigest: string;
      language: Language | null;
    };

type Refs = { ref1: string; ref2: string; ref3: string };

/** Everything the request is judged on, with no side effects: the same for a cached and a fresh authority. */
async function decide(
  deps: DirectSaleDeps,
  signed: Extract<SignedQuery, { ok: true }>,
  bag: ReturnType<typeof collectParams>,
  pbcRefNumber: string,
  authority: PartnerAuthority,
): Promise<Decision> {
  if (authority.partner?.status !== "ACTIVE") return { kind: "unknown-partner" };
  const keys = await decryptApiKeys(deps.encryptionKey, pbcRefNumber, authority.keyRows);
  // The partner's algorithm, never the request's: an MD5 hashValue does not verify for an HMAC-SHA256 partner.
  const algorithm = authority.partner.signingAlgorithm;
  const matched = await verifyRequestSignature(
    signed.signedPart,
    signed.hashValue,
    keys.map((key) => key.key),
    algorithm,
  );
  if (matched === null) return { kind: "bad-hash" };
  const apiKey = keys[matched.index] as ApiKey;
  // The parameters used must be exactly those the verified bytes contain.
  const covered = signedParameters(signed.signedPart, matched.form);
  if (!covered.ok) return { kind: "ambiguous", problem: covered.problem };

  const redirectUri = bag.values.get("redirectUri") ?? "";
  if (bag.duplicates.has("redirectUri"))
    return { kind: "redirect-problem", problem: "The return address (redirectUri) is given more than once.", audit: false };
  if (redirectUri === "")
    return { kind: "redirect-problem", problem: "The return address (redirectUri) is missing.", audit: false };
  const redirect = matchRedirectUri(redirectUri, authority.targets);
  if (!redirect.ok) {
    return {
      kind: "redirect-problem",
      problem:
        redirect.problem === "unsafe-characters"
          ? "The return address (redirectUri) contains spaces or control characters."
          : "The return address (redirectUri) is not one registered for this service.",
      audit: true,
    };
  }

  const validation = validateDirectSaleRequest(bag, deps.now);
  if (!validation.ok) {
    const refs = { ref1: bag.values.get("ref1") ?? "", ref2: bag.values.get("ref2") ?? "", ref3: bag.values.get("ref3") ?? "" };
    return {
      kind: "invalid",
      pbcTxnNumber: validation.pbcTxnNumber,
      errors: validation.errors,
      apiKey,
      algorithm,
      redirectUri: redirect.url,
      refs,
    };
  }
  // Stored and redirected to as the URL parser serialises it: exactly what the Location header carries.
  const request = { ...validation.request, redirectUri: redirect.url };
  return {
    kind: "accepted",
    request,
    apiKey,
    algorithm,
    redirectTarget: redirect.target,
    moneyDigest: await moneyDigest(request),
    language: parseLanguage(bag.values.get("language")),
  };
}

export async function startDirectSale(deps: DirectSaleDeps, rawQuery: string): Promise<DirectSaleOutcome> {
  const { db, now } = deps;
  const signed = splitSignedQuery(rawQuery);
  const bag = collectParams(parseQuery(signed.ok ? signed.signedPart : rawQuery));
  const pbcRefNumber = bag.values.get("pbcRefNumber") ?? "";
  if (!signed.ok) {
    await deps.audit("directsale.refused", "failure", {
      target: isPbcRefNumber(pbcRefNumber) ? pbcRefNumber : null,
      detail: { reason: signed.problem },
    });
    return refused("not-verified", [signed.problem]);
  }
  if (pbcRefNumber === "" || bag.duplicates.has("pbcRefNumber")) {
    return refused("unknown-service", ["The PayBC reference number (pbcRefNumber) is missing or given more than once."]);
  }
  if (!isPbcRefNumber(pbcRefNumber)) {
    return refused("unknown-service", [
      "The PayBC reference number (pbcRefNumber) must be the service's number: digits only, with no spaces.",
    ]);
  }

  // Warm path: one round trip, or nothing written and on to the fresh read below.
  const cache = authorityCache(db);
  const cached = cache.get(pbcRefNumber);
  if (cached && now.getTime() - cached.readAt < AUTHORITY_TTL_MS) {
    const decision = await decide(deps, signed, bag, pbcRefNumber, cached);
    if (decision.kind === "accepted") {
      const attempt = await writeAttempt(deps, decision);
      if (attempt.created) return attempt.outcome;
    }
  }
  cache.delete(pbcRefNumber);

  const decision = await decide(deps, signed, bag, pbcRefNumber, await readAuthority(db, pbcRefNumber, now));
  switch (decision.kind) {
    case "unknown-partner":
      await deps.audit("directsale.refused", "failure", {
        target: pbcRefNumber,
        detail: { reason: "unknown or disabled partner" },
      });
      return refused("unknown-service", ["The PayBC reference number (pbcRefNumber) is not one we accept payments for."]);
    case "bad-hash":
      await deps.audit("directsale.hash_failed", "failure", { target: pbcRefNumber });
      return refused("not-verified", ["The request's signature (hashValue) does not match its parameters."]);
    case "ambiguous":
      await deps.audit("directsale.hash_failed", "failure", { target: pbcRefNumber, detail: { reason: "ambiguous parameters" } });
      return refused("not-verified", [decision.problem]);
    case "redirect-problem":
      if (decision.audit) await deps.audit("directsale.redirect_refused", "failure", { target: pbcRefNumber });
      return refused("return-address", [decision.problem]);
    case "invalid": {
      await recordEvent(
        db,
        {
          eventType: "validation_failed",
          pbcRefNumber,
          pbcTxnNumber: decision.pbcTxnNumber,
          detail: { fields: Object.keys(decision.errors) },
        },
        now,
      );
      const pairs = validationErrorPairs(decision.errors, decision.pbcTxnNumber, decision.refs);
      return {
        kind: "validation-redirect",
        errors: decision.errors,
        location: await signedRedirectUrl(decision.redirectUri, pairs, {
          key: decision.apiKey.key,
          algorithm: decision.algorithm,
        }),
      };
    }
    case "accepted": {
      const attempt = await writeAttempt(deps, decision);
      return attempt.created ? attempt.outcome : explainNoAttempt(deps, decision);
    }
  }
}

/**
 * One D1 batch = one transaction: concurrent identical requests serialise on the unique key and
 * never create two transactions; a paid transaction is never reopened; nothing is written unless the
 * partner's authority still holds. The lifecycle events are written in the same batch (they select
 * nothing when no attempt was created).
 */
async function writeAttempt(
  deps: DirectSaleDeps,
  accepted: Extract<Decision, { kind: "accepted" }>,
): Promise<{ created: true; outcome: DirectSaleOutcome } | { created: false }> {
  const { db, now } = deps;
  const { request, apiKey, algorithm } = accepted;
  const authority = sql.join(
    [
      // The algorithm the request was verified with is still the partner's (the partner copy may be a minute old).
      partnerActiveCondition(request.pbcRefNumber, algorithm),
      apiKeyValidCondition(request.pbcRefNumber, apiKey.id, now),
      redirectTargetRegisteredCondition(request.pbcRefNumber, accepted.redirectTarget),
      // An archived payment was paid: its number can never be used again (the contract), as in D1.
      notArchivedCondition(request.pbcRefNumber, request.pbcTxnNumber),
    ],
    sql` AND `,
  );
  const linkToken = randomToken();
  const externalId = randomToken(16);
  const orderNumber = `PBC${(await sha256Hex(externalId)).slice(0, 24).toUpperCase()}`;
  const expiresAt = new Date(now.getTime() + deps.config.paymentExpiryMinutes * 60_000);
  const maxDeclines = deps.config.maxDeclinesPerPayment;
  const openId = openTransactionId(request.pbcRefNumber, request.pbcTxnNumber, accepted.moneyDigest, maxDeclines, authority);
  const linkTokenHash = await sha256Hex(linkToken);

  const statements = [
    upsertPendingQuery(request, accepted.moneyDigest, apiKey.id, maxDeclines, now, authority),
    supersedeOpenAttemptsQuery(openId, now),
    ...replaceLinesQueries(openId, request.revenue),
    // `language` is signed like every other parameter; an unknown value leaves the choice to the browser.
    insertAttemptQuery(openId, { externalId, linkTokenHash, orderNumber, expiresAt, language: accepted.language }, now),
    recordAttemptEventsQuery(
      linkTokenHash,
      request,
      [
        { eventType: "request_received", detail: { trnAmountCents: request.trnAmountCents, lines: request.revenue.length } },
        { eventType: "attempt_created", detail: { expiresAt: expiresAt.toISOString() } },
      ],
      now,
    ),
  ];
  const results = await runBatch(db, statements);
  const attempt = results[statements.length - 2]?.results[0] as
    | { id: number; transaction_id: number; attempt_number: number }
    | undefined;
  if (!attempt) return { created: false };
  return {
    created: true,
    outcome: {
      kind: "card-page",
      linkToken,
      transactionId: attempt.transaction_id,
      attemptId: attempt.id,
    },
  };
}

/** No attempt from a fresh, accepted decision: the payment is paid, locked, being authorised, or the partner changed. */
async function explainNoAttempt(
  deps: DirectSaleDeps,
  accepted: Extract<Decision, { kind: "accepted" }>,
): Promise<DirectSaleOutcome> {
  const { db, now } = deps;
  const { request, apiKey, algorithm } = accepted;
  const maxDeclines = deps.config.maxDeclinesPerPayment;
  const existing = await findTransaction(db, request.pbcRefNumber, request.pbcTxnNumber);
  const locked = existing?.paymentStatus === "PNDNG" && existing.declineCount >= maxDeclines;
  // A signed validation error on pbcTxnNumber, recorded against the existing transaction.
  const refuseNumber = async (
    transaction: Pick<Transaction, "id"> | null,
    message: string,
    detail: Record<string, unknown>,
    auditAction: string | null,
  ): Promise<DirectSaleOutcome> => {
    const event = {
      transactionId: transaction?.id ?? null,
      pbcRefNumber: request.pbcRefNumber,
      pbcTxnNumber: request.pbcTxnNumber,
    };
    await recordEvent(db, { eventType: "validation_failed", ...event, detail }, now);
    if (auditAction) await deps.audit(auditAction, "failure", { target: `${request.pbcRefNumber}/${request.pbcTxnNumber}` });
    const errors: FieldErrors = { pbcTxnNumber: message };
    return {
      kind: "validation-redirect",
      errors,
      location: await signedRedirectUrl(request.redirectUri, validationErrorPairs(errors, null, request), {
        key: apiKey.key,
        algorithm,
      }),
    };
  };
  if (existing && locked) {
    return refuseNumber(existing, messages.locked, { reason: "locked after declines" }, "directsale.locked_refused");
  }
  if (existing && existing.paymentStatus !== "PNDNG") {
    return refuseNumber(existing, messages.alreadyPaid, { reason: "already paid" }, null);
  }
  // Archived (it left D1 once finished): paid, exactly as if it were still there.
  if (!existing && (await findArchivedPayment(db, request.pbcRefNumber, request.pbcTxnNumber))) {
    return refuseNumber(null, messages.alreadyPaid, { reason: "already paid", archived: true }, null);
  }
  if (existing?.moneyDigest != null && existing.moneyDigest !== accepted.moneyDigest) {
    return refuseNumber(
      existing,
      messages.moneyChanged,
      { reason: "money changed", trnAmountCents: request.trnAmountCents },
      "directsale.money_changed_refused",
    );
  }
  if (existing?.authorisingAttemptId != null) {
    return refused("in-progress", [
      "A payment for this transaction is already being processed. Do not pay again: return to the service to see its status.",
    ]);
  }
  // Open and free, so the batch's authority check failed: the partner's registration changed (disabled,
  // key retired, return address removed) between the read and the write. Nothing was written.
  await deps.audit("directsale.refused", "failure", {
    target: request.pbcRefNumber,
    detail: { reason: "partner registration changed during the request" },
  });
  return refused("registration-changed", [
    "This service's registration changed while your payment was being started. No payment was started: return to the service and try again.",
  ]);
}
