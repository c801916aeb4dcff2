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

/**
 * The whole journal CSV, BOM first: header, then one row per journal line (Debit or Credit filled
 * as "123.45", the other empty) and nothing else. Control totals are not rows here: a spreadsheet
 * pivot or SUM over the file would count them a second time. They are in the journal's manifest
 * and on its finance page. Several journals (a batch's GA and GI journals, each in its own ledger
 * file) share one file, each row naming its journal.
 */
export function renderJournalCsv(journals: Journal | readonly Journal[]): string {
  const list: readonly Journal[] = Array.isArray(journals) ? journals : [journals as Journal];
  let out = UTF8_BOM + csvRow(JOURNAL_CSV_COLUMNS);
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
  }
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
  /** The card brand's name (Visa); never more of the card than brand and last four. */
  cardBrand: string;
  cardLastFour: string;
  authCode: string;
  /** The payment time as the merchant statement shows it: Pacific, with the zone. */
  paidAtPacific: string;
  /** The transaction's description as the partner sent it. */
  description: string;
}

/**
 * Header row of the detail file, with its CRLF and WITHOUT the BOM. Columns added later go at the
 * end, so spreadsheets built on the earlier columns keep working.
 */
export const DETAIL_CSV_HEADER = csvRow([
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
  cardBrand: string,
  cardLastFour: string,
  authCode: string,
  paidAtPacific: string,
  description: string,
];

/** Renders one detail row of a batch. */
export type DetailRowRenderer = (...cells: DetailRowCells) => string;

/**
 * One row at a time, with its CRLF: a million-row file is written row by row into a part buffer,
 * never as one big string. The constant leading cells are escaped once, not per row.
 */
export function detailRowRenderer(glDate: string, pbcRefNumber: string): DetailRowRenderer {
  const lead = `${csvText(glDate)},${csvText(pbcRefNumber)},`;
  return (
    pbcTxnNumber,
    lineNumber,
    revenueAccount,
    amountCents,
    trnOrderId,
    paidAt,
    cardBrand,
    cardLastFour,
    authCode,
    paidAtPacific,
    description,
  ) =>
    `${lead}${csvText(pbcTxnNumber)},${csvInteger(lineNumber)},${csvText(revenueAccount)},${formatCents(amountCents)},` +
    `${csvText(trnOrderId)},${csvText(paidAt)},${csvText(cardBrand)},${csvText(cardLastFour)},${csvText(authCode)},` +
    `${csvText(paidAtPacific)},${csvText(description)}${CSV_LINE_END}`;
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

function writeCommaText(out: Uint8Array, at: number, value: string): number {
  out[at] = COMMA;
  return writeText(out, at + 1, value);
}
/** Text cells per row after the batch's constant ones. */
const DETAIL_TEXT_CELLS = 9;
/** Commas and the CRLF of a row. */
const DETAIL_SEPARATORS = 12 + 2;

export function detailRowWriter(glDate: string, pbcRefNumber: string): DetailRowWriter {
  const lead = utf8.encode(`${csvText(glDate)},${csvText(pbcRefNumber)},`);
  return (
    out,
    at,
    pbcTxnNumber,
    lineNumber,
    revenueAccount,
    amountCents,
    trnOrderId,
    paidAt,
    cardBrand,
    cardLastFour,
    authCode,
    paidAtPacific,
    description,
  ) => {
    // Worst case: every UTF-16 unit 3 bytes, quotes doubled, quoted and formula-protected (6n + 9
    // per text cell), 16 digits of line number, 20 of amount, the commas and CRLF.
    const text =
      pbcTxnNumber.length +
      revenueAccount.length +
      trnOrderId.length +
      paidAt.length +
      cardBrand.length +
      cardLastFour.length +
      authCode.length +
      paidAtPacific.length +
      description.length;
    if (out.byteLength - at < lead.byteLength + 6 * text + DETAIL_TEXT_CELLS * 9 + 16 + 20 + DETAIL_SEPARATORS) return -1;
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
    // Unrolled: no per-row array.
    pos = writeCommaText(out, pos, trnOrderId);
    pos = writeCommaText(out, pos, paidAt);
    pos = writeCommaText(out, pos, cardBrand);
    pos = writeCommaText(out, pos, cardLastFour);
    pos = writeCommaText(out, pos, authCode);
    pos = writeCommaText(out, pos, paidAtPacific);
    pos = writeCommaText(out, pos, description);
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
        row.cardBrand,
        row.cardLastFour,
        row.authCode,
        row.paidAtPacific,
        row.description,
      ),
    );
  }
  return out.join("");
}

/** The first chunk of a detail file: BOM + header + these rows. Later chunks use renderDetailRows. */
export function detailCsvFirstChunk(rows: readonly DetailRow[]): string {
  return DETAIL_CSV_PREAMBLE + renderDetailRows(rows);
}
