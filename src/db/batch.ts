/**
 * Run statements as one D1 batch (one transaction). Drizzle's own batch cannot take raw `sql`
 * statements with parameters, and the conditional writes that guard payments are clearest as SQL,
 * so both kinds are turned into D1 prepared statements here.
 */
import type { SQL } from "drizzle-orm";
import { is, SQL as SQLClass } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import type { Db } from "./client.ts";

const dialect = new SQLiteSyncDialect();

export type Statement = SQL | { toSQL(): { sql: string; params: unknown[] } };

export function prepare(db: Db, statement: Statement): D1PreparedStatement {
  const query = is(statement, SQLClass) ? dialect.sqlToQuery(statement as SQL) : (statement as Exclude<Statement, SQL>).toSQL();
  return db.$client.prepare(query.sql).bind(...query.params);
}

export async function runBatch(db: Db, statements: Statement[]): Promise<D1Result[]> {
  if (statements.length === 0) return [];
  return db.$client.batch(statements.map((statement) => prepare(db, statement)));
}

export async function runStatement<T = Record<string, unknown>>(db: Db, statement: Statement): Promise<T[]> {
  const result = await prepare(db, statement).all<T>();
  return result.results;
}
