/**
 * Limits on what an unauthenticated client can make the portal do: body sizes (hono/body-limit) and
 * per-address rate limits (Workers Rate Limiting bindings).
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "./types.ts";

export const BODY_LIMITS = {
  /** Card form, cancel, finance sign-in: a handful of short fields. */
  publicForm: 8 * 1024,
  /** CSP violation reports. */
  cspReport: 8 * 1024,
  /** OAuth token requests: grant type and client credentials. */
  tokenRequest: 4 * 1024,
  /** Partner web service JSON (a 100-line revenue update is about 10 KB). */
  api: 64 * 1024,
} as const;

/** A body limit answering 413 as JSON (API) or as a page. */
export function limitBody<E extends AppEnv>(maxSize: number, answer: "json" | "html" = "html"): MiddlewareHandler<E> {
  return bodyLimit({
    maxSize,
    onError: (c) =>
      answer === "json"
        ? c.json({ error: "payload_too_large", message: `The request body is larger than ${maxSize} bytes` }, 413)
        : c.text(`The request is too large (over ${maxSize} bytes).`, 413),
  });
}

/** The client's address as Cloudflare reports it; null where there is none (local tools, tests). */
export function clientAddress(c: Pick<Context, "req">): string | null {
  return c.req.header("CF-Connecting-IP") ?? null;
}

/** Whether one more request under `key` is within the limiter's budget (always, without a binding). */
export async function withinLimit(limiter: RateLimit | undefined, key: string): Promise<boolean> {
  if (!limiter) return true;
  return (await limiter.limit({ key })).success;
}
