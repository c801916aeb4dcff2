/**
 * The nightly summarized GL journal of one partner for one GL date: one credit line per revenue
 * account balanced by debits to the cash (clearing) account, either one debit for the total
 * ("summary") or an equal debit after each credit ("pairs"), so it balances to the cent by
 * construction. Pure: the feeder file (ledgerFeeder.ts) and the CSV for people
 * (journalCsv.ts) are renderings of the Journal built here.
 */
import { fiscalYear, isValidDate } from "./businessTime.ts";
import { isValidRevenueAccount } from "./revenue.ts";

export interface AccountTotal {
  account: string;
  amountCents: number;
  /** How many revenue lines (of paid transactions) were summed into this account. */
  lineCount: number;
}

export interface JournalInput {
  pbcRefNumber: string;
  partnerName: string;
  /** yyyy-MM-dd */
  glDate: string;
  /** 1-based run number of the partner's journal for this GL date (late payments get a second journal). */
  sequence: number;
  cashAccount: string;
  credits: AccountTotal[];
  /** The ledger's name for this journal (ledgerFeeder.ledgerJournalName); defaults to journalName(). */
  journalName?: string;
  /** The date the ledger books it on (businessDays.ledgerEffectiveDate); defaults to the GL date. */
  effectiveDate?: string;
  /** Defaults to "summary". */
  lineStyle?: JournalLineStyle;
}

/** One debit for the journal's total, or a C/D pair per revenue account. */
export type JournalLineStyle = "summary" | "pairs";

export interface JournalLine {
  /** 1-based, in rendering order: credits sorted by account, then the one debit. */
  lineNumber: number;
  account: string;
  side: "D" | "C";
  amountCents: number;
  /** Printable ASCII, at most JOURNAL_DESCRIPTION_MAX characters. */
  description: string;
  /** Revenue lines behind this journal line; the debit line carries the journal's total. */
  revenueLineCount: number;
}

export interface Journal {
  pbcRefNumber: string;
  partnerName: string;
  glDate: string;
  sequence: number;
  /** The date the ledger books the journal on; the fiscal year follows it. */
  effectiveDate: string;
  fiscalYear: number;
  /** 10 characters, see journalName(). */
  journalName: string;
  lineStyle: JournalLineStyle;
  lines: JournalLine[];
  revenueLineCount: number;
  accountCount: number;
  debitTotalCents: number;
  creditTotalCents: number;
}

export const JOURNAL_DESCRIPTION_MAX = 100;
export const MAX_JOURNAL_SEQUENCE = 999;

const REF_PATTERN = /^\d{1,10}$/;
const NAME_REF_CHARS = 5;
const NAME_DAY_CHARS = 3;
const NAME_SEQUENCE_CHARS = 2;
/** Largest pbcRefNumber (as a number) that fits the 5 base-36 characters of a journal name. */
export const MAX_JOURNAL_NAME_REF = 36 ** NAME_REF_CHARS - 1;
const NAME_EPOCH_MS = Date.UTC(2000, 0, 1);
const DAY_MS = 86_400_000;
const JOURNAL_NAME_PATTERN = /^[0-9A-Z]{10}$/;

export class JournalError extends Error {
  override name = "JournalError";
}

function checkKey(pbcRefNumber: string, glDate: string, sequence: number): void {
  if (!REF_PATTERN.test(pbcRefNumber)) throw new JournalError(`pbcRefNumber must be 1 to 10 digits: ${pbcRefNumber}`);
  if (!isValidDate(glDate)) throw new JournalError(`glDate must be a real yyyy-MM-dd date: ${glDate}`);
  if (!Number.isInteger(sequence) || sequence < 1 || sequence > MAX_JOURNAL_SEQUENCE) {
    throw new JournalError(`sequence must be an integer from 1 to ${MAX_JOURNAL_SEQUENCE}: ${sequence}`);
  }
}

function base36(value: number, width: number, what: string): string {
  const text = value.toString(36).toUpperCase();
  if (value < 0 || text.length > width) throw new JournalError(`${what} does not fit a journal name: ${value}`);
  return text.padStart(width, "0");
}

/**
 * The ledger's journal name (10 characters, [0-9A-Z]) for a partner, GL date and sequence, all in
 * upper-case base 36 and zero-padded: pbcRefNumber as a number (5 chars, up to 60,466,175), days since
 * 2000-01-01 (3 chars, up to 2127-09-27) and sequence (2 chars). Unlike a hash it never collides, and
 * parseJournalName() turns a name from ledger feedback back into its key. Refs that differ only in
 * leading zeros ("010006" and "10006") share a name, so partners should not be onboarded that way.
 */
export function journalName(pbcRefNumber: string, glDate: string, sequence: number): string {
  checkKey(pbcRefNumber, glDate, sequence);
  const ref = Number(pbcRefNumber);
  if (ref > MAX_JOURNAL_NAME_REF) {
    throw new JournalError(`pbcRefNumber ${pbcRefNumber} is above ${MAX_JOURNAL_NAME_REF}, too large for a journal name`);
  }
  const [year, month, day] = glDate.split("-").map(Number) as [number, number, number];
  const days = (Date.UTC(year, month - 1, day) - NAME_EPOCH_MS) / DAY_MS;
  return (
    base36(ref, NAME_REF_CHARS, "pbcRefNumber") +
    base36(days, NAME_DAY_CHARS, "glDate") +
    base36(sequence, NAME_SEQUENCE_CHARS, "sequence")
  );
}

/** Inverse of journalName(); pbcRefNumber comes back without leading zeros. Null for anything else. */
export function parseJournalName(name: string): { pbcRefNumber: string; glDate: string; sequence: number } | null {
  if (!JOURNAL_NAME_PATTERN.test(name)) return null;
  const ref = Number.parseInt(name.slice(0, NAME_REF_CHARS), 36);
  const days = Number.parseInt(name.slice(NAME_REF_CHARS, NAME_REF_CHARS + NAME_DAY_CHARS), 36);
  const sequence = Number.parseInt(name.slice(NAME_REF_CHARS + NAME_DAY_CHARS), 36);
  const glDate = new Date(NAME_EPOCH_MS + days * DAY_MS).toISOString().slice(0, 10);
  if (ref < 1 || sequence < 1 || sequence > MAX_JOURNAL_SEQUENCE) return null;
  return { pbcRefNumber: String(ref), glDate, sequence };
}

/** R2 key prefix of a journal's files, e.g. `journals/2026-11-20/10006/001/`: sorts by date, then partner, then run. */
export function journalObjectPrefix(pbcRefNumber: string, glDate: string, sequence: number): string {
  checkKey(pbcRefNumber, glDate, sequence);
  return `journals/${glDate}/${pbcRefNumber}/${String(sequence).padStart(3, "0")}/`;
}

// Letters that do not decompose into ASCII + combining marks.
const ASCII_FALLBACK: Record<string, string> = {
  ß: "ss",
  æ: "ae",
  Æ: "AE",
  œ: "oe",
  Œ: "OE",
  ø: "o",
  Ø: "O",
  ł: "l",
  Ł: "L",
  đ: "d",
  Đ: "D",
  "\u2018": "'",
  "\u2019": "'",
  "\u201c": '"',
  "\u201d": '"',
  "\u2013": "-",
  "\u2014": "-",
};

/**
 * Printable ASCII only, because the feeder file is fixed-width by character: accents are dropped
 * (é -> e), control characters (including the GS separator and newlines) become spaces, anything
 * else becomes "?"; whitespace is collapsed and the result cut to maxLength.
 */
export function toAsciiText(text: string, maxLength: number): string {
  const folded = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^\x20-\x7e]/g, (char) => ASCII_FALLBACK[char] ?? (/[\x00-\x1f\x7f-\x9f\s]/.test(char) ? " " : "?"));
  return folded.replace(/\s+/g, " ").trim().slice(0, maxLength).trimEnd();
}

function lineDescription(label: string, glDate: string, partnerName: string): string {
  return toAsciiText(`${label} ${glDate} ${partnerName}`, JOURNAL_DESCRIPTION_MAX);
}

function checkCredit(credit: AccountTotal): void {
  if (!isValidRevenueAccount(credit.account)) throw new JournalError(`not a revenue account: ${credit.account}`);
  if (!Number.isSafeInteger(credit.amountCents) || credit.amountCents <= 0) {
    throw new JournalError(`amount of ${credit.account} must be a positive whole number of cents: ${credit.amountCents}`);
  }
  if (!Number.isSafeInteger(credit.lineCount) || credit.lineCount <= 0) {
    throw new JournalError(`line count of ${credit.account} must be a positive integer: ${credit.lineCount}`);
  }
}

/** Build the balanced journal, or throw JournalError on input the ledger would reject or misbook. */
export function buildJournal(input: JournalInput): Journal {
  checkKey(input.pbcRefNumber, input.glDate, input.sequence);
  const name = input.journalName ?? journalName(input.pbcRefNumber, input.glDate, input.sequence);
  if (!isValidRevenueAccount(input.cashAccount)) throw new JournalError(`not a cash account: ${input.cashAccount}`);
  if (input.credits.length === 0) throw new JournalError("a journal needs at least one revenue account");
  // Accounts are compared case-insensitively: the ledger would treat "abc..." and "ABC..." as one account.
  const seen = new Set<string>([input.cashAccount.toUpperCase()]);
  for (const credit of input.credits) {
    checkCredit(credit);
    const key = credit.account.toUpperCase();
    if (seen.has(key)) {
      throw new JournalError(
        key === input.cashAccount.toUpperCase()
          ? `revenue account ${credit.account} is the cash account`
          : `revenue account ${credit.account} appears more than once`,
      );
    }
    seen.add(key);
  }
  // Code-unit order, not localeCompare: the same data must give the same journal on any runtime.
  const credits = [...input.credits].sort((a, b) => (a.account < b.account ? -1 : a.account > b.account ? 1 : 0));
  const lineStyle = input.lineStyle ?? "summary";
  const effectiveDate = input.effectiveDate ?? input.glDate;
  if (!isValidDate(effectiveDate) || effectiveDate < input.glDate) {
    throw new JournalError(`effective date must be a date on or after the GL date: ${effectiveDate}`);
  }
  const revenue = lineDescription("Revenue", input.glDate, input.partnerName);
  const cash = lineDescription("Cash clearing", input.glDate, input.partnerName);
  let totalCents = 0;
  let revenueLineCount = 0;
  const lines: JournalLine[] = [];
  for (const credit of credits) {
    totalCents += credit.amountCents;
    revenueLineCount += credit.lineCount;
    const base = { amountCents: credit.amountCents, revenueLineCount: credit.lineCount };
    lines.push({ lineNumber: lines.length + 1, account: credit.account, side: "C", description: revenue, ...base });
    if (lineStyle === "pairs") {
      lines.push({ lineNumber: lines.length + 1, account: input.cashAccount, side: "D", description: cash, ...base });
    }
  }
  if (!Number.isSafeInteger(totalCents) || !Number.isSafeInteger(revenueLineCount)) {
    throw new JournalError("journal total is too large");
  }
  if (lineStyle === "summary") {
    lines.push({
      lineNumber: lines.length + 1,
      account: input.cashAccount,
      side: "D",
      amountCents: totalCents,
      description: cash,
      revenueLineCount,
    });
  }
  return {
    pbcRefNumber: input.pbcRefNumber,
    partnerName: input.partnerName,
    glDate: input.glDate,
    sequence: input.sequence,
    effectiveDate,
    fiscalYear: fiscalYear(effectiveDate),
    journalName: name,
    lineStyle,
    lines,
    revenueLineCount,
    accountCount: credits.length,
    debitTotalCents: totalCents,
    creditTotalCents: totalCents,
  };
}

/**
 * The journal lines each revenue account's posting depends on: its credit line and the debit that
 * balances it (the one summary debit, or the pair's own debit). Ledger feedback accepts an account's
 * revenue lines only when all of these are accepted.
 */
export function accountLineDependencies(journal: Pick<Journal, "lines" | "lineStyle">): Map<string, number[]> {
  const dependencies = new Map<string, number[]>();
  const summaryDebit = journal.lineStyle === "summary" ? journal.lines.at(-1) : undefined;
  journal.lines.forEach((line, index) => {
    if (line.side !== "C") return;
    const debit = summaryDebit ?? journal.lines[index + 1];
    dependencies.set(line.account, debit ? [line.lineNumber, debit.lineNumber] : [line.lineNumber]);
  });
  return dependencies;
}

/** Split a journal's credits by the ledger batch type of their account's client code. */
export function splitCreditsByClient(
  credits: readonly AccountTotal[],
  homeClientCode: string,
): { GA: AccountTotal[]; GI: AccountTotal[] } {
  const split: { GA: AccountTotal[]; GI: AccountTotal[] } = { GA: [], GI: [] };
  const home = homeClientCode.toUpperCase();
  for (const credit of credits) split[credit.account.slice(0, 3).toUpperCase() === home ? "GA" : "GI"].push(credit);
  return split;
}
