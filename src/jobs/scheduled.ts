/**
 * Cron Triggers (UTC). Every run sweeps payments (expiry, unknown outcomes) and reads the ledger's
 * feedback inbox; the nightly run also posts the GL. Which GL dates are due is decided in code
 * (services/glPosting.ts), not by the schedule. The sweeps of the two hours after the nightly run
 * also archive (jobs/crons.ts isArchiveWindow, services/archive.ts) and clear old partner
 * notification bodies (services/outboxRetention.ts).
 */
import { configurationProblems, readArchiveSettings, readBodyRetentionDays, readConfig, readLedgerConfig } from "../config.ts";
import { database } from "../db/client.ts";
import { createLogger } from "../lib/logger.ts";
import { createProcessor } from "../processor/index.ts";
import { runArchive } from "../services/archive.ts";
import { auditRecorder } from "../services/audit.ts";
import { sweepPayments } from "../services/cardPayment/index.ts";
import { runGlPosting } from "../services/glPosting.ts";
import { processLedgerInbox } from "../services/ledgerFeedback.ts";
import { createNotifier, sweepOutbox } from "../services/notifications.ts";
import { clearDeliveredBodies } from "../services/outboxRetention.ts";
import { sweepReceipts } from "../services/receipts.ts";
import { runRefundPosting } from "../services/refundPosting.ts";
import { sweepRefunds } from "../services/refunds.ts";
import { isArchiveWindow, NIGHTLY_CRON } from "./crons.ts";

export async function runScheduled(controller: ScheduledController, env: Env): Promise<void> {
  const log = createLogger(`cron-${controller.scheduledTime}`);
  const problems = configurationProblems(env);
  if (problems.length > 0) {
    log.error("configuration incomplete: scheduled run skipped", { problems });
    return;
  }
  const config = readConfig(env);
  const db = database(env.DB);
  const now = new Date(controller.scheduledTime);
  // Events written by this run are sent by the outbox sweep at its end.
  const notify = createNotifier({ db, queue: env.WEBHOOKS, log });
  const report = await sweepPayments({
    db,
    config,
    encryptionKey: env.API_KEY_ENCRYPTION_KEY,
    processor: createProcessor(config, env),
    audit: auditRecorder(db, { actor: "system:sweep", sourceIp: null, log }),
    notify,
    log,
    now,
    receipts: env.RECEIPTS,
  });
  log.info("payment sweep finished", { cron: controller.cron, ...report });
  // Refunds whose processor answer was lost are looked up on the same schedule as payments.
  const refunds = await sweepRefunds({
    db,
    processor: createProcessor(config, env),
    audit: auditRecorder(db, { actor: "system:sweep", sourceIp: null, log }),
    notify,
    log,
    now,
  });
  log.info("refund sweep finished", { cron: controller.cron, ...refunds });
  const ledger = readLedgerConfig(env);
  // Feedback first: lines the ledger rejected are REJECT before the night's posting looks at them.
  // A failure here (logged and retried next run) must not stop the night's posting.
  try {
    const inbox = await processLedgerInbox({
      db,
      bucket: env.JOURNALS,
      ledger,
      audit: auditRecorder(db, { actor: "system:ledger-feedback", sourceIp: null, log }),
      notify,
      log,
      now,
    });
    if (inbox.files.length > 0 || inbox.failed.length > 0) {
      log.info("ledger inbox processed", { files: inbox.files.length, resumed: inbox.resumed, failed: inbox.failed });
    }
  } catch (error) {
    log.error("ledger inbox run failed", { error: String(error) });
  }
  // Lost receipt messages and addresses no longer needed; a failure here must not stop the posting.
  try {
    const receipts = await sweepReceipts({ db, queue: env.RECEIPTS, log, now });
    log.info("receipt sweep finished", receipts);
  } catch (error) {
    log.error("receipt sweep failed", { error: String(error) });
  }
  if (controller.cron === NIGHTLY_CRON) {
    const posting = {
      db,
      bucket: env.JOURNALS,
      ledger,
      audit: auditRecorder(db, { actor: "system:gl-posting", sourceIp: null, log }),
      log,
      now,
    };
    await runGlPosting(posting);
    // Reversals after revenue: a refund line waits for its revenue line to be posted.
    await runRefundPosting(posting);
  }
  // Finished payments and old audit rows to R2, after the night's posting; a failure is retried next run.
  if (isArchiveWindow(controller.cron, controller.scheduledTime)) {
    try {
      await runArchive({
        db,
        bucket: env.JOURNALS,
        settings: readArchiveSettings(env),
        audit: auditRecorder(db, { actor: "system:archive", sourceIp: null, log }),
        log,
        now,
      });
    } catch (error) {
      log.error("archive run failed", { error: String(error) });
    }
    // Sent notifications' bodies past their retention, in bounded batches; what is left waits for the next run.
    try {
      await clearDeliveredBodies({
        db,
        retentionDays: readBodyRetentionDays(env),
        audit: auditRecorder(db, { actor: "system:outbox-retention", sourceIp: null, log }),
        log,
        now,
      });
    } catch (error) {
      log.error("webhook body retention failed", { error: String(error) });
    }
  }
  // Partner notifications this run wrote, those whose queue send failed and those whose message was lost.
  const outbox = await sweepOutbox({ db, queue: env.WEBHOOKS, log, now: new Date() });
  if (outbox.sent + outbox.failed > 0) log.info("webhook outbox sweep finished", { ...outbox });
}
