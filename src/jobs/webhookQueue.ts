/** The WEBHOOKS queue consumer: delivers partner notifications (services/webhookDelivery.ts). */
import { configurationProblems, readConfig } from "../config.ts";
import { database } from "../db/client.ts";
import { createLogger } from "../lib/logger.ts";
import { consumeWebhookBatch } from "../services/webhookDelivery.ts";

export async function runWebhookQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const log = createLogger(`queue-${batch.queue}-${Date.now()}`);
  const problems = configurationProblems(env);
  if (problems.length > 0) {
    // Not delivered, not lost: the messages come back once the Worker is configured.
    log.error("configuration incomplete: webhook deliveries postponed", { problems });
    batch.retryAll({ delaySeconds: 300 });
    return;
  }
  await consumeWebhookBatch(batch, {
    db: database(env.DB),
    encryptionKey: env.API_KEY_ENCRYPTION_KEY,
    environment: readConfig(env).environment,
    log,
    deadLetter: env.WEBHOOK_DLQ,
  });
}
