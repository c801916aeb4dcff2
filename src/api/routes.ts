/** Route definitions of the partner web service (separate from the handlers, as the docs are generated from them). */
import { createRoute } from "@hono/zod-openapi";
import {
  ApiError,
  KeyStyleQuery,
  OAuthError,
  Payment,
  PaymentPathParams,
  RevenueUpdateBody,
  TokenRequestBody,
  TokenResponse,
  ValidationError,
} from "./schemas.ts";

const json = <T>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });
const unauthorized = {
  ...json(ApiError, "No bearer token, or an invalid or expired one (see the WWW-Authenticate header)"),
  headers: {
    "WWW-Authenticate": { schema: { type: "string" as const }, description: 'Bearer realm="paybc" with error details' },
  },
};

export const tokenRoute = createRoute({
  method: "post",
  path: "/oauth/token",
  tags: ["Authentication"],
  summary: "Get an access token (OAuth2 client credentials)",
  description:
    "Client credentials in HTTP Basic (`Authorization: Basic base64(clientId:secret)`, as deployed clients send them) or in the form body (`client_id`, `client_secret`). Tokens last one hour and are bound to one partner.",
  security: [{ basicAuth: [] }, {}],
  request: {
    body: { content: { "application/x-www-form-urlencoded": { schema: TokenRequestBody } }, required: false },
  },
  responses: {
    200: json(TokenResponse, "An access token"),
    400: json(OAuthError, "invalid_request or unsupported_grant_type (RFC 6749 5.2)"),
    401: json(OAuthError, "invalid_client: unknown client or wrong secret (RFC 6749 5.2)"),
    413: json(ApiError, "The request body is larger than 4 KB"),
    429: {
      ...json(OAuthError, "slow_down: too many token requests for this client id or from this address"),
      headers: { "Retry-After": { schema: { type: "string" as const }, description: "Seconds to wait" } },
    },
  },
});

export const getPaymentRoute = createRoute({
  method: "get",
  path: "/paybc/payment/{pbcRefNumber}/{pbcTxnNumber}",
  tags: ["Payments"],
  summary: "Get the status and details of a payment",
  description:
    "Returns the payment whatever its state. A payment of another partner is reported as not found. The key style is the partner's (lower-case for legacy partners) unless `keys` overrides it.",
  security: [{ bearerAuth: [] }],
  request: { params: PaymentPathParams, query: KeyStyleQuery },
  responses: {
    200: json(Payment, "The payment"),
    401: unauthorized,
    404: json(ApiError, "No such payment for this partner"),
  },
});

export const updateRevenueRoute = createRoute({
  method: "post",
  path: "/paybc/payment/{pbcRefNumber}/{pbcTxnNumber}",
  tags: ["Payments"],
  summary: "Replace the revenue coding of a paid payment",
  description:
    "Allowed only while the payment is PAID and no revenue line is IN PROCESS. NEW and REJECT lines are replaced; PROCESSED lines (accepted by the ledger) must be sent unchanged. The new amounts must add up to trnAmount exactly. Replaced lines go back to NEW and are posted by the next nightly GL run.",
  security: [{ bearerAuth: [] }],
  request: {
    params: PaymentPathParams,
    query: KeyStyleQuery,
    body: { content: { "application/json": { schema: RevenueUpdateBody } }, required: true },
  },
  responses: {
    200: json(Payment, "The updated payment, as GET returns it"),
    400: json(ValidationError, "The body is not valid: per-field messages"),
    401: unauthorized,
    404: json(ApiError, "No such payment for this partner"),
    409: json(ApiError, "The payment's state does not allow a revenue update"),
    413: json(ApiError, "The request body is larger than 64 KB"),
  },
});
