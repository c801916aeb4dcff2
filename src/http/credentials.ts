/** Credentials as HTTP carries them (Authorization header formats); services get the values only. */

export type BasicCredentials = { id: string; secret: string };

/**
 * HTTP Basic client credentials: null without a header, "malformed" for a header that is not Basic
 * base64(id:secret). RFC 6749 2.3.1: id and secret are form-urlencoded before Basic encoding.
 */
export function basicCredentials(header: string | undefined): BasicCredentials | "malformed" | null {
  if (header === undefined) return null;
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (!match) return "malformed";
  let decoded: string;
  try {
    decoded = atob(match[1] as string);
  } catch {
    return "malformed";
  }
  const colon = decoded.indexOf(":");
  if (colon === -1) return "malformed";
  const formDecode = (text: string) => {
    try {
      return decodeURIComponent(text.replaceAll("+", " "));
    } catch {
      return text;
    }
  };
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  return header ? (/^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null) : null;
}
