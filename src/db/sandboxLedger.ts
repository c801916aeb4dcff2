/**
 * Owns `sandbox_ledger`: the sandbox processor's own record of what it charged and returned, as a
 * real processor's transaction report shows it. Only the sandbox writes it; reconciliation reads it.
 */
import { and, desc, eq, inArray } from "drizzle-orm";
import type { Db } from "./client.ts";
import { type SandboxLedgerEntry, sandboxLedger } from "./schema.ts";

export type NewLedgerEntry = Omit<SandboxLedgerEntry, "id" | "createdAt">;

export async function recordLedgerEntry(db: Db, entry: NewLedgerEntry, now: Date): Promise<void> {
  await db.insert(sandboxLedger).values({ ...entry, createdAt: now.toISOString() });
}

/** The purchase recorded for an order number (what a report search by order number answers). */
export async function purchaseForOrder(db: Db, orderNumber: string): Promise<SandboxLedgerEntry | undefined> {
  return db
    .select()
    .from(sandboxLedger)
    .where(and(eq(sandboxLedger.orderNumber, orderNumber), eq(sandboxLedger.kind, "purchase")))
    .orderBy(desc(sandboxLedger.id))
    .limit(1)
    .get();
}

/** Every entry, oldest first (reconciliation of a sandbox environment). */
export async function listLedgerEntries(db: Db): Promise<SandboxLedgerEntry[]> {
  return db.select().from(sandboxLedger).orderBy(sandboxLedger.id).all();
}

/** The approved purchase with this processor id (what a return or void refers to). */
export async function purchaseEntry(db: Db, processorTxnId: string): Promise<SandboxLedgerEntry | undefined> {
  return db
    .select()
    .from(sandboxLedger)
    .where(
      and(eq(sandboxLedger.processorTxnId, processorTxnId), eq(sandboxLedger.kind, "purchase"), eq(sandboxLedger.approved, true)),
    )
    .limit(1)
    .get();
}

/** Approved returns and voids of a purchase, oldest first. */
export async function reversalsOfPurchase(db: Db, processorTxnId: string): Promise<SandboxLedgerEntry[]> {
  return db
    .select()
    .from(sandboxLedger)
    .where(
      and(
        eq(sandboxLedger.originalTxnId, processorTxnId),
        inArray(sandboxLedger.kind, ["return", "void"]),
        eq(sandboxLedger.approved, true),
      ),
    )
    .orderBy(sandboxLedger.id)
    .all();
}

/** The return or void recorded for a refund's order number. */
export async function refundForOrder(db: Db, orderNumber: string): Promise<SandboxLedgerEntry | undefined> {
  return db
    .select()
    .from(sandboxLedger)
    .where(and(eq(sandboxLedger.orderNumber, orderNumber), inArray(sandboxLedger.kind, ["return", "void"])))
    .orderBy(desc(sandboxLedger.id))
    .limit(1)
    .get();
}
