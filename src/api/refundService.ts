/**
 * The PayBC refund service, exactly as deployed partner clients call it (mounted at
 * REFUND_BASE_PATH, default /paybc-service):
 *   GET|POST /oauth/token[/]  with `Basic-Token: Basic base64(id:secret)` (or `Authorization: Basic`)
 *   POST     /api/refund      with `Bearer-Token: Bearer <token>` (or `Authorization: Bearer`)
 * Tokens are the partner web service's own (same clients, same issue/verify code). Errors are
 * `{message, errors: [...]}` as the clients read them.
 */

import { z } from "@hono/zod-openapi";
import { type Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { centsFromAmount } from "../domain/refund.ts";
import { paybcRefundAnswer } from "../domain/refundView.ts";
import { basicCredentials, bearerToken } from "../http/credentials.ts";
import { BOOKMARK_HELP, d1Session } from "../http/d1Session.ts";
import { clientAddress, withinLimit } from "../http/limits.ts";
import type { AppEnv } from "../http/types.ts";
import { createProcessor } from "../processor/index.ts";
import { auditRecorder } from "../services/audit.ts";
import { authenticate, requestToken } from "../services/partnerApi.ts";
import { type RefundOutcome, requestRefund } from "../services/refunds.ts";

const BODY_LIMIT = 16 * 1024;

const idText = z.union([z.string().max(50), z.number().int().nonnegative()]).transform((value) => String(value).trim());
const amount = z.union([z.number(), z.string().max(20)]);

const RefundRequest = z.object({
  orderNumber: idText,
  pbcRefNumber: idText,
  txnAmount: amount,
  txnNumber: z.string().min(1).max(50),
  refundRevenue: z
    .array(z.object({ lineNumber: idText, refundAmount: amount }))
    .min(1)
    .max(100)
    .optional(),
});

type ErrorStatus = 400 | 401 | 404 | 409 | 413 | 429;
const REASONS: Record<ErrorStatus, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  409: "Conflict",
  413: "Payload Too Large",
  429: "Too Many Requests",
};

function refuse(c: Context<AppEnv>, status: ErrorStatus, errors: string[]) {
  return c.json({ message: REASONS[status], errors }, status);
}

function depsOf(c: Context<AppEnv>) {
  const db = c.get("db");
  const log = c.get("log");
  return {
    db,
    signingKey: c.env.TOKEN_SIGNING_KEY,
    processor: createProcessor(c.get("config"), c.env),
    audit: auditRecorder(db, { actor: "paybc-refund-service", sourceIp: clientAddress(c), log }),
    notify: c.get("notify"),
    log,
    now: new Date(),
    // The same token throttle as the partner web service's token endpoint.
    throttle: (key: string) => withinLimit(c.env.AUTH_RATE_LIMITER, key),
  };
}

export function createRefundService() {
  const service = new Hono<AppEnv>();

  const token = async (c: Context<AppEnv>) => {
    // The deployed client sends `Basic-Token: Basic ...`, no body and no grant type.
    const result = await requestToken(depsOf(c), {
      basic: basicCredentials(c.req.header("Basic-Token") ?? c.req.header("Authorization")),
      form: { grant_type: "client_credentials" },
      sourceAddress: clientAddress(c),
    });
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    if (result.ok) return c.json(result.body, 200);
    if (result.error === "slow_down") {
      c.header("Retry-After", "60");
      return refuse(c, 429, [result.description]);
    }
    return refuse(c, result.error === "invalid_client" ? 401 : 400, [result.description]);
  };
  for (const path of ["/oauth/token", "/oauth/token/"]) {
    service.get(path, token);
    service.post(path, token);
  }

  // The refund is written on the primary; its bookmark goes back so the partner's next query (the
  // web service, with x-d1-bookmark) sees it.
  service.use(
    "/api/*",
    d1Session((c) => refuse(c, 400, [BOOKMARK_HELP])),
  );
  service.post(
    "/api/refund",
    bodyLimit({ maxSize: BODY_LIMIT, onError: (c) => refuse(c, 413, [`The body must be at most ${BODY_LIMIT} bytes`]) }),
    async (c) => {
      const deps = depsOf(c);
      // Credentials before the body is read.
      const auth = await authenticate(deps, bearerToken(c.req.header("Bearer-Token") ?? c.req.header("Authorization")));
      if (!auth.ok) return refuse(c, 401, [auth.description]);

      let raw: unknown;
      try {
        raw = await c.req.json();
      } catch {
        return refuse(c, 400, ["The body must be JSON"]);
      }
      const parsed = RefundRequest.safeParse(raw);
      if (!parsed.success) {
        return refuse(
          c,
          400,
          parsed.error.issues.map((issue) => `${issue.path.join(".") || "body"}: ${issue.message}`),
        );
      }
      const request = parsed.data;
      const errors: string[] = [];
      const amountCents = centsFromAmount(request.txnAmount);
      if (amountCents === null) errors.push("txnAmount must be a positive amount with at most two decimals");
      const lines = (request.refundRevenue ?? []).map((line, index) => {
        const lineNumber = /^\d{1,4}$/.test(line.lineNumber) ? Number(line.lineNumber) : 0;
        const cents = centsFromAmount(line.refundAmount);
        if (lineNumber < 1) errors.push(`refundRevenue[${index}].lineNumber must be a revenue line number`);
        if (cents === null)
          errors.push(`refundRevenue[${index}].refundAmount must be a positive amount with at most two decimals`);
        return { lineNumber, amountCents: cents ?? 0 };
      });
      if (!/^\d+$/.test(request.orderNumber)) errors.push("orderNumber must be the payment's trnOrderId");
      if (errors.length > 0) return refuse(c, 400, errors);

      const outcome = await requestRefund(deps, {
        pbcRefNumber: request.pbcRefNumber,
        pbcTxnNumber: request.txnNumber,
        ownerRef: auth.claims.ref,
        channel: "paybc",
        requestedBy: `client:${auth.claims.sub}`,
        amountCents: amountCents as number,
        lines: lines.length > 0 ? lines : undefined,
        trnOrderId: request.orderNumber,
        refuseDuplicate: true,
      });
      return answer(c, outcome, request.orderNumber);
    },
  );

  service.notFound((c) => refuse(c, 404, ["Not found"]));
  return service;
}

function answer(c: Context<AppEnv>, outcome: RefundOutcome, trnOrderId: string) {
  switch (outcome.kind) {
    case "created": {
      const refund = outcome.row;
      const body = paybcRefundAnswer(refund, trnOrderId);
      return c.json(body, refund.status === "PENDING" || refund.status === "UNKNOWN" ? 202 : 200);
    }
    case "not-found":
      return refuse(c, 404, ["No payment with this pbcRefNumber and txnNumber"]);
    case "invalid":
      return refuse(c, 400, outcome.errors);
    case "duplicate":
    case "not-refundable":
      return refuse(c, 400, [outcome.message]);
    case "stale":
    case "replay":
    case "idempotency-conflict":
      // Not used by this service (no Idempotency-Key, no refundAmountAvailable).
      return refuse(c, 409, ["The refund could not be made: try again"]);
  }
}
