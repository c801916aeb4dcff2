/**
 * Partner requests read through a D1 session (read replication, db/session.ts). A GET may be
 * answered by a replica: any copy, or one at least as new as the `x-d1-bookmark` the partner sends
 * back; every other method starts on the primary. Every answer carries the session's bookmark in
 * the same header, so a partner that sends it back sees its own writes (and everything it read).
 */
import type { Context, MiddlewareHandler } from "hono";
import { isBookmark, openSession } from "../db/session.ts";
import type { AppEnv } from "./types.ts";

export const BOOKMARK_HEADER = "x-d1-bookmark";

export const BOOKMARK_HELP =
  "x-d1-bookmark must be a bookmark this service returned in its x-d1-bookmark header, sent back unchanged (or left out)";

/** `refuse` answers a malformed bookmark (400) in the service's own error format. */
export function d1Session(refuse: (c: Context<AppEnv>) => Response | Promise<Response>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const sent = c.req.header(BOOKMARK_HEADER)?.trim();
    if (sent !== undefined && sent !== "" && !isBookmark(sent)) return refuse(c);
    const reads = c.req.method === "GET" || c.req.method === "HEAD";
    const session = openSession(c.env.DB, !reads ? "primary" : sent ? { bookmark: sent } : "any");
    c.set("db", session.db);
    await next();
    const bookmark = session.bookmark();
    if (bookmark !== null) c.header(BOOKMARK_HEADER, bookmark);
  };
}
