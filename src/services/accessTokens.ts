/**
 * OAuth2 client-credentials tokens for the partner web service: HMAC-SHA256 signed, bound to one
 * partner and to the generation of the client secret they were issued under, expiring. Checking one
 * reads the partner's status and the client's secret generation (one D1 round trip), so disabling
 * a partner or rotating a secret without grace revokes its tokens at once.
 */

import { constantTimeEqual } from "../domain/signature.ts";
import { hashClientSecret, hmacSign, hmacVerify } from "../lib/crypto.ts";
import { base64UrlToBytes, bytesToBase64Url } from "../lib/encoding.ts";

/** Deployed clients cache tokens for 30 minutes: an hour leaves them a margin. */
export const TOKEN_LIFETIME_SECONDS = 3600;

export interface TokenClaims {
  /** client id */
  sub: string;
  /** pbcRefNumber the token is bound to */
  ref: string;
  /** the client secret's generation when issued (tokens from before this claim existed count as 1) */
  gen?: number;
  iat: number;
  exp: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function issueToken(
  signingKey: string,
  client: { clientId: string; pbcRefNumber: string; secretGeneration: number },
  now: Date,
): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  const claims: TokenClaims = {
    sub: client.clientId,
    ref: client.pbcRefNumber,
    gen: client.secretGeneration,
    iat,
    exp: iat + TOKEN_LIFETIME_SECONDS,
  };
  const payload = bytesToBase64Url(encoder.encode(JSON.stringify(claims)));
  return `pbc1.${payload}.${await hmacSign(signingKey, `pbc1.${payload}`)}`;
}

export async function verifyToken(signingKey: string, token: string, now: Date): Promise<TokenClaims | null> {
  const parts = token.split(".");
  if (parts.length !== 3 || parts[0] !== "pbc1") return null;
  const [, payload, signature] = parts as [string, string, string];
  if (!(await hmacVerify(signingKey, `pbc1.${payload}`, signature))) return null;
  let claims: TokenClaims;
  try {
    claims = JSON.parse(decoder.decode(base64UrlToBytes(payload)));
  } catch {
    return null;
  }
  if (typeof claims.exp !== "number" || typeof claims.ref !== "string" || typeof claims.sub !== "string") return null;
  if (claims.exp <= Math.floor(now.getTime() / 1000)) return null;
  return claims;
}

export interface StoredClient {
  pbcRefNumber: string;
  secretGeneration: number;
  secretSalt: string;
  secretHash: string;
  previousSecretSalt: string | null;
  previousSecretHash: string | null;
  previousValidUntil: string | null;
}

function previousSecretValid(client: StoredClient, now: Date): boolean {
  return (
    client.previousSecretSalt !== null &&
    client.previousSecretHash !== null &&
    client.previousValidUntil !== null &&
    Date.parse(client.previousValidUntil) > now.getTime()
  );
}

/** The current secret, or the previous one during its rotation grace period. */
export async function clientSecretMatches(client: StoredClient, secret: string, now: Date): Promise<boolean> {
  const current = constantTimeEqual(await hashClientSecret(client.secretSalt, secret), client.secretHash);
  const previous = previousSecretValid(client, now)
    ? constantTimeEqual(await hashClientSecret(client.previousSecretSalt as string, secret), client.previousSecretHash as string)
    : false;
  return current || previous;
}

// An unknown client id is checked against this stand-in, so it costs the same work as a wrong secret.
const UNKNOWN_CLIENT: StoredClient = {
  pbcRefNumber: "",
  secretGeneration: 0,
  secretSalt: "unknown-client-salt",
  secretHash: "0".repeat(64),
  previousSecretSalt: null,
  previousSecretHash: null,
  previousValidUntil: null,
};

/** Check a client's secret; an unknown client does the same hashing and always fails. */
export async function clientAuthenticates(client: StoredClient | undefined, secret: string, now: Date): Promise<boolean> {
  const matches = await clientSecretMatches(client ?? UNKNOWN_CLIENT, secret, now);
  return client !== undefined && matches;
}

/**
 * Whether a token's claims still stand for this client: same partner, and issued under the current
 * secret, or under the previous one while that secret is in its grace period.
 */
export function tokenCurrent(claims: TokenClaims, client: StoredClient | undefined, now: Date): boolean {
  if (!client || client.pbcRefNumber !== claims.ref) return false;
  const gen = claims.gen ?? 1;
  if (gen === client.secretGeneration) return true;
  return gen === client.secretGeneration - 1 && previousSecretValid(client, now);
}
