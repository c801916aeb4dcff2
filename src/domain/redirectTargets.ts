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

/** The registered target that allows `uri` (as registered), or null when none does. */
export function matchingRedirectTarget(uri: string, targets: readonly string[]): string | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  if (url.username !== "" || url.password !== "") return null;
  const port = url.port === "" ? defaultPort(url.protocol) : url.port;
  const found = targets.find((text) => {
    const target = parseRedirectTarget(text);
    if (typeof target === "string") return false;
    if (`${target.scheme}:` !== url.protocol || target.host !== url.hostname.toLowerCase()) return false;
    const targetPort = target.port ?? defaultPort(`${target.scheme}:`);
    if (targetPort !== "*" && targetPort !== port) return false;
    return url.pathname.startsWith(target.pathPrefix);
  });
  return found ?? null;
}

/** The origin a form may post to on its way to this target (for CSP form-action). */
export function targetOrigin(uri: string): string | null {
  try {
    return new URL(uri).origin;
  } catch {
    return null;
  }
}
