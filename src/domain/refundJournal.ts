/**
 * The reversal journal of a partner's refunds for one GL date: the payment journal turned round.
 * Each refunded revenue account is debited and the cash (clearing) account credited for the total;
 * amounts stay positive and the D/C flag carries the direction, as the ledger expects. Balanced by
 * construction, like buildJournal().
 */
import { type AccountTotal, buildJournal, type Journal, type JournalInput, toAsciiText } from "./journal.ts";

export interface ReversalInput extends Omit<JournalInput, "credits"> {
  /** Refunded amount per revenue account. */
  debits: AccountTotal[];
}

export function buildReversalJournal(input: ReversalInput): Journal {
  const { debits, ...rest } = input;
  const journal = buildJournal({ ...rest, credits: debits });
  const describe = (label: string) => toAsciiText(`${label} ${input.glDate} ${input.partnerName}`, 100);
  return {
    ...journal,
    lines: journal.lines.map((line) =>
      line.side === "C"
        ? { ...line, side: "D", description: describe("Refund") }
        : { ...line, side: "C", description: describe("Cash clearing refund") },
    ),
  };
}
