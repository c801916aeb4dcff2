/**
 * Reconciliation: compare every transaction in D1 (and every archived one, services/archive.ts) with the processor's own record, the signed
 * responses sent and the posted journals (domain/reconciliation.ts holds the rules). Used by the test
 * suites after their concurrency, fuzz and fault runs, and by `npm run support -- reconcile`.
 */
import { archivedFactsPage } from "../db/archive.ts";
import type { Db } from "../db/client.ts";
import { postedBatchTotals } from "../db/journalBatches.ts";
import { listLedgerEntries } from "../db/sandboxLedger.ts";
import { reconciliationFactsPage } from "../db/transactions.ts";
import { type ProcessorCharge, type ReconciliationReport, reconcile, type TransactionFacts } from "../domain/reconciliation.ts";

const PAGE = 500;

/** `charges` must be read before this is called (see reconcileSandbox). */
export async function reconcileAgainst(db: Db, charges: readonly ProcessorCharge[]): Promise<ReconciliationReport> {
  const facts: TransactionFacts[] = [];
  let after = 0;
  for (;;) {
    const page = await reconciliationFactsPage(db, after, PAGE);
    facts.push(...page);
    if (page.length < PAGE) break;
    after = (page[page.length - 1] as { id: number }).id;
  }
  // Archived payments (deleted from D1) are reconciled with the facts recorded when they were archived.
  after = 0;
  for (;;) {
    const page = await archivedFactsPage(db, after, PAGE);
    facts.push(...page.map((row) => JSON.parse(row.facts) as TransactionFacts));
    if (page.length < PAGE) break;
    after = (page[page.length - 1] as { id: number }).id;
  }
  return reconcile(facts, await postedBatchTotals(db), charges);
}

/** The sandbox processor's ledger as the processor's record (a sandbox environment). */
export async function sandboxCharges(db: Db): Promise<ProcessorCharge[]> {
  return (await listLedgerEntries(db)).map((entry) => ({
    orderNumber: entry.orderNumber,
    kind: entry.kind,
    amountCents: entry.amountCents,
    approved: entry.approved,
  }));
}

/** The ledger is read before the portal's records, so a charge made meanwhile belongs to an attempt already seen. */
export async function reconcileSandbox(db: Db): Promise<ReconciliationReport> {
  return reconcileAgainst(db, await sandboxCharges(db));
}
