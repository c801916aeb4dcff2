/**
 * Where and when webhooks may be sent: the endpoint address rule, the retry schedule and
 * `Retry-After`; how long a sent notification's body is kept. Pure.
 */
import { addDays, pacificDate, pacificInstant } from "./businessTime.ts";

export const WEBHOOK_EVENT_TYPES = [
  "payment.approved",
  "payment.declined",
  "payment.cancelled",
  "payment.expired",
  "payment.posted",
  "refund.approved",
  "refund.declined",
  "refund.posted",
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
/** Sent only by `test-webhook`; never subscribed to. */
export type DeliverableEventType = WebhookEventType | "ping";

export function isWebhookEventType(value: string): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/**
 * Delays before each retry (Standard Webhooks' example schedule after the immediate first try):
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h. Ten tries in all; after the last, dead letter.
 */
export const RETRY_DELAYS_SECONDS = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400] as const;
export const MAX_ATTEMPTS = RETRY_DELAYS_SECONDS.length + 1;
/** The longest wait a Retry-After can ask for: the schedule's longest step. */
export const MAX_RETRY_AFTER_SECONDS = 86400;
/** Per attempt. */
export const DELIVERY_TIMEOUT_MS = 5000;
/** Standard Webhooks asks bodies to stay small; ours carry one payment. */
export const MAX_BODY_BYTES = 20 * 1024;

/**
 * Days a DELIVERED or CANCELLED notification keeps its signed body (WEBHOOK_BODY_RETENTION_DAYS),
 * counted from its last change; then services/outboxRetention.ts clears it (the row and its delivery
 * log stay). Such a row is never sent again, so the body only serves a partner's "what did you send
 * us?": at least a week for that, and at most a year (payments are archived after 13 months anyway).
 */
export const DEFAULT_BODY_RETENTION_DAYS = 30;
export const MIN_BODY_RETENTION_DAYS = 7;
export const MAX_BODY_RETENTION_DAYS = 365;

/** Bodies of notifications last changed before this instant are due: midnight Pacific, `days` days before today (Pacific). */
export function bodyRetentionCutoff(now: Date, days: number): Date {
  return pacificInstant(addDays(pacificDate(now), -days), 0);
}

/** The delay before the retry that follows failed attempt number `attempts` (1-based), or null after the last. */
export function retryDelaySeconds(attempts: number): number | null {
  return attempts >= 1 && attempts <= RETRY_DELAYS_SECONDS.length ? (RETRY_DELAYS_SECONDS[attempts - 1] as number) : null;
}

/**
 * Seconds a `Retry-After` header asks for (delta-seconds or an HTTP date), bounded to
 * [1 s, 24 h]; null when absent or unreadable.
 */
export function parseRetryAfter(header: string | null, now: Date): number | null {
  if (header === null) return null;
  const text = header.trim();
  let seconds: number;
  if (/^\d{1,10}$/.test(text)) seconds = Number(text);
  else {
    const at = Date.parse(text);
    if (!Number.isFinite(at) || !/[A-Za-z]/.test(text)) return null;
    seconds = Math.ceil((at - now.getTime()) / 1000);
  }
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, seconds));
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** IPv4/IPv6 literals of private, loopback, link-local and other non-public ranges. */
function isNonPublicAddress(hostname: string): boolean {
  if (
    hostname === "localhost" ||
    hostname.endsWith(".localhost") ||
    hostname.endsWith(".local") ||
    hostname.endsWith(".internal")
  )
    return true;
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(hostname);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 198 && (b === 18 || b === 19)) ||
      a >= 224
    );
  }
  // Any IPv6 literal: partners register host names; a literal is only ever a way around this rule.
  return hostname.startsWith("[");
}

/**
 * Why a webhook URL is refused, or null when it may be used. HTTPS to a public host name only;
 * plain HTTP only to loopback and only in the local environment. No credentials, no fragment.
 * Checked when the URL is set and again before every delivery (the environment may differ).
 */
export function webhookUrlProblem(text: string, environment: string): string | null {
  if (text.length > 2000) return "the URL is longer than 2000 characters";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "not an absolute URL";
  }
  if (url.username !== "" || url.password !== "") return "the URL must not carry a user name or password";
  if (url.hash !== "") return "the URL must not have a #fragment";
  const local = environment === "local";
  if (url.protocol === "http:") {
    if (local && LOOPBACK_HOSTS.has(url.hostname)) return null;
    return local ? "http is allowed only to localhost / 127.0.0.1 / [::1]" : "the URL must use https";
  }
  if (url.protocol !== "https:") return "the URL must use https";
  if (!local && isNonPublicAddress(url.hostname)) return "the URL must name a public host, not a private or loopback address";
  return null;
}
