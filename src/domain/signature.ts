/**
 * The partner contract's signature: hashValue = md5_hex(S + apiKey), S being the query string
 * before "&hashValue=". MD5 is kept only because deployed partners depend on it; a partner can be
 * switched to its successor, hashValue = hex HMAC-SHA256(apiKey, S), over exactly the same bytes.
 * The algorithm is the partner's setting, never the request's choice.
 */
import { bytesToHex } from "../lib/encoding.ts";
import { parseQuery, unquotePlus } from "./urlencoding.ts";

const encoder = new TextEncoder();
export type SigningAlgorithm = "MD5" | "HMAC-SHA256";
export const SIGNING_ALGORITHMS: readonly SigningAlgorithm[] = ["MD5", "HMAC-SHA256"];

/** A key and the algorithm its partner signs with. */
export interface Signer {
  key: string;
  algorithm: SigningAlgorithm;
}

const HASH_PATTERNS: Record<SigningAlgorithm, RegExp> = { MD5: /^[0-9a-f]{32}$/, "HMAC-SHA256": /^[0-9a-f]{64}$/ };

/** hashValue of `text`: md5_hex(text + key), or hex HMAC-SHA256 keyed with the API key. */
export async function signatureHex(algorithm: SigningAlgorithm, text: string, key: string): Promise<string> {
  if (algorithm === "MD5") return md5Hex(text + key);
  const hmacKey = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return bytesToHex(new Uint8Array(await crypto.subtle.sign("HMAC", hmacKey, encoder.encode(text))));
}

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

/** Which bytes a signature was computed over: the query string as received, or its unquote_plus form. */
export type SignedForm = "raw" | "decoded";

/**
 * The key for which hashValue matches md5(S + key), S being the signed part as received or its
 * unquote_plus-decoded form (deployed clients hash the latter), and which form matched; null when none.
 * The raw form is preferred: it determines the parameters without ambiguity.
 */
export async function verifyRequestSignature(
  signedPart: string,
  hashValue: string,
  apiKeys: readonly string[],
  algorithm: SigningAlgorithm = "MD5",
): Promise<{ index: number; form: SignedForm } | null> {
  const received = unquotePlus(hashValue).trim().toLowerCase();
  // An MD5 hashValue sent for an HMAC-SHA256 partner (or the reverse) never verifies.
  if (!HASH_PATTERNS[algorithm].test(received)) return null;
  const decoded = unquotePlus(signedPart);
  const forms: Array<[SignedForm, string]> =
    decoded === signedPart
      ? [["raw", signedPart]]
      : [
          ["raw", signedPart],
          ["decoded", decoded],
        ];
  let matched: { index: number; form: SignedForm } | null = null;
  // Every candidate is computed and compared, so timing does not reveal which form or key matched.
  for (const [index, key] of apiKeys.entries()) {
    for (const [form, text] of forms) {
      if (constantTimeEqual(await signatureHex(algorithm, text, key), received) && matched === null) matched = { index, form };
    }
  }
  return matched;
}

/**
 * The parameters the signature covers, or why they cannot be known. Parameters are parsed from the
 * raw query (split on raw "&" and "="). When only the decoded form verified, swapping a raw "&" or "="
 * for %26 or %3D leaves the signed text, and so the hash, unchanged while changing what is parsed;
 * so the decoded text is read as parameters too (a new one starts at "&" followed by a name and
 * "=") and both readings must agree. "Fees %26 charges" agrees ("& charges" starts no parameter);
 * a value hiding "&trnAmount=1.00" does not, and the request is refused.
 */
export function signedParameters(
  signedPart: string,
  form: SignedForm,
): { ok: true; pairs: Array<[string, string]> } | { ok: false; problem: string } {
  const pairs = parseQuery(signedPart);
  if (form === "raw") return { ok: true, pairs };
  const decodedReading = readDecoded(unquotePlus(signedPart));
  const agree =
    decodedReading.length === pairs.length &&
    pairs.every(([key, value], i) => decodedReading[i]?.[0] === key && decodedReading[i]?.[1] === value);
  if (agree) return { ok: true, pairs };
  return {
    ok: false,
    problem:
      "The request's parameters are ambiguous: a value contains an encoded '&' or '=' that makes the signed text read as other parameters. Sign the query string exactly as it is sent.",
  };
}

const DECODED_BOUNDARY = /&(?=[^&=\s]+=)/;

function readDecoded(text: string): Array<[string, string]> {
  return text.split(DECODED_BOUNDARY).map((field) => {
    const eq = field.indexOf("=");
    return eq === -1 ? [field, ""] : [field.slice(0, eq), field.slice(eq + 1)];
  });
}

/** Append the signature to an already-encoded query string. */
export async function signQuery(query: string, apiKey: string, algorithm: SigningAlgorithm = "MD5"): Promise<string> {
  return `${query}&hashValue=${await signatureHex(algorithm, query, apiKey)}`;
}
