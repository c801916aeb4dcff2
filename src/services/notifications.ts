/**
 * Partner notifications, producer side. A state change adds one statement to its own D1 batch
 * (`notifier.event(...)`): an outbox row, written only if the partner subscribes. After the batch
 * commits, `flush()` sends the new rows' ids to the WEBHOOKS queue; if that send fails the rows
 * stay unsent and the 5-minute sweep (`sweepOutbox`) sends them, so no event is lost.
 * Delivery (the queue consumer) is services/webhookDelivery.ts.
 */
import { type SQL, sql } from "drizzle-orm";
import { observed, type Statement } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import {
  claimForEnqueue,
  insertEventQuery,
  insertPostedEventsQuery,
  insertRefundPostedEventsQuery,
  releaseEnqueue,
} from "../db/webhookOutbox.ts";
import type { WebhookEventType } from "../domain/webhookPolicy.ts";
import type { Logger } from "../lib/logger.ts";

/** What a queue message carries: the outbox row and the generation that makes older copies void. */
export interface WebhookMessage {
  id: number;
  generation: number;
}

export function isWebhookMessage(body: unknown): body is WebhookMessage {
  const message = body as Partial<WebhookMessage> | null;
  return (
    typeof message === "object" &&
    message !== null &&
    Number.isSafeInteger(message.id) &&
    Number.isSafeInteger(message.generation) &&
    (message.id as number) > 0
  );
}

/** The producer side of a queue (the binding's send/sendBatch). */
export type WebhookQueue = Pick<Queue<WebhookMessage>, "sendBatch">;

export interface PaymentSubject {
  pbcRefNumber: string;
  transactionId: number;
  /** For outcomes of one attempt (declined, cancelled, expired): each attempt reports once. */
  attemptId?: number;
  /**
   * For payment.declined: the payment's decline number. With retry in place one attempt is declined
   * again after "Try another card", and every decline is reported (once each).
   */
  decline?: number;
}

export interface RefundSubject {
  pbcRefNumber: string;
  transactionId: number;
  refundId: number;
}

/**
 * The condition under which each payment event is true, read inside the batch: the event is
 * written when the state it reports is there, whichever request made the change, and the event key
 * makes it once only.
 */
function paymentCondition(type: WebhookEventType, subject: PaymentSubject): SQL {
  const attempt = (states: string) =>
    sql`EXISTS (SELECT 1 FROM payment_attempts WHERE id = ${subject.attemptId ?? null} AND state IN (${sql.raw(states)}))`;
  switch (type) {
    case "payment.approved":
      return sql`EXISTS (SELECT 1 FROM transactions WHERE id = ${subject.transactionId} AND payment_status <> 'PNDNG')`;
    case "payment.posted":
      return sql`EXISTS (SELECT 1 FROM transactions WHERE id = ${subject.transactionId} AND payment_status = 'CMPLT')`;
    case "payment.declined":
      return attempt("'DECLINED', 'LOCKED'");
    case "payment.cancelled":
      return attempt("'CANCELLED'");
    case "payment.expired":
      return attempt("'EXPIRED'");
    default:
      throw new Error(`${type} is not a payment event`);
  }
}

export interface Notifier {
  /** A payment event as a statement for the batch that makes the change it reports. */
  payment(
    type: "payment.approved" | "payment.declined" | "payment.cancelled" | "payment.expired" | "payment.posted",
    subject: PaymentSubject,
  ): Statement;
  /**
   * A refund event as a statement for the batch that makes the change; `when` is the SQL condition
   * that the refund is in the state the event reports.
   */
  refund(type: "refund.approved" | "refund.declined" | "refund.posted", subject: RefundSubject, when: SQL): Statement;
  /** `payment.posted` for every payment of a feeder file the ledger accepted that became CMPLT. */
  postedFeederFile(feederFileId: number): Statement;
  /** `refund.posted` for every refund of a feeder file whose lines are now all CMPLT. */
  refundsPostedFeederFile(feederFileId: number): Statement;
  /** Whether an event statement was handed out that may have written a row (the caller then flushes after its batch). */
  readonly pending: boolean;
  /** Send rows written so far to the queue. Never throws: the sweep covers a failed send. */
  flush(): Promise<void>;
}

export interface NotifierDeps {
  db: Db;
  queue: WebhookQueue | undefined;
  log: Logger;
}

export function createNotifier(deps: NotifierDeps): Notifier {
  // Statements handed out, and how many of them are known to have written no outbox row (the
  // partner has no endpoint for the event): with none written, flush has nothing to send and skips
  // its D1 round trip. A statement not known to be empty (not run yet, or its batch failed) flushes.
  let handedOut = 0;
  let empty = 0;
  const mark = (statement: SQL): Statement => {
    handedOut++;
    return observed(statement, (result) => {
      if ((result.meta.changes ?? 0) === 0) empty++;
    });
  };
  return {
    payment(type, subject) {
      const key =
        subject.attemptId === undefined
          ? `${type}:${subject.transactionId}`
          : `${type}:attempt:${subject.attemptId}${subject.decline === undefined ? "" : `:decline:${subject.decline}`}`;
      return mark(
        insertEventQuery(
          {
            eventType: type,
            eventKey: key,
            pbcRefNumber: subject.pbcRefNumber,
            transactionId: subject.transactionId,
            refundId: null,
          },
          paymentCondition(type, subject),
          new Date(),
        ),
      );
    },
    refund(type, subject, when) {
      return mark(
        insertEventQuery(
          {
            eventType: type,
            eventKey: `${type}:refund:${subject.refundId}`,
            pbcRefNumber: subject.pbcRefNumber,
            transactionId: subject.transactionId,
            refundId: subject.refundId,
          },
          when,
          new Date(),
        ),
      );
    },
    postedFeederFile(feederFileId) {
      return mark(insertPostedEventsQuery(feederFileId, new Date()));
    },
    refundsPostedFeederFile(feederFileId) {
      return mark(insertRefundPostedEventsQuery(feederFileId, new Date()));
    },
    get pending() {
      return handedOut > empty;
    },
    async flush() {
      if (handedOut <= empty) return;
      handedOut = 0;
      empty = 0;
      await enqueueOutbox({ ...deps, now: new Date() }, { limit: 50, overdueBefore: null });
    },
  };
}

/** Rows whose next attempt is this late have lost their queue message: the sweep sends them again. */
export const OVERDUE_MS = 15 * 60_000;

export interface EnqueueReport {
  sent: number;
  failed: number;
}

async function enqueueOutbox(
  deps: NotifierDeps & { now: Date },
  options: { limit: number; overdueBefore: Date | null },
): Promise<EnqueueReport> {
  const report = { sent: 0, failed: 0 };
  let rows: Array<{ id: number; generation: number }>;
  try {
    rows = await claimForEnqueue(deps.db, deps.now, options.limit, options.overdueBefore);
  } catch (error) {
    deps.log.error("outbox claim failed", { error });
    return report;
  }
  if (rows.length === 0) return report;
  try {
    if (!deps.queue) throw new Error("no WEBHOOKS queue binding");
    await deps.queue.sendBatch(rows.map((row) => ({ body: { id: row.id, generation: row.generation }, contentType: "json" })));
    report.sent = rows.length;
  } catch (error) {
    report.failed = rows.length;
    deps.log.error("webhook queue send failed: the sweep will send again", { error, outboxIds: rows.map((row) => row.id) });
    await releaseEnqueue(deps.db, rows, deps.now).catch((releaseError: unknown) =>
      deps.log.error("outbox release failed (the overdue rule recovers it)", { error: releaseError }),
    );
  }
  return report;
}

/**
 * Scheduled (every 5 minutes): send rows whose queue send failed or never happened, and rows whose
 * message was lost (overdue), in pages of 100 up to 1,000 a run.
 */
export async function sweepOutbox(deps: NotifierDeps & { now: Date }): Promise<EnqueueReport> {
  const total = { sent: 0, failed: 0 };
  const overdueBefore = new Date(deps.now.getTime() - OVERDUE_MS);
  for (let page = 0; page < 10; page++) {
    const report = await enqueueOutbox(deps, { limit: 100, overdueBefore });
    total.sent += report.sent;
    total.failed += report.failed;
    if (report.sent < 100) break;
  }
  return total;
}
