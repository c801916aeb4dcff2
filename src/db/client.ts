import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema.ts";

type Database = ReturnType<typeof drizzle<typeof schema, D1Database>>;

// One drizzle instance per D1 binding: building it on every request showed in CPU profiles.
const instances = new WeakMap<D1Database, Database>();

export function database(d1: D1Database): Database {
  let db = instances.get(d1);
  if (!db) {
    db = drizzle(d1, { schema });
    instances.set(d1, db);
  }
  return db;
}
export type Db = Database;
