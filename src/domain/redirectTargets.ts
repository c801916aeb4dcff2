/**
 * Partner redirect allow-lists. A target is `scheme://host[:port]/path-prefix`, where the port may
 * be `*` (any). Only http(s); plain http only for loopback hosts. An open redirect on a payment
 * portal is a phishing tool, so anything not matched exactly is refused.
 */

const TARGET_PATTERN = /^(https?):\/\/([a-z0-9.-]+|\[[0-9a-f:]+\])(?::(\*|\d{1,5}))?(\/[^\s?#]*)$/i;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

export interface RedirectTarget {
  scheme: "http" | "https";
  host: string;
  port: string | "*" | null;
  pathPrefix: string;
}

export function parseRedirectTarget(target: string): RedirectTarget | string {
  const match = TARGET_PATTERN.exec(target.trim());
  if (!match) return "Redirect target must look like https://host[:port]/path (port may be *)";
  const scheme = (match[1] as string).toLowerCase() as "http" | "https";
  const host = (match[2] as string).toLowerCase();
  if (scheme === "http" && !LOOPBACK.has(host)) return "Plain http is only allowed for localhost and 127.0.0.1";
  return { scheme, host, port: match[3] ?? null, pathPrefix: match[4] as string };
}

function defaultPort(scheme: string): string {
  return scheme === "https:" ? "443" : "80";
}

/** Whitespace and control characters: URL parsers drop them silently, but they break a Location header. */
const UNSAFE_CHARACTERS = /[\s\u0000-\u001f\u007f-\u009f]/;
/** The path as written, before any parser normalises it. */
const RAW_PATH = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\\]*([^?#]*)/i;
/** Encoded "/" or "\", a literal "\", or a dot segment ("." / ".." in any encoding): the path could climb out of the prefix. */
const PATH_TRICKS = /%2f|%5c|\\|(^|\/)(\.|%2e){1,2}(\/|$)/i;

export type RedirectMatch =
  | { ok: true; target: string; url: string }
  | { ok: false; problem: "unsafe-characters" | "not-registered" };

/**
 * The registered target that allows `uri`, and the URL to store and redirect to (the parser's
 * serialisation, so what is stored is exactly what the Location header will carry). A prefix
 * matches whole path segments only: "/return" allows "/return" and "/return/x", never "/return-evil".
 */
export function matchRedirectUri(uri: string, targets: readonly string[]): RedirectMatch {
  if (UNSAFE_CHARACTERS.test(uri)) return { ok: false, problem: "unsafe-characters" };
  const rawPath = RAW_PATH.exec(uri)?.[1];
  if (rawPath === undefined || PATH_TRICKS.test(rawPath)) return { ok: false, problem: "not-registered" };
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { ok: false, problem: "not-registered" };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return { ok: false, problem: "not-registered" };
  if (url.username !== "" || url.password !== "") return { ok: false, problem: "not-registered" };
  const port = url.port === "" ? defaultPort(url.protocol) : url.port;
  const found = targets.find((text) => {
    const target = parseRedirectTarget(text);
    if (typeof target === "string") return false;
    if (`${target.scheme}:` !== url.protocol || target.host !== url.hostname.toLowerCase()) return false;
    const targetPort = target.port ?? defaultPort(`${target.scheme}:`);
    if (targetPort !== "*" && targetPort !== port) return false;
    return pathWithin(url.pathname, target.pathPrefix);
  });
  return found === undefined ? { ok: false, problem: "not-registered" } : { ok: true, target: found, url: url.href };
}

function pathWithin(path: string, prefix: string): boolean {
  if (!path.startsWith(prefix)) return false;
  return prefix.endsWith("/") || path.length === prefix.length || path[prefix.length] === "/";
}

/** The origin a form may post to on its way to this target (for CSP form-action). */
export function targetOrigin(uri: string): string | null {
  try {
    return new URL(uri).origin;
  } catch {
    return null;
  }
}
