/**
 * CSV renderings for people: the journal summary and the per-revenue-line detail used to reconcile it.
 * RFC 4180 (CRLF line ends, fields with `,` `"` CR or LF quoted, quotes doubled), UTF-8 with a BOM
 * so Excel does not read it as Windows-1252, and formula-injection protection: a text cell that
 * starts with `=` `+` `-` `@` tab or CR gets a leading `'` so a spreadsheet shows it instead of running it.
 * Numeric cells (amounts, counts, line numbers) are written as plain numbers and never altered.
 *
 * Which functions emit the BOM: renderJournalCsv (a whole file), DETAIL_CSV_PREAMBLE and
 * detailCsvFirstChunk (the start of a detail file). DETAIL_CSV_HEADER, renderDetailRows and the
 * one-row detailRowRenderer and detailRowWriter never do.
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
 * Several journals (a batch's GA and GI journals, each in its own ledger file) share one file, each
 * row naming its journal.
 */
export function renderJournalCsv(journals: Journal | readonly Journal[]): string {
  const list: readonly Journal[] = Array.isArray(journals) ? journals : [journals as Journal];
  let out = UTF8_BOM + csvRow(JOURNAL_CSV_COLUMNS);
  const totals = { debit: 0, credit: 0, lines: 0, revenueLines: 0, accounts: 0 };
  for (const journal of list) {
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
    totals.debit += journal.debitTotalCents;
    totals.credit += journal.creditTotalCents;
    totals.lines += journal.lines.length;
    totals.revenueLines += journal.revenueLineCount;
    totals.accounts += journal.accountCount;
  }
  out += csvRow(new Array<string>(JOURNAL_CSV_COLUMNS.length).fill(""));
  out += summaryRow("Total debits", formatCents(totals.debit));
  out += summaryRow("Total credits", formatCents(totals.credit));
  out += summaryRow("Journal lines", csvInteger(totals.lines));
  out += summaryRow("Revenue lines", csvInteger(totals.revenueLines));
  out += summaryRow("Revenue accounts", csvInteger(totals.accounts));
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

/** The per-line cells of a detail row (the batch's GL date and partner are fixed per batch). */
export type DetailRowCells = [
  pbcTxnNumber: string,
  lineNumber: number,
  revenueAccount: string,
  amountCents: number,
  trnOrderId: string,
  paidAt: string,
];

/** Renders one detail row of a batch. */
export type DetailRowRenderer = (...cells: DetailRowCells) => string;

/**
 * One row at a time, with its CRLF: a million-row file is written row by row into a part buffer,
 * never as one big string. The constant leading cells are escaped once, not per row.
 */
export function detailRowRenderer(glDate: string, pbcRefNumber: string): DetailRowRenderer {
  const lead = `${csvText(glDate)},${csvText(pbcRefNumber)},`;
  return (pbcTxnNumber, lineNumber, revenueAccount, amountCents, trnOrderId, paidAt) =>
    `${lead}${csvText(pbcTxnNumber)},${csvInteger(lineNumber)},${csvText(revenueAccount)},${formatCents(amountCents)},` +
    `${csvText(trnOrderId)},${csvText(paidAt)}${CSV_LINE_END}`;
}

/**
 * Writes one detail row's UTF-8 bytes into `out` at `at` and returns the offset after it, or -1
 * (writing nothing) when the row might not fit or has a number outside the fast path: the caller
 * then uses detailRowRenderer. The same bytes as detailRowRenderer, without
 * making a string per row: plain ASCII cells are copied code by code, anything else goes through
 * csvText and TextEncoder. Measured: strings per row for a million rows cost the Worker ~40 MB more heap.
 */
export type DetailRowWriter = (out: Uint8Array, at: number, ...cells: DetailRowCells) => number;

const utf8 = new TextEncoder();

/** A text cell: as is when csvText would not change it and it is ASCII, else csvText's UTF-8. */
function writeText(out: Uint8Array, at: number, value: string): number {
  const first = value.charCodeAt(0);
  // = + - @ tab CR start a formula (FORMULA_START).
  if (first === 0x3d || first === 0x2b || first === 0x2d || first === 0x40 || first === 0x09 || first === 0x0d) {
    return at + utf8.encodeInto(csvText(value), out.subarray(at)).written;
  }
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    // Non-ASCII, or " , CR LF (NEEDS_QUOTES): the general path, from the start of the cell.
    if (code >= 0x80 || code === 0x22 || code === 0x2c || code === 0x0d || code === 0x0a) {
      return at + utf8.encodeInto(csvText(value), out.subarray(at)).written;
    }
    out[at + i] = code;
  }
  return at + value.length;
}

/** Digits of a non-negative safe integer, at least `width` of them (zero-padded). */
function writeDigits(out: Uint8Array, at: number, value: number, width = 1): number {
  let digits = 1;
  for (let rest = value; rest >= 10; rest = Math.floor(rest / 10)) digits++;
  digits = Math.max(digits, width);
  let rest = value;
  for (let i = digits - 1; i >= 0; i--) {
    out[at + i] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return at + digits;
}

const COMMA = 0x2c;

export function detailRowWriter(glDate: string, pbcRefNumber: string): DetailRowWriter {
  const lead = utf8.encode(`${csvText(glDate)},${csvText(pbcRefNumber)},`);
  return (out, at, pbcTxnNumber, lineNumber, revenueAccount, amountCents, trnOrderId, paidAt) => {
    // Worst case: every UTF-16 unit 3 bytes, quotes doubled, quoted and formula-protected (6n + 9
    // per text cell), 16 digits of line number, 20 of amount, 7 commas and CRLF.
    const text = pbcTxnNumber.length + revenueAccount.length + trnOrderId.length + paidAt.length;
    if (out.byteLength - at < lead.byteLength + 6 * text + 4 * 9 + 16 + 20 + 9) return -1;
    // Negative or unsafe numbers are left to detailRowRenderer (which writes or rejects them).
    if (!Number.isSafeInteger(lineNumber) || lineNumber < 0 || !Number.isSafeInteger(amountCents) || amountCents < 0) return -1;
    out.set(lead, at);
    let pos = writeText(out, at + lead.byteLength, pbcTxnNumber);
    out[pos++] = COMMA;
    pos = writeDigits(out, pos, lineNumber);
    out[pos++] = COMMA;
    pos = writeText(out, pos, revenueAccount);
    out[pos++] = COMMA;
    pos = writeDigits(out, pos, Math.floor(amountCents / 100));
    out[pos++] = 0x2e; // .
    pos = writeDigits(out, pos, amountCents % 100, 2);
    out[pos++] = COMMA;
    pos = writeText(out, pos, trnOrderId);
    out[pos++] = COMMA;
    pos = writeText(out, pos, paidAt);
    out[pos++] = 0x0d;
    out[pos++] = 0x0a;
    return pos;
  };
}

/**
 * Rows of the detail file, each ending in CRLF; no BOM and no header, so chunks of any size
 * concatenate into one file (a file may have a million rows). Empty input gives "".
 */
export function renderDetailRows(rows: readonly DetailRow[]): string {
  const out: string[] = [];
  for (const row of rows) {
    out.push(
      detailRowRenderer(row.glDate, row.pbcRefNumber)(
        row.pbcTxnNumber,
        row.lineNumber,
        row.revenueAccount,
        row.amountCents,
        row.trnOrderId,
        row.paidAt,
      ),
    );
  }
  return out.join("");
}

/** The first chunk of a detail file: BOM + header + these rows. Later chunks use renderDetailRows. */
export function detailCsvFirstChunk(rows: readonly DetailRow[]): string {
  return DETAIL_CSV_PREAMBLE + renderDetailRows(rows);
}
