/**
 * Finance staff access to journal downloads. In production the gate is Cloudflare Access: its JWT
 * (Cf-Access-Jwt-Assertion) is verified against the team's signing keys, audience and issuer. Where
 * Access is not configured (local use), a finance token held as a secret is required instead.
 * A partner's OAuth token never opens these routes.
 */

import type { Db } from "../db/client.ts";
import { deleteFinanceSession, financeSessionActive, insertFinanceSession } from "../db/financeSessions.ts";
import { constantTimeEqual } from "../domain/signature.ts";
import { base64UrlToBytes, randomToken, sha256Hex } from "../lib/crypto.ts";

export interface Jwk {
  kid: string;
  kty: string;
  n: string;
  e: string;
  alg?: string;
}

export type FinanceIdentity = { ok: true; who: string } | { ok: false; reason: string };

const decoder = new TextDecoder();

function decodeJson<T>(part: string): T | null {
  try {
    return JSON.parse(decoder.decode(base64UrlToBytes(part))) as T;
  } catch {
    return null;
  }
}

/** Verify a Cloudflare Access JWT (RS256) against the team's keys. Pure apart from WebCrypto. */
export async function verifyAccessJwt(
  token: string,
  options: { keys: readonly Jwk[]; audience: string; issuer: string; now: Date },
): Promise<FinanceIdentity> {
  const parts = token.split(".");
  if (parts.length !== 3) return { ok: false, reason: "malformed token" };
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodeJson<{ alg?: string; kid?: string }>(headerPart);
  const payload = decodeJson<{
    aud?: string | string[];
    iss?: string;
    exp?: number;
    nbf?: number;
    email?: string;
    sub?: string;
    common_name?: string;
  }>(payloadPart);
  if (!header || !payload) return { ok: false, reason: "malformed token" };
  if (header.alg !== "RS256") return { ok: false, reason: "unexpected algorithm" };
  const jwk = options.keys.find((key) => key.kid === header.kid);
  if (!jwk) return { ok: false, reason: "unknown signing key" };
  const key = await crypto.subtle.importKey(
    "jwk",
    { kty: jwk.kty, n: jwk.n, e: jwk.e, alg: "RS256", ext: true },
    { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
    false,
    ["verify"],
  );
  let signature: Uint8Array;
  try {
    signature = base64UrlToBytes(signaturePart);
  } catch {
    return { ok: false, reason: "malformed signature" };
  }
  const valid = await crypto.subtle.verify(
    "RSASSA-PKCS1-v1_5",
    key,
    signature,
    new TextEncoder().encode(`${headerPart}.${payloadPart}`),
  );
  if (!valid) return { ok: false, reason: "bad signature" };
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (!audiences.includes(options.audience)) return { ok: false, reason: "wrong audience" };
  if (payload.iss !== options.issuer) return { ok: false, reason: "wrong issuer" };
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  if (typeof payload.exp !== "number" || payload.exp <= nowSeconds) return { ok: false, reason: "expired" };
  if (typeof payload.nbf === "number" && payload.nbf > nowSeconds + 60) return { ok: false, reason: "not yet valid" };
  return { ok: true, who: payload.email ?? payload.common_name ?? payload.sub ?? "access-user" };
}

export function accessIssuer(teamDomain: string): string {
  const trimmed = teamDomain.replace(/\/+$/, "");
  return trimmed.startsWith("http") ? trimmed : `https://${trimmed}`;
}

let cachedKeys: { issuer: string; keys: Jwk[]; fetchedAt: number } | null = null;

/** The team's public signing keys (cached for an hour; Access rotates them with overlap). */
export async function accessKeys(issuer: string, now: Date, fetcher: typeof fetch = fetch): Promise<Jwk[]> {
  if (cachedKeys && cachedKeys.issuer === issuer && now.getTime() - cachedKeys.fetchedAt < 3_600_000) return cachedKeys.keys;
  const response = await fetcher(`${issuer}/cdn-cgi/access/certs`);
  if (!response.ok) throw new Error(`Access certs answered ${response.status}`);
  const body = (await response.json()) as { keys?: Jwk[] };
  cachedKeys = { issuer, keys: body.keys ?? [], fetchedAt: now.getTime() };
  return cachedKeys.keys;
}

export function financeTokenMatches(expected: string, presented: string | undefined): boolean {
  if (!expected || !presented) return false;
  return constantTimeEqual(presented, expected);
}

// ---------------------------------------------------------------- finance token sign-in (no Access)

/** A finance sign-in lasts an hour; signing out ends it at once. */
export const FINANCE_SESSION_SECONDS = 3600;

/**
 * Whether the finance token may be used at all: only where Cloudflare Access is not configured, and
 * outside the local environment only when explicitly enabled (FINANCE_TOKEN_FALLBACK=true).
 */
export function financeTokenAllowed(settings: { environment: string; accessConfigured: boolean; fallbackEnabled: boolean }) {
  if (settings.accessConfigured) return false;
  return settings.environment === "local" || settings.fallbackEnabled;
}

/** Start a session for a correct finance token: a random token for the cookie, only its hash stored. */
export async function startFinanceSession(
  db: Db,
  expectedToken: string,
  presented: string,
  sourceIp: string | null,
  now: Date,
): Promise<string | null> {
  if (!financeTokenMatches(expectedToken, presented)) return null;
  const sessionToken = randomToken();
  await insertFinanceSession(
    db,
    { sessionHash: await sha256Hex(sessionToken), expiresAt: new Date(now.getTime() + FINANCE_SESSION_SECONDS * 1000), sourceIp },
    now,
  );
  return sessionToken;
}

export async function financeSessionValid(db: Db, sessionToken: string | undefined, now: Date): Promise<boolean> {
  if (!sessionToken || !/^[A-Za-z0-9_-]{20,64}$/.test(sessionToken)) return false;
  return financeSessionActive(db, await sha256Hex(sessionToken), now);
}

export async function endFinanceSession(db: Db, sessionToken: string | undefined): Promise<void> {
  if (sessionToken) await deleteFinanceSession(db, await sha256Hex(sessionToken));
}
