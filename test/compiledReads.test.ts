/**
 * The partner query's reads compiled once per isolate (src/db/compiled.ts) answer exactly what the
 * query builders they are compiled from answer, for every kind of column (booleans, nullable text,
 * integers) and for several payments in a row through the same compiled SQL.
 */
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { database } from "../src/db/client.ts";
import { readBatch } from "../src/db/compiled.ts";
import { clientById, findClientQuery } from "../src/db/oauthClients.ts";
import { partnerAccessByNumber } from "../src/db/partners.ts";
import { lastAttemptOutcomeByNumber, lastAttemptOutcomeQuery } from "../src/db/paymentAttempts.ts";
import {
  refundLinesOfTransactionByNumber,
  refundLinesOfTransactionQuery,
  refundsOfTransactionByNumber,
  refundsOfTransactionQuery,
} from "../src/db/refunds.ts";
import { linesOfTransactionByNumber, linesOfTransactionQuery } from "../src/db/revenueLines.ts";
import { partners } from "../src/db/schema.ts";
import { openSession } from "../src/db/session.ts";
import { findTransactionQuery, transactionByNumber, transactionIdByNumberSql } from "../src/db/transactions.ts";
import { paidPayment, restRefund } from "./helpers/refunds.ts";

async function builderRows(ref: string, txn: string, clientId: string) {
  const db = database(env.DB);
  const id = transactionIdByNumberSql(ref, txn);
  return db.batch([
    db.select({ status: partners.status, keyStyle: partners.keyStyle }).from(partners).where(eq(partners.pbcRefNumber, ref)),
    findClientQuery(db, clientId),
    findTransactionQuery(db, ref, txn),
    linesOfTransactionQuery(db, ref, txn),
    refundsOfTransactionQuery(db, id),
    refundLinesOfTransactionQuery(db, id),
    lastAttemptOutcomeQuery(db, id),
  ]);
}

function compiledRows(db: ReturnType<typeof database>, ref: string, txn: string, clientId: string) {
  const payment = { pbcRefNumber: ref, pbcTxnNumber: txn };
  return readBatch(db, [
    partnerAccessByNumber(db, { pbcRefNumber: ref }),
    clientById(db, { clientId }),
    transactionByNumber(db, payment),
    linesOfTransactionByNumber(db, payment),
    refundsOfTransactionByNumber(db, payment),
    refundLinesOfTransactionByNumber(db, payment),
    lastAttemptOutcomeByNumber(db, payment),
  ]);
}

describe("compiled reads", () => {
  it("answer what the query builders answer, payment after payment, on the binding and in a D1 session", async () => {
    const refunded = await paidPayment();
    const response = await restRefund(
      refunded.bearer,
      refunded.partner.pbcRefNumber,
      refunded.pbcTxnNumber,
      {
        amount: "25.00",
        refundAmountAvailable: "100.00",
        lines: [{ lineNumber: "2", amount: "25.00" }],
        reason: "Duplicate application",
      },
      crypto.randomUUID(),
    );
    expect(response.status).toBe(201);
    const plain = await paidPayment({ partner: refunded.partner });

    for (const paid of [refunded, plain]) {
      const ref = paid.partner.pbcRefNumber;
      const expected = await builderRows(ref, paid.pbcTxnNumber, paid.partner.clientId);
      expect(await compiledRows(database(env.DB), ref, paid.pbcTxnNumber, paid.partner.clientId)).toEqual(expected);
      const session = openSession(env.DB, "any");
      expect(await compiledRows(session.db, ref, paid.pbcTxnNumber, paid.partner.clientId)).toEqual(expected);
      expect(session.bookmark()).not.toBeNull();
    }
    const [, , , lines, refunds, refundLines, attempts] = await compiledRows(
      database(env.DB),
      refunded.partner.pbcRefNumber,
      refunded.pbcTxnNumber,
      refunded.partner.clientId,
    );
    // The first payment's own rows, not the second's: the values are bound per call.
    expect(lines.length).toBeGreaterThan(1);
    expect(refunds).toHaveLength(1);
    expect(refundLines).toHaveLength(1);
    expect(attempts).toEqual([{ state: "APPROVED", at: expect.any(String) }]);
  });

  it("answer nothing for a payment that does not exist", async () => {
    const paid = await paidPayment();
    const [partners, clients, rows, lines, refunds, refundLines, attempts] = await compiledRows(
      database(env.DB),
      paid.partner.pbcRefNumber,
      "NO-SUCH-PAYMENT",
      paid.partner.clientId,
    );
    expect(partners).toHaveLength(1);
    expect(clients).toHaveLength(1);
    expect([rows, lines, refunds, refundLines, attempts]).toEqual([[], [], [], [], []]);
  });
});
