/**
 * D1 read replication through the Sessions API. A session's queries are sequentially consistent:
 * reads may come from a replica, but never from one older than what the session already read or
 * wrote, and writes always go to the primary. A session's bookmark, carried to a later session,
 * makes that one at least as new: this is how a partner reads its own writes.
 */
import { drizzle } from "drizzle-orm/d1";
import type { Db } from "./client.ts";

/** A D1 bookmark as D1 hands them out: four hex groups, e.g. 0000011b-00000004-00005006-49a34bb2… (32). */
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

export function isBookmark(text: string): boolean {
  return BOOKMARK.test(text);
}

/** Where a session starts: the primary, any copy, or a copy at least as new as a bookmark. */
export type SessionStart = "primary" | "any" | { bookmark: string };

export interface DbSession {
  db: Db;
  /** The bookmark of the newest state this session read or wrote; null before its first query. */
  bookmark(): string | null;
}

export function openSession(d1: D1Database, start: SessionStart): DbSession {
  const session = d1.withSession(
    start === "primary" ? "first-primary" : start === "any" ? "first-unconstrained" : start.bookmark,
  );
  return { db: drizzle(sessionAsDatabase(session, d1)), bookmark: () => session.getBookmark() };
}

/**
 * drizzle's D1 driver takes a D1Database and calls only `prepare` and `batch`, which a session has;
 * the rest of the binding's interface does not exist in a session and says so.
 */
function sessionAsDatabase(session: D1DatabaseSession, d1: D1Database): D1Database {
  return {
    prepare: (query: string) => session.prepare(query),
    batch: <T = unknown>(statements: D1PreparedStatement[]) => session.batch<T>(statements),
    exec: () => Promise.reject(new Error("exec is not available in a D1 session")),
    withSession: (constraintOrBookmark?: string) => d1.withSession(constraintOrBookmark),
    dump: () => Promise.reject(new Error("dump is not available in a D1 session")),
  };
}
