/**
 * The partner contract's MD5 signature: hashValue = md5_hex(S + apiKey), S being the query
 * string before "&hashValue=". MD5 is kept only because deployed partners depend on it.
 */
import { bytesToHex } from "../lib/encoding.ts";
import { unquotePlus } from "./urlencoding.ts";

const encoder = new TextEncoder();
const HASH_PATTERN = /^[0-9a-fA-F]{32}$/;

export async function md5Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("MD5", encoder.encode(text));
  return bytesToHex(new Uint8Array(digest));
}

/** Constant-time string comparison (lengths compared first, as timingSafeEqual requires). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  if (left.byteLength !== right.byteLength) return false;
  return crypto.subtle.timingSafeEqual(left, right);
}

export type SignedQuery = { ok: true; signedPart: string; hashValue: string } | { ok: false; problem: string };

/** Locate the signature in a raw query string and refuse anything it does not cover. */
export function splitSignedQuery(rawQuery: string): SignedQuery {
  const marker = "&hashValue=";
  const at = rawQuery.indexOf(marker);
  if (at === -1) {
    if (rawQuery.startsWith("hashValue=")) {
      return { ok: false, problem: "hashValue must be the last parameter, after the parameters it signs." };
    }
    return { ok: false, problem: "The request is not signed: hashValue is missing." };
  }
  if (rawQuery.indexOf(marker, at + 1) !== -1) {
    return { ok: false, problem: "hashValue is given more than once." };
  }
  const hashValue = rawQuery.slice(at + marker.length);
  if (hashValue.includes("&")) {
    return {
      ok: false,
      problem: "Parameters after hashValue are not covered by the signature: hashValue must be the last parameter.",
    };
  }
  const signedPart = rawQuery.slice(0, at);
  if (signedPart === "") return { ok: false, problem: "The request has no parameters before hashValue." };
  return { ok: true, signedPart, hashValue };
}

/**
 * Index of the key for which hashValue matches md5(S + key), S being the signed part as received
 * or its unquote_plus-decoded form (deployed clients hash the latter); -1 when none matches.
 */
export async function verifyRequestSignature(signedPart: string, hashValue: string, apiKeys: readonly string[]): Promise<number> {
  const received = unquotePlus(hashValue).trim().toLowerCase();
  if (!HASH_PATTERN.test(received)) return -1;
  const forms = new Set([signedPart, unquotePlus(signedPart)]);
  let matched = -1;
  // Every candidate is computed and compared, so timing does not reveal which form or key matched.
  for (const [index, key] of apiKeys.entries()) {
    for (const form of forms) {
      if (constantTimeEqual(await md5Hex(form + key), received) && matched === -1) matched = index;
    }
  }
  return matched;
}

/** Append the signature to an already-encoded query string. */
export async function signQuery(query: string, apiKey: string): Promise<string> {
  return `${query}&hashValue=${await md5Hex(query + apiKey)}`;
}
