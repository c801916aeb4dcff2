/**
 * The REST refund resource of the partner web service: `POST/GET {base}/paybc/payment/{ref}/{txn}/refunds`.
 * POST needs an `Idempotency-Key` (same key and body: the first response again; same key, other
 * body: 409) and `refundAmountAvailable` as the caller last saw it (stale: 412), so neither a retry
 * nor a race refunds twice. The bearer token is checked before the body is read.
 */

import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { centsFromAmount } from "../domain/refund.ts";
import type { RefundResource } from "../domain/refundView.ts";
import { bearerToken } from "../http/credentials.ts";
import { clientAddress } from "../http/limits.ts";
import { createProcessor } from "../processor/index.ts";
import { auditRecorder } from "../services/audit.ts";
import { authenticate } from "../services/partnerApi.ts";
import { listPaymentRefunds, type RefundOutcome, requestRefund } from "../services/refunds.ts";
import type { ApiEnv } from "./index.ts";
import { ApiError, PaymentPathParams, ValidationError } from "./schemas.ts";

const amountInput = z.union([z.number(), z.string().max(20)]).openapi({
  description: 'Dollars: a JSON number (25, 25.5) or a decimal string ("25.50"); whole cents only',
  example: "25.00",
});

export const RefundRequestBody = z
  .object({
    amount: amountInput,
    refundAmountAvailable: amountInput.openapi({
      description:
        "The amount available for refund as you last read it (refundSummary.amountAvailable). If it changed meanwhile (another refund), the answer is 412 and nothing is refunded.",
      example: "100.00",
    }),
    lines: z
      .array(z.object({ lineNumber: z.union([z.string().max(10), z.number().int()]), amount: amountInput }))
      .min(1)
      .max(100)
      .optional()
      .openapi({
        description: "Per revenue line; they must add up to amount. Without lines, the amount is taken from line 1 first.",
      }),
    reason: z.string().max(255).optional(),
  })
  .strict()
  .openapi("RefundRequest", {
    example: {
      amount: "25.00",
      refundAmountAvailable: "100.00",
      lines: [{ lineNumber: "2", amount: "25.00" }],
      reason: "Duplicate application",
    },
  });

/** The one refund example of the docs (the resource, the list, the 201 and 202 answers). */
const REFUND_EXAMPLE = {
  refundId: "rf_Yk3vQm0sZ1d8TqW2xA7c",
  pbcRefNumber: "10006",
  pbcTxnNumber: "EZ000101",
  status: "APPROVED",
  amount: "25.00",
  method: "return",
  message: "Approved",
  reason: "Duplicate application",
  refundDate: "2026-11-24",
  glDate: "2026-11-24",
  lines: [{ lineNumber: "2", amount: "25.00", refundGlStatus: "PAID" }],
  createdAt: "2026-11-24T18:02:11.000Z",
  settledAt: "2026-11-24T18:02:12.000Z",
} satisfies RefundResource;

const REFUND_LIST_EXAMPLE = {
  refundSummary: { status: "partial", amountAvailable: "75.00", amountRefunded: "25.00" },
  refunds: [REFUND_EXAMPLE],
};

export const RefundBody = z
  .object({
    refundId: z.string(),
    pbcRefNumber: z.string(),
    pbcTxnNumber: z.string(),
    status: z.enum(["PENDING", "APPROVED", "DECLINED", "UNKNOWN"]).openapi({
      description:
        "APPROVED: the money was returned to the card. DECLINED: the processor refused; nothing was refunded. PENDING/UNKNOWN: the processor's answer is not known yet (never a decline): GET the refunds until it is.",
    }),
    amount: z.string(),
    method: z.enum(["void", "return"]).nullable(),
    message: z.string().nullable(),
    reason: z.string().nullable(),
    refundDate: z.string().nullable(),
    glDate: z.string().nullable(),
    lines: z.array(z.object({ lineNumber: z.string(), amount: z.string(), refundGlStatus: z.string().nullable() })),
    createdAt: z.string(),
    settledAt: z.string().nullable(),
  })
  .openapi("Refund", { example: REFUND_EXAMPLE });

const RefundSummaryBody = z.object({
  status: z.enum(["available", "partial", "full", "pending", "unavailable"]),
  amountAvailable: z.string(),
  amountRefunded: z.string(),
});

export const RefundListBody = z
  .object({
    refundSummary: RefundSummaryBody,
    refunds: z.array(RefundBody),
    archived: z
      .literal(true)
      .optional()
      .openapi({
        description:
          "Present (true) only for an archived payment: its refunds as they were when it left the portal's database; " +
          "refundSummary is then unavailable (it can no longer be refunded through the portal).",
      }),
    archivedAt: z
      .string()
      .optional()
      .openapi({ description: "When the payment was archived (ISO 8601, UTC); only with archived" }),
  })
  .openapi("RefundList", { example: REFUND_LIST_EXAMPLE });

const StaleError = z
  .object({ error: z.literal("refund_amount_available_mismatch"), message: z.string(), refundAmountAvailable: z.string() })
  .openapi("RefundAmountAvailableMismatch", {
    example: {
      error: "refund_amount_available_mismatch",
      message: "refundAmountAvailable is 75.00, not 100.00: read the payment again before refunding",
      refundAmountAvailable: "75.00",
    },
  });

const IdempotencyHeader = z.object({
  "idempotency-key": z
    .string()
    .min(1)
    .max(255)
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description:
        "Required. A unique key per refund (e.g. a UUID). Replays within 24 h and beyond answer with the first response.",
      example: "3f0c8a52-8f0e-4b0e-9d1c-6a4b5f2e9b77",
    }),
});

/** A JSON response with the example shown in the docs (every response has one). */
const json = <T>(schema: T, description: string, example: unknown) => ({
  content: { "application/json": { schema, example } },
  description,
});
const errorExample = (error: string, message: string) => ({ error, message });
const UNAUTHORIZED_EXAMPLE = errorExample("invalid_token", "The access token is invalid or has expired");
const NOT_FOUND_EXAMPLE = errorExample("not_found", "No payment with this pbcRefNumber and pbcTxnNumber");

export const createRefundRoute = createRoute({
  method: "post",
  path: "/paybc/payment/{pbcRefNumber}/{pbcTxnNumber}/refunds",
  tags: ["Refunds"],
  operationId: "createRefund",
  summary: "Refund a paid payment, fully or partly",
  description:
    "Only PAID or CMPLT payments. Several partial refunds are allowed up to what is left per revenue line and in total. The answer's status says what the processor did; 202 means its answer is not known yet.",
  security: [{ oauth2: [] }],
  request: {
    params: PaymentPathParams,
    headers: IdempotencyHeader,
    body: { content: { "application/json": { schema: RefundRequestBody } }, required: true },
  },
  responses: {
    201: json(RefundBody, "The refund: APPROVED (money returned) or DECLINED (nothing refunded)", REFUND_EXAMPLE),
    202: json(RefundBody, "The refund was sent but the processor's answer is not known yet (PENDING/UNKNOWN)", {
      ...REFUND_EXAMPLE,
      status: "UNKNOWN",
      method: null,
      message: "The processor's answer was not received: the refund is being looked up",
      settledAt: null,
    }),
    400: json(
      ValidationError.or(ApiError),
      "The request is not valid, or asks for more than is left to refund",
      errorExample("invalid_refund", "Line 2: 30.00 is more than the 25.00 left to refund"),
    ),
    401: json(ApiError, "No bearer token, or an invalid or expired one", UNAUTHORIZED_EXAMPLE),
    404: json(ApiError, "No such payment for this partner", NOT_FOUND_EXAMPLE),
    409: json(
      ApiError,
      'The payment cannot be refunded: `not_refundable` (not paid), `payment_archived` (finished more than 12 months ago and moved to the archive: "This payment was archived on yyyy-MM-dd (more than 12 months after it was finished) and can no longer be refunded through the portal: a refund must be made outside it"; the payment query still answers it, with `archived: true`), or `idempotency_conflict` (the Idempotency-Key was used for another request)',
      errorExample("idempotency_conflict", "This Idempotency-Key was used for another refund request"),
    ),
    412: json(StaleError, "refundAmountAvailable does not match: another refund happened meanwhile", {
      error: "refund_amount_available_mismatch",
      message: "refundAmountAvailable is 75.00, not 100.00: read the payment again before refunding",
      refundAmountAvailable: "75.00",
    }),
    413: json(ApiError, "The body is too large", errorExample("payload_too_large", "The body must be at most 16384 bytes")),
  },
});

export const listRefundsRoute = createRoute({
  method: "get",
  path: "/paybc/payment/{pbcRefNumber}/{pbcTxnNumber}/refunds",
  tags: ["Refunds"],
  operationId: "listRefunds",
  summary: "List a payment's refunds",
  security: [{ oauth2: [] }],
  request: { params: PaymentPathParams },
  responses: {
    200: json(RefundListBody, "The refunds, oldest first, and what is left to refund", REFUND_LIST_EXAMPLE),
    401: json(ApiError, "No bearer token, or an invalid or expired one", UNAUTHORIZED_EXAMPLE),
    404: json(ApiError, "No such payment for this partner", NOT_FOUND_EXAMPLE),
  },
});

const NOT_FOUND = { error: "not_found", message: "No payment with this pbcRefNumber and pbcTxnNumber" } as const;
const REFUNDS_PATH = "/paybc/payment/:pbcRefNumber/:pbcTxnNumber/refunds";
/** A refund body is small; anything bigger is refused before it is read. */
export const REFUND_BODY_LIMIT = 16 * 1024;

function depsOf(c: Context<ApiEnv>) {
  const db = c.get("db");
  const log = c.get("log");
  return {
    db,
    signingKey: c.env.TOKEN_SIGNING_KEY,
    processor: createProcessor(c.get("config"), c.env),
    audit: auditRecorder(db, { actor: "partner-api", sourceIp: clientAddress(c), log }),
    notify: c.get("notify"),
    log,
    now: new Date(),
  };
}

function statusOf(refund: RefundResource): 201 | 202 {
  return refund.status === "PENDING" || refund.status === "UNKNOWN" ? 202 : 201;
}

export function registerRefundRoutes(api: OpenAPIHono<ApiEnv>): void {
  // Credentials first: no body is read or validated for a request without a valid token.
  api.use(REFUNDS_PATH, async (c, next) => {
    const auth = await authenticate(depsOf(c), bearerToken(c.req.header("Authorization")));
    if (!auth.ok) {
      c.header("WWW-Authenticate", `Bearer realm="paybc", error="${auth.error}", error_description="${auth.description}"`);
      return c.json({ error: auth.error, message: auth.description }, 401);
    }
    c.set("partner", auth);
    await next();
  });
  api.use(
    REFUNDS_PATH,
    bodyLimit({
      maxSize: REFUND_BODY_LIMIT,
      onError: (c) => c.json({ error: "payload_too_large", message: `The body must be at most ${REFUND_BODY_LIMIT} bytes` }, 413),
    }),
  );

  api.openapi(listRefundsRoute, async (c) => {
    const session = c.get("partner");
    const { pbcRefNumber, pbcTxnNumber } = c.req.valid("param");
    const found = await listPaymentRefunds(
      { db: c.get("db"), archive: c.env.JOURNALS },
      session.claims.ref,
      pbcRefNumber,
      pbcTxnNumber,
    );
    if (!found) return c.json(NOT_FOUND, 404);
    const { summary } = found;
    return c.json(
      {
        refundSummary: {
          status: summary.status,
          amountAvailable: (summary.amountAvailableCents / 100).toFixed(2),
          amountRefunded: (summary.amountRefundedCents / 100).toFixed(2),
        },
        refunds: found.refunds,
        ...(found.archivedAt !== undefined ? { archived: true as const, archivedAt: found.archivedAt } : {}),
      },
      200,
    );
  });

  api.openapi(createRefundRoute, async (c) => {
    const session = c.get("partner");
    const { pbcRefNumber, pbcTxnNumber } = c.req.valid("param");
    const body = c.req.valid("json");
    const fields: Record<string, string> = {};
    const amountCents = centsFromAmount(body.amount);
    if (amountCents === null) fields.amount = "Must be a positive amount in dollars with at most two decimals";
    const availableCents = centsFromAmount(body.refundAmountAvailable, { allowZero: true });
    if (availableCents === null) fields.refundAmountAvailable = "Must be an amount in dollars with at most two decimals";
    const lines = (body.lines ?? []).map((line, index) => {
      const lineNumber =
        typeof line.lineNumber === "number"
          ? line.lineNumber
          : /^\d{1,4}$/.test(line.lineNumber)
            ? Number(line.lineNumber)
            : null;
      const cents = centsFromAmount(line.amount);
      if (lineNumber === null || lineNumber < 1)
        fields[`lines[${index}].lineNumber`] = "Must be a revenue line number (1, 2, ...)";
      if (cents === null) fields[`lines[${index}].amount`] = "Must be a positive amount in dollars with at most two decimals";
      return { lineNumber: lineNumber ?? 0, amountCents: cents ?? 0 };
    });
    if (Object.keys(fields).length > 0) {
      return c.json({ error: "validation_failed" as const, message: "The refund request is not valid", fields }, 400);
    }
    const deps = depsOf(c);
    const outcome = await requestRefund(deps, {
      pbcRefNumber,
      pbcTxnNumber,
      ownerRef: session.claims.ref,
      channel: "api",
      requestedBy: `client:${session.claims.sub}`,
      amountCents: amountCents as number,
      lines: lines.length > 0 ? lines : undefined,
      reason: body.reason ?? null,
      expectedAvailableCents: availableCents as number,
      idempotencyKey: c.req.valid("header")["idempotency-key"],
    });
    return answer(c, outcome, availableCents as number);
  });
}

function answer(c: Context<ApiEnv>, outcome: RefundOutcome, expectedCents: number) {
  switch (outcome.kind) {
    case "created":
      return c.json(outcome.refund, statusOf(outcome.refund));
    case "replay":
      c.header("Idempotent-Replayed", "true");
      return c.json(outcome.body, statusOf(outcome.body));
    case "not-found":
      return c.json(NOT_FOUND, 404);
    case "archived":
      return c.json({ error: "payment_archived", message: outcome.message }, 409);
    case "invalid":
      return c.json({ error: "invalid_refund", message: outcome.errors.join("; ") }, 400);
    case "duplicate":
    case "not-refundable":
      return c.json({ error: "not_refundable", message: outcome.message }, 409);
    case "idempotency-conflict":
      return c.json({ error: "idempotency_conflict", message: outcome.message }, 409);
    case "stale": {
      const available = (outcome.amountAvailableCents / 100).toFixed(2);
      return c.json(
        {
          error: "refund_amount_available_mismatch" as const,
          message: `refundAmountAvailable is ${available}, not ${(expectedCents / 100).toFixed(2)}: read the payment again before refunding`,
          refundAmountAvailable: available,
        },
        412,
      );
    }
  }
}
