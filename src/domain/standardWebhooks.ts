/**
 * Standard Webhooks 1.0 (standardwebhooks.com): the headers, signature and secret format partners'
 * verifier libraries expect. Pure: Web Crypto only (the Worker and the Node CLI both run it).
 */

export const SECRET_PREFIX = "whsec_";
/** 32 random bytes: inside the spec's 24-64 byte range. */
const SECRET_BYTES = 32;

const encoder = new TextEncoder();

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/** A new signing secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return `${SECRET_PREFIX}${toBase64(crypto.getRandomValues(new Uint8Array(SECRET_BYTES)))}`;
}

/** The HMAC key bytes of a secret, or null when it is not a `whsec_` secret of 24-64 bytes. */
export function secretKeyBytes(secret: string): Uint8Array | null {
  if (!secret.startsWith(SECRET_PREFIX)) return null;
  const bytes = fromBase64(secret.slice(SECRET_PREFIX.length));
  return bytes && bytes.length >= 24 && bytes.length <= 64 ? bytes : null;
}

/** `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>` for one secret. */
export async function signatureFor(secret: string, messageId: string, timestamp: number, body: string): Promise<string> {
  const keyBytes = secretKeyBytes(secret);
  if (!keyBytes) throw new Error("not a whsec_ signing secret");
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${messageId}.${timestamp}.${body}`));
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

/**
 * The three Standard Webhooks headers. With several secrets (a rotation's grace period) the
 * signatures are space-separated, so receivers holding either secret accept the message.
 */
export async function webhookHeaders(
  secrets: readonly string[],
  messageId: string,
  timestamp: number,
  body: string,
): Promise<Record<string, string>> {
  if (secrets.length === 0) throw new Error("no signing secret");
  const signatures = await Promise.all(secrets.map((secret) => signatureFor(secret, messageId, timestamp, body)));
  return {
    "webhook-id": messageId,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signatures.join(" "),
  };
}
