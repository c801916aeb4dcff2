/**
 * Ledger feedback for tests: the FEEDBACK file the CAS ledger would send for what the portal posted,
 * built from the feeder files in R2 (the same renderer the local `journals make-feedback` command uses).
 */
import { env } from "cloudflare:test";
import { readLedgerConfig } from "../../src/config.ts";
import { database } from "../../src/db/client.ts";
import { type FeedbackDecisions, renderFeedbackBatch } from "../../src/domain/ledgerFeedback.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { auditRecorder } from "../../src/services/audit.ts";
import { type FeedbackDeps, type FeedbackOutcome, receiveLedgerFile } from "../../src/services/ledgerFeedback.ts";
import { createNotifier } from "../../src/services/notifications.ts";

export interface SentFeederFile {
  id: number;
  batchType: "GA" | "GI";
  fileName: string;
  status: string;
  sourceBatchId: number;
  pbcRefNumber: string;
  glDate: string;
  effectiveDate: string;
}

export async function feederFiles(pbcRefNumber: string): Promise<SentFeederFile[]> {
  const rows = await env.DB.prepare(
    `SELECT id, batch_type AS batchType, file_name AS fileName, status, source_batch_id AS sourceBatchId,
       pbc_ref_number AS pbcRefNumber, gl_date AS glDate, effective_date AS effectiveDate
     FROM ledger_feeder_files WHERE pbc_ref_number = ? ORDER BY id`,
  )
    .bind(pbcRefNumber)
    .all<SentFeederFile>();
  return rows.results;
}

/** The feeder file as written to R2 (found through its batch's file list). */
export async function feederFileText(file: SentFeederFile): Promise<string> {
  const batch = await env.DB.prepare("SELECT files FROM journal_batches WHERE id = ?")
    .bind(file.sourceBatchId)
    .first<{ files: string }>();
  const key = (JSON.parse(batch?.files ?? "{}") as Record<string, { key: string }>)[`feeder-${file.batchType}`]?.key;
  const object = key ? await env.JOURNALS.get(key) : null;
  if (!object) throw new Error(`feeder file ${file.fileName} not found in R2`);
  return object.text();
}

/** A FEEDBACK file answering the given feeder files (decisions per feeder file id; others all accepted). */
export async function feedbackFor(files: SentFeederFile[], decisions: Record<number, FeedbackDecisions> = {}): Promise<string> {
  let text = "";
  for (const file of files) text += renderFeedbackBatch(await feederFileText(file), decisions[file.id] ?? {});
  return text;
}

export function feedbackDeps(overrides: Partial<FeedbackDeps> = {}): FeedbackDeps {
  const db = database(env.DB);
  const log = createLogger("test-feedback");
  return {
    db,
    bucket: env.JOURNALS,
    ledger: readLedgerConfig(env),
    audit: auditRecorder(db, { actor: "test", sourceIp: null, log }),
    notify: createNotifier({ db, queue: undefined, log }),
    log,
    now: new Date("2026-01-17T18:00:00Z"),
    ...overrides,
  };
}

let sequence = 0;

/** Upload a feedback file as finance staff would (a fresh name each time unless given). */
export async function sendFeedback(text: string, name?: string, overrides: Partial<FeedbackDeps> = {}): Promise<FeedbackOutcome> {
  sequence++;
  return receiveLedgerFile(feedbackDeps(overrides), {
    name: name ?? `FEEDBACK.F3535.2026011718${String(sequence % 10000).padStart(4, "0")}`,
    bytes: new TextEncoder().encode(text),
    source: "upload",
    receivedBy: "test",
  });
}

/** The ledger accepts every line of the partner's sent files. */
export async function ledgerAcceptsAll(pbcRefNumber: string): Promise<FeedbackOutcome> {
  const files = (await feederFiles(pbcRefNumber)).filter((file) => file.status === "SENT");
  return sendFeedback(await feedbackFor(files));
}
