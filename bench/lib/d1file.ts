/**
 * The local D1 database of a bench state directory as the SQLite file it is (miniflare keeps it
 * under v3/d1/miniflare-D1DatabaseObject/<id>.sqlite), opened with node:sqlite while no portal runs
 * on it: its size (pages in use after a WAL checkpoint, and per table and index from dbstat), row
 * counts, query plans, and bulk writes for seeding.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

export function d1File(persistDir: string): string {
  const dir = join(persistDir, "v3/d1/miniflare-D1DatabaseObject");
  const files = readdirSync(dir).filter((name) => name.endsWith(".sqlite") && name !== "metadata.sqlite");
  if (files.length !== 1) throw new Error(`expected one D1 database in ${dir}, found ${files.join(", ") || "none"}`);
  return join(dir, files[0] as string);
}

/** Opens the state's D1 database; the caller closes it (and no portal may run on the state meanwhile). */
export function openD1(persistDir: string): DatabaseSync {
  const db = new DatabaseSync(d1File(persistDir));
  db.exec("PRAGMA busy_timeout = 5000");
  return db;
}

export interface DatabaseSize {
  /** page_count × page_size after a WAL checkpoint: the file's size. */
  fileBytes: number;
  /** The same without free pages: what the data and indexes occupy. */
  usedBytes: number;
  /** Bytes per table, each table's indexes included (dbstat). */
  tables: Record<string, { bytes: number; rows: number }>;
}

export function databaseSize(persistDir: string): DatabaseSize {
  const db = openD1(persistDir);
  try {
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const pragma = (name: string) => Number((db.prepare(`PRAGMA ${name}`).get() as Record<string, number>)[name]);
    const pageSize = pragma("page_size");
    const pages = pragma("page_count");
    const free = pragma("freelist_count");
    const tables: DatabaseSize["tables"] = {};
    const owners = new Map<string, string>();
    for (const row of db.prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')").all()) {
      owners.set(String(row.name), String(row.tbl_name));
    }
    for (const row of db.prepare("SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name").all()) {
      const table = owners.get(String(row.name)) ?? String(row.name);
      const entry = tables[table] ?? { bytes: 0, rows: 0 };
      entry.bytes += Number(row.bytes);
      tables[table] = entry;
    }
    for (const [table, entry] of Object.entries(tables)) {
      if (table.startsWith("sqlite_") || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(table)) continue;
      try {
        entry.rows = Number((db.prepare(`SELECT COUNT(*) AS n FROM "${table}"`).get() as { n: number }).n);
      } catch {
        // a virtual or internal table
      }
    }
    return { fileBytes: pages * pageSize, usedBytes: (pages - free) * pageSize, tables };
  } finally {
    db.close();
  }
}

/** EXPLAIN QUERY PLAN of a statement as SQLite prints it (indented tree), parameters unbound. */
export function queryPlan(db: DatabaseSync, sql: string): string[] {
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ id: number; parent: number; detail: string }>;
  const depth = new Map<number, number>([[0, -1]]);
  return rows.map((row) => {
    const level = (depth.get(row.parent) ?? -1) + 1;
    depth.set(row.id, level);
    return `${"  ".repeat(level)}${row.detail}`;
  });
}

/**
 * The plan steps that read a whole stored table rather than a range of an index. Scans of the
 * statement's own VALUES rows, a constant row, a virtual table (json_each over one column) or a
 * subquery's own rows (a CO-ROUTINE or MATERIALIZE step, e.g. a page of at most 200 ids) are not.
 */
export function fullScans(plan: readonly string[]): string[] {
  const subqueries = new Set(plan.map((line) => /^\s*(?:CO-ROUTINE|MATERIALIZE) (\S+)/.exec(line)?.[1]).filter(Boolean));
  return plan.filter((line) => {
    const scan = /^\s*SCAN (\S+)/.exec(line);
    if (!scan || subqueries.has(scan[1])) return false;
    return !/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|VALUES CLAUSE|CONSTANT ROW|VIRTUAL TABLE/.test(line);
  });
}
