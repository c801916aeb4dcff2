/** Route definitions of the partner web service (separate from the handlers, as the docs are generated from them). */
import { createRoute } from "@hono/zod-openapi";
import {
  ApiError,
  KeyStyleQuery,
  LOWER_EXAMPLE,
  OAuthError,
  Payment,
  PaymentPathParams,
  PaymentSearch,
  PaymentSearchQuery,
  RevenueUpdateBody,
  TokenRequestBody,
  TokenResponse,
  ValidationError,
} from "./schemas.ts";

/** A JSON response with the example shown in the docs (every response has one). */
const json = <T>(schema: T, description: string, example: unknown) => ({
  content: { "application/json": { schema, example } },
  description,
});
const error = (code: string, message: string, fields?: Record<string, string>) => ({
  error: code,
  message,
  ...(fields ? { fields } : {}),
});
const oauthError = (code: string, description: string) => ({ error: code, error_description: description, message: description });
const PAYMENT_EXAMPLE = LOWER_EXAMPLE;
const security = [{ oauth2: [] }];
const unauthorized = {
  ...json(
    ApiError,
    "No bearer token, or an invalid or expired one (see the WWW-Authenticate header)",
    error("invalid_token", "The access token is invalid or has expired"),
  ),
  headers: {
    "WWW-Authenticate": { schema: { type: "string" as const }, description: 'Bearer realm="paybc" with error details' },
  },
};

export const tokenRoute = createRoute({
  method: "post",
  path: "/oauth/token",
  operationId: "getAccessToken",
  tags: ["Authentication"],
  summary: "Get an access token (OAuth2 client credentials)",
  description:
    "Client credentials in HTTP Basic (`Authorization: Basic base64(clientId:secret)`, as deployed clients send them) or in the form body (`client_id`, `client_secret`). Tokens last one hour and are bound to one partner.",
  security: [{ basicAuth: [] }, {}],
  request: {
    body: { content: { "application/x-www-form-urlencoded": { schema: TokenRequestBody } }, required: false },
  },
  responses: {
    200: json(TokenResponse, "An access token", { access_token: "pbc1.eyJzdWIiOi...", token_type: "bearer", expires_in: 3600 }),
    400: json(
      OAuthError,
      "invalid_request or unsupported_grant_type (RFC 6749 5.2)",
      oauthError("unsupported_grant_type", "Only grant_type=client_credentials is supported"),
    ),
    401: json(
      OAuthError,
      "invalid_client: unknown client or wrong secret (RFC 6749 5.2)",
      oauthError("invalid_client", "Client authentication failed"),
    ),
    413: json(
      ApiError,
      "The request body is larger than 4 KB",
      error("payload_too_large", "The request body is larger than 4096 bytes"),
    ),
    429: {
      ...json(
        OAuthError,
        "slow_down: too many token requests for this client id or from this address",
        oauthError("slow_down", "Too many token requests: wait a minute"),
      ),
      headers: { "Retry-After": { schema: { type: "string" as const }, description: "Seconds to wait" } },
    },
  },
});

export const getPaymentRoute = createRoute({
  method: "get",
  path: "/paybc/payment/{pbcRefNumber}/{pbcTxnNumber}",
  operationId: "getPayment",
  tags: ["Payments"],
  summary: "Get the status and details of a payment",
  description:
    "Returns the payment whatever its state. A payment of another partner is reported as not found. The key style is the partner's (lower-case for legacy partners) unless `keys` overrides it.",
  security,
  request: { params: PaymentPathParams, query: KeyStyleQuery },
  responses: {
    200: json(Payment, "The payment", PAYMENT_EXAMPLE),
    400: json(
      ValidationError,
      "A parameter is not valid",
      error("validation_failed", "The request is not valid", { keys: "Invalid option" }),
    ),
    401: unauthorized,
    404: json(
      ApiError,
      "No such payment for this partner",
      error("not_found", "No payment with this pbcRefNumber and pbcTxnNumber"),
    ),
  },
});

export const updateRevenueRoute = createRoute({
  method: "post",
  path: "/paybc/payment/{pbcRefNumber}/{pbcTxnNumber}",
  operationId: "updateRevenue",
  tags: ["Payments"],
  summary: "Replace the revenue coding of a paid payment",
  description:
    "Allowed only while the payment is PAID and no revenue line is IN PROCESS. NEW and REJECT lines are replaced; PROCESSED lines (accepted by the ledger) must be sent unchanged. The new amounts must add up to trnAmount exactly. Replaced lines go back to NEW and are posted by the next nightly GL run.",
  security,
  request: {
    params: PaymentPathParams,
    query: KeyStyleQuery,
    body: { content: { "application/json": { schema: RevenueUpdateBody } }, required: true },
  },
  responses: {
    200: json(Payment, "The updated payment, as GET returns it", PAYMENT_EXAMPLE),
    400: json(
      ValidationError,
      "The body is not valid: per-field messages, naming the keys in the style the request used",
      error("validation_failed", "The request is not valid", {
        "revenue[0].revenueamount": 'Required: expected the key "revenueamount"',
      }),
    ),
    401: unauthorized,
    404: json(
      ApiError,
      "No such payment for this partner",
      error("not_found", "No payment with this pbcRefNumber and pbcTxnNumber"),
    ),
    409: json(
      ApiError,
      "The payment's state does not allow a revenue update",
      error("conflict", "Revenue can only be updated for PAID payments: this payment is PNDNG (no payment was made)"),
    ),
    413: json(
      ApiError,
      "The request body is larger than 64 KB",
      error("payload_too_large", "The request body is larger than 65536 bytes"),
    ),
  },
});

export const searchPaymentsRoute = createRoute({
  method: "get",
  path: "/paybc/payments",
  operationId: "searchPayments",
  tags: ["Payments"],
  summary: "Search the partner's payments (for reconciliation)",
  description:
    "The authenticated partner's own payments, oldest first, by transaction date (default) or by the Pacific date paid (`by=paid`), optionally of one status. Keyset paging: pass `nextCursor` (`nextcursor` in lower-case style) as `cursor` for the next page; it is null on the last page. Pages stay consistent while new payments arrive.",
  security,
  request: { query: PaymentSearchQuery },
  responses: {
    200: json(PaymentSearch, "One page of payments", {
      payments: [PAYMENT_EXAMPLE],
      nextcursor: "WyJ0cm5EYXRlIiwiMjAyNi0xMS0yMyIsNDJd",
    }),
    400: json(
      ValidationError,
      "A query parameter is not valid: per-parameter messages",
      error("validation_failed", "The request is not valid", { from: "must be a date yyyy-MM-dd" }),
    ),
    401: unauthorized,
  },
});
