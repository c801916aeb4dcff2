/**
 * src/db/schema.ts (Drizzle) must describe the database that migrations/*.sql build: same tables,
 * columns (name, SQL type, NOT NULL, primary key) and indexes (columns, uniqueness). The
 * migrations are applied by test/setup.ts exactly as wrangler applies them; every table exported
 * by schema.ts is compared, so new tables and migrations are covered without editing this test.
 */
import { env } from "cloudflare:test";
import { is } from "drizzle-orm";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as schema from "../src/db/schema.ts";

interface ColumnInfo {
  name: string;
  type: string;
  notnull: number;
  pk: number;
}

interface Column {
  name: string;
  type: string;
  notNull: boolean;
  primaryKey: boolean;
}

/** What an index enforces and serves; its name does not matter (a UNIQUE constraint's is generated). */
interface Index {
  unique: boolean;
  columns: string[];
}

const drizzleTables = (Object.values(schema) as unknown[])
  .filter((value): value is SQLiteTable => is(value, SQLiteTable))
  .map((table) => getTableConfig(table));

async function migratedTables(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations' ORDER BY name",
  ).all<{ name: string }>();
  return results.map((row) => row.name);
}

async function migratedColumns(table: string): Promise<Column[]> {
  const { results } = await env.DB.prepare('SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid')
    .bind(table)
    .all<ColumnInfo>();
  // Drizzle makes every primary key column NOT NULL. In SQLite an INTEGER PRIMARY KEY (the rowid)
  // can never be null; a TEXT one declared without NOT NULL could (a legacy quirk that 0001 leaves
  // open for partners and oauth_clients, whose code never writes a null key): compared as NOT NULL.
  return results.map((c) => ({
    name: c.name,
    type: c.type.toUpperCase(),
    notNull: c.notnull === 1 || c.pk > 0,
    primaryKey: c.pk > 0,
  }));
}

/** CREATE INDEX and UNIQUE constraints (not the primary key's own index). */
async function migratedIndexes(table: string): Promise<Index[]> {
  const { results } = await env.DB.prepare("SELECT name, \"unique\" FROM pragma_index_list(?) WHERE origin IN ('c', 'u')")
    .bind(table)
    .all<{ name: string; unique: number }>();
  const indexes: Index[] = [];
  for (const index of results) {
    const columns = await env.DB.prepare("SELECT name FROM pragma_index_info(?) ORDER BY seqno")
      .bind(index.name)
      .all<{ name: string }>();
    indexes.push({ unique: index.unique === 1, columns: columns.results.map((c) => c.name) });
  }
  return sortIndexes(indexes);
}

function sortIndexes(indexes: Index[]): Index[] {
  const key = (index: Index) => `${index.columns.join()}|${index.unique}`;
  return [...indexes].sort((a, b) => key(a).localeCompare(key(b)));
}

function drizzleColumns(config: ReturnType<typeof getTableConfig>): Column[] {
  const compositeKey = new Set(config.primaryKeys.flatMap((key) => key.columns.map((column) => column.name)));
  return config.columns.map((column) => ({
    name: column.name,
    type: column.getSQLType().toUpperCase(),
    notNull: column.notNull || compositeKey.has(column.name),
    primaryKey: column.primary || compositeKey.has(column.name),
  }));
}

function drizzleIndexes(config: ReturnType<typeof getTableConfig>): Index[] {
  return sortIndexes([
    ...config.indexes.map((index) => ({
      unique: index.config.unique,
      columns: index.config.columns.map((column) => ("name" in column ? column.name : "(expression)")),
    })),
    ...config.uniqueConstraints.map((constraint) => ({ unique: true, columns: constraint.columns.map((column) => column.name) })),
    ...config.columns.filter((column) => column.isUnique).map((column) => ({ unique: true, columns: [column.name] })),
  ]);
}

const byName = <T extends { name: string }>(rows: T[]) => [...rows].sort((a, b) => a.name.localeCompare(b.name));

describe("src/db/schema.ts against the migrated D1 schema", () => {
  it("declares exactly the tables the migrations create", async () => {
    expect(drizzleTables.map((table) => table.name).sort()).toEqual(await migratedTables());
  });

  it.each(drizzleTables.map((config) => [config.name, config] as const))(
    "%s: same columns (name, type, NOT NULL, primary key) and indexes",
    async (name, config) => {
      expect(byName(drizzleColumns(config))).toEqual(byName(await migratedColumns(name)));
      expect(drizzleIndexes(config)).toEqual(await migratedIndexes(name));
    },
  );
});
