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

export interface AuditContext {
  actor: string;
  sourceIp: string | null;
  log: Logger;
  /**
   * For requests anyone can send: asked before each immediate write, so a flood of refusals cannot
   * fill the audit log. A refused write is logged instead (the log line is kept either way).
   */
  admit?: () => Promise<boolean>;
}

// Unauthenticated requests choose these values (a client id, a path): an audit row keeps a bounded prefix.
const MAX_FIELD = 200;
const MAX_DETAIL = 2000;

function bounded(text: string, max = MAX_FIELD): string {
  return text.length <= max ? text : `${text.slice(0, max)}...[${text.length - max} more]`;
}

function boundedDetail(detail: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!detail) return null;
  const json = JSON.stringify(detail);
  return json.length <= MAX_DETAIL ? detail : { truncated: bounded(json, MAX_DETAIL) };
}

export function auditRecorder(db: Db, context: AuditContext): AuditRecorder {
  const entryOf = (...[action, outcome, extra = {}]: AuditArgs): AuditEntry => {
    const entry = {
      actor: bounded(extra.actor ?? context.actor),
      action,
      target: extra.target == null ? null : bounded(extra.target),
      outcome,
      sourceIp: context.sourceIp === null ? null : bounded(context.sourceIp, 64),
      requestId: context.log.requestId,
      detail: boundedDetail(extra.detail),
    };
    context.log.info("audit", { audit: entry });
    return entry;
  };
  const record = async (...args: AuditArgs) => {
    const entry = entryOf(...args);
    if (context.admit && !(await context.admit())) {
      context.log.warn("audit write skipped: rate limited", { action: entry.action });
      return;
    }
    try {
      await recordAudit(db, entry, new Date());
    } catch (error) {
      // The audit trail must not turn a user's request into an error page; the log line above keeps it.
      context.log.error("audit write failed", { action: entry.action, error });
    }
  };
  return Object.assign(record, { statement: (...args: AuditArgs) => recordAuditQuery(db, entryOf(...args), new Date()) });
}
