/** WebCrypto helpers shared by the Worker and the Node command-line tools (no Worker-only APIs). */
import { base64UrlToBytes, bytesToBase64Url, bytesToHex } from "./encoding.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** An unguessable token: 32 random bytes, base64url. */
export function randomToken(byteLength = 32): string {
  return bytesToBase64Url(crypto.getRandomValues(new Uint8Array(byteLength)));
}

export async function sha256Hex(text: string | Uint8Array): Promise<string> {
  const data = typeof text === "string" ? encoder.encode(text) : text;
  return bytesToHex(new Uint8Array(await crypto.subtle.digest("SHA-256", data)));
}

// Imported keys are kept per isolate: importing costs more CPU than using them.
const hmacKeys = new Map<string, Promise<CryptoKey>>();
const aesKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    hmacKeys.set(secret, key);
  }
  return key;
}

export async function hmacSign(secret: string, message: string): Promise<string> {
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(message));
  return bytesToBase64Url(new Uint8Array(signature));
}

/** HMAC verification by WebCrypto, which compares in constant time. */
export async function hmacVerify(secret: string, message: string, signature: string): Promise<boolean> {
  let bytes: Uint8Array;
  try {
    bytes = base64UrlToBytes(signature);
  } catch {
    return false;
  }
  return crypto.subtle.verify("HMAC", await hmacKey(secret), bytes, encoder.encode(message));
}

function aesKey(base64Key: string): Promise<CryptoKey> {
  let key = aesKeys.get(base64Key);
  if (!key) {
    const raw = base64UrlToBytes(base64Key.trim());
    if (raw.byteLength !== 32) return Promise.reject(new Error("API_KEY_ENCRYPTION_KEY must be base64 of exactly 32 bytes"));
    key = crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
    aesKeys.set(base64Key, key);
  }
  return key;
}

/** AES-256-GCM; output is "v1.<iv>.<ciphertext>" in base64url. `context` is bound as associated data. */
export async function encryptSecret(base64Key: string, plaintext: string, context: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
    await aesKey(base64Key),
    encoder.encode(plaintext),
  );
  return `v1.${bytesToBase64Url(iv)}.${bytesToBase64Url(new Uint8Array(ciphertext))}`;
}

// Decrypted partner API keys, per isolate: every direct sale and card payment needs one, and the
// ciphertext changes whenever a key is rotated, so an entry can never be stale. Bounded.
const decrypted = new Map<string, string>();
const DECRYPTED_MAX = 512;

export async function decryptSecret(base64Key: string, sealed: string, context: string): Promise<string> {
  const cacheKey = `${base64Key}\n${context}\n${sealed}`;
  const cached = decrypted.get(cacheKey);
  if (cached !== undefined) return cached;
  const plaintext = await decryptUncached(base64Key, sealed, context);
  if (decrypted.size >= DECRYPTED_MAX) decrypted.delete(decrypted.keys().next().value as string);
  decrypted.set(cacheKey, plaintext);
  return plaintext;
}

async function decryptUncached(base64Key: string, sealed: string, context: string): Promise<string> {
  const [version, iv, ciphertext] = sealed.split(".");
  if (version !== "v1" || !iv || !ciphertext) throw new Error("unknown secret format");
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: base64UrlToBytes(iv), additionalData: encoder.encode(context) },
    await aesKey(base64Key),
    base64UrlToBytes(ciphertext),
  );
  return decoder.decode(plaintext);
}

/** Salted SHA-256 for high-entropy generated secrets (OAuth client secrets). */
export async function hashClientSecret(salt: string, secret: string): Promise<string> {
  return sha256Hex(`${salt}:${secret}`);
}
