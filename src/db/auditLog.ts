/** Owns `audit_log`: security-relevant events (PCI DSS 10.2). Never card data or secrets. */
import { and, desc, eq, gte, lte, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { auditLog } from "./schema.ts";

export interface AuditEntry {
  actor: string;
  action: string;
  target?: string | null;
  outcome: "success" | "failure";
  sourceIp?: string | null;
  requestId?: string | null;
  detail?: Record<string, unknown> | null;
}

export function recordAuditQuery(db: Db, entry: AuditEntry, now: Date) {
  return db.insert(auditLog).values({
    occurredAt: now.toISOString(),
    actor: entry.actor,
    action: entry.action,
    target: entry.target ?? null,
    outcome: entry.outcome,
    sourceIp: entry.sourceIp ?? null,
    requestId: entry.requestId ?? null,
    detail: entry.detail ? JSON.stringify(entry.detail) : null,
  });
}

export async function recordAudit(db: Db, entry: AuditEntry, now: Date): Promise<void> {
  await recordAuditQuery(db, entry, now);
}

export interface AuditQuery {
  from?: string;
  to?: string;
  action?: string;
  target?: string;
  limit?: number;
}

export async function queryAudit(db: Db, query: AuditQuery) {
  const conditions: SQL[] = [];
  if (query.from) conditions.push(gte(auditLog.occurredAt, query.from));
  if (query.to) conditions.push(lte(auditLog.occurredAt, query.to));
  if (query.action) conditions.push(eq(auditLog.action, query.action));
  if (query.target) conditions.push(eq(auditLog.target, query.target));
  return db
    .select()
    .from(auditLog)
    .where(conditions.length ? and(...conditions) : undefined)
    .orderBy(desc(auditLog.id))
    .limit(Math.min(query.limit ?? 100, 1000))
    .all();
}

/** Every action in the log with how often and when it last happened (support's list of action names). */
export async function auditActions(db: Db) {
  return db
    .select({ action: auditLog.action, count: sql<number>`count(*)`, last: sql<string>`max(${auditLog.occurredAt})` })
    .from(auditLog)
    .groupBy(auditLog.action)
    .orderBy(auditLog.action)
    .all();
}
