/**
 * Cron Triggers (UTC). Every run sweeps payments (expiry, unknown outcomes); the nightly run also
 * posts the GL. Which GL dates are due is decided in code (services/glPosting.ts), not by the schedule.
 */
import { configurationProblems, readConfig } from "../config.ts";
import { database } from "../db/client.ts";
import { createLogger } from "../http/logger.ts";
import { createProcessor } from "../processor/index.ts";
import { auditRecorder } from "../services/audit.ts";
import { sweepPayments } from "../services/cardPayment.ts";
import { runGlPosting } from "../services/glPosting.ts";
import { sweepReceipts } from "../services/receipts.ts";

/** Must match the nightly entry of `[triggers] crons` in wrangler.toml. */
export const NIGHTLY_CRON = "0 9 * * *";

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
  const report = await sweepPayments({
    db,
    config,
    encryptionKey: env.API_KEY_ENCRYPTION_KEY,
    processor: createProcessor(config, env),
    audit: auditRecorder(db, { actor: "system:sweep", sourceIp: null, log }),
    log,
    now,
    receipts: env.RECEIPTS,
  });
  log.info("payment sweep finished", { cron: controller.cron, ...report });
  const receipts = await sweepReceipts({ db, queue: env.RECEIPTS, log, now });
  log.info("receipt sweep finished", receipts);
  if (controller.cron === NIGHTLY_CRON) {
    await runGlPosting({
      db,
      bucket: env.JOURNALS,
      feederNumber: env.GL_FEEDER_NUMBER || "3535",
      audit: auditRecorder(db, { actor: "system:gl-posting", sourceIp: null, log }),
      log,
      now,
    });
  }
}
