import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";

/**
 * The portal's drizzle database: query builders only, no relational `db.query`, so no schema is
 * given. With a schema drizzle builds a relational map per instance (0.2-0.3 ms measured in Node),
 * which every request would pay for the D1 session it opens (db/session.ts).
 */
export type Db = DrizzleD1Database & { $client: D1Database };

// One drizzle instance per D1 binding: building it on every request showed in CPU profiles.
const instances = new WeakMap<D1Database, Db>();

export function database(d1: D1Database): Db {
  let db = instances.get(d1);
  if (!db) {
    db = drizzle(d1);
    instances.set(d1, db);
  }
  return db;
}
