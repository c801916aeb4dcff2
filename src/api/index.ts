/**
 * The partner web service (OAuth2-protected), mounted at the configurable base path (default
 * /ords/cas). Handlers are thin: they translate HTTP to services/partnerApi.ts and back.
 */

import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { basicCredentials, bearerToken } from "../http/credentials.ts";
import { BOOKMARK_HELP, d1Session } from "../http/d1Session.ts";
import { BODY_LIMITS, clientAddress, limitBody, withinLimit } from "../http/limits.ts";
import type { AppEnv } from "../http/types.ts";
import { auditRecorder } from "../services/audit.ts";
import {
  type AuthResult,
  authenticate,
  type PartnerApiDeps,
  queryPayment,
  requestToken,
  searchPayments,
  updateRevenue,
} from "../services/partnerApi.ts";
import { documentD1Bookmark } from "./d1BookmarkDocs.ts";
import { registerRefundRoutes } from "./refunds.ts";
import { getPaymentRoute, searchPaymentsRoute, tokenRoute, updateRevenueRoute } from "./routes.ts";
import { REVENUE_LINE_KEYS } from "./schemas.ts";

/** The partner the bearer token authenticated, set before any body is read or validated. */
export type ApiEnv = AppEnv & { Variables: AppEnv["Variables"] & { partner: Extract<AuthResult, { ok: true }> } };

function deps(c: Context<ApiEnv>, actor: string): PartnerApiDeps {
  const db = c.get("db");
  return {
    db,
    signingKey: c.env.TOKEN_SIGNING_KEY,
    audit: auditRecorder(db, { actor, sourceIp: clientAddress(c), log: c.get("log") }),
    now: new Date(),
    archive: c.env.JOURNALS,
    throttle: (key) => withinLimit(c.env.AUTH_RATE_LIMITER, key),
  };
}

const NOT_FOUND = { error: "not_found", message: "No payment with this pbcRefNumber and pbcTxnNumber" } as const;

export function createPartnerApi() {
  const api = new OpenAPIHono<ApiEnv>({
    // Request validation failures: 400 with one message per field.
    defaultHook: (result, c) => {
      if (!result.success) {
        const fields: Record<string, string> = {};
        for (const issue of result.error.issues) {
          fields[
            issue.path.length
              ? issue.path
                  .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
                  .join("")
                  .replace(/^\./, "")
                  .replace(/\.\[/g, "[")
              : "body"
          ] = issue.message;
        }
        return c.json({ error: "validation_failed", message: "The request is not valid", fields }, 400);
      }
    },
  });

  // The bearer token is the OAuth2 client credentials grant's access token: generators and
  // API tools read the flow (and its token URL) from the oauth2 scheme.
  api.openAPIRegistry.registerComponent("securitySchemes", "oauth2", {
    type: "oauth2",
    description:
      "OAuth2 client credentials: POST the client id and secret to the token URL, then send `Authorization: Bearer <token>`.",
    flows: { clientCredentials: { tokenUrl: "oauth/token", scopes: {} } },
  });
  api.openAPIRegistry.registerComponent("securitySchemes", "basicAuth", { type: "http", scheme: "basic" });

  // Nothing unauthenticated is parsed beyond a few KB.
  api.use("/oauth/token", limitBody(BODY_LIMITS.tokenRequest, "json"));

  // Partner reads through a D1 session (read replicas), writes on the primary; the bookmark is
  // returned and accepted back, so a partner reads its own writes. Before credentials are checked:
  // they are read through the session too.
  api.use(
    "/paybc/*",
    d1Session((c) => c.json({ error: "invalid_request", message: BOOKMARK_HELP }, 400)),
  );

  // Credentials are checked before any body is read, limited or validated.
  api.use("/paybc/payment/:pbcRefNumber/:pbcTxnNumber", async (c, next) => {
    const auth = await authenticate(deps(c, "partner-api"), bearerToken(c.req.header("Authorization")), {
      pbcRefNumber: c.req.param("pbcRefNumber"),
      pbcTxnNumber: c.req.param("pbcTxnNumber"),
    });
    if (!auth.ok) {
      c.header("WWW-Authenticate", bearerChallenge(auth.error, auth.description));
      return c.json({ error: auth.error, message: auth.description }, 401);
    }
    c.set("partner", auth);
    await next();
  });
  api.use("/paybc/payments", async (c, next) => {
    const auth = await authenticate(deps(c, "partner-api"), bearerToken(c.req.header("Authorization")));
    if (!auth.ok) {
      c.header("WWW-Authenticate", bearerChallenge(auth.error, auth.description));
      return c.json({ error: auth.error, message: auth.description }, 401);
    }
    c.set("partner", auth);
    await next();
  });
  api.use("/paybc/*", limitBody(BODY_LIMITS.api, "json"));

  api.openapi(tokenRoute, async (c) => {
    const form: Record<string, string> = {};
    const type = c.req.header("Content-Type") ?? "";
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    if (type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data")) {
      let body: Record<string, unknown>;
      try {
        body = await c.req.parseBody();
      } catch {
        return c.json(oauthError("invalid_request", "The request body could not be read"), 400);
      }
      for (const [key, value] of Object.entries(body)) if (typeof value === "string") form[key] = value;
    }
    const result = await requestToken(deps(c, "partner-api"), {
      basic: basicCredentials(c.req.header("Authorization")),
      form,
      sourceAddress: clientAddress(c),
    });
    if (result.ok) return c.json(result.body, 200);
    const body = oauthError(result.error, result.description);
    // RFC 6749 5.2: a failed client authentication is 401 with a challenge; other errors 400.
    if (result.error === "slow_down") {
      c.header("Retry-After", "60");
      return c.json(body, 429);
    }
    if (result.error === "invalid_client") {
      c.header("WWW-Authenticate", 'Basic realm="paybc"');
      return c.json(body, 401);
    }
    return c.json(body, 400);
  });

  api.openapi(getPaymentRoute, async (c) => {
    const d = deps(c, "partner-api");
    const auth = c.get("partner");
    const { pbcRefNumber, pbcTxnNumber } = c.req.valid("param");
    const payment = await queryPayment(d, auth, pbcRefNumber, pbcTxnNumber, c.req.valid("query").keys);
    if (!payment) return c.json(NOT_FOUND, 404);
    return c.json(payment, 200);
  });

  api.openapi(updateRevenueRoute, async (c) => {
    const d = deps(c, "partner-api");
    const auth = c.get("partner");
    const { pbcRefNumber, pbcTxnNumber } = c.req.valid("param");
    const { revenue } = c.req.valid("json");
    // The schema let each line through in exactly one key style, given here with camelCase keys.
    const lowerKeys = revenue.some((line) => line.keyStyle === "lower");
    const lines = revenue.map(({ lineNumber, revenueAccount, revenueAmount }) => ({ lineNumber, revenueAccount, revenueAmount }));
    const result = await updateRevenue(d, auth, pbcRefNumber, pbcTxnNumber, lines, c.req.valid("query").keys);
    switch (result.kind) {
      case "updated":
        return c.json(result.payment, 200);
      case "not-found":
        return c.json(NOT_FOUND, 404);
      case "conflict":
        return c.json({ error: "conflict", message: result.message }, 409);
      case "invalid":
        return c.json(
          {
            error: "validation_failed" as const,
            message: "The revenue lines are not valid",
            // Messages name the keys the partner sent.
            fields: lowerKeys ? lowerCaseFieldNames(result.fields) : result.fields,
          },
          400,
        );
    }
  });

  api.openapi(searchPaymentsRoute, async (c) => {
    const query = c.req.valid("query");
    const result = await searchPayments(
      deps(c, "partner-api"),
      c.get("partner"),
      {
        by: query.by ?? "trnDate",
        from: query.from ?? null,
        to: query.to ?? null,
        status: query.status ?? null,
        limit: query.limit === undefined ? 50 : Number(query.limit),
        cursor: query.cursor ?? null,
      },
      query.keys,
    );
    if (!result.ok)
      return c.json({ error: "validation_failed" as const, message: "The search is not valid", fields: result.fields }, 400);
    const body =
      result.style === "camel"
        ? { payments: result.payments, nextCursor: result.nextCursor }
        : { payments: result.payments, nextcursor: result.nextCursor };
    return c.json(body, 200);
  });

  registerRefundRoutes(api);

  api.get("/openapi.json", (c) =>
    c.json(
      documentD1Bookmark(
        api.getOpenAPI31Document({
          openapi: "3.1.0",
          info: {
            title: "PayBC direct sale: partner web service",
            version: "1.0.0",
            description:
              "Query payments and correct their revenue coding. Authenticate with OAuth2 client credentials (`POST /oauth/token`), then send `Authorization: Bearer <token>`. All paths are relative to the service's base URL, by default `https://<host>/ords/cas`.",
          },
          servers: [{ url: new URL(c.req.url).origin + c.get("config").apiBasePath }],
        }),
      ),
    ),
  );

  return api;
}

/** RFC 6749's error body, with the web service's envelope field (`message`) beside it. */
function oauthError<E extends string>(error: E, description: string) {
  return { error, error_description: description, message: description };
}

function lowerCaseFieldNames(fields: Record<string, string>): Record<string, string> {
  const renamed: Record<string, string> = {};
  for (const [name, message] of Object.entries(fields)) {
    let lower = name;
    let text = message;
    for (const [camel, low] of REVENUE_LINE_KEYS) {
      lower = lower.replace(new RegExp(`\\.${camel}$`), `.${low}`);
      text = text.replaceAll(camel, low);
    }
    renamed[lower] = text;
  }
  return renamed;
}

function bearerChallenge(error: string, description: string): string {
  return `Bearer realm="paybc", error="${error}", error_description="${description}"`;
}
