/** Audit recording bound to one request or job: who, where from and the request id are filled in. */

import { recordAudit } from "../db/auditLog.ts";
import type { Db } from "../db/client.ts";
import type { Logger } from "../http/logger.ts";

export type AuditRecorder = (
  action: string,
  outcome: "success" | "failure",
  extra?: { actor?: string; target?: string | null; detail?: Record<string, unknown> },
) => Promise<void>;

export function auditRecorder(db: Db, context: { actor: string; sourceIp: string | null; log: Logger }): AuditRecorder {
  return async (action, outcome, extra = {}) => {
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
    try {
      await recordAudit(db, entry, new Date());
    } catch (error) {
      // The audit trail must not turn a user's request into an error page; the log line above keeps it.
      context.log.error("audit write failed", { action, error: String(error) });
    }
  };
}
