/**
 * Security headers for every response: hono/secure-headers sets the fixed ones; HTML pages get a
 * strict CSP with a per-response nonce (hono's `secureHeadersNonce`, which pages read as `nonce`).
 * The CSP is composed after the handler because form-action lists the partner origin a page may
 * send the browser to, which only the handler knows; a handler's own CSP (the API explorer) is kept.
 */
import { createMiddleware } from "hono/factory";
import { secureHeaders } from "hono/secure-headers";
import { randomToken } from "../lib/crypto.ts";
import type { AppEnv } from "./types.ts";

const CSP_REPORT_PATH = "/public/csp-report";

function contentSecurityPolicy(nonce: string, formActionOrigins: readonly string[]): string {
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

const fixedHeaders = secureHeaders({
  strictTransportSecurity: "max-age=63072000; includeSubDomains",
  xFrameOptions: "DENY",
  referrerPolicy: "no-referrer",
  crossOriginOpenerPolicy: "same-origin",
  permissionsPolicy: { camera: [], microphone: [], geolocation: [], payment: [], usb: [], browsingTopics: [] },
});

const pageHeaders = createMiddleware<AppEnv>(async (c, next) => {
  // base64url, 128 bits: set before anything reads it, so hono's NONCE helper would reuse it too.
  const nonce = randomToken(16);
  c.set("secureHeadersNonce", nonce);
  c.set("nonce", nonce);
  c.set("formActionOrigins", []);
  await next();
  const headers = c.res.headers;
  if (!headers.has("Cache-Control")) headers.set("Cache-Control", "no-store");
  if (headers.has("Content-Security-Policy")) return;
  headers.set(
    "Content-Security-Policy",
    (headers.get("Content-Type") ?? "").startsWith("text/html")
      ? contentSecurityPolicy(nonce, c.get("formActionOrigins"))
      : "default-src 'none'; frame-ancestors 'none'",
  );
});

export const securityHeaders = [fixedHeaders, pageHeaders] as const;
