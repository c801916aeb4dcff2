/**
 * Finance staff access to journal downloads. In production the gate is Cloudflare Access: its JWT
 * (Cf-Access-Jwt-Assertion) is verified against the team's signing keys, audience and issuer. Where
 * Access is not configured (local use), a finance token held as a secret is required instead.
 * A partner's OAuth token never opens these routes.
 */

import { verifyWithJwks } from "hono/jwt";
import type { HonoJsonWebKey } from "hono/utils/jwt/jws";
import { decodeHeader } from "hono/utils/jwt/jwt";
import {
  JwtAlgorithmMismatch,
  JwtAlgorithmNotAllowed,
  JwtPayloadRequiresAud,
  JwtTokenAudience,
  JwtTokenIssuer,
  JwtTokenSignatureMismatched,
} from "hono/utils/jwt/types";
import type { Db } from "../db/client.ts";
import { deleteFinanceSession, financeSessionExpiry, insertFinanceSession } from "../db/financeSessions.ts";
import { constantTimeEqual } from "../domain/signature.ts";
import { randomToken, sha256Hex } from "../lib/crypto.ts";

export interface Jwk {
  kid: string;
  kty: string;
  n: string;
  e: string;
  alg?: string;
}

export type FinanceIdentity = { ok: true; who: string } | { ok: false; reason: string };

/** Why hono's verification refused a token, in the words the audit log uses. */
function refusal(error: unknown): string {
  if (error instanceof JwtTokenAudience || error instanceof JwtPayloadRequiresAud) return "wrong audience";
  if (error instanceof JwtTokenIssuer) return "wrong issuer";
  if (error instanceof JwtTokenSignatureMismatched) return "bad signature";
  if (error instanceof JwtAlgorithmNotAllowed || error instanceof JwtAlgorithmMismatch) return "unexpected algorithm";
  return "malformed token";
}

/**
 * Verify a Cloudflare Access JWT (RS256) against the team's keys with hono's JWKS verification
 * (key by kid, algorithm, signature, issuer, audience). Expiry and not-before are checked here
 * against the caller's clock, with 60 s of leeway for not-before.
 */
export async function verifyAccessJwt(
  token: string,
  options: { keys: readonly Jwk[]; audience: string; issuer: string; now: Date },
): Promise<FinanceIdentity> {
  let kid: string | undefined;
  try {
    kid = decodeHeader(token).kid;
  } catch {
    return { ok: false, reason: "malformed token" };
  }
  if (!options.keys.some((key) => key.kid === kid)) return { ok: false, reason: "unknown signing key" };
  let payload: Awaited<ReturnType<typeof verifyWithJwks>>;
  try {
    payload = await verifyWithJwks(token, {
      keys: options.keys as HonoJsonWebKey[],
      allowedAlgorithms: ["RS256"],
      verification: { iss: options.issuer, aud: options.audience, exp: false, nbf: false, iat: false },
    });
  } catch (error) {
    return { ok: false, reason: refusal(error) };
  }
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  if (typeof payload.exp !== "number" || payload.exp <= nowSeconds) return { ok: false, reason: "expired" };
  if (typeof payload.nbf === "number" && payload.nbf > nowSeconds + 60) return { ok: false, reason: "not yet valid" };
  const claim = (name: string) => (typeof payload[name] === "string" ? (payload[name] as string) : undefined);
  return { ok: true, who: claim("email") ?? claim("common_name") ?? claim("sub") ?? "access-user" };
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

/** When the session of this cookie value ends (ISO UTC), or null when it is not an active session. */
export async function financeSessionEnds(db: Db, sessionToken: string | undefined, now: Date): Promise<string | null> {
  if (!sessionToken || !/^[A-Za-z0-9_-]{20,64}$/.test(sessionToken)) return null;
  return financeSessionExpiry(db, await sha256Hex(sessionToken), now);
}

export async function endFinanceSession(db: Db, sessionToken: string | undefined): Promise<void> {
  if (sessionToken) await deleteFinanceSession(db, await sha256Hex(sessionToken));
}
