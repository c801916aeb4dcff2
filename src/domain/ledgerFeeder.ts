/**
 * The CAS/CFS journal feeder file: the machine-readable rendering of a Journal that the BC ledger
 * ingests (format facts in shared/reference/ledger-and-platform.md and
 * ledger-and-processor-fidelity.md). One file holds one batch with one journal: BH, JH, one JD per
 * journal line, BT. GA and GI journals always go in separate files.
 *
 * Record = `{feeder}{GI|GA}{type}` + GS (0x1D) + fixed-width fields (FEEDER_RECORD_FIELDS) + GS + "\n".
 * Text fields are space-padded on the right, numbers zero-padded on the left; a value that does not
 * fit its width throws rather than being cut, since a shifted column misposts everything after it.
 */
import type { Journal } from "./journal.ts";
import { formatCents } from "./money.ts";

export const FEEDER_GS = "\x1d";
export const FEEDER_NEWLINE = "\n";
export const FEEDER_MESSAGE_VERSION = "4010";
export const FEEDER_AMOUNT_WIDTH = 15;
/** Largest amount the 15-character field holds: 999999999999.99. */
export const MAX_FEEDER_AMOUNT_CENTS = 99_999_999_999_999;

export type FeederRecordType = "BH" | "JH" | "JD" | "BT";
/**
 * GA: the account's client code (first segment) is the home client code (GL_HOME_CLIENT_CODE);
 * GI: any other client. The two never share a file.
 */
export type FeederBatchType = "GI" | "GA";

export function batchTypeOf(account: string, homeClientCode: string): FeederBatchType {
  return account.slice(0, 3).toUpperCase() === homeClientCode.toUpperCase() ? "GA" : "GI";
}

export interface FeederField {
  name: string;
  width: number;
}

/**
 * Field layout of each record's body, between the two GS characters. Widths the reference leaves
 * open follow the public sbc-pay feeder: feeder number 4, JH journal batch name 25 (journal name 10 +
 * batch number 9 + 6 spaces here), JH filler 210 (spaces, the width of JD description + flow-through),
 * BT control total 15 (zero-padded count) placed before the batch total as sbc-pay does.
 */
export const FEEDER_RECORD_FIELDS: Readonly<Record<FeederRecordType, readonly FeederField[]>> = {
  BH: [
    { name: "feederNumber", width: 4 },
    { name: "fiscalYear", width: 4 },
    { name: "batchNumber", width: 9 },
    { name: "messageVersion", width: 4 },
  ],
  JH: [
    { name: "journalName", width: 10 },
    { name: "journalBatchName", width: 25 },
    { name: "journalAmount", width: FEEDER_AMOUNT_WIDTH },
    { name: "actualFlag", width: 4 },
    { name: "filler", width: 210 },
  ],
  JD: [
    { name: "journalName", width: 10 },
    { name: "lineNumber", width: 5 },
    { name: "effectiveDate", width: 8 },
    { name: "glDistribution", width: 50 },
    { name: "supplierNumber", width: 9 },
    { name: "amount", width: FEEDER_AMOUNT_WIDTH },
    { name: "creditDebit", width: 1 },
    { name: "description", width: 100 },
    { name: "flowThrough", width: 110 },
  ],
  BT: [
    { name: "feederNumber", width: 4 },
    { name: "fiscalYear", width: 4 },
    { name: "batchNumber", width: 9 },
    { name: "controlTotal", width: 15 },
    { name: "batchTotal", width: FEEDER_AMOUNT_WIDTH },
  ],
};

export interface FeederOptions {
  /** 4 characters, assigned by CAS to the sending system. */
  feederNumber: string;
  /** 1 to 999,999,999; unique per file (the id of the file's D1 record), read back from feedback. */
  batchNumber: number;
  /** GL_MINISTRY_PREFIX: starts the journal batch name (and the journal name, set by the caller). */
  ministryPrefix: string;
  /**
   * When the file is made; only validated here (the body is dated by the journal's effective date),
   * so pass the same instant to feederFileName.
   */
  createdAt: Date;
  /** Defaults to "GI". */
  batchType?: FeederBatchType;
  /** GL_SUPPLIER_NUMBER, up to 9 characters; blank by default. */
  supplierNumber?: string;
}

const FEEDER_NUMBER_PATTERN = /^[0-9A-Z]{4}$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

export class FeederError extends Error {
  override name = "FeederError";
}

/** 1234567 cents -> "000000012345.67". Never negative: the C/D flag carries the direction. */
export function formatFeederAmount(cents: number): string {
  if (!Number.isSafeInteger(cents) || cents < 0 || cents > MAX_FEEDER_AMOUNT_CENTS) {
    throw new FeederError(`not a feeder amount in cents: ${cents}`);
  }
  return formatCents(cents).padStart(FEEDER_AMOUNT_WIDTH, "0");
}

function checkFeederNumber(feederNumber: string): void {
  if (!FEEDER_NUMBER_PATTERN.test(feederNumber))
    throw new FeederError(`feeder number must be 4 digits or capitals: ${feederNumber}`);
}

const STAMP_PATTERN = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/;
const FILE_NAME_PATTERN = /^INBOX\.F([0-9A-Z]{4})\.(\d{14})$/;

/** UTC YYYYMMDDHHMMSS, as the ledger's inbox names files. */
export function feederStamp(instant: Date): string {
  if (Number.isNaN(instant.getTime())) throw new FeederError("createdAt is not a valid date");
  return instant.toISOString().replace(/[-:T]/g, "").slice(0, 14);
}

/** `INBOX.F{feeder}.{YYYYMMDDHHMMSS}`, stamped in UTC. */
export function feederFileName(feederNumber: string, createdAt: Date): string {
  checkFeederNumber(feederNumber);
  return `INBOX.F${feederNumber}.${feederStamp(createdAt)}`;
}

/** The instant a feeder file name stands for, or null for any other name. */
export function feederFileInstant(name: string): Date | null {
  const stamp = FILE_NAME_PATTERN.exec(name)?.[2];
  const parts = stamp ? STAMP_PATTERN.exec(stamp) : null;
  if (!parts) return null;
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number) as [number, number, number, number, number, number];
  const instant = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  return feederStamp(instant) === stamp ? instant : null;
}

/**
 * The name of the next file: stamped `now`, or one second after the newest name already used when
 * that is later, so no two files ever share a name in the ledger's single inbox (names sort by time).
 */
export function nextFeederFileName(feederNumber: string, now: Date, newestUsed: string | null): string {
  const newest = newestUsed ? feederFileInstant(newestUsed) : null;
  const at = newest && newest.getTime() >= Math.floor(now.getTime() / 1000) * 1000 ? new Date(newest.getTime() + 1000) : now;
  return feederFileName(feederNumber, at);
}

/** The empty trigger file that tells the ledger the feeder file is complete; upload it after the file. */
export function feederTriggerFileName(feederNumber: string, createdAt: Date): string {
  return `${feederFileName(feederNumber, createdAt)}.TRG`;
}

const PREFIX_PATTERN = /^[0-9A-Z]{2}$/;
const MAX_JOURNAL_ID = 99_999_999;

/** Journal name (10): the ministry prefix + the journal's id, 8 digits. Feedback leads back by `name[2:]`. */
export function ledgerJournalName(ministryPrefix: string, id: number): string {
  if (!PREFIX_PATTERN.test(ministryPrefix))
    throw new FeederError(`ministry prefix must be 2 letters or digits: ${ministryPrefix}`);
  if (!Number.isSafeInteger(id) || id < 1 || id > MAX_JOURNAL_ID)
    throw new FeederError(`journal id must be 1 to ${MAX_JOURNAL_ID}: ${id}`);
  return `${ministryPrefix}${String(id).padStart(8, "0")}`;
}

/** The id in a journal name with our prefix, or null. */
export function parseLedgerJournalName(ministryPrefix: string, name: string): number | null {
  const match = /^([0-9A-Z]{2})(\d{8})$/.exec(name.trim());
  if (!match || match[1] !== ministryPrefix) return null;
  const id = Number(match[2]);
  return id >= 1 ? id : null;
}

/** Journal batch name (25): the ministry prefix + the 9-digit batch number (the record pads it with spaces). */
export function ledgerBatchName(ministryPrefix: string, batchNumber: number): string {
  if (!PREFIX_PATTERN.test(ministryPrefix))
    throw new FeederError(`ministry prefix must be 2 letters or digits: ${ministryPrefix}`);
  return `${ministryPrefix}${String(batchNumber).padStart(9, "0")}`;
}

/** The flow-through of a journal line: traces it to the partner, GL date, run and line, and is checked in feedback. */
export function lineFlowThrough(journal: Pick<Journal, "pbcRefNumber" | "glDate" | "sequence">, lineNumber: number): string {
  const sequence = String(journal.sequence).padStart(3, "0");
  return `${journal.pbcRefNumber}-${journal.glDate.replaceAll("-", "")}-${sequence}-${String(lineNumber).padStart(5, "0")}`;
}

/**
 * "XXX.XXXXX.XXXXX.XXXX.XXXXXXX.XXXXXX.XXXX" -> the 7 segments concatenated (34 chars). The record
 * space-pads it to 50; no zero padding is needed because our accounts already carry the location and
 * future segments that the sbc-pay feeder fills with zeros.
 */
export function glDistribution(account: string): string {
  // The ledger's accounts are upper case; lower case is accepted on input and stored upper.
  return account.replaceAll(".", "").toUpperCase();
}

function digits(value: number): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new FeederError(`not a non-negative integer: ${value}`);
  return String(value);
}

const NUMERIC_FIELDS = new Set(["fiscalYear", "batchNumber", "lineNumber", "controlTotal"]);

function record(feederNumber: string, batchType: FeederBatchType, type: FeederRecordType, values: string[]): string {
  const fields = FEEDER_RECORD_FIELDS[type];
  let body = "";
  fields.forEach((field, index) => {
    const value = values[index] ?? "";
    if (value.length > field.width) throw new FeederError(`${type} ${field.name} longer than ${field.width}: ${value}`);
    if (!PRINTABLE_ASCII.test(value)) throw new FeederError(`${type} ${field.name} is not printable ASCII: ${value}`);
    // Numbers are rendered as digit strings by the callers; pad them with zeros, everything else with spaces.
    const numeric = NUMERIC_FIELDS.has(field.name);
    body += numeric ? value.padStart(field.width, "0") : value.padEnd(field.width, " ");
  });
  return `${feederNumber}${batchType}${type}${FEEDER_GS}${body}${FEEDER_GS}${FEEDER_NEWLINE}`;
}

/** The whole feeder file for one journal, as a single batch. */
export function renderFeederFile(journal: Journal, options: FeederOptions): string {
  const { feederNumber, batchNumber, createdAt } = options;
  const batchType = options.batchType ?? "GI";
  checkFeederNumber(feederNumber);
  if (!Number.isSafeInteger(batchNumber) || batchNumber < 1 || batchNumber > 999_999_999) {
    throw new FeederError(`batch number must be 1 to 999999999: ${batchNumber}`);
  }
  feederStamp(createdAt); // fail before rendering, as feederFileName would
  if (journal.debitTotalCents !== journal.creditTotalCents) throw new FeederError("journal does not balance");
  // The batch belongs to the fiscal year the journal posts into (its effective date), not the day the file is made.
  const fiscalYear = digits(journal.fiscalYear);
  const batch = String(batchNumber).padStart(9, "0");
  const effectiveDate = journal.effectiveDate.replaceAll("-", "");
  const journalAmount = formatFeederAmount(journal.creditTotalCents);
  const supplierNumber = options.supplierNumber ?? "";
  const records = [
    record(feederNumber, batchType, "BH", [feederNumber, fiscalYear, batch, FEEDER_MESSAGE_VERSION]),
    record(feederNumber, batchType, "JH", [
      journal.journalName,
      ledgerBatchName(options.ministryPrefix, batchNumber),
      journalAmount,
      "ACAD",
      "",
    ]),
  ];
  for (const line of journal.lines) {
    records.push(
      record(feederNumber, batchType, "JD", [
        journal.journalName,
        digits(line.lineNumber),
        effectiveDate,
        glDistribution(line.account),
        supplierNumber,
        formatFeederAmount(line.amountCents),
        line.side,
        line.description,
        // Lets anyone reading the ledger trace the line to its partner, GL date, run and line number.
        lineFlowThrough(journal, line.lineNumber),
      ]),
    );
  }
  records.push(
    record(feederNumber, batchType, "BT", [feederNumber, fiscalYear, batch, digits(1 + journal.lines.length), journalAmount]),
  );
  return records.join("");
}
