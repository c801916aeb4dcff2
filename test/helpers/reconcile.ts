/** The money-integrity invariant, asserted after a suite: zero mismatches, reported as a count. */
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { database } from "../../src/db/client.ts";
import type { ProcessorCharge } from "../../src/domain/reconciliation.ts";
import { reconcileAgainst, sandboxCharges } from "../../src/services/reconciliation.ts";

/** Every transaction in D1 against the sandbox's ledger plus any test processor's own record. */
export async function expectReconciled(otherCharges: readonly ProcessorCharge[] = []): Promise<void> {
  const db = database(env.DB);
  const charges = [...(await sandboxCharges(db)), ...otherCharges];
  const report = await reconcileAgainst(db, charges);
  console.info(
    `reconciliation: ${report.transactions} transactions, ${report.journals} journals, ${report.awaitingOutcome} awaiting an outcome, ${report.mismatches.length} mismatches`,
  );
  expect(report.mismatches).toEqual([]);
  expect(report.transactions).toBeGreaterThan(0);
}
