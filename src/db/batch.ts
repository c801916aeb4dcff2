/**
 * Run statements as one D1 batch (one transaction). Drizzle's own batch cannot take raw `sql`
 * statements with parameters, and the conditional writes that guard payments are clearest as SQL,
 * so both kinds are turned into D1 prepared statements here.
 */
import type { InferSelectModel, SQL, Table } from "drizzle-orm";
import { getTableColumns, is, SQL as SQLClass } from "drizzle-orm";
import { SQLiteSyncDialect } from "drizzle-orm/sqlite-core";
import type { Db } from "./client.ts";

const dialect = new SQLiteSyncDialect();

export type Statement = SQL | { toSQL(): { sql: string; params: unknown[] } } | ObservedStatement;

/** A statement that is told its own result once its batch has run (see `observed`). */
export interface ObservedStatement {
  toSQL(): { sql: string; params: unknown[] };
  observe(result: D1Result): void;
}

/** `statement`, reporting its result to `observe` when run by `runBatch` (not called if the batch fails). */
export function observed(statement: SQL, observe: (result: D1Result) => void): ObservedStatement {
  const query = dialect.sqlToQuery(statement);
  return { toSQL: () => query, observe };
}

export function prepare(db: Db, statement: Statement): D1PreparedStatement {
  const query = is(statement, SQLClass) ? dialect.sqlToQuery(statement as SQL) : (statement as Exclude<Statement, SQL>).toSQL();
  return db.$client.prepare(query.sql).bind(...query.params);
}

export async function runBatch(db: Db, statements: Statement[]): Promise<D1Result[]> {
  if (statements.length === 0) return [];
  const results = await db.$client.batch(statements.map((statement) => prepare(db, statement)));
  statements.forEach((statement, index) => {
    const result = results[index];
    if (result && "observe" in statement) statement.observe(result);
  });
  return results;
}

export async function runStatement<T = Record<string, unknown>>(db: Db, statement: Statement): Promise<T[]> {
  const result = await prepare(db, statement).all<T>();
  return result.results;
}

/**
 * The rows of a `db.select().from(table)` statement run in a raw batch, mapped as drizzle maps them
 * (column names to field names, each column's own decoding, e.g. booleans).
 */
export function tableRows<T extends Table>(table: T, result: D1Result | undefined): InferSelectModel<T>[] {
  const columns = Object.entries(getTableColumns(table));
  return ((result?.results ?? []) as Array<Record<string, unknown>>).map((row) => {
    const mapped: Record<string, unknown> = {};
    for (const [field, column] of columns) {
      const value = row[column.name];
      mapped[field] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
    }
    return mapped as InferSelectModel<T>;
  });
}
