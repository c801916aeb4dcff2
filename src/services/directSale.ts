/**
 * GET /public/directsale: authenticate the partner's signed request, validate it, store the
 * transaction and hand the browser a single-use link to the card page.
 */
import type { AppConfig } from "../config.ts";
import { runBatch } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import { type ApiKey, decryptApiKeys, validApiKeysQuery } from "../db/partnerApiKeys.ts";
import { findPartnerQuery } from "../db/partners.ts";
import { insertAttemptQuery, supersedeOpenAttemptsQuery } from "../db/paymentAttempts.ts";
import { recordAttemptEventsQuery, recordEvent } from "../db/paymentEvents.ts";
import { listRedirectTargetsQuery } from "../db/redirectTargets.ts";
import { replaceLinesQueries } from "../db/revenueLines.ts";
import { findTransaction, openTransactionId, upsertPendingQuery } from "../db/transactions.ts";
import {
  collectParams,
  type DirectSaleRequest,
  type FieldErrors,
  messages,
  validateDirectSaleRequest,
} from "../domain/directSaleRequest.ts";
import { signedRedirectUrl, validationErrorPairs } from "../domain/paymentResponse.ts";
import { isRedirectAllowed } from "../domain/redirectTargets.ts";
import { splitSignedQuery, verifyRequestSignature } from "../domain/signature.ts";
import { parseQuery } from "../domain/urlencoding.ts";
import { randomToken, sha256Hex } from "../lib/crypto.ts";
import type { AuditRecorder } from "./audit.ts";

export type DirectSaleOutcome =
  | { kind: "refused"; status: 400 | 409; title: string; problems: string[] }
  | { kind: "validation-redirect"; location: string; errors: FieldErrors }
  | { kind: "card-page"; location: string; transactionId: number; attemptId: number };

export interface DirectSaleDeps {
  db: Db;
  config: AppConfig;
  encryptionKey: string;
  audit: AuditRecorder;
  now: Date;
}

const refused = (problems: string[], status: 400 | 409 = 400, title = "We could not start your payment") =>
  ({ kind: "refused", status, title, problems }) as const;

export async function startDirectSale(deps: DirectSaleDeps, rawQuery: string): Promise<DirectSaleOutcome> {
  const { db, now } = deps;
  const signed = splitSignedQuery(rawQuery);
  const bag = collectParams(parseQuery(signed.ok ? signed.signedPart : rawQuery));
  const pbcRefNumber = bag.values.get("pbcRefNumber")?.trim() ?? "";
  if (!signed.ok) {
    await deps.audit("directsale.refused", "failure", { target: pbcRefNumber || null, detail: { reason: signed.problem } });
    return refused([signed.problem]);
  }
  if (pbcRefNumber === "" || bag.duplicates.has("pbcRefNumber")) {
    return refused(["The PayBC reference number (pbcRefNumber) is missing or given more than once."]);
  }
  // One round trip for everything the checks need.
  const [partnerRows, keyRows, targetRows] = await db.batch([
    findPartnerQuery(db, pbcRefNumber),
    validApiKeysQuery(db, pbcRefNumber, now),
    listRedirectTargetsQuery(db, pbcRefNumber),
  ]);
  const partner = partnerRows[0];
  if (partner?.status !== "ACTIVE") {
    await deps.audit("directsale.refused", "failure", {
      target: pbcRefNumber,
      detail: { reason: "unknown or disabled partner" },
    });
    return refused(["The PayBC reference number (pbcRefNumber) is not one we accept payments for."]);
  }
  const keys = await decryptApiKeys(deps.encryptionKey, pbcRefNumber, keyRows);
  const matched = await verifyRequestSignature(
    signed.signedPart,
    signed.hashValue,
    keys.map((key) => key.key),
  );
  if (matched === -1) {
    await deps.audit("directsale.hash_failed", "failure", { target: pbcRefNumber });
    return refused(["The request's signature (hashValue) does not match its parameters."]);
  }
  const apiKey = keys[matched] as { id: number; key: string };

  const redirectUri = bag.values.get("redirectUri") ?? "";
  if (bag.duplicates.has("redirectUri")) return refused(["The return address (redirectUri) is given more than once."]);
  if (redirectUri === "") return refused(["The return address (redirectUri) is missing."]);
  const targets = targetRows.map((row) => row.target);
  if (!isRedirectAllowed(redirectUri, targets)) {
    await deps.audit("directsale.redirect_refused", "failure", { target: pbcRefNumber });
    return refused(["The return address (redirectUri) is not one registered for this service."]);
  }

  const refs = {
    ref1: bag.values.get("ref1") ?? "",
    ref2: bag.values.get("ref2") ?? "",
    ref3: bag.values.get("ref3") ?? "",
  };
  const validation = validateDirectSaleRequest(bag, now);
  if (!validation.ok) {
    await recordEvent(
      db,
      {
        eventType: "validation_failed",
        pbcRefNumber,
        pbcTxnNumber: validation.pbcTxnNumber,
        detail: { fields: Object.keys(validation.errors) },
      },
      now,
    );
    const pairs = validationErrorPairs(validation.errors, validation.pbcTxnNumber, refs);
    return {
      kind: "validation-redirect",
      errors: validation.errors,
      location: await signedRedirectUrl(redirectUri, pairs, apiKey.key),
    };
  }
  return createAttempt(deps, validation.request, apiKey);
}

async function createAttempt(deps: DirectSaleDeps, request: DirectSaleRequest, apiKey: ApiKey): Promise<DirectSaleOutcome> {
  const { db, now } = deps;
  const linkToken = randomToken();
  const externalId = randomToken(16);
  const orderNumber = `PBC${(await sha256Hex(externalId)).slice(0, 24).toUpperCase()}`;
  const expiresAt = new Date(now.getTime() + deps.config.paymentExpiryMinutes * 60_000);
  const maxDeclines = deps.config.maxDeclinesPerPayment;
  const openId = openTransactionId(request.pbcRefNumber, request.pbcTxnNumber, maxDeclines);
  const linkTokenHash = await sha256Hex(linkToken);
  // One D1 batch = one transaction: concurrent identical requests serialise on the unique key and
  // never create two transactions; a paid transaction is never reopened. The lifecycle events are
  // written in the same batch (they select nothing when no attempt was created).
  const statements = [
    upsertPendingQuery(request, apiKey.id, maxDeclines, now),
    supersedeOpenAttemptsQuery(openId, now),
    ...replaceLinesQueries(openId, request.revenue),
    insertAttemptQuery(openId, { externalId, linkTokenHash, orderNumber, expiresAt }, now),
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

  if (!attempt) {
    const existing = await findTransaction(db, request.pbcRefNumber, request.pbcTxnNumber);
    const locked = existing?.paymentStatus === "PNDNG" && existing.declineCount >= maxDeclines;
    if (existing && (existing.paymentStatus !== "PNDNG" || locked)) {
      await recordEvent(
        db,
        {
          eventType: "validation_failed",
          transactionId: existing.id,
          pbcRefNumber: request.pbcRefNumber,
          pbcTxnNumber: request.pbcTxnNumber,
          detail: { reason: locked ? "locked after declines" : "already paid" },
        },
        now,
      );
      if (locked)
        await deps.audit("directsale.locked_refused", "failure", { target: `${request.pbcRefNumber}/${request.pbcTxnNumber}` });
      const errors: FieldErrors = { pbcTxnNumber: locked ? messages.locked : messages.alreadyPaid };
      const pairs = validationErrorPairs(errors, null, request);
      return {
        kind: "validation-redirect",
        errors,
        location: await signedRedirectUrl(request.redirectUri, pairs, apiKey.key),
      };
    }
    return refused(
      ["A payment for this transaction is already being processed. Do not pay again: return to the service to see its status."],
      409,
      "Your payment is already in progress",
    );
  }

  return {
    kind: "card-page",
    location: `/public/pay/${linkToken}`,
    transactionId: attempt.transaction_id,
    attemptId: attempt.id,
  };
}
