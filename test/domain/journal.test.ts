import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AccountTotal,
  buildJournal,
  type JournalInput,
  journalName,
  journalObjectPrefix,
  parseJournalName,
} from "../../src/domain/journal.ts";
import {
  DETAIL_CSV_HEADER,
  DETAIL_CSV_PREAMBLE,
  type DetailRow,
  detailCsvFirstChunk,
  detailRowWriter,
  renderDetailRows,
  renderJournalCsv,
} from "../../src/domain/journalCsv.ts";
import {
  FEEDER_RECORD_FIELDS,
  feederFileInstant,
  feederFileName,
  feederTriggerFileName,
  formatFeederAmount,
  ledgerBatchName,
  ledgerJournalName,
  nextFeederFileName,
  parseLedgerJournalName,
  renderFeederFile,
} from "../../src/domain/ledgerFeeder.ts";

const CASH = "010.12345.10000.1000.1000000.000000.0000";
const GS = "\x1d";

function account(n: number): string {
  return `034.27514.${String(n).padStart(5, "0")}.1500.2600000.000000.0000`;
}

function input(overrides: Partial<JournalInput> = {}): JournalInput {
  return {
    pbcRefNumber: "10006",
    partnerName: "Demo Ministry",
    glDate: "2026-11-20",
    sequence: 1,
    cashAccount: CASH,
    credits: [
      { account: account(2), amountCents: 12_345, lineCount: 3 },
      { account: account(1), amountCents: 5_000, lineCount: 2 },
    ],
    ...overrides,
  };
}

const FEEDER = { feederNumber: "3535", batchNumber: 42, ministryPrefix: "PB", createdAt: new Date("2026-11-21T10:15:30Z") };

/** "000000012345.67" -> 1234567, independently of the code under test. */
function feederCents(text: string): number {
  expect(text).toMatch(/^\d{12}\.\d{2}$/);
  return Number(text.replace(".", ""));
}

interface FeederRecord {
  prefix: string;
  type: string;
  fields: Record<string, string>;
}

/** Split a feeder file by its documented layout, checking the framing of every record. */
function parseFeeder(file: string, feeder = "3535", batchType = "GI"): FeederRecord[] {
  expect(file.endsWith("\n")).toBe(true);
  return file
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      expect(line.startsWith(`${feeder}${batchType}`)).toBe(true);
      const type = line.slice(6, 8);
      expect(["BH", "JH", "JD", "BT"]).toContain(type);
      expect(line[8]).toBe(GS);
      expect(line.endsWith(GS)).toBe(true);
      const body = line.slice(9, -1);
      expect(body).not.toContain(GS);
      expect(body).toMatch(/^[\x20-\x7e]*$/);
      const layout = FEEDER_RECORD_FIELDS[type as keyof typeof FEEDER_RECORD_FIELDS];
      expect(body.length).toBe(layout.reduce((sum, field) => sum + field.width, 0));
      const fields: Record<string, string> = {};
      let at = 0;
      for (const field of layout) {
        fields[field.name] = body.slice(at, at + field.width);
        at += field.width;
      }
      return { prefix: line.slice(0, 6), type, fields };
    });
}

/** Minimal RFC 4180 reader written for the test (CRLF records, quoted fields). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ",") {
      row.push(field);
      field = "";
    } else if (char === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i++;
    } else {
      if (char === "\r" || char === "\n") throw new Error(`bare CR or LF outside quotes at ${i}`);
      field += char;
    }
  }
  expect(field, "file must end with CRLF").toBe("");
  expect(row).toEqual([]);
  return rows;
}

const accountArb = fc
  .tuple(
    fc.stringMatching(/^[0-9A-Z]{3}$/),
    fc.stringMatching(/^[0-9A-Z]{5}$/),
    fc.stringMatching(/^[0-9A-Z]{5}$/),
    fc.stringMatching(/^[0-9A-Z]{4}$/),
    fc.stringMatching(/^[0-9A-Z]{7}$/),
    fc.stringMatching(/^[0-9A-Z]{6}$/),
    fc.stringMatching(/^[0-9A-Z]{4}$/),
  )
  .map((parts) => parts.join("."));

const creditsArb = fc.uniqueArray(
  fc.record({
    account: accountArb,
    amountCents: fc.integer({ min: 1, max: 10_000_000_000 }),
    lineCount: fc.integer({ min: 1, max: 100_000 }),
  }),
  { minLength: 1, maxLength: 60, selector: (credit) => credit.account },
);

describe("buildJournal", () => {
  it("credits each revenue account, then debits cash clearing for the total, balanced to the cent", () => {
    const journal = buildJournal(input());
    expect(journal.lines.map((line) => [line.lineNumber, line.account, line.side, line.amountCents])).toEqual([
      [1, account(1), "C", 5_000],
      [2, account(2), "C", 12_345],
      [3, CASH, "D", 17_345],
    ]);
    expect(journal.debitTotalCents).toBe(17_345);
    expect(journal.creditTotalCents).toBe(17_345);
    expect(journal.revenueLineCount).toBe(5);
    expect(journal.accountCount).toBe(2);
    expect(journal.lines.map((line) => line.revenueLineCount)).toEqual([2, 3, 5]);
    expect(journal.lines[0]?.description).toBe("Revenue 2026-11-20 Demo Ministry");
    expect(journal.lines[2]?.description).toBe("Cash clearing 2026-11-20 Demo Ministry");
  });

  it("keeps cents exact where floating point would drift (10 x 0.10 + 0.20 = 1.20)", () => {
    const credits = Array.from({ length: 10 }, (_, i) => ({ account: account(i), amountCents: 10, lineCount: 1 }));
    credits.push({ account: account(99), amountCents: 20, lineCount: 1 });
    const journal = buildJournal(input({ credits }));
    expect(journal.debitTotalCents).toBe(120);
    // The cash debit line: Debit 1.20, Credit empty.
    expect(renderJournalCsv(journal)).toContain(",1.20,,");
  });

  it("balances for a thousand accounts of one cent each", () => {
    const credits = Array.from({ length: 1000 }, (_, i) => ({ account: account(i), amountCents: 1, lineCount: 1 }));
    const journal = buildJournal(input({ credits }));
    expect(journal.lines).toHaveLength(1001);
    expect(journal.debitTotalCents).toBe(1000);
    expect(journal.creditTotalCents).toBe(1000);
    expect(journal.lines.filter((line) => line.side === "D")).toHaveLength(1);
  });

  it("always balances, with exactly one debit, whatever the accounts and amounts (property)", () => {
    fc.assert(
      fc.property(creditsArb, (credits) => {
        const journal = buildJournal(input({ credits }));
        const sum = (side: "C" | "D") =>
          journal.lines.filter((line) => line.side === side).reduce((total, line) => total + line.amountCents, 0);
        const expected = credits.reduce((total, credit) => total + credit.amountCents, 0);
        expect(sum("C")).toBe(expected);
        expect(sum("D")).toBe(expected);
        expect(journal.debitTotalCents).toBe(journal.creditTotalCents);
        expect(journal.lines.filter((line) => line.side === "D").map((line) => line.account)).toEqual([CASH]);
        expect(journal.lines.at(-1)?.side).toBe("D");
        expect(journal.lines.map((line) => line.lineNumber)).toEqual(journal.lines.map((_, i) => i + 1));
        expect(journal.accountCount).toBe(credits.length);
        expect(journal.revenueLineCount).toBe(credits.reduce((total, credit) => total + credit.lineCount, 0));
      }),
      { numRuns: 200 },
    );
  });

  it("gives the same journal whatever order the accounts arrive in (property)", () => {
    fc.assert(
      fc.property(
        creditsArb.chain((credits) =>
          fc.tuple(fc.constant(credits), fc.shuffledSubarray(credits, { minLength: credits.length })),
        ),
        ([credits, shuffled]) => {
          expect(buildJournal(input({ credits: shuffled }))).toEqual(buildJournal(input({ credits })));
        },
      ),
      { numRuns: 100 },
    );
  });

  it.each<[string, Partial<JournalInput>]>([
    ["no revenue accounts", { credits: [] }],
    [
      "the same account twice",
      {
        credits: [
          { account: account(1), amountCents: 100, lineCount: 1 },
          { account: account(1), amountCents: 200, lineCount: 1 },
        ],
      },
    ],
    [
      "the same account twice in different case",
      {
        credits: [
          { account: "ABC.27514.00001.1500.2600000.000000.0000", amountCents: 100, lineCount: 1 },
          { account: "abc.27514.00001.1500.2600000.000000.0000", amountCents: 200, lineCount: 1 },
        ],
      },
    ],
    ["a zero amount", { credits: [{ account: account(1), amountCents: 0, lineCount: 1 }] }],
    ["a negative amount", { credits: [{ account: account(1), amountCents: -500, lineCount: 1 }] }],
    ["a fraction of a cent", { credits: [{ account: account(1), amountCents: 100.5, lineCount: 1 }] }],
    ["a non-number amount", { credits: [{ account: account(1), amountCents: Number.NaN, lineCount: 1 }] }],
    ["an unsafe integer", { credits: [{ account: account(1), amountCents: 2 ** 53, lineCount: 1 }] }],
    ["a zero line count", { credits: [{ account: account(1), amountCents: 100, lineCount: 0 }] }],
    ["a malformed revenue account", { credits: [{ account: "034.27514.1500", amountCents: 100, lineCount: 1 }] }],
    ["revenue credited to the cash account", { credits: [{ account: CASH, amountCents: 100, lineCount: 1 }] }],
    ["a malformed cash account", { cashAccount: "cash" }],
    ["an impossible GL date", { glDate: "2026-02-30" }],
    ["a GL date in another format", { glDate: "20/11/2026" }],
    ["sequence 0", { sequence: 0 }],
    ["sequence 1000", { sequence: 1000 }],
    ["a fractional sequence", { sequence: 1.5 }],
    ["a non-numeric pbcRefNumber", { pbcRefNumber: "10006A" }],
    ["a pbcRefNumber too large for a journal name", { pbcRefNumber: "9999999999" }],
  ])("rejects %s", (_, overrides) => {
    expect(() => buildJournal(input(overrides))).toThrow();
  });

  it("rejects credits whose total cannot be counted exactly", () => {
    const big = Number.MAX_SAFE_INTEGER - 1;
    const credits: AccountTotal[] = [
      { account: account(1), amountCents: big, lineCount: 1 },
      { account: account(2), amountCents: big, lineCount: 1 },
    ];
    expect(() => buildJournal(input({ credits }))).toThrow();
  });

  it("dates the fiscal year from the GL date: April starts the next year", () => {
    expect(buildJournal(input({ glDate: "2026-03-31" })).fiscalYear).toBe(2026);
    expect(buildJournal(input({ glDate: "2026-04-01" })).fiscalYear).toBe(2027);
    expect(buildJournal(input({ glDate: "2026-12-31" })).fiscalYear).toBe(2027);
    expect(buildJournal(input({ glDate: "2027-01-01" })).fiscalYear).toBe(2027);
  });

  it("keeps descriptions ASCII and at most 100 characters, whatever the partner is called", () => {
    const accented = buildJournal(input({ partnerName: "Ministère de l’Économie\n\x1det Forêts" }));
    expect(accented.lines[0]?.description).toBe(
      "Revenue 2026-11-20 Ministère de l'Économie et Forêts".normalize("NFKD").replace(/[\u0300-\u036f]/g, ""),
    );
    expect(accented.lines[0]?.description).toBe("Revenue 2026-11-20 Ministere de l'Economie et Forets");
    expect(accented.partnerName).toBe("Ministère de l’Économie\n\x1det Forêts");
    const long = buildJournal(input({ partnerName: "Ministry of ".repeat(20) }));
    for (const line of long.lines) {
      expect(line.description.length).toBeLessThanOrEqual(100);
      expect(line.description).toMatch(/^[\x20-\x7e]+$/);
    }
    expect(long.lines.at(-1)?.description.startsWith("Cash clearing 2026-11-20 Ministry of")).toBe(true);
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (partnerName) => {
        for (const line of buildJournal(input({ partnerName })).lines) {
          expect(line.description.length).toBeLessThanOrEqual(100);
          expect(line.description).toMatch(/^[\x20-\x7e]+$/);
        }
      }),
    );
  });
});

describe("journal names and object prefixes", () => {
  it("are the same every time for the same partner, GL date and run", () => {
    const first = buildJournal(input());
    const again = buildJournal(input({ partnerName: "Renamed Ministry" }));
    expect(again.journalName).toBe(first.journalName);
    expect(first.journalName).toBe(journalName("10006", "2026-11-20", 1));
    expect(first.journalName).toMatch(/^[0-9A-Z]{10}$/);
  });

  it("differ for every other partner, GL date or run, and read back to their key (property)", () => {
    const keyArb = fc.record({
      ref: fc.integer({ min: 1, max: 60_466_175 }).map(String),
      date: fc
        .date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2127-09-27T00:00:00Z"), noInvalidDate: true })
        .map((d) => d.toISOString().slice(0, 10)),
      sequence: fc.integer({ min: 1, max: 999 }),
    });
    fc.assert(
      fc.property(keyArb, keyArb, (a, b) => {
        const nameA = journalName(a.ref, a.date, a.sequence);
        expect(nameA).toMatch(/^[0-9A-Z]{10}$/);
        expect(parseJournalName(nameA)).toEqual({ pbcRefNumber: a.ref, glDate: a.date, sequence: a.sequence });
        const same = a.ref === b.ref && a.date === b.date && a.sequence === b.sequence;
        expect(nameA === journalName(b.ref, b.date, b.sequence)).toBe(same);
      }),
      { numRuns: 500 },
    );
  });

  it("tells apart consecutive days and runs of one partner", () => {
    const names = new Set<string>();
    for (let day = 0; day < 400; day++) {
      const date = new Date(Date.UTC(2026, 0, 1 + day)).toISOString().slice(0, 10);
      for (const sequence of [1, 2, 999]) names.add(journalName("10006", date, sequence));
    }
    expect(names.size).toBe(1200);
  });

  it("do not parse arbitrary text", () => {
    expect(parseJournalName("short")).toBeNull();
    expect(parseJournalName("abcdefghij")).toBeNull();
    expect(parseJournalName("0000000001")).toBeNull();
  });

  it("put a journal's files under a date / partner / run prefix", () => {
    expect(journalObjectPrefix("10006", "2026-11-20", 1)).toBe("journals/2026-11-20/10006/001/");
    expect(journalObjectPrefix("10006", "2026-11-20", 12)).toBe("journals/2026-11-20/10006/012/");
    expect(() => journalObjectPrefix("../x", "2026-11-20", 1)).toThrow();
    expect(() => journalObjectPrefix("10006", "2026-11-31", 1)).toThrow();
    expect(() => journalObjectPrefix("10006", "2026-11-20", 0)).toThrow();
  });
});

describe("feeder file", () => {
  it("formats amounts as 15 characters, zero-padded, two decimals, never negative", () => {
    expect(formatFeederAmount(1_234_567)).toBe("000000012345.67");
    expect(formatFeederAmount(0)).toBe("000000000000.00");
    expect(formatFeederAmount(1)).toBe("000000000000.01");
    expect(formatFeederAmount(99_999_999_999_999)).toBe("999999999999.99");
    expect(() => formatFeederAmount(100_000_000_000_000)).toThrow();
    expect(() => formatFeederAmount(-1)).toThrow();
    expect(() => formatFeederAmount(1.5)).toThrow();
  });

  it("names the file INBOX.F{feeder}.{UTC timestamp} with a .TRG trigger", () => {
    expect(feederFileName("3535", new Date("2025-11-21T10:15:30Z"))).toBe("INBOX.F3535.20251121101530");
    expect(feederFileName("3535", new Date("2025-07-01T10:15:30.999Z"))).toBe("INBOX.F3535.20250701101530");
    expect(feederTriggerFileName("3535", new Date("2025-11-21T10:15:30Z"))).toBe("INBOX.F3535.20251121101530.TRG");
    expect(() => feederFileName("35", new Date())).toThrow();
    expect(feederFileInstant("INBOX.F3535.20251121101530")).toEqual(new Date("2025-11-21T10:15:30Z"));
    expect(feederFileInstant("INBOX.F3535.20251131101530")).toBeNull();
    expect(feederFileInstant("FEEDBACK.F3535.20251121101530")).toBeNull();
  });

  it("bumps a name by a second past the newest one used, so no two files share a name", () => {
    const now = new Date("2026-01-16T09:00:00.400Z");
    expect(nextFeederFileName("3535", now, null)).toBe("INBOX.F3535.20260116090000");
    expect(nextFeederFileName("3535", now, "INBOX.F3535.20260115090000")).toBe("INBOX.F3535.20260116090000");
    expect(nextFeederFileName("3535", now, "INBOX.F3535.20260116090000")).toBe("INBOX.F3535.20260116090001");
    expect(nextFeederFileName("3535", now, "INBOX.F3535.20260116090059")).toBe("INBOX.F3535.20260116090100");
    const names = new Set<string>();
    let newest: string | null = null;
    for (let i = 0; i < 100; i++) {
      newest = nextFeederFileName("3535", now, newest);
      names.add(newest);
    }
    expect(names.size).toBe(100);
  });

  it("names journals prefix + 8 digits and batches prefix + 9 digits, and reads a journal name back", () => {
    expect(ledgerJournalName("PB", 42)).toBe("PB00000042");
    expect(ledgerBatchName("PB", 42)).toBe("PB000000042");
    expect(parseLedgerJournalName("PB", "PB00000042")).toBe(42);
    expect(parseLedgerJournalName("PB", "XY00000042")).toBeNull();
    expect(parseLedgerJournalName("PB", "PB0000004")).toBeNull();
    expect(() => ledgerJournalName("P", 1)).toThrow();
    expect(() => ledgerJournalName("PB", 100_000_000)).toThrow();
  });

  it("documents a width for every field, matching the reference where it names one", () => {
    const widths = (type: keyof typeof FEEDER_RECORD_FIELDS) =>
      Object.fromEntries(FEEDER_RECORD_FIELDS[type].map((field) => [field.name, field.width]));
    expect(widths("BH")).toMatchObject({ fiscalYear: 4, batchNumber: 9, messageVersion: 4 });
    expect(widths("JH")).toMatchObject({ journalName: 10, journalAmount: 15 });
    expect(widths("JD")).toEqual({
      journalName: 10,
      lineNumber: 5,
      effectiveDate: 8,
      glDistribution: 50,
      supplierNumber: 9,
      amount: 15,
      creditDebit: 1,
      description: 100,
      flowThrough: 110,
    });
    expect(widths("BT")).toMatchObject({ controlTotal: 15, batchTotal: 15 });
    for (const fields of Object.values(FEEDER_RECORD_FIELDS)) {
      for (const field of fields) expect(field.width).toBeGreaterThan(0);
    }
  });

  it("renders BH, JH, a JD per journal line and BT, every field in its fixed columns", () => {
    const journal = buildJournal(input());
    const records = parseFeeder(renderFeederFile(journal, FEEDER));
    expect(records.map((record) => record.type)).toEqual(["BH", "JH", "JD", "JD", "JD", "BT"]);
    const [bh, jh, jd1, jd2, jd3, bt] = records as [
      FeederRecord,
      FeederRecord,
      FeederRecord,
      FeederRecord,
      FeederRecord,
      FeederRecord,
    ];
    expect(bh.fields).toEqual({ feederNumber: "3535", fiscalYear: "2027", batchNumber: "000000042", messageVersion: "4010" });
    expect(jh.fields.journalName).toBe(journal.journalName);
    expect(jh.fields.journalBatchName).toBe("PB000000042".padEnd(25));
    expect(jh.fields.journalAmount).toBe("000000000173.45");
    expect(jh.fields.actualFlag).toBe("ACAD");
    expect(jh.fields.filler?.trim()).toBe("");
    expect(jd1.fields).toEqual({
      journalName: journal.journalName,
      lineNumber: "00001",
      effectiveDate: "20261120",
      glDistribution: "0342751400001150026000000000000000".padEnd(50),
      supplierNumber: " ".repeat(9),
      amount: "000000000050.00",
      creditDebit: "C",
      description: "Revenue 2026-11-20 Demo Ministry".padEnd(100),
      flowThrough: "10006-20261120-001-00001".padEnd(110),
    });
    expect([jd2.fields.lineNumber, jd2.fields.amount, jd2.fields.creditDebit]).toEqual(["00002", "000000000123.45", "C"]);
    expect([jd3.fields.lineNumber, jd3.fields.amount, jd3.fields.creditDebit]).toEqual(["00003", "000000000173.45", "D"]);
    expect(jd3.fields.glDistribution?.trimEnd()).toBe(CASH.replaceAll(".", ""));
    expect(bt.fields).toEqual({
      feederNumber: "3535",
      fiscalYear: "2027",
      batchNumber: "000000042",
      controlTotal: "000000000000004",
      batchTotal: "000000000173.45",
    });
  });

  it("balances and carries control totals the ledger can check, for any journal (property)", () => {
    fc.assert(
      fc.property(
        creditsArb,
        fc.integer({ min: 1, max: 999_999_999 }),
        fc.constantFrom<"GI" | "GA">("GI", "GA"),
        (credits, batchNumber, batchType) => {
          const journal = buildJournal(input({ credits }));
          const records = parseFeeder(renderFeederFile(journal, { ...FEEDER, batchNumber, batchType }), "3535", batchType);
          const details = records.filter((record) => record.type === "JD");
          const headers = records.filter((record) => record.type === "JH");
          const total = (flag: string) =>
            details
              .filter((d) => d.fields.creditDebit === flag)
              .reduce((sum, d) => sum + feederCents(d.fields.amount as string), 0);
          expect(total("C")).toBe(total("D"));
          expect(feederCents(headers[0]?.fields.journalAmount as string)).toBe(total("C"));
          const bt = records.at(-1) as FeederRecord;
          expect(bt.type).toBe("BT");
          expect(feederCents(bt.fields.batchTotal as string)).toBe(
            headers.reduce((sum, h) => sum + feederCents(h.fields.journalAmount as string), 0),
          );
          expect(Number(bt.fields.controlTotal)).toBe(headers.length + details.length);
          expect(details.map((d) => Number(d.fields.lineNumber))).toEqual(details.map((_, i) => i + 1));
          expect(records[0]?.fields.batchNumber).toBe(String(batchNumber).padStart(9, "0"));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("upper-cases accounts and writes the configured supplier number", () => {
    const lower = buildJournal(
      input({ credits: [{ account: account(1).replace("0000", "abcd"), amountCents: 100, lineCount: 1 }] }),
    );
    const records = parseFeeder(renderFeederFile(lower, { ...FEEDER, supplierNumber: "123456789" }));
    const jd = records.find((record) => record.type === "JD");
    expect(jd?.fields.glDistribution).toBe(jd?.fields.glDistribution?.toUpperCase());
    expect(jd?.fields.glDistribution).toContain("ABCD");
    expect(jd?.fields.supplierNumber).toBe("123456789");
  });

  it("pairs mode writes an equal debit after each credit, still balanced", () => {
    const journal = buildJournal(input({ lineStyle: "pairs" }));
    expect(journal.lines.map((line) => [line.side, line.amountCents])).toEqual([
      ["C", 5_000],
      ["D", 5_000],
      ["C", 12_345],
      ["D", 12_345],
    ]);
    expect(journal.debitTotalCents).toBe(journal.creditTotalCents);
    const records = parseFeeder(renderFeederFile(journal, FEEDER));
    expect(records.filter((record) => record.type === "JD")).toHaveLength(4);
  });

  it("dates the lines and the fiscal year by the effective date, not the GL date", () => {
    const journal = buildJournal(input({ glDate: "2026-03-29", effectiveDate: "2026-04-01" }));
    const records = parseFeeder(renderFeederFile(journal, FEEDER));
    expect(records[0]?.fields.fiscalYear).toBe("2027");
    expect(records.find((record) => record.type === "JD")?.fields.effectiveDate).toBe("20260401");
    expect(() => buildJournal(input({ glDate: "2026-03-29", effectiveDate: "2026-03-28" }))).toThrow();
  });

  it("puts a journal in the fiscal year of its GL date, even if the file is made in the next year", () => {
    const march = buildJournal(input({ glDate: "2026-03-31" }));
    const records = parseFeeder(renderFeederFile(march, { ...FEEDER, createdAt: new Date("2026-04-01T09:00:00Z") }));
    expect(records[0]?.fields.fiscalYear).toBe("2026");
    expect(records.at(-1)?.fields.fiscalYear).toBe("2026");
    const april = buildJournal(input({ glDate: "2026-04-01" }));
    expect(parseFeeder(renderFeederFile(april, FEEDER))[0]?.fields.fiscalYear).toBe("2027");
  });

  it("refuses options that would break the fixed columns", () => {
    const journal = buildJournal(input());
    expect(() => renderFeederFile(journal, { ...FEEDER, feederNumber: "35350" })).toThrow();
    expect(() => renderFeederFile(journal, { ...FEEDER, batchNumber: 1_000_000_000 })).toThrow();
    expect(() => renderFeederFile(journal, { ...FEEDER, batchNumber: 0 })).toThrow();
    expect(() => renderFeederFile(journal, { ...FEEDER, createdAt: new Date(Number.NaN) })).toThrow();
  });
});

describe("journal CSV", () => {
  it("starts with a UTF-8 BOM and the header, then one row per journal line and nothing else", () => {
    const journal = buildJournal(input());
    const csv = renderJournalCsv(journal);
    expect(csv.startsWith("\uFEFFGL date,Partner,Journal,Line,Account,Debit,Credit,Description,Revenue lines\r\n")).toBe(true);
    const rows = parseCsv(csv.slice(1));
    const name = journal.journalName;
    // No blank row, no totals rows: a pivot or SUM over the file counts each amount once.
    expect(rows.slice(1)).toEqual([
      ["2026-11-20", "Demo Ministry", name, "1", account(1), "", "50.00", "Revenue 2026-11-20 Demo Ministry", "2"],
      ["2026-11-20", "Demo Ministry", name, "2", account(2), "", "123.45", "Revenue 2026-11-20 Demo Ministry", "3"],
      ["2026-11-20", "Demo Ministry", name, "3", CASH, "173.45", "", "Cash clearing 2026-11-20 Demo Ministry", "5"],
    ]);
    expect(csv.endsWith("\r\n")).toBe(true);
  });

  it("every row below the header is a journal line: the columns sum to the journal's own totals (property)", () => {
    fc.assert(
      fc.property(creditsArb, (credits) => {
        const journal = buildJournal(input({ credits }));
        const rows = parseCsv(renderJournalCsv(journal).slice(1)).slice(1);
        const cents = (text: string | undefined) => (text ? Math.round(Number(text) * 100) : 0);
        expect(rows).toHaveLength(journal.lines.length);
        for (const row of rows) expect(row[3]).toMatch(/^\d+$/);
        expect(rows.reduce((sum, row) => sum + cents(row[5]), 0)).toBe(journal.debitTotalCents);
        expect(rows.reduce((sum, row) => sum + cents(row[6]), 0)).toBe(journal.creditTotalCents);
      }),
      { numRuns: 50 },
    );
  });

  it("quotes commas, quotes and line breaks so the partner name stays in one cell", () => {
    const partnerName = 'Smith, Jones & "Co"\r\nRegional';
    const csv = renderJournalCsv(buildJournal(input({ partnerName })));
    expect(csv).toContain('"Smith, Jones & ""Co""\r\nRegional"');
    expect(parseCsv(csv.slice(1))[1]?.[1]).toBe(partnerName);
  });

  it.each(['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)", "\tTab", "\rCR"])(
    "shows a partner name starting %j as text, not a formula",
    (partnerName) => {
      const rows = parseCsv(renderJournalCsv(buildJournal(input({ partnerName }))).slice(1));
      expect(rows[1]?.[1]).toBe(`'${partnerName}`);
    },
  );

  it("keeps non-ASCII partner names intact (the BOM makes Excel read UTF-8)", () => {
    const rows = parseCsv(renderJournalCsv(buildJournal(input({ partnerName: "Ministère des Forêts" }))).slice(1));
    expect(rows[1]?.[1]).toBe("Ministère des Forêts");
  });
});

describe("detail CSV", () => {
  const row = (overrides: Partial<DetailRow> = {}): DetailRow => ({
    glDate: "2026-11-20",
    pbcRefNumber: "10006",
    pbcTxnNumber: "TXN-1",
    lineNumber: 1,
    revenueAccount: account(1),
    amountCents: 12_345,
    trnOrderId: "10000001",
    paidAt: "2026-11-20T18:30:00.000Z",
    cardBrand: "Visa",
    cardLastFour: "1234",
    authCode: "TEST",
    paidAtPacific: "2026-11-20 10:30:00 PST",
    description: "Licence renewal",
    ...overrides,
  });

  it("has one header with the reconciliation columns, and only the preamble carries the BOM", () => {
    expect(parseCsv(DETAIL_CSV_HEADER)).toEqual([
      [
        "GL date",
        "pbcRefNumber",
        "pbcTxnNumber",
        "Line",
        "Revenue account",
        "Amount",
        "trnOrderId",
        "Paid at",
        "Card brand",
        "Card last four",
        "Authorisation code",
        "Paid at (Pacific)",
        "Description",
      ],
    ]);
    expect(DETAIL_CSV_HEADER.startsWith("\uFEFF")).toBe(false);
    expect(DETAIL_CSV_PREAMBLE).toBe(`\uFEFF${DETAIL_CSV_HEADER}`);
    expect(renderDetailRows([row()]).includes("\uFEFF")).toBe(false);
    expect(renderDetailRows([])).toBe("");
  });

  it("streams in chunks that join into exactly the file rendered in one go", () => {
    const rows = Array.from({ length: 5000 }, (_, i) =>
      row({ pbcTxnNumber: `T${i}`, lineNumber: (i % 3) + 1, amountCents: i + 1, trnOrderId: `${10_000_000 + i}` }),
    );
    const whole = detailCsvFirstChunk(rows);
    let streamed = detailCsvFirstChunk(rows.slice(0, 777));
    for (let at = 777; at < rows.length; at += 1000) streamed += renderDetailRows(rows.slice(at, at + 1000));
    expect(streamed).toBe(whole);
    const parsed = parseCsv(whole.slice(1));
    expect(parsed).toHaveLength(5001);
    expect(parsed.filter((r) => r[0] === "GL date")).toHaveLength(1);
    const total = parsed.slice(1).reduce((sum, r) => sum + Math.round(Number(r[5]) * 100), 0);
    expect(total).toBe((5000 * 5001) / 2);
  });

  it("quotes awkward references and protects text cells from formulas, leaving amounts as numbers", () => {
    const text = renderDetailRows([
      row({ pbcTxnNumber: 'A,"B"', trnOrderId: "=1+1", amountCents: 5 }),
      row({ pbcTxnNumber: "-42", trnOrderId: "@cmd", lineNumber: 2, amountCents: 100_000_000 }),
      row({ pbcTxnNumber: "line\nbreak", trnOrderId: "\t9", lineNumber: 3 }),
    ]);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual([
      "2026-11-20",
      "10006",
      'A,"B"',
      "1",
      account(1),
      "0.05",
      "'=1+1",
      "2026-11-20T18:30:00.000Z",
      "Visa",
      "1234",
      "TEST",
      "2026-11-20 10:30:00 PST",
      "Licence renewal",
    ]);
    expect(rows[1]?.slice(2, 7)).toEqual(["'-42", "2", account(1), "1000000.00", "'@cmd"]);
    expect(rows[2]?.[2]).toBe("line\nbreak");
    expect(rows[2]?.[6]).toBe("'\t9");
  });

  it.each(['=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)", "\tTab", "\rCR"])(
    "shows a partner's description starting %j as text, not a formula, in both the writer and the renderer",
    (description) => {
      const rows = parseCsv(renderDetailRows([row({ description, authCode: description })]));
      expect(rows[0]?.[12]).toBe(`'${description}`);
      expect(rows[0]?.[10]).toBe(`'${description}`);
      const write = detailRowWriter("2026-11-20", "10006");
      const out = new Uint8Array(4096);
      const r = row({ description });
      const end = write(
        out,
        0,
        r.pbcTxnNumber,
        r.lineNumber,
        r.revenueAccount,
        r.amountCents,
        r.trnOrderId,
        r.paidAt,
        r.cardBrand,
        r.cardLastFour,
        r.authCode,
        r.paidAtPacific,
        r.description,
      );
      expect(parseCsv(new TextDecoder().decode(out.subarray(0, end)))[0]?.[12]).toBe(`'${description}`);
    },
  );

  it("keeps a description with commas, quotes, line breaks and accents in one cell, as the partner sent it", () => {
    const description = 'Permis, "forêt"\r\nligne 2';
    const rows = parseCsv(renderDetailRows([row({ description })]));
    expect(rows[0]?.[12]).toBe(description);
    expect(rows[0]).toHaveLength(13);
  });
});
