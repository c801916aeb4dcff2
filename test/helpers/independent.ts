/**
 * An independent implementation of the partner side of the contract, written for the tests from
 * the contract and compatibility notes, sharing no code with src/: Python-style urlencode,
 * parse_qsl and unquote_plus, and MD5 signing/verification as deployed clients do it.
 */

export async function md5(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("MD5", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Python quote_plus, via encodeURIComponent plus the characters it leaves alone that Python does not. */
export function pyQuotePlus(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, "+");
}

export function pyUrlencode(pairs: Array<[string, string]>): string {
  return pairs.map(([k, v]) => `${pyQuotePlus(k)}=${pyQuotePlus(v)}`).join("&");
}

export function pyUnquotePlus(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, " "));
}

/** Python parse_qsl with its default keep_blank_values=False. */
export function pyParseQsl(query: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const field of query.split("&")) {
    if (!field) continue;
    const i = field.indexOf("=");
    if (i === -1) continue;
    const value = pyUnquotePlus(field.slice(i + 1));
    if (value === "") continue;
    out.push([pyUnquotePlus(field.slice(0, i)), value]);
  }
  return out;
}

/** How the deployed Python client builds a request: urlencode, then md5(unquote_plus(query) + key). */
export async function pythonClientQuery(pairs: Array<[string, string]>, apiKey: string): Promise<string> {
  const query = pyUrlencode(pairs);
  return `${query}&hashValue=${await md5(pyUnquotePlus(query) + apiKey)}`;
}

/** How the deployed TypeScript client builds a request: values not encoded at all, md5 over the raw string. */
export async function typescriptClientQuery(pairs: Array<[string, string]>, apiKey: string): Promise<string> {
  const query = pairs.map(([k, v]) => `${k}=${v}`).join("&");
  return `${query}&hashValue=${await md5(query + apiKey)}`;
}

/** How the deployed Python client verifies our redirect: dict(parse_qsl), pop hashValue, urlencode, md5. */
export async function pythonClientVerifies(location: string, apiKey: string): Promise<boolean> {
  const query = location.slice(location.indexOf("?") + 1).split("#")[0] ?? "";
  const args = new Map(pyParseQsl(query));
  const received = args.get("hashValue");
  args.delete("hashValue");
  return received === (await md5(pyUrlencode([...args.entries()]) + apiKey));
}

/** How the deployed TypeScript client verifies: raw query up to &hashValue=, first "+" made a space. */
export async function typescriptClientVerifies(location: string, apiKey: string): Promise<boolean> {
  const query = location.slice(location.indexOf("?") + 1);
  const at = query.indexOf("&hashValue=");
  const signed = query.slice(0, at).replace("+", " ");
  return query.slice(at + "&hashValue=".length) === (await md5(signed + apiKey));
}

export function responseParams(location: string): Map<string, string> {
  const query = location.slice(location.indexOf("?") + 1);
  return new Map(
    query.split("&").map((field) => {
      const i = field.indexOf("=");
      return [pyUnquotePlus(field.slice(0, i)), pyUnquotePlus(field.slice(i + 1))] as [string, string];
    }),
  );
}

/** Today's date in America/Vancouver, computed without the code under test. */
export function pacificToday(at = new Date()): string {
  return new Intl.DateTimeFormat("en-CA", {
    timeZone: "America/Vancouver",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
  }).format(at);
}

export { findCardNumbers } from "./cardScan.ts";
