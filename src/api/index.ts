/**
 * The partner web service (OAuth2-protected), mounted at the configurable base path (default
 * /ords/cas). Handlers are thin: they translate HTTP to services/partnerApi.ts and back.
 */

import type { z } from "@hono/zod-openapi";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { AppEnv } from "../http/types.ts";
import { auditRecorder } from "../services/audit.ts";
import { authenticate, type PartnerApiDeps, queryPayment, requestToken, updateRevenue } from "../services/partnerApi.ts";
import { registerRefundRoutes } from "./refunds.ts";
import { getPaymentRoute, tokenRoute, updateRevenueRoute } from "./routes.ts";
import type { Payment } from "./schemas.ts";

// The service builds bodies from the database's types; the schema narrows them (tests check real bodies against it).
type PaymentBody = z.infer<typeof Payment>;

function deps(c: Context<AppEnv>, actor: string): PartnerApiDeps {
  const db = c.get("db");
  return {
    db,
    signingKey: c.env.TOKEN_SIGNING_KEY,
    audit: auditRecorder(db, { actor, sourceIp: c.req.header("CF-Connecting-IP") ?? null, log: c.get("log") }),
    now: new Date(),
  };
}

const NOT_FOUND = { error: "not_found", message: "No payment with this pbcRefNumber and pbcTxnNumber" } as const;

export function createPartnerApi() {
  const api = new OpenAPIHono<AppEnv>({
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

  api.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", { type: "http", scheme: "bearer" });
  api.openAPIRegistry.registerComponent("securitySchemes", "basicAuth", { type: "http", scheme: "basic" });

  api.openapi(tokenRoute, async (c) => {
    const form: Record<string, string> = {};
    const type = c.req.header("Content-Type") ?? "";
    if (type.includes("application/x-www-form-urlencoded") || type.includes("multipart/form-data")) {
      for (const [key, value] of Object.entries(await c.req.parseBody())) if (typeof value === "string") form[key] = value;
    }
    const result = await requestToken(deps(c, "partner-api"), { authorization: c.req.header("Authorization"), form });
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    if (result.ok) return c.json(result.body, 200);
    if (result.status === 401) c.header("WWW-Authenticate", 'Basic realm="paybc"');
    const body = { error: result.error, error_description: result.description };
    return result.status === 401 ? c.json(body, 401) : c.json(body, 400);
  });

  api.openapi(getPaymentRoute, async (c) => {
    const d = deps(c, "partner-api");
    const auth = await authenticate(d, c.req.header("Authorization"), c.req.valid("param"));
    if (!auth.ok) {
      c.header("WWW-Authenticate", bearerChallenge(auth.error, auth.description));
      return c.json({ error: auth.error, message: auth.description }, 401);
    }
    const { pbcRefNumber, pbcTxnNumber } = c.req.valid("param");
    const payment = await queryPayment(d, auth, pbcRefNumber, pbcTxnNumber, c.req.valid("query").keys);
    if (!payment) return c.json(NOT_FOUND, 404);
    return c.json(payment as PaymentBody, 200);
  });

  api.openapi(updateRevenueRoute, async (c) => {
    const d = deps(c, "partner-api");
    const auth = await authenticate(d, c.req.header("Authorization"));
    if (!auth.ok) {
      c.header("WWW-Authenticate", bearerChallenge(auth.error, auth.description));
      return c.json({ error: auth.error, message: auth.description }, 401);
    }
    const { pbcRefNumber, pbcTxnNumber } = c.req.valid("param");
    const { revenue } = c.req.valid("json");
    const result = await updateRevenue(d, auth, pbcRefNumber, pbcTxnNumber, revenue, c.req.valid("query").keys);
    switch (result.kind) {
      case "updated":
        return c.json(result.payment as PaymentBody, 200);
      case "not-found":
        return c.json(NOT_FOUND, 404);
      case "conflict":
        return c.json({ error: "conflict", message: result.message }, 409);
      case "invalid":
        return c.json(
          { error: "validation_failed" as const, message: "The revenue lines are not valid", fields: result.fields },
          400,
        );
    }
  });

  registerRefundRoutes(api);

  api.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: {
      title: "PayBC direct sale: partner web service",
      version: "1.0.0",
      description:
        "Query payments and correct their revenue coding. Authenticate with OAuth2 client credentials (`POST /oauth/token`), then send `Authorization: Bearer <token>`. All paths are relative to the service's base URL, by default `https://<host>/ords/cas`.",
    },
    servers: [{ url: new URL(c.req.url).origin + c.get("config").apiBasePath }],
  }));

  return api;
}

function bearerChallenge(error: string, description: string): string {
  return `Bearer realm="paybc", error="${error}", error_description="${description}"`;
}
