/**
 * CSV renderings for people: the journal summary and the per-revenue-line detail used to reconcile it.
 * RFC 4180 (CRLF line ends, fields with `,` `"` CR or LF quoted, quotes doubled), UTF-8 with a BOM
 * so Excel does not read it as Windows-1252, and formula-injection protection: a text cell that
 * starts with `=` `+` `-` `@` tab or CR gets a leading `'` so a spreadsheet shows it instead of running it.
 * Numeric cells (amounts, counts, line numbers) are written as plain numbers and never altered.
 *
 * Which functions emit the BOM: renderJournalCsv (a whole file), DETAIL_CSV_PREAMBLE and
 * detailCsvFirstChunk (the start of a detail file). DETAIL_CSV_HEADER and renderDetailRows never do.
 */
import type { Journal } from "./journal.ts";
import { formatCents } from "./money.ts";

export const UTF8_BOM = "\uFEFF";
export const CSV_LINE_END = "\r\n";

const NEEDS_QUOTES = /[",\r\n]/;
const FORMULA_START = /^[=+\-@\t\r]/;

/** One text cell: formula-protected, then quoted when needed. */
export function csvText(value: string): string {
  const safe = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

function csvInteger(value: number): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not an integer: ${value}`);
  return String(value);
}

function csvRow(cells: readonly string[]): string {
  return cells.join(",") + CSV_LINE_END;
}

export const JOURNAL_CSV_COLUMNS = [
  "GL date",
  "Partner",
  "Journal",
  "Line",
  "Account",
  "Debit",
  "Credit",
  "Description",
  "Revenue lines",
] as const;

/** A label/value summary row, padded to the header's width so strict CSV readers see a rectangle. */
function summaryRow(label: string, value: string): string {
  const cells = new Array<string>(JOURNAL_CSV_COLUMNS.length).fill("");
  cells[0] = csvText(label);
  cells[1] = value;
  return csvRow(cells);
}

/**
 * The whole journal CSV, BOM first: header, one row per journal line (Debit or Credit filled as
 * "123.45", the other empty), a blank row, then control totals a reviewer can tick against the ledger.
 */
export function renderJournalCsv(journal: Journal): string {
  let out = UTF8_BOM + csvRow(JOURNAL_CSV_COLUMNS);
  for (const line of journal.lines) {
    const amount = formatCents(line.amountCents);
    out += csvRow([
      csvText(journal.glDate),
      csvText(journal.partnerName),
      csvText(journal.journalName),
      csvInteger(line.lineNumber),
      csvText(line.account),
      line.side === "D" ? amount : "",
      line.side === "C" ? amount : "",
      csvText(line.description),
      csvInteger(line.revenueLineCount),
    ]);
  }
  out += csvRow(new Array<string>(JOURNAL_CSV_COLUMNS.length).fill(""));
  out += summaryRow("Total debits", formatCents(journal.debitTotalCents));
  out += summaryRow("Total credits", formatCents(journal.creditTotalCents));
  out += summaryRow("Journal lines", csvInteger(journal.lines.length));
  out += summaryRow("Revenue lines", csvInteger(journal.revenueLineCount));
  out += summaryRow("Revenue accounts", csvInteger(journal.accountCount));
  return out;
}

/** One revenue line of a paid transaction, as it went into a journal. */
export interface DetailRow {
  glDate: string;
  pbcRefNumber: string;
  pbcTxnNumber: string;
  lineNumber: number;
  revenueAccount: string;
  amountCents: number;
  trnOrderId: string;
  /** Written as given; the caller decides the form (an ISO 8601 instant is unambiguous). */
  paidAt: string;
}

/** Header row of the detail file, with its CRLF and WITHOUT the BOM. */
export const DETAIL_CSV_HEADER = csvRow([
  "GL date",
  "pbcRefNumber",
  "pbcTxnNumber",
  "Line",
  "Revenue account",
  "Amount",
  "trnOrderId",
  "Paid at",
]);

/** What a detail file starts with: BOM + header. Write it once, then renderDetailRows chunks. */
export const DETAIL_CSV_PREAMBLE = UTF8_BOM + DETAIL_CSV_HEADER;

/**
 * Rows of the detail file, each ending in CRLF; no BOM and no header, so chunks of any size
 * concatenate into one file (a file may have a million rows). Empty input gives "".
 */
export function renderDetailRows(rows: readonly DetailRow[]): string {
  const out: string[] = [];
  for (const row of rows) {
    out.push(
      `${csvText(row.glDate)},${csvText(row.pbcRefNumber)},${csvText(row.pbcTxnNumber)},${csvInteger(row.lineNumber)},` +
        `${csvText(row.revenueAccount)},${formatCents(row.amountCents)},${csvText(row.trnOrderId)},${csvText(row.paidAt)}${CSV_LINE_END}`,
    );
  }
  return out.join("");
}

/** The first chunk of a detail file: BOM + header + these rows. Later chunks use renderDetailRows. */
export function detailCsvFirstChunk(rows: readonly DetailRow[]): string {
  return DETAIL_CSV_PREAMBLE + renderDetailRows(rows);
}
