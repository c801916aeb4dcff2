/** Audit recording bound to one request or job: who, where from and the request id are filled in. */

import { type AuditEntry, recordAudit, recordAuditQuery } from "../db/auditLog.ts";
import type { Statement } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../lib/logger.ts";

type AuditArgs = [
  action: string,
  outcome: "success" | "failure",
  extra?: { actor?: string; target?: string | null; detail?: Record<string, unknown> },
];

export interface AuditRecorder {
  /** Write the entry now (a failed write is logged, never turned into an error for the user). */
  (...args: AuditArgs): Promise<void>;
  /** The entry as a statement for the caller's own batch, so it commits with the change it records. */
  statement(...args: AuditArgs): Statement;
}

export function auditRecorder(db: Db, context: { actor: string; sourceIp: string | null; log: Logger }): AuditRecorder {
  const entryOf = (...[action, outcome, extra = {}]: AuditArgs): AuditEntry => {
    const entry = {
      actor: extra.actor ?? context.actor,
      action,
      target: extra.target ?? null,
      outcome,
      sourceIp: context.sourceIp,
      requestId: context.log.requestId,
      detail: extra.detail ?? null,
    };
    context.log.info("audit", { audit: entry });
    return entry;
  };
  const record = async (...args: AuditArgs) => {
    const entry = entryOf(...args);
    try {
      await recordAudit(db, entry, new Date());
    } catch (error) {
      // The audit trail must not turn a user's request into an error page; the log line above keeps it.
      context.log.error("audit write failed", { action: entry.action, error: String(error) });
    }
  };
  return Object.assign(record, { statement: (...args: AuditArgs) => recordAuditQuery(db, entryOf(...args), new Date()) });
}
