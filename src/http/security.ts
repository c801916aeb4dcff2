/**
 * Security headers for every response. HTML pages get a strict CSP with a per-response nonce;
 * form-action lists only the portal and the partner origins the page may send the browser to.
 */
import type { MiddlewareHandler } from "hono";
import { randomToken } from "../lib/crypto.ts";
import type { AppEnv } from "./types.ts";

export const CSP_REPORT_PATH = "/public/csp-report";

export function contentSecurityPolicy(nonce: string, formActionOrigins: readonly string[]): string {
  const formAction = ["'self'", ...new Set(formActionOrigins)].join(" ");
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}' 'strict-dynamic'`,
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    `form-action ${formAction}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
    `report-uri ${CSP_REPORT_PATH}`,
  ].join("; ");
}

export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("nonce", randomToken(16));
  c.set("formActionOrigins", []);
  await next();
  const headers = c.res.headers;
  headers.set("Strict-Transport-Security", "max-age=63072000; includeSubDomains");
  headers.set("X-Content-Type-Options", "nosniff");
  headers.set("Referrer-Policy", "no-referrer");
  headers.set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()");
  headers.set("Cross-Origin-Opener-Policy", "same-origin");
  headers.set("X-Frame-Options", "DENY");
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
  const type = headers.get("Content-Type") ?? "";
  if (type.startsWith("text/html") && !headers.has("Content-Security-Policy")) {
    headers.set("Content-Security-Policy", contentSecurityPolicy(c.get("nonce"), c.get("formActionOrigins")));
  } else if (!headers.has("Content-Security-Policy")) {
    headers.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  }
};
