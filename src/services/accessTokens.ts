/**
 * OAuth2 client-credentials tokens for the partner web service: HMAC-SHA256 signed, bound to one
 * partner, expiring. Stateless, so checking one costs no D1 query beyond the partner's status.
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
  iat: number;
  exp: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function issueToken(signingKey: string, clientId: string, pbcRefNumber: string, now: Date): Promise<string> {
  const iat = Math.floor(now.getTime() / 1000);
  const claims: TokenClaims = { sub: clientId, ref: pbcRefNumber, iat, exp: iat + TOKEN_LIFETIME_SECONDS };
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
  secretSalt: string;
  secretHash: string;
  previousSecretSalt: string | null;
  previousSecretHash: string | null;
  previousValidUntil: string | null;
}

/** The current secret, or the previous one during its rotation grace period. */
export async function clientSecretMatches(client: StoredClient, secret: string, now: Date): Promise<boolean> {
  const current = constantTimeEqual(await hashClientSecret(client.secretSalt, secret), client.secretHash);
  const previousValid =
    client.previousSecretSalt !== null &&
    client.previousSecretHash !== null &&
    client.previousValidUntil !== null &&
    Date.parse(client.previousValidUntil) > now.getTime();
  const previous = previousValid
    ? constantTimeEqual(await hashClientSecret(client.previousSecretSalt as string, secret), client.previousSecretHash as string)
    : false;
  return current || previous;
}
