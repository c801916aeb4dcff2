/** Owns `chart_of_accounts`: the accounts open for GL posting, per partner (loaded with the onboarding CLI). */
import { and, asc, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "./client.ts";
import { chartOfAccounts } from "./schema.ts";

export async function listAccounts(db: Db, pbcRefNumber: string) {
  return db
    .select()
    .from(chartOfAccounts)
    .where(eq(chartOfAccounts.pbcRefNumber, pbcRefNumber))
    .orderBy(asc(chartOfAccounts.account))
    .all();
}

/** Add or reopen/close accounts (upsert). */
export async function setAccounts(
  db: Db,
  pbcRefNumber: string,
  accounts: readonly string[],
  status: "OPEN" | "CLOSED",
): Promise<number> {
  let changed = 0;
  // 3 parameters a row: stay well under D1's 100 bound parameters per statement.
  for (let i = 0; i < accounts.length; i += 30) {
    // Stored upper case, as the ledger and the revenue lines have them.
    const rows = accounts.slice(i, i + 30).map((account) => ({ pbcRefNumber, account: account.toUpperCase(), status }));
    const result = await db
      .insert(chartOfAccounts)
      .values(rows)
      .onConflictDoUpdate({ target: [chartOfAccounts.pbcRefNumber, chartOfAccounts.account], set: { status } })
      .returning({ account: chartOfAccounts.account });
    changed += result.length;
  }
  return changed;
}

export async function removeAccount(db: Db, pbcRefNumber: string, account: string): Promise<boolean> {
  const rows = await db
    .delete(chartOfAccounts)
    .where(and(eq(chartOfAccounts.pbcRefNumber, pbcRefNumber), eq(chartOfAccounts.account, account.toUpperCase())))
    .returning({ account: chartOfAccounts.account });
  return rows.length === 1;
}

/**
 * SQL condition on a `revenue_lines` row: its account is not open in the partner's chart. A partner
 * without a chart accepts every well-formed account.
 */
export function accountNotOpenCondition(pbcRefNumber: string): SQL {
  return sql`EXISTS (SELECT 1 FROM chart_of_accounts WHERE pbc_ref_number = ${pbcRefNumber})
    AND NOT EXISTS (SELECT 1 FROM chart_of_accounts c WHERE c.pbc_ref_number = ${pbcRefNumber}
      AND c.account = revenue_lines.revenue_account AND c.status = 'OPEN')`;
}
