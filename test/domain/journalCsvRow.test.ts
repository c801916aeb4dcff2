import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  csvText,
  type DetailRow,
  type DetailRowCells,
  detailRowRenderer,
  detailRowWriter,
  renderDetailRows,
} from "../../src/domain/journalCsv.ts";
import { formatCents } from "../../src/domain/money.ts";

// The export renders the detail file one row at a time (detailRowRenderer, the batch's cells escaped
// once): the bytes must stay those of the row format the file always had, spelled out here.
const reference = (row: DetailRow) =>
  `${csvText(row.glDate)},${csvText(row.pbcRefNumber)},${csvText(row.pbcTxnNumber)},${row.lineNumber},` +
  `${csvText(row.revenueAccount)},${formatCents(row.amountCents)},${csvText(row.trnOrderId)},${csvText(row.paidAt)},` +
  `${csvText(row.cardBrand)},${csvText(row.cardLastFour)},${csvText(row.authCode)},${csvText(row.paidAtPacific)},` +
  `${csvText(row.description)}\r\n`;

const cellsOf = (row: DetailRow): DetailRowCells => [
  row.pbcTxnNumber,
  row.lineNumber,
  row.revenueAccount,
  row.amountCents,
  row.trnOrderId,
  row.paidAt,
  row.cardBrand,
  row.cardLastFour,
  row.authCode,
  row.paidAtPacific,
  row.description,
];

describe("detail CSV, one row at a time", () => {
  const text = fc.oneof(
    fc.string({ unit: "grapheme", maxLength: 12 }),
    fc.constantFrom("", "=1+1", 'a"b', "x,y", "line\r\nbreak", "-42", "@cmd", "\t9", "Forêt €"),
  );
  const detailRow = fc.record<DetailRow>({
    glDate: text,
    pbcRefNumber: text,
    pbcTxnNumber: text,
    lineNumber: fc.integer({ min: 1, max: 999 }),
    revenueAccount: text,
    amountCents: fc.integer({ min: 0, max: 1_000_000_000 }),
    trnOrderId: text,
    paidAt: text,
    cardBrand: text,
    cardLastFour: text,
    authCode: text,
    paidAtPacific: text,
    description: text,
  });

  it("renders each row as the detail format always had it, and renderDetailRows is those rows joined", () => {
    fc.assert(
      fc.property(fc.array(detailRow, { maxLength: 5 }), (rows) => {
        for (const row of rows) {
          const render = detailRowRenderer(row.glDate, row.pbcRefNumber);
          expect(render(...cellsOf(row))).toBe(reference(row));
        }
        expect(renderDetailRows(rows)).toBe(rows.map(reference).join(""));
      }),
    );
  });

  it("writes each row as bytes identical to the rendered row's UTF-8, or writes nothing and says so", () => {
    const utf8 = new TextEncoder();
    fc.assert(
      fc.property(detailRow, fc.integer({ min: 0, max: 400 }), (row, room) => {
        const write = detailRowWriter(row.glDate, row.pbcRefNumber);
        const expected = utf8.encode(reference(row));
        const out = new Uint8Array(room + 8).fill(0xff);
        const end = write(out, 8, ...cellsOf(row));
        if (end === -1) {
          expect(out.every((b) => b === 0xff)).toBe(true);
        } else {
          expect(out.subarray(8, end)).toEqual(expected);
          expect(out.subarray(0, 8).every((b) => b === 0xff)).toBe(true);
        }
      }),
    );
    // With room enough, plain rows are always written (that is the fast path the export relies on).
    const big = new Uint8Array(1024);
    const write = detailRowWriter("2026-11-20", "10006");
    const end = write(
      big,
      0,
      "TXN-1",
      7,
      "039.18ACE.14691",
      123_456,
      "8001",
      "2026-11-20T18:30:00.000Z",
      "Visa",
      "1234",
      "TEST",
      "2026-11-20 10:30:00 PST",
      "Licence",
    );
    expect(new TextDecoder().decode(big.subarray(0, end))).toBe(
      "2026-11-20,10006,TXN-1,7,039.18ACE.14691,1234.56,8001,2026-11-20T18:30:00.000Z,Visa,1234,TEST,2026-11-20 10:30:00 PST,Licence\r\n",
    );
    expect(write(big, 0, "T", -1, "A", 1, "", "", "", "", "", "", "")).toBe(-1);
  });

  it("escapes the batch's constant cells like any other text cell", () => {
    const render = detailRowRenderer('=2026"', "10,006");
    expect(render("T1", 1, "039.X", 1234, "", "", "", "", "", "", "")).toBe('"\'=2026""","10,006",T1,1,039.X,12.34,,,,,,,\r\n');
  });
});
