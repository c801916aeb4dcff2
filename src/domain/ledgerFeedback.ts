/**
 * The ledger's answer to our feeder files: `FEEDBACK.*` files (per-record return codes) and `ACK.*`
 * files (receipt only). Record layout from shared/reference/ledger-and-processor-fidelity.md: the
 * batch type at [0:2], the record type at [2:4]; a batch runs from a GABG/GIBG record to the next
 * ..BT record. Feedback is matched to what we sent by content (batch number, journal name, line
 * number, amount, side, flow-through), never by file name. Pure: no D1, no R2.
 */
import { accountLineDependencies, type Journal } from "./journal.ts";
import { FEEDER_GS, type FeederBatchType, formatFeederAmount, glDistribution, lineFlowThrough } from "./ledgerFeeder.ts";

export const ACCEPTED_CODE = "0000";
/** The ledger's wording for a journal dated in a closed period. */
const CLOSED_PERIOD = /not within an open or future period/i;
/** What we keep of a ledger message (it is shown to partners and finance staff). */
export const MAX_LEDGER_MESSAGE = 200;

export type LedgerFileKind = "FEEDBACK" | "ACK";

/** FEEDBACK.* and ACK.* are the ledger's; anything else (including *.TRG) is not ours to read. */
export function ledgerFileKind(name: string): LedgerFileKind | null {
  const base = name.slice(name.lastIndexOf("/") + 1);
  if (base.toUpperCase().endsWith(".TRG")) return null;
  if (/^FEEDBACK\.[\w.-]+$/.test(base)) return "FEEDBACK";
  if (/^ACK\.[\w.-]+$/.test(base)) return "ACK";
  return null;
}

export interface ReturnStatus {
  code: string;
  message: string;
}

export interface FeedbackLine extends ReturnStatus {
  journalName: string;
  lineNumber: number;
  effectiveDate: string;
  glClient: string;
  amount: string;
  side: string;
  flowThrough: string;
}

export interface FeedbackJournal extends ReturnStatus {
  journalName: string;
  amount: string;
}

export interface FeedbackBatch {
  batchType: string;
  /** From the BG record; null when it is not a number. */
  batchNumber: number | null;
  /** The BH record's return code and message (batch level), when present. */
  header: ReturnStatus | null;
  journals: FeedbackJournal[];
  lines: FeedbackLine[];
}

export interface ParsedFeedback {
  batches: FeedbackBatch[];
  /** Records that belong to no batch or are not understood: reported, never guessed at. */
  problems: string[];
}

const field = (line: string, from: number, to: number) => line.slice(from, to).trim();

/** Parse a FEEDBACK file. Never throws: what cannot be read is listed in `problems`. */
export function parseFeedback(text: string): ParsedFeedback {
  const batches: FeedbackBatch[] = [];
  const problems: string[] = [];
  let current: FeedbackBatch | null = null;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") return;
    const at = `record ${index + 1}`;
    const batchType = line.slice(0, 2);
    const type = line.slice(2, 4);
    if (type === "BG") {
      if (current) problems.push(`${at}: a new batch starts before the previous one ended (no BT)`);
      const number = field(line, 15, 24);
      current = {
        batchType,
        batchNumber: /^\d{1,9}$/.test(number) ? Number(number) : null,
        header: null,
        journals: [],
        lines: [],
      };
      batches.push(current);
      return;
    }
    if (!current) {
      problems.push(`${at}: ${type || "a record"} outside a batch`);
      return;
    }
    switch (type) {
      case "BH":
        current.header = { code: field(line, 7, 11), message: field(line, 11, 161) };
        return;
      case "JH":
        current.journals.push({
          journalName: field(line, 7, 17),
          amount: field(line, 42, 57),
          code: field(line, 271, 275),
          message: field(line, 275, 425),
        });
        return;
      case "JD": {
        const lineNumber = field(line, 17, 22);
        current.lines.push({
          journalName: field(line, 7, 17),
          lineNumber: /^\d{1,5}$/.test(lineNumber) ? Number(lineNumber) : -1,
          effectiveDate: field(line, 22, 30),
          glClient: field(line, 30, 33),
          amount: field(line, 89, 104),
          side: field(line, 104, 105),
          flowThrough: field(line, 205, 315),
          code: field(line, 315, 319),
          message: field(line, 319, 469),
        });
        return;
      }
      case "BT":
        current = null;
        return;
      default:
        problems.push(`${at}: unknown record type "${type}"`);
    }
  });
  if (current) problems.push("the file ends inside a batch (no BT)");
  return { batches, problems };
}

/** What we sent in one feeder file, as kept in D1. */
export interface SentFile {
  batchNumber: number;
  batchType: FeederBatchType;
  journal: Journal;
}

export interface Rejection {
  /** null: every revenue line of the file. */
  account: string | null;
  code: string;
  message: string;
  closedPeriod: boolean;
}

export type Settlement =
  | { kind: "settled"; accepted: string[]; rejections: Rejection[] }
  /** The feedback does not match what we sent: nothing is applied, the problems are reported. */
  | { kind: "unmatched"; problems: string[] };

/** The message a partner and finance staff see: the ledger's own, and plainly so when the period is closed. */
export function ledgerMessage(status: ReturnStatus, effectiveDate: string): { text: string; closedPeriod: boolean } {
  const own = status.message.replace(/\s+/g, " ").trim();
  const closedPeriod = CLOSED_PERIOD.test(own);
  const text = closedPeriod
    ? `Closed GL period: the ledger refused the effective date ${effectiveDate} (${own})`
    : own || `Rejected by the ledger (code ${status.code})`;
  return { text: text.slice(0, MAX_LEDGER_MESSAGE), closedPeriod };
}

const accepted = (status: ReturnStatus | null | undefined) => status?.code === ACCEPTED_CODE;

/**
 * Decide what one feedback batch means for the file we sent: a batch-level (BH) or journal-level
 * (JH) rejection rejects every line; otherwise each revenue account is accepted when its credit line
 * and the debit balancing it are accepted, else rejected with the message of the line that failed.
 */
export function settleBatch(sent: SentFile, batch: FeedbackBatch): Settlement {
  const { journal } = sent;
  const problems: string[] = [];
  const label = `batch ${sent.batchNumber}`;
  if (batch.batchType !== sent.batchType) problems.push(`${label}: sent as ${sent.batchType}, feedback says ${batch.batchType}`);
  for (const header of batch.journals) {
    if (header.journalName !== journal.journalName) problems.push(`${label}: journal ${header.journalName} is not in this batch`);
  }
  const byNumber = new Map(journal.lines.map((line) => [line.lineNumber, line]));
  const seen = new Map<number, FeedbackLine>();
  for (const line of batch.lines) {
    const ours = line.journalName === journal.journalName ? byNumber.get(line.lineNumber) : undefined;
    if (!ours) {
      problems.push(`${label}: line ${line.journalName} ${line.lineNumber} was not sent in this batch`);
      continue;
    }
    const matches =
      line.amount === formatFeederAmount(ours.amountCents) &&
      line.side === ours.side &&
      line.flowThrough === lineFlowThrough(journal, ours.lineNumber) &&
      line.glClient === glDistribution(ours.account).slice(0, 3);
    if (!matches) problems.push(`${label}: line ${line.lineNumber} does not match what was sent`);
    else seen.set(line.lineNumber, line);
  }
  if (problems.length > 0) return { kind: "unmatched", problems };

  const effectiveDate = journal.effectiveDate;
  const rejectAll = (status: ReturnStatus): Settlement => {
    const message = ledgerMessage(status, effectiveDate);
    return {
      kind: "settled",
      accepted: [],
      rejections: [{ account: null, code: status.code, message: message.text, closedPeriod: message.closedPeriod }],
    };
  };
  if (batch.header && !accepted(batch.header)) return rejectAll(batch.header);
  const header = batch.journals[0];
  if (header && !accepted(header)) return rejectAll(header);

  const acceptedAccounts: string[] = [];
  const rejections: Rejection[] = [];
  const missing: number[] = [];
  for (const [account, lineNumbers] of accountLineDependencies(journal)) {
    const statuses = lineNumbers.map((number) => seen.get(number));
    const absent = lineNumbers.filter((_, index) => statuses[index] === undefined);
    if (absent.length > 0) {
      missing.push(...absent);
      continue;
    }
    const failed = statuses.find((status) => !accepted(status));
    if (failed) {
      const message = ledgerMessage(failed, effectiveDate);
      rejections.push({ account, code: failed.code, message: message.text, closedPeriod: message.closedPeriod });
    } else acceptedAccounts.push(account);
  }
  if (missing.length > 0) {
    // Without a batch- or journal-level answer, a line the ledger did not mention is not decided.
    const numbers = [...new Set(missing)].sort((a, b) => a - b).join(", ");
    return { kind: "unmatched", problems: [`${label}: no return code for line(s) ${numbers}`] };
  }
  if (!header && !batch.header && batch.lines.length === 0) {
    return { kind: "unmatched", problems: [`${label}: the feedback carries no return codes`] };
  }
  return { kind: "settled", accepted: acceptedAccounts, rejections };
}

// ---------------------------------------------------------------- writing feedback (local walkthrough, tests)

export interface FeedbackDecisions {
  /** Reject the whole batch (BH) with this status. */
  batch?: ReturnStatus;
  /** Reject the journal (JH) with this status. */
  journal?: ReturnStatus;
  /** Per journal line number: the status to return (others are accepted). */
  lines?: ReadonlyMap<number, ReturnStatus>;
}

const OK: ReturnStatus = { code: ACCEPTED_CODE, message: "" };

function status(value: ReturnStatus): string {
  return value.code.padEnd(4).slice(0, 4) + value.message.padEnd(150).slice(0, 150);
}

/**
 * The FEEDBACK records the ledger would return for one of our feeder files: each record's body as
 * we sent it behind `{GA|GI}{type}` and 3 filler characters, plus the return code and message.
 */
export function renderFeedbackBatch(feederFile: string, decisions: FeedbackDecisions = {}): string {
  const records = feederFile.split("\n").filter((line) => line !== "");
  const out: string[] = [];
  for (const record of records) {
    const batchType = record.slice(4, 6);
    const type = record.slice(6, 8);
    const body = record.slice(9, record.lastIndexOf(FEEDER_GS));
    const head = (recordType: string) => `${batchType}${recordType}${FEEDER_GS}  `;
    switch (type) {
      case "BH":
        out.push(head("BG") + body);
        out.push(head("BH") + status(decisions.batch ?? OK));
        break;
      case "JH":
        out.push(head("JH") + body + status(decisions.journal ?? OK));
        break;
      case "JD": {
        const lineNumber = Number(body.slice(10, 15));
        out.push(head("JD") + body + status(decisions.lines?.get(lineNumber) ?? OK));
        break;
      }
      case "BT":
        out.push(head("BT") + body);
        break;
    }
  }
  return out.map((line) => `${line}\n`).join("");
}

/** `FEEDBACK.F{feeder}.{YYYYMMDDHHMMSS}` (UTC), as the ledger names them. */
export function feedbackFileName(feederNumber: string, at: Date): string {
  return `FEEDBACK.F${feederNumber}.${at.toISOString().replace(/[-:T]/g, "").slice(0, 14)}`;
}
