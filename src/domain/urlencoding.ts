/**
 * Query-string encoding exactly as Python's urllib.parse does it, because deployed partner
 * clients verify our redirects by re-encoding the parameters with `urlencode` and sign their
 * requests over `unquote_plus` of what they send.
 */

const UNRESERVED = /^[A-Za-z0-9_.\-~]$/;
const encoder = new TextEncoder();
// ignoreBOM keeps a leading U+FEFF, as Python does.
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/** Python `quote_plus`: space -> "+", A-Za-z0-9_.-~ kept, every other UTF-8 byte -> %XX (upper case). */
export function quotePlus(value: string): string {
  let out = "";
  for (const char of value) {
    if (char === " ") out += "+";
    else if (UNRESERVED.test(char)) out += char;
    else {
      for (const byte of encoder.encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  return out;
}

/** Python `urlencode` of ordered pairs. */
export function urlencode(pairs: ReadonlyArray<readonly [string, string]>): string {
  return pairs.map(([key, value]) => `${quotePlus(key)}=${quotePlus(value)}`).join("&");
}

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 65 && code <= 70) return code - 55;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/**
 * Python `unquote_plus`: "+" -> space, then %XX -> byte; malformed escapes are kept as they are,
 * bytes are decoded as UTF-8 with replacement characters (never throws, unlike decodeURIComponent).
 */
export function unquotePlus(value: string): string {
  const text = value.replaceAll("+", " ");
  if (!text.includes("%")) return text;
  const bytes: number[] = [];
  for (const byte of encoder.encode(text)) bytes.push(byte);
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i] as number;
    if (byte === 37 && i + 2 < bytes.length) {
      const high = hexValue(bytes[i + 1] as number);
      const low = hexValue(bytes[i + 2] as number);
      if (high >= 0 && low >= 0) {
        out.push(high * 16 + low);
        i += 2;
        continue;
      }
    }
    out.push(byte);
  }
  return decoder.decode(new Uint8Array(out));
}

/** Split a raw query string into decoded (key, value) pairs in order, keeping blank values. */
export function parseQuery(rawQuery: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (rawQuery === "") return pairs;
  for (const field of rawQuery.split("&")) {
    if (field === "") continue;
    const eq = field.indexOf("=");
    const key = eq === -1 ? field : field.slice(0, eq);
    const value = eq === -1 ? "" : field.slice(eq + 1);
    pairs.push([unquotePlus(key), unquotePlus(value)]);
  }
  return pairs;
}
