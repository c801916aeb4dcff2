/**
 * Hot reads compiled once per isolate. Drizzle builds a query's SQL on every call: a select of a
 * wide table costs 100-180 µs of CPU (its entity checks walk class chains for every column), and
 * the partner query's seven reads cost about 0.9 ms a request, more than all its other work. A
 * compiled read is built once with named placeholders (drizzle's `prepare()`); each call binds its
 * values to the same SQL text and maps the rows with that prepared query's own mapper, so the rows
 * are exactly what the query builder returns.
 */
import { fillPlaceholders, type Placeholder, sql } from "drizzle-orm";
import type { Db } from "./client.ts";

/** A select builder, as the table modules write them. */
interface Select<Row> {
  prepare(): {
    getQuery(): { sql: string; params: unknown[] };
    mapAllResult(result: unknown, isFromBatch?: boolean): unknown;
  };
  all(): Promise<Row[]>;
}

/** One compiled read with its values: a statement for a batch, and how to read its rows. */
export interface BoundRead<Row> {
  statement: D1PreparedStatement;
  rows(result: D1Result): Row[];
}

/**
 * `build` is called once, given a placeholder for each of `names` where values go; the returned
 * function binds values to the compiled SQL for the given database (the binding or a D1 session).
 */
export function compiledRead<const Names extends readonly string[], Row>(
  names: Names,
  build: (db: Db, values: Record<Names[number], Placeholder>) => Select<Row>,
): (db: Db, values: Record<Names[number], unknown>) => BoundRead<Row> {
  let compiled: ReturnType<Select<Row>["prepare"]> | undefined;
  return (db, values) => {
    compiled ??= build(
      db,
      Object.fromEntries(names.map((name) => [name, sql.placeholder(name)])) as Record<Names[number], Placeholder>,
    ).prepare();
    const query = compiled.getQuery();
    const mapper = compiled;
    return {
      statement: db.$client.prepare(query.sql).bind(...fillPlaceholders(query.params, values)),
      // The prepared query maps as its own `all()` would; its type is the builder's row type.
      rows: (result) => mapper.mapAllResult(result, true) as Row[],
    };
  };
}

type RowsOf<Reads extends readonly BoundRead<unknown>[]> = {
  [K in keyof Reads]: Reads[K] extends BoundRead<infer Row> ? Row[] : never;
};

/** Compiled reads in one D1 round trip (one batch: one consistent snapshot). */
export async function readBatch<const Reads extends readonly BoundRead<unknown>[]>(db: Db, reads: Reads): Promise<RowsOf<Reads>> {
  const results = await db.$client.batch(reads.map((read) => read.statement));
  return reads.map((read, i) => read.rows(results[i] as D1Result)) as RowsOf<Reads>;
}
