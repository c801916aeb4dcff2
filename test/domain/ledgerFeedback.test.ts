import { describe, expect, it } from "vitest";
import { buildJournal, type Journal } from "../../src/domain/journal.ts";
import {
  feedbackFileName,
  ledgerFileKind,
  parseFeedback,
  renderFeedbackBatch,
  type SentFile,
  settleBatch,
} from "../../src/domain/ledgerFeedback.ts";
import { ledgerJournalName, renderFeederFile } from "../../src/domain/ledgerFeeder.ts";

const CASH = "039.18ACE.10001.8928.1800000.000000.0000";
const A1 = "039.18ACE.14691.8928.1800000.000000.0000";
const A2 = "039.18ACE.14692.8928.1800000.000000.0000";

function journal(lineStyle: "summary" | "pairs" = "summary"): Journal {
  return buildJournal({
    pbcRefNumber: "10006",
    partnerName: "Demo Ministry",
    glDate: "2026-01-15",
    sequence: 1,
    cashAccount: CASH,
    credits: [
      { account: A1, amountCents: 7_500, lineCount: 3 },
      { account: A2, amountCents: 2_500, lineCount: 3 },
    ],
    journalName: ledgerJournalName("PB", 7),
    lineStyle,
  });
}

function sent(j = journal()): { file: SentFile; text: string } {
  const text = renderFeederFile(j, {
    feederNumber: "3535",
    batchNumber: 7,
    ministryPrefix: "PB",
    batchType: "GA",
    createdAt: new Date("2026-01-16T09:00:00Z"),
  });
  return { file: { batchNumber: 7, batchType: "GA", journal: j }, text };
}

describe("ledger file names", () => {
  it("FEEDBACK.* and ACK.* are ledger files; triggers and anything else are not", () => {
    expect(ledgerFileKind("FEEDBACK.F3535.20251201214139")).toBe("FEEDBACK");
    expect(ledgerFileKind("ledger-inbox/ACK.F3535.20251201214139")).toBe("ACK");
    expect(ledgerFileKind("FEEDBACK.F3535.20251201214139.TRG")).toBeNull();
    expect(ledgerFileKind("INBOX.F3535.20251201214139")).toBeNull();
    expect(ledgerFileKind("notes.txt")).toBeNull();
    expect(feedbackFileName("3535", new Date("2025-12-01T21:41:39Z"))).toBe("FEEDBACK.F3535.20251201214139");
  });
});

describe("parsing the ledger's feedback records", () => {
  it("reads every field at the reference's offsets", () => {
    const { text } = sent();
    const feedback = renderFeedbackBatch(text, {
      lines: new Map([[2, { code: "1117", message: "Distribution ACK is invalid" }]]),
    });
    const lines = feedback.split("\n").filter(Boolean);
    expect(lines.map((line) => line.slice(0, 4))).toEqual(["GABG", "GABH", "GAJH", "GAJD", "GAJD", "GAJD", "GABT"]);
    expect(lines[0]?.slice(15, 24)).toBe("000000007");
    expect(lines[2]?.slice(7, 17)).toBe("PB00000007");
    expect(lines[3]?.slice(315, 319)).toBe("0000");

    const { batches, problems } = parseFeedback(feedback);
    expect(problems).toEqual([]);
    expect(batches).toHaveLength(1);
    const [batch] = batches;
    expect(batch).toMatchObject({ batchType: "GA", batchNumber: 7, header: { code: "0000", message: "" } });
    expect(batch?.journals).toEqual([{ journalName: "PB00000007", amount: "000000000100.00", code: "0000", message: "" }]);
    expect(batch?.lines[1]).toEqual({
      journalName: "PB00000007",
      lineNumber: 2,
      effectiveDate: "20260115",
      glClient: "039",
      amount: "000000000025.00",
      side: "C",
      flowThrough: "10006-20260115-001-00002",
      code: "1117",
      message: "Distribution ACK is invalid",
    });
  });

  it("reports records outside a batch and unknown record types instead of guessing", () => {
    const { problems } = parseFeedback("GAJD   x\nGABG   \nGAZZ   \n");
    expect(problems.join("; ")).toContain("outside a batch");
    expect(problems.join("; ")).toContain('unknown record type "ZZ"');
    expect(problems.join("; ")).toContain("ends inside a batch");
  });
});

describe("settling a batch from its feedback", () => {
  const settle = (j: Journal, decisions: Parameters<typeof renderFeedbackBatch>[1]) => {
    const { file, text } = sent(j);
    const [batch] = parseFeedback(renderFeedbackBatch(text, decisions)).batches;
    if (!batch) throw new Error("no batch");
    return settleBatch(file, batch);
  };

  it("all lines 0000: every account accepted", () => {
    expect(settle(journal(), {})).toEqual({ kind: "settled", accepted: [A1, A2], rejections: [] });
  });

  it("one credit rejected: that account rejected with the ledger's message, the other accepted", () => {
    const result = settle(journal(), { lines: new Map([[2, { code: "1117", message: "Distribution ACK is invalid" }]]) });
    expect(result).toEqual({
      kind: "settled",
      accepted: [A1],
      rejections: [{ account: A2, code: "1117", message: "Distribution ACK is invalid", closedPeriod: false }],
    });
  });

  it("the summary debit rejected: every account rejected (pairs: only the pair's account)", () => {
    const summary = settle(journal(), { lines: new Map([[3, { code: "1200", message: "Cash account closed" }]]) });
    expect(summary.kind === "settled" && summary.rejections.map((r) => r.account)).toEqual([A1, A2]);
    const pairs = settle(journal("pairs"), { lines: new Map([[2, { code: "1200", message: "Cash account closed" }]]) });
    expect(pairs).toMatchObject({ kind: "settled", accepted: [A2], rejections: [{ account: A1 }] });
  });

  it("a batch-level rejection rejects every line; a closed period says so plainly", () => {
    expect(settle(journal(), { batch: { code: "0100", message: "Batch out of balance" } })).toEqual({
      kind: "settled",
      accepted: [],
      rejections: [{ account: null, code: "0100", message: "Batch out of balance", closedPeriod: false }],
    });
    const closed = settle(journal(), {
      lines: new Map([
        [1, { code: "1216", message: "GL Effective Date on the JV Detail is not within an open or future period" }],
      ]),
    });
    expect(closed.kind === "settled" && closed.rejections[0]).toMatchObject({
      account: A1,
      closedPeriod: true,
      message: expect.stringMatching(/^Closed GL period: the ledger refused the effective date 2026-01-15/),
    });
  });

  it("feedback that does not match what was sent is not applied", () => {
    const { file, text } = sent();
    const altered = renderFeedbackBatch(text).replace("000000000075.00C", "000000000076.00C");
    const [batch] = parseFeedback(altered).batches;
    expect(settleBatch(file, batch as never)).toMatchObject({ kind: "unmatched" });
    // A line the ledger did not answer for (and no batch- or journal-level code) stays undecided.
    const missing = renderFeedbackBatch(text)
      .split("\n")
      .filter((line) => !(line.startsWith("GAJD") && line.slice(17, 22) === "00003"))
      .join("\n");
    expect(settleBatch(file, parseFeedback(missing).batches[0] as never)).toMatchObject({ kind: "unmatched" });
  });
});
